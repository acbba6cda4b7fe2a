"""The ``drbench`` command: one subcommand per stage, plus ``all`` for the whole loop."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from rich.console import Console
from rich.table import Table

from drbench import __version__

console = Console()
PACKAGE_DIR = str(Path(__file__).resolve().parent)

DESCRIPTION = """\
drbench measures how well domain-randomized (DR) synthetic images, rendered
with Blender, train car detectors for real KITTI images (Tremblay et al. 2018).

  generate   render DR images + exact KITTI labels with Blender (bpy)
  train      train an mmdet detector on KITTI-layout folders
  predict    run a trained detector over a folder of images -> KITTI predictions
  eval       score KITTI predictions with the KITTI devkit's rules (+ intervals, PR curves)
  run        one protocol (dr-only, fine-tune, ablation) at a profile, scored onto the leaderboard
  all        every protocol of a profile: generate -> train -> predict real-test -> eval
  board      print the leaderboard table

The real KITTI root comes from --kitti-root, else $DRBENCH_KITTI_ROOT, else
../shared/data/kitti-mini next to the repository.
"""


def _scale(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    return width, height


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="drbench", description=DESCRIPTION, formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"drbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="render domain-randomized images with exact KITTI labels",
                         description="Render N domain-randomized images with Blender (Cycles, CPU) "
                         "into OUT/image_2 and OUT/label_2 (KITTI layout) plus OUT/manifest.json. "
                         "Blender runs in a child process; one seed per image.", formatter_class=fmt)
    gen.add_argument("--out", type=Path, required=True, help="output folder")
    gen.add_argument("--n", type=int, required=True, help="number of images")
    gen.add_argument("--seed", type=int, default=0, help="run seed (per-image seeds derive from it)")
    gen.add_argument("--width", type=int, default=1242)
    gen.add_argument("--height", type=int, default=375)
    gen.add_argument("--samples", type=int, default=1, help="Cycles samples per pixel")
    gen.add_argument("--resume", action="store_true", help="keep finished images, render the rest")
    gen.add_argument("--preview", action="store_true", help="also write OUT/contact_sheet.png")

    tr = sub.add_parser("train", help="train a detector (mmdet config) on KITTI-layout folders",
                        description="Train an mmdet detector on one or more folders laid out as "
                        "DIR/image_2 + DIR/label_2 (or DIR/training/...). Writes checkpoints and "
                        "mmengine logs into --work-dir.", formatter_class=fmt)
    tr.add_argument("--data", type=Path, nargs="+", required=True, help="KITTI-layout folders")
    tr.add_argument("--work-dir", type=Path, required=True)
    tr.add_argument("--detector", default="faster_rcnn", help="registered name or mmdet config file")
    tr.add_argument("--iters", type=int, default=1000, help="training iterations")
    tr.add_argument("--batch-size", type=int, default=2)
    tr.add_argument("--lr", type=float, default=None, help="learning rate (config default if unset)")
    tr.add_argument("--scale", type=_scale, default=None, help="resize to fit WIDTHxHEIGHT")
    tr.add_argument("--load-from", type=Path, default=None, help="start from this checkpoint")
    tr.add_argument("--seed", type=int, default=0)

    pr = sub.add_parser("predict", help="detect cars in a folder of images, write KITTI predictions",
                        description="Run a trained detector over every image in --images (any "
                        "size) and write one KITTI label file with scores per image into --out.",
                        formatter_class=fmt)
    pr.add_argument("--images", type=Path, required=True)
    pr.add_argument("--out", type=Path, required=True)
    pr.add_argument("--checkpoint", type=Path, required=True)
    pr.add_argument("--detector", default="faster_rcnn")
    pr.add_argument("--scale", type=_scale, default=None)
    pr.add_argument("--score-thr", type=float, default=0.05)

    ev = sub.add_parser("eval", help="KITTI devkit AP (easy/moderate/hard, IoU 0.5 and 0.7)",
                        description="Score KITTI-format predictions against KITTI ground truth "
                        "with the official devkit's 2D rules; writes eval.json and pr_curves.png.",
                        formatter_class=fmt)
    ev.add_argument("--gt", default=None, help="KITTI root (default: the KITTI root setting)")
    ev.add_argument("--pred", type=Path, required=True, help="folder of prediction files")
    ev.add_argument("--split", default="real-test", help="real-train, real-test or all")
    ev.add_argument("--out", type=Path, default=None, help="folder for eval.json (default: --pred)")
    ev.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples for the 95%% CI")

    def add_run_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--profile", default="smoke", help="tiny, smoke (minutes) or cpu (hours)")
        command.add_argument("--seed", type=int, default=0)
        command.add_argument("--kitti-root", default=None)
        command.add_argument("--runs-dir", type=Path, default=None,
                             help="step cache (default ./runs)")
        command.add_argument("--board-dir", type=Path, default=None,
                             help="leaderboard folder (default ./leaderboards)")
        command.add_argument("--dry-run", action="store_true",
                             help="print the steps, which are cached, and the estimated time")

    rn = sub.add_parser("run", help="one protocol at a profile, scored onto the leaderboard",
                        description="Run one protocol (see drbench/protocols/*.yaml): each arm is "
                        "generated, trained, used to predict real-test and scored; every step is "
                        "cached by the hash of its inputs, so a re-run does only what changed.",
                        formatter_class=fmt)
    rn.add_argument("protocol", help="dr-only, fine-tune or ablation")
    add_run_options(rn)

    al = sub.add_parser("all", help="every protocol of a profile, scored onto the leaderboard",
                        description="Run every protocol the profile lists (smoke: dr-only and "
                        "fine-tune) and write one leaderboards/<run>.json per arm. Re-running "
                        "resumes after the last finished step.", formatter_class=fmt)
    add_run_options(al)

    bd = sub.add_parser("board", help="print the leaderboard", formatter_class=fmt,
                        description="Table of every entry in the leaderboard folder.")
    bd.add_argument("--board-dir", type=Path, default=None)
    bd.add_argument("--markdown", type=Path, default=None, help="also write the table as Markdown")

    rg = sub.add_parser("regress", help="compare a fresh result with a stored reference",
                        description="Fail (exit 1) when a fresh leaderboard entry's AP40 falls "
                        "below the reference's 95%% interval, or jumps suspiciously above it.",
                        formatter_class=fmt)
    rg.add_argument("--baseline", type=Path, required=True, help="reference entry (JSON)")
    rg.add_argument("--fresh", type=Path, required=True, help="entry from the fresh run (JSON)")
    return parser


def print_scores(evaluation: dict) -> None:
    table = Table(title="KITTI devkit AP (95% bootstrap interval)")
    for column in ("IoU", "level", "AP11", "AP40", "n_gt"):
        table.add_column(column)
    for iou, levels in evaluation["results"].items():
        for level, r in levels.items():
            table.add_row(iou, level, f"{r['ap11']:.1f} [{r['ap11_ci95'][0]:.1f}, {r['ap11_ci95'][1]:.1f}]",
                          f"{r['ap40']:.1f} [{r['ap40_ci95'][0]:.1f}, {r['ap40_ci95'][1]:.1f}]",
                          str(r["n_gt"]))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = dispatch(args)
        except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
            console.print(f"[bold red]error:[/] {exc}")
            code = 2
    for warning in caught:  # drbench's own warnings (e.g. the reachable-AP cap), not the stack's
        if str(warning.filename).startswith(PACKAGE_DIR):
            console.print(f"[yellow]warning:[/] {warning.message}")
    return code


def dispatch(args: argparse.Namespace) -> int:
    from drbench.paths import REPO_ROOT, kitti_root

    if args.command == "generate":
        from drbench.generate.runner import generate
        result = generate(args.out, args.n, args.seed, width=args.width, height=args.height,
                          samples=args.samples, resume=args.resume)
        if args.preview:
            from drbench.generate.preview import contact_sheet
            console.print(f"contact sheet: {contact_sheet(args.out, args.out / 'contact_sheet.png')}")
        console.print(result)
    elif args.command == "train":
        from drbench.detectors.train import train
        checkpoint = train(args.detector, args.data, args.work_dir, args.iters,
                           image_scale=args.scale, batch_size=args.batch_size, lr=args.lr,
                           seed=args.seed, load_from=args.load_from)
        console.print(f"checkpoint: {checkpoint}")
    elif args.command == "predict":
        from drbench.detectors.predict import predict
        written = predict(args.detector, args.checkpoint, args.images, args.out,
                          image_scale=args.scale, score_thr=args.score_thr)
        console.print(f"{len(written)} prediction files in {args.out}")
    elif args.command == "eval":
        from drbench.evaluate.report import evaluate_dirs
        evaluation = evaluate_dirs(kitti_root(args.gt), args.pred, split=args.split,
                                   out_dir=args.out or args.pred, bootstrap=args.bootstrap)
        print_scores(evaluation)
    elif args.command in ("run", "all"):
        from drbench.protocols.runner import run_all, run_protocol
        options = dict(seed=args.seed, kitti_root=args.kitti_root,
                       runs_dir=args.runs_dir or REPO_ROOT / "runs",
                       board_dir=args.board_dir or REPO_ROOT / "leaderboards",
                       dry_run=args.dry_run, console=console)
        if args.command == "run":
            run_protocol(args.protocol, args.profile, **options)
        else:
            run_all(args.profile, **options)
    elif args.command == "board":
        from drbench.leaderboard import read_entries, render_markdown
        from drbench.io import write_text_atomic
        entries = read_entries(args.board_dir or REPO_ROOT / "leaderboards")
        table = Table(title="drbench leaderboard (AP40 on real-test)")
        for column in ("run", "protocol", "detector", "trained on", "0.5 easy", "0.5 mod", "0.7 easy"):
            table.add_column(column)
        for e in sorted(entries, key=lambda e: -e["scores"]["0.5"]["easy"]["ap40"]):
            s = e["scores"]
            table.add_row(e["run_id"], e["protocol"], e["detector"], e["trained_on"],
                          f"{s['0.5']['easy']['ap40']:.1f}", f"{s['0.5']['moderate']['ap40']:.1f}",
                          f"{s['0.7']['easy']['ap40']:.1f}")
        console.print(table)
        if args.markdown:
            console.print(f"markdown: {write_text_atomic(args.markdown, render_markdown(entries))}")
    elif args.command == "regress":
        import json
        from drbench.leaderboard import validate
        from drbench.regress import compare
        baseline, fresh = (validate(json.loads(p.read_text()), where=str(p))
                           for p in (args.baseline, args.fresh))
        findings = compare(fresh, baseline)
        for finding in findings:
            console.print(f"[bold red]{finding}[/]")
        if findings:
            return 1
        console.print("[green]no regression: every checked AP is inside the reference interval[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
