"""The ``drbench`` command: one subcommand per stage, plus ``all`` for the whole loop.

Every subcommand is one ``Command`` in ``COMMANDS``: its help, a function that adds
its arguments and a handler that runs it and returns the exit code. Handlers import
the stage they run themselves, so ``drbench --help`` does not load torch or Blender.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from drbench import __version__
from drbench.io import write_text_atomic
from drbench.leaderboard.markdown import render_markdown
from drbench.leaderboard.ranking import ranking_table
from drbench.paths import REPO_ROOT, DataRootError, kitti_root
from drbench.protocols import registry as protocol_registry

console = Console()
PACKAGE_DIR = str(Path(__file__).resolve().parent)
FORMATTER = argparse.RawDescriptionHelpFormatter

INTRO = """\
drbench measures how well domain-randomized (DR) synthetic images, rendered
with Blender, train car detectors for real KITTI images (Tremblay et al. 2018).
"""
DATA_ROOT_NOTE = """\
The real KITTI root comes from --kitti-root, else $DRBENCH_KITTI_ROOT, else
../shared/data/kitti-mini next to the repository.
"""


def _scale(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    return width, height


def _board_dir(args: argparse.Namespace) -> Path:
    return args.board_dir or REPO_ROOT / "leaderboards"


def _runs_dir(args: argparse.Namespace) -> Path:
    return args.runs_dir or REPO_ROOT / "runs"


# --- generate ----------------------------------------------------------------------------------

def generate_arguments(gen: argparse.ArgumentParser) -> None:
    # lazy: drbench.generate loads cv2 (~0.4 s): paid when the parser is built, not on `import drbench.cli`
    from drbench.generate.settings import ENGINES

    gen.add_argument("--config", type=Path, default=None, help="run description (YAML or JSON)")
    gen.add_argument("--out", type=Path, default=None,
                     help="output folder (default with --config: datasets/<config>-<hash>)")
    gen.add_argument("--n", type=int, default=None, help="number of images")
    gen.add_argument("--seed", type=int, default=None, help="run seed (per-image seeds derive from it; default 0)")
    gen.add_argument("--width", type=int, default=None, help="default 1242")
    gen.add_argument("--height", type=int, default=None, help="default 375")
    gen.add_argument("--samples", type=int, default=None, help="Cycles samples per pixel (default 1)")
    gen.add_argument("--engine", choices=ENGINES, default=None,
                     help="cycles: on the CPU; cycles-optix/cycles-cuda: Cycles on an NVIDIA GPU; "
                     "auto: EEVEE where a hardware GPU context works, else Cycles on a GPU, else on the CPU")
    gen.add_argument("--randomizer", action="append", default=None, metavar="REF",
                     help="add a randomizer after the configured ones: a name, pkg.module:Name or "
                     "path/file.py:Name (repeatable)")
    gen.add_argument("--ablate", action="append", default=None, metavar="NAME",
                     help="no_light_variation, no_textures, no_distractors or half_textures (repeatable)")
    gen.add_argument("--texture-bank", type=int, default=None, help="distinct procedural textures (0 = unbounded)")
    gen.add_argument("--texture-dir", type=Path, default=None, help="folder of texture images to mix in")
    gen.add_argument("--background-dir", type=Path, default=None, help="folder of background images to mix in")
    gen.add_argument("--car-models", type=Path, default=None,
                     help="folder of .glb/.gltf/.obj/.fbx/.blend car models to mix with procedural cars")
    gen.add_argument("--car-model-ratio", type=float, default=None, help="share of cars from --car-models")
    gen.add_argument("--shard", default=None, metavar="I/N", help="render only indices i, i+N, i+2N, ...")
    gen.add_argument("--workers", type=int, default=None, help="render processes side by side (default 1; "
                     "with --ray-address: Ray render actors, default one per CPU (or GPU) of the cluster)")
    gen.add_argument("--ray-address", default=None, metavar="ADDR",
                     help="render on this Ray cluster (auto, HOST:PORT or ray://HOST:10001); see docs/scale-out.md")
    gen.add_argument("--ray-gpus-per-worker", type=float, default=0,
                     help="with --ray-address: GPUs per render actor (0: one actor per CPU)")
    gen.add_argument("--max-failures", type=int, default=None,
                     help="failed images to skip before stopping (0: stop at the first; default: skip, "
                     "stop after 3 failures in a row)")
    gen.add_argument("--resume", action="store_true", help="keep finished images, render the rest")
    gen.add_argument("--preview", action="store_true", help="also write OUT/contact_sheet.png")


def cmd_generate(args: argparse.Namespace) -> int:
    """``drbench generate``: settings from --config (if any), overridden by flags."""
    # lazy: drbench.generate loads cv2 (~0.4 s)
    from drbench.generate.config import default_out_dir, load_generation_config, settings_from_mapping
    from drbench.generate.local_run import generate
    from drbench.generate.settings import Settings

    settings, run = load_generation_config(args.config) if args.config else (Settings(), {})
    overrides = {key: value for key, value in (
        ("width", args.width), ("height", args.height), ("samples", args.samples), ("engine", args.engine),
        ("texture_bank", args.texture_bank), ("texture_dir", args.texture_dir and str(args.texture_dir.resolve())),
        ("background_dir", args.background_dir and str(args.background_dir.resolve())),
        ("car_models_dir", args.car_models and str(args.car_models.resolve())),
        ("car_model_ratio", args.car_model_ratio)) if value is not None}
    if args.randomizer:
        overrides["randomizers"] = list(settings.randomizers) + args.randomizer
    if args.ablate:
        overrides["ablations"] = sorted(set(settings.ablations) | set(args.ablate))
    if overrides:
        settings = settings_from_mapping({**dataclasses.asdict(settings), **overrides}, "command line")
    n = args.n if args.n is not None else run.get("n")
    if n is None:
        raise ValueError("give the number of images: --n N (or n: in the config file)")
    seed = args.seed if args.seed is not None else run.get("seed", 0)
    out = args.out or (Path(run["out"]) if run.get("out") else None)
    if out is None:
        if not args.config:
            raise ValueError("give an output folder: --out DIR")
        out = default_out_dir(args.config, settings, seed)
    config = None
    if args.config:
        config = {"path": str(args.config.resolve()), "sha256": hashlib.sha256(args.config.read_bytes()).hexdigest()}
    console.print(f"data set {settings.digest(seed)} -> {out}")
    max_failures = args.max_failures if args.max_failures is not None else run.get("max_failures")
    if args.ray_address:
        from drbench.generate.ray_shards import generate_on_ray
        if args.shard:
            raise ValueError("--shard and --ray-address do not mix: Ray spreads every index over the cluster")
        result = generate_on_ray(out, n, seed, settings, args.ray_address, workers=args.workers,
                                 gpus_per_worker=args.ray_gpus_per_worker, resume=args.resume,
                                 max_failures=max_failures, config=config)
    else:
        result = generate(out, n, seed, settings=settings, resume=args.resume, shard=args.shard,
                          workers=args.workers or run.get("workers", 1), max_failures=max_failures, config=config)
    if args.preview:
        from drbench.generate.preview import contact_sheet
        console.print(f"contact sheet: {contact_sheet(out, out / 'contact_sheet.png')}")
    console.print(result)
    return 0


# --- stats -------------------------------------------------------------------------------------

def stats_arguments(st: argparse.ArgumentParser) -> None:
    st.add_argument("dir", type=Path, help="folder with label_2/ (or training/label_2/)")
    st.add_argument("--compare", type=Path, nargs="*", default=[], help="more folders as extra columns")
    st.add_argument("--out", type=Path, default=None, help="where stats.json/png go (default: DIR)")


def cmd_stats(args: argparse.Namespace) -> int:
    from drbench.generate import stats  # lazy: cv2, matplotlib (~0.5 s)

    fingerprints = [stats.fingerprint(args.dir)] + [stats.fingerprint(d) for d in args.compare]
    console.print(stats.table(fingerprints))
    json_path, png_path = stats.save(fingerprints[0], args.out or args.dir, compare=fingerprints[1:])
    console.print(f"fingerprint: {json_path}\nhistograms: {png_path}")
    return 0


# --- train, predict, eval ----------------------------------------------------------------------

def train_arguments(tr: argparse.ArgumentParser) -> None:
    tr.add_argument("--data", type=Path, nargs="+", required=True, help="KITTI-layout folders")
    tr.add_argument("--work-dir", type=Path, required=True)
    tr.add_argument("--detector", default="faster_rcnn", help="registered name or mmdet config file")
    tr.add_argument("--iters", type=int, default=1000, help="training iterations")
    tr.add_argument("--batch-size", type=int, default=2)
    tr.add_argument("--lr", type=float, default=None, help="learning rate (config default if unset)")
    tr.add_argument("--scale", type=_scale, default=None, help="resize to fit WIDTHxHEIGHT")
    tr.add_argument("--load-from", type=Path, default=None, help="start from this checkpoint")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--init", choices=("imagenet", "random"), default="imagenet",
                    help="backbone initialisation")
    tr.add_argument("--freeze-backbone", action="store_true",
                    help="keep the whole backbone (and its BN statistics) fixed")
    tr.add_argument("--resume", action="store_true",
                    help="continue from the last checkpoint in --work-dir (same --iters)")
    tr.add_argument("--checkpoint-every", type=int, default=None, metavar="K",
                    help="also save a checkpoint every K iterations (for --resume)")
    tr.add_argument("--no-progress", action="store_true",
                    help="no progress bar (it is shown only on a terminal anyway)")
    tr.add_argument("--deterministic", action="store_true",
                    help="torch's deterministic algorithms (see docs/detectors.md, Determinism)")
    tr.add_argument("--launcher", choices=("none", "pytorch"), default="none",
                    help="pytorch: one of the processes torchrun starts (multi-GPU, multi-node; "
                    "see docs/scale-out.md); --batch-size is then per process")


def cmd_train(args: argparse.Namespace) -> int:
    from drbench.detectors.train import train  # lazy: torch, mmdet (~6 s)

    checkpoint = train(args.detector, args.data, args.work_dir, args.iters,
                       image_scale=args.scale, batch_size=args.batch_size, lr=args.lr,
                       seed=args.seed, load_from=args.load_from, init=args.init,
                       freeze_backbone=args.freeze_backbone, resume=args.resume,
                       checkpoint_every=args.checkpoint_every, launcher=args.launcher,
                       deterministic=args.deterministic,
                       progress=False if args.no_progress else None, verbose=args.verbose)
    if args.launcher == "none":
        console.print(f"checkpoint: {checkpoint}")
    else:
        from mmengine.dist import get_dist_info  # lazy: mmengine (~1 s), not needed for --help
        rank, world_size = get_dist_info()
        console.print(f"rank {rank} of {world_size}: checkpoint: {checkpoint}")
    return 0


def predict_arguments(pr: argparse.ArgumentParser) -> None:
    pr.add_argument("--images", type=Path, required=True)
    pr.add_argument("--out", type=Path, required=True)
    pr.add_argument("--checkpoint", type=Path, required=True)
    pr.add_argument("--detector", default="faster_rcnn")
    pr.add_argument("--scale", type=_scale, default=None)
    pr.add_argument("--score-thr", type=float, default=None,
                    help="lowest score kept (default 0.001, at most 100 boxes per image: the whole PR curve)")


def cmd_predict(args: argparse.Namespace) -> int:
    from drbench.detectors.predict import predict  # lazy: torch, mmdet (~2 s)

    written = predict(args.detector, args.checkpoint, args.images, args.out,
                      image_scale=args.scale, verbose=args.verbose,
                      **({} if args.score_thr is None else {"score_thr": args.score_thr}))
    console.print(f"{len(written)} prediction files in {args.out}")
    return 0


def eval_arguments(ev: argparse.ArgumentParser) -> None:
    ev.add_argument("--gt", default=None, help="KITTI root (default: the KITTI root setting)")
    ev.add_argument("--pred", type=Path, required=True, help="folder of prediction files")
    ev.add_argument("--split", default="real-test", help="real-train, real-test or all (the fixed 101 frames)")
    ev.add_argument("--out", type=Path, default=None, help="folder for eval.json (default: --pred)")
    ev.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples for the 95%% CI")


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


def cmd_eval(args: argparse.Namespace) -> int:
    from drbench.evaluate.report import evaluate_dirs  # lazy: matplotlib (~0.5 s)

    evaluation = evaluate_dirs(kitti_root(args.gt), args.pred, split=args.split,
                               out_dir=args.out or args.pred, bootstrap=args.bootstrap)
    print_scores(evaluation)
    return 0


# --- run, all, submit: protocols scored onto the leaderboard -----------------------------------

def run_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--profile", default="smoke",
                         help="tiny, smoke (minutes), cpu (hours) or paper (CUDA GPU); "
                         "one file each in drbench/profiles/")
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--seeds", type=int, default=1, metavar="K",
                         help="run seeds SEED..SEED+K-1 (new data and training each) and add one entry "
                         "per arm with the mean and a 95%% t interval over seeds")
    command.add_argument("--kitti-root", default=None)
    command.add_argument("--vkitti-root", default=None,
                         help="Virtual KITTI 1.3.1 or 2.x folder (default $DRBENCH_VKITTI_ROOT); "
                         "without it a protocol's vkitti arm is reported absent")
    command.add_argument("--runs-dir", type=Path, default=None,
                         help="step cache (default ./runs)")
    command.add_argument("--board-dir", type=Path, default=None,
                         help="leaderboard folder (default ./leaderboards)")
    command.add_argument("--dry-run", action="store_true",
                         help="print the steps, which are cached, and the estimated time")
    command.add_argument("--ray-address", default=None, metavar="ADDR",
                         help="run on this Ray cluster: DR sets render across it and the arms "
                         "of a wave train side by side (the runs dir must be shared); see docs/scale-out.md")


def _protocol_options(args: argparse.Namespace) -> dict:
    return dict(kitti_root=args.kitti_root, vkitti_root=args.vkitti_root, runs_dir=_runs_dir(args),
                board_dir=_board_dir(args), dry_run=args.dry_run, ray_address=args.ray_address,
                console=console, verbose=args.verbose)


def run_arguments(rn: argparse.ArgumentParser) -> None:
    rn.add_argument("protocol", choices=list(protocol_registry()), metavar="PROTOCOL",
                    help=f"one of {', '.join(protocol_registry())} (`drbench protocols` says what each runs)")
    rn.add_argument("--arms", default=None, metavar="NAME[,NAME]",
                    help="run only these arms (and the arms whose models they start from), e.g. to split a "
                    "long study into batches; `drbench protocols --profile P` lists the arms")
    run_options(rn)


def cmd_run(args: argparse.Namespace) -> int:
    # lazy: the protocols load scipy (~1 s); their steps load torch and Blender's workers
    from drbench.protocols.runner import run_protocol
    from drbench.protocols.multi_seed import run_seeds

    options = _protocol_options(args)
    arms = args.arms.split(",") if args.arms else None
    run_seeds(lambda seed: run_protocol(args.protocol, args.profile, seed=seed, arms=arms, **options),
              args.seed, args.seeds, options["board_dir"], console, args.dry_run)
    return 0


def cmd_all(args: argparse.Namespace) -> int:
    # lazy: the protocols load scipy (~1 s); their steps load torch and Blender's workers
    from drbench.protocols.runner import run_all
    from drbench.protocols.multi_seed import run_seeds

    options = _protocol_options(args)
    entries = run_seeds(lambda seed: run_all(args.profile, seed=seed, **options),
                        args.seed, args.seeds, options["board_dir"], console, args.dry_run)
    if not args.dry_run:
        print_summary(args, entries)
    return 0


def print_summary(args: argparse.Namespace, entries: list[dict]) -> None:
    """What ``drbench all`` ran, where it went, and (for a small profile) what to run next."""
    # lazy: the protocols load scipy (~1 s); their steps load torch and Blender's workers
    from drbench.leaderboard.entries import read_entries
    from drbench.profiles import profile as load_profile
    from drbench.protocols.runner import planned_seconds

    board_dir = _board_dir(args)
    scored = [e for e in entries if "run_id" in e]
    board, root = read_entries(board_dir), real_labels(args.kitti_root)
    page, *_ = render_board(board, board_dir, root, board_dir / "index.html")
    settings = load_profile(args.profile)
    console.rule("[bold]summary")
    console.print(f"ran {', '.join(settings['protocols'])} at profile {args.profile}: "
                  f"{len(scored)} {'entry' if len(scored) == 1 else 'entries'} (one JSON file per arm) "
                  f"in {board_dir}/\nboard: {page} (open it in a browser; `drbench leaderboard` "
                  "prints it here)")
    nxt = settings.get("next_profile")
    if nxt:
        with tempfile.TemporaryDirectory() as scratch:  # an empty cache: the whole run's time
            minutes = planned_seconds(load_profile(nxt)["protocols"], nxt, kitti_root=args.kitti_root,
                                      runs_dir=Path(scratch)) / 60
        console.print(f"[yellow]{args.profile} proves that the whole path works; its APs mean nothing "
                      f"({settings['n_images']} DR images, {settings['max_iters']} iterations).[/] "
                      f"For numbers that mean something: [bold]tox -e {nxt}[/] "
                      f"(drbench all --profile {nxt}), about "
                      f"{f'{minutes / 60:.1f} h' if minutes >= 90 else f'{minutes:.0f} min'} on 2 CPU "
                      "cores by the profile's measured rates.")


def protocols_arguments(pr: argparse.ArgumentParser) -> None:
    pr.add_argument("--profile", default=None,
                    help="also expand each protocol's arms at this profile and estimate its time "
                    "(steps already cached in --runs-dir count as done, as with --dry-run)")
    pr.add_argument("--kitti-root", default=None)
    pr.add_argument("--runs-dir", type=Path, default=None, help="step cache (default ./runs)")


def cmd_protocols(args: argparse.Namespace) -> int:
    """Every registered protocol: what it compares, its arms and, with a profile, its time."""
    # lazy: the protocols load scipy (~1 s)
    from drbench.profiles import profile as load_profile
    from drbench.protocols.runner import expand_arms, planned_seconds

    settings = load_profile(args.profile) if args.profile else None
    table = Table(title="protocols" + (f" at profile {args.profile}" if settings else ""),
                  title_justify="left", show_lines=True)  # rows of several lines stay apart
    table.add_column("protocol", no_wrap=True)
    table.add_column("what it compares", overflow="fold", ratio=3)
    table.add_column("arms", overflow="fold", ratio=2)
    if settings:
        table.add_column("time", no_wrap=True, justify="right")
    for name, spec in protocol_registry().items():
        arms = ([arm.name for arm, _ in expand_arms(spec.arms, settings)] if settings
                else [arm.name for arm in spec.arms])
        summary = " ".join(spec.description.split()).split(". ")[0].rstrip(".") + "."
        if len(summary) > 90:  # one line of the YAML's description, not the whole paragraph
            summary = summary[:90].rsplit(" ", 1)[0] + " …"
        row = [name, summary, ", ".join(arms)]
        if settings:
            minutes = planned_seconds([name], args.profile, kitti_root=args.kitti_root,
                                      runs_dir=_runs_dir(args)) / 60
            row.append(f"{minutes:.0f} min")
        table.add_row(*row)
    console.print(table)
    if settings:
        console.print(f"`drbench all --profile {args.profile}` runs: {', '.join(settings['protocols'])}")
    return 0


def submit_arguments(sb: argparse.ArgumentParser) -> None:
    sb.add_argument("randomizer", help="a built-in name, pkg.module:Name or path/file.py:Name")
    sb.add_argument("--config", type=Path, default=None, help="YAML with the randomizer's params: {...}")
    run_options(sb)


def cmd_submit(args: argparse.Namespace) -> int:
    from drbench.submission import SubmissionRejected, submit  # lazy: yaml, then the protocols (~1 s)

    try:
        submit(args.randomizer, args.config, args.profile, first_seed=args.seed, n_seeds=args.seeds,
               kitti_root=args.kitti_root, vkitti_root=args.vkitti_root, runs_dir=_runs_dir(args),
               board_dir=_board_dir(args), dry_run=args.dry_run, ray_address=args.ray_address,
               console=console, verbose=args.verbose)
    except SubmissionRejected as exc:
        console.print(f"[bold red]{exc}[/]")
        return 1
    return 0


# --- leaderboard, regress ----------------------------------------------------------------------

def leaderboard_arguments(bd: argparse.ArgumentParser) -> None:
    bd.add_argument("--board-dir", type=Path, default=None, help="leaderboard folder (default ./leaderboards)")
    bd.add_argument("--markdown", type=Path, default=None, help="also write the table as Markdown")
    bd.add_argument("--html", type=Path, default=None, help="the HTML page (default BOARD_DIR/index.html)")
    bd.add_argument("--kitti-root", default=None,
                    help="real labels for the comparisons with the baseline and the error breakdowns, and "
                         "real frames for BOARD_DIR/gallery/index.html, the page with crops of each entry's "
                         "top errors (git-ignored); without them, stored comparisons still show and the page "
                         "says what is missing")


def real_labels(explicit_root: str | None) -> Path | None:
    """The KITTI root for the board's comparisons and error breakdowns; None (said once) when absent."""
    try:
        return kitti_root(explicit_root)
    except DataRootError as exc:
        console.print(f"[yellow]no real labels here: stored comparisons only, no error breakdowns:[/] {exc}")
        return None


def render_board(board: list[dict], board_dir: Path, root: Path | None, page: Path) -> tuple[Path, Path, list, dict]:
    """The whole board rendered from ``board`` (every entry in ``board_dir``): each entry's comparison
    with its baseline and the reproduction report's comparisons brought up to date where the real data
    is here, the HTML page and the report written, and the stored comparisons no longer asked for
    removed. Returns the page, the report, the report's studies and the deltas."""
    # lazy: jsonschema and matplotlib (~0.4 s), not needed for --help
    from drbench.leaderboard.baseline_deltas import ComparisonStore, update_deltas
    from drbench.leaderboard.page import render_html
    from drbench.leaderboard.reproduction import REPORT, build_report
    from drbench.leaderboard.reproduction import render_markdown as report_markdown

    store = ComparisonStore(board_dir, root)
    deltas = update_deltas(board, store)
    studies = build_report(board, store)
    report = write_text_atomic(board_dir / REPORT, report_markdown(studies))
    page = write_text_atomic(page, render_html(board, board_dir, page, deltas, root, reproduction=studies))
    for path in store.prune():
        console.print(f"removed {path.relative_to(board_dir)}: no entry or study compares that pair any more")
    return page, report, studies, deltas


def cmd_leaderboard(args: argparse.Namespace) -> int:
    # lazy: jsonschema (~70 ms, as much as the rest of this module), not needed for --help
    from drbench.leaderboard.entries import read_entries
    from drbench.leaderboard.page import render_html

    board_dir = _board_dir(args)
    entries = read_entries(board_dir)
    root = real_labels(args.kitti_root)
    page, report, studies, deltas = render_board(entries, board_dir, root, args.html or board_dir / "index.html")
    console.print(ranking_table(entries, deltas))
    if args.markdown:
        console.print(f"markdown: {write_text_atomic(args.markdown, render_markdown(entries, deltas))}")
    console.print(f"reproduction report: {report}\nhtml: {page}")
    if root is not None:  # the real frames are here: the same board with crops of its errors, never committed
        from drbench.leaderboard.gallery import GALLERY_DIR, board_gallery

        gallery_page = board_dir / GALLERY_DIR / "index.html"
        crops = board_gallery(entries, board_dir, root, gallery_page.parent)
        written = write_text_atomic(gallery_page, render_html(entries, board_dir, gallery_page, deltas, root, crops,
                                                              reproduction=studies))
        console.print(f"html with crops of real frames (git-ignored, not for committing): {written}")
    return 0


def regress_arguments(rg: argparse.ArgumentParser) -> None:
    rg.add_argument("--baseline", type=Path, required=True,
                    help="reference entry, e.g. leaderboards/baseline-cpu.json")
    rg.add_argument("--fresh", type=Path, default=None,
                    help="entry from the fresh run (default: the newest matching entry in --board-dir)")
    rg.add_argument("--board-dir", type=Path, default=None, help="where to look for --fresh (default ./leaderboards)")


def cmd_regress(args: argparse.Namespace) -> int:
    # lazy: jsonschema (~70 ms, as much as the rest of this module), not needed for --help
    from drbench.leaderboard.entries import read_entry
    from drbench.leaderboard.regression import compare, latest_matching, reference_members

    baseline = read_entry(args.baseline)
    fresh = read_entry(args.fresh) if args.fresh else latest_matching(_board_dir(args), baseline)
    members = reference_members(baseline, args.baseline.parent)
    console.print(f"comparing {fresh['run_id']} with the reference {baseline['run_id']}"
                  + (f" and the spread of its {len(members)} seeds" if members else ""))
    findings = compare(fresh, baseline, members)
    for finding in findings:
        console.print(f"[bold red]{finding}[/]")
    if findings:
        return 1
    console.print("[green]no regression: every checked AP is inside the reference interval[/]")
    return 0


def compare_arguments(cp: argparse.ArgumentParser) -> None:
    cp.add_argument("a", metavar="A", help="leaderboard entry file, or a run id in --board-dir")
    cp.add_argument("b", metavar="B", help="the entry A is compared with (file or run id)")
    cp.add_argument("--json", action="store_true", help="print the whole result as JSON instead of the table")
    cp.add_argument("--split", default=None,
                    help="real-train, real-test or all (default: all when both entries' predictions "
                    "cover every labelled frame, else real-test)")
    cp.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    cp.add_argument("--seed", type=int, default=0, help="seed of the bootstrap's random generator")
    cp.add_argument("--board-dir", type=Path, default=None,
                    help="where run ids are looked up (default ./leaderboards)")
    cp.add_argument("--kitti-root", default=None)


def cmd_compare(args: argparse.Namespace) -> int:
    # lazy: jsonschema (~70 ms, as much as the rest of this module), not needed for --help
    from drbench.leaderboard.comparison import (background_table, compare_entries, comparison_table, entry_path,
                                                errors_table, in_words)

    board_dir = _board_dir(args)
    result = compare_entries(entry_path(args.a, board_dir), entry_path(args.b, board_dir),
                             kitti_root(args.kitti_root), split=args.split, n_resamples=args.resamples,
                             seed=args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    console.print(f"A: {result['a']['run_id']} ({result['a']['entry']})\n"
                  f"B: {result['b']['run_id']} ({result['b']['entry']})")
    console.print(comparison_table(result))
    console.print(errors_table(result))
    console.print(background_table(result))
    console.print(in_words(result))
    return 0


def verify_arguments(vf: argparse.ArgumentParser) -> None:
    vf.add_argument("--board-dir", type=Path, default=None, help="the leaderboard folder (default ./leaderboards)")
    vf.add_argument("--kitti-root", default=None)


def cmd_verify(args: argparse.Namespace) -> int:
    # lazy: jsonschema and the devkit, not needed for --help
    from drbench.leaderboard.verify import TOLERANCE, verify_board

    board_dir = _board_dir(args)
    verdicts = verify_board(board_dir, kitti_root(args.kitti_root))
    table = Table(title=f"{board_dir}: stated AP against AP recomputed from the stored predictions")
    for column in ("entry", "splits", "cells", "verdict"):
        table.add_column(column)
    for v in verdicts:
        table.add_row(v.path.name, ", ".join(v.splits), str(v.cells),
                      "[green]recomputes[/]" if v.ok else "[red]" + "\n".join(v.problems or ["no score"]) + "[/]")
    console.print(table)
    failed = [v for v in verdicts if not v.ok]
    console.print(f"{len(verdicts) - len(failed)} of {len(verdicts)} entries recompute to within {TOLERANCE} AP"
                  + (f"; {len(failed)} do not" if failed else ""))
    return 1 if failed or not verdicts else 0


def errors_arguments(er: argparse.ArgumentParser) -> None:
    er.add_argument("entry", metavar="ENTRY", help="leaderboard entry file, or a run id in --board-dir")
    er.add_argument("--json", action="store_true", help="print the whole breakdown as JSON instead of tables")
    er.add_argument("--split", default=None,
                    help="real-train, real-test or all (default: the split the entry is ranked on)")
    er.add_argument("--board-dir", type=Path, default=None,
                    help="where run ids are looked up (default ./leaderboards)")
    er.add_argument("--kitti-root", default=None)


def cmd_errors(args: argparse.Namespace) -> int:
    # lazy: jsonschema (~70 ms, as much as the rest of this module), not needed for --help
    from drbench.leaderboard.breakdown import NOTE, breakdown_table, entry_breakdown
    from drbench.leaderboard.comparison import entry_path

    result = entry_breakdown(entry_path(args.entry, _board_dir(args)), kitti_root(args.kitti_root),
                             split=args.split)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    console.print(f"{result['run_id']} ({result['entry']}), {result['seeds']} prediction set(s)")
    for iou in result["results"]:
        console.print(breakdown_table(result, iou))
    console.print(NOTE)
    return 0


# --- the command table -------------------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    """One subcommand: its name and help as ``drbench --help`` lists them, its arguments, its handler."""
    name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]
    help: str
    description: str
    aliases: tuple[str, ...] = ()


COMMANDS = (  # in the order --help lists them
    Command("generate", generate_arguments, cmd_generate,
            help="render domain-randomized images with exact KITTI labels",
            description="Render N domain-randomized images with Blender (Cycles, CPU) "
            "into OUT/image_2, OUT/label_2 (KITTI layout) and OUT/label_json (side labels) "
            "plus OUT/manifest.json. Blender runs in child processes; one seed per image. "
            "A --config file (YAML/JSON) describes a whole run: settings, randomizers and "
            "their parameters; flags given here override it."),
    Command("stats", stats_arguments, cmd_stats,
            help="label statistics (fingerprint) of a KITTI-layout folder",
            description="Cars per image, box heights, truncation, occlusion and the share "
            "of car boxes inside each KITTI level, for a DR folder or a real KITTI root. "
            "Prints a table, writes stats.json and stats.png."),
    Command("train", train_arguments, cmd_train,
            help="train a detector (mmdet config) on KITTI-layout folders",
            description="Train an mmdet detector on one or more folders laid out as "
            "DIR/image_2 + DIR/label_2 (or DIR/training/...). Writes checkpoints and "
            "mmengine logs into --work-dir."),
    Command("predict", predict_arguments, cmd_predict,
            help="detect cars in a folder of images, write KITTI predictions",
            description="Run a trained detector over every image in --images (any "
            "size) and write one KITTI label file with scores per image into --out."),
    Command("eval", eval_arguments, cmd_eval,
            help="KITTI devkit AP (easy/moderate/hard, IoU 0.5 and 0.7)",
            description="Score KITTI-format predictions against KITTI ground truth "
            "with the official devkit's 2D rules; writes eval.json and pr_curves.png."),
    Command("run", run_arguments, cmd_run,
            help="one protocol at a profile, scored onto the leaderboard",
            description="Run one protocol (see drbench/protocols/*.yaml): each arm is "
            "generated, trained, used to predict real-test and scored; every step is "
            "cached by the hash of its inputs, so a re-run does only what changed."),
    Command("all", run_options, cmd_all,
            help="every protocol of a profile, scored onto the leaderboard",
            description="Run every protocol the profile lists (smoke: dr-only and "
            "fine-tune) and write one leaderboards/<run>.json per arm. Re-running "
            "resumes after the last finished step."),
    Command("protocols", protocols_arguments, cmd_protocols,
            help="list the registered protocols, their arms and (with --profile) their time",
            description="Every protocol in drbench/protocols/*.yaml with what it compares and "
            "its arms; with --profile, the arms it expands to and the estimated time of the "
            "steps not yet cached."),
    Command("leaderboard", leaderboard_arguments, cmd_leaderboard, aliases=("board",),
            help="print the leaderboard; write it as Markdown and a static HTML page",
            description="Check every entry in the leaderboard folder, print them ranked, "
            "and write a self-contained HTML page (sortable table, PR curves, thumbnails "
            "of the training data)."),
    Command("regress", regress_arguments, cmd_regress,
            help="compare a fresh result with a stored reference",
            description="Fail (exit 1) when a fresh leaderboard entry's AP40 falls "
            "below the reference's 95%% interval, or jumps suspiciously above it."),
    Command("compare", compare_arguments, cmd_compare,
            help="is entry A better than entry B on the same real frames?",
            description="Re-score both leaderboard entries' stored predictions on the same real "
            "frames and compare them with a paired bootstrap (frames resampled together, seeds "
            "of an aggregated entry resampled too): AP of A and B, A - B with its 95 % interval, "
            "p and a verdict per IoU and level, and A - B of the error breakdown (see drbench "
            "errors). The archives are checked against their entries first."),
    Command("verify", verify_arguments, cmd_verify,
            help="recompute every entry's AP from its stored predictions",
            description="Read each entry in the leaderboard folder and its prediction archive "
            "(checked against the entry's SHA-256 and frame list), score the predictions again "
            "with the devkit's rules on every split the entry states, and compare each AP11/AP40 "
            "cell; a seed-aggregated entry is the mean of its members. Exit 1 when any entry "
            "does not recompute, has no predictions, or has a broken archive."),
    Command("errors", errors_arguments, cmd_errors,
            help="what costs an entry AP: a TIDE-style error breakdown",
            description="Re-score an entry's stored predictions and break its lost AP40 down by the "
            "devkit's rules, per IoU and level: background false positives, poor localization, "
            "duplicates and missed cars (by height, occlusion, truncation), each with its count at "
            "the best-F1 operating point and the AP40 an oracle fixing it would gain; detections on "
            "vans or DontCare regions are counted but cost nothing. The archive is checked against "
            "its entry first."),
    Command("submit", submit_arguments, cmd_submit,
            help="check a randomizer against the rules, then score it",
            description="Compliance check first (the config sets only the randomizer's "
            "parameters; it loads and renders a few images in an isolated Blender process; "
            "it keeps the profile's render settings; it opens no real image), then the "
            "dr-only protocol with the baseline's randomizers plus this one, scored onto "
            "the leaderboard as a submission. A failed rule writes nothing."),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drbench", description=f"{INTRO}\n{DATA_ROOT_NOTE}",
                                     formatter_class=FORMATTER)
    parser.add_argument("--version", action="version", version=f"drbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = sub.add_parser(command.name, aliases=list(command.aliases), help=command.help,
                                   description=command.description, formatter_class=FORMATTER)
        command.add_arguments(subparser)
        subparser.add_argument("-v", "--verbose", action="store_true",
                               help="show the stack's own output live (mmengine's environment report, "
                               "config and iteration log); it always goes to the step's log file")
        subparser.set_defaults(handler=command.handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = args.handler(args)
        except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
            console.print(f"[bold red]error:[/] {exc}")
            code = 2
    # drbench's own warnings (e.g. the reachable-AP cap), not the stack's; each once, however
    # many arms raised it
    for message in dict.fromkeys(str(w.message) for w in caught if str(w.filename).startswith(PACKAGE_DIR)):
        console.print(f"[yellow]warning:[/] {message}")
    return code


if __name__ == "__main__":
    sys.exit(main())
