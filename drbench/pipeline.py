"""``drbench all``: generate DR data -> train -> predict real-test -> evaluate -> leaderboard.

Each stage writes into the run folder (named by the hash of the run's
arguments) and leaves a ``done`` marker, so re-running resumes. The run's
event log (``events.jsonl``) records settings, stage timings and the result.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from rich.console import Console

from drbench import __version__
from drbench.data.splits import SPLITS
from drbench.events import EventLog
from drbench.leaderboard import write_entry
from drbench.paths import REPO_ROOT, kitti_root as resolve_kitti_root
from drbench.profiles import profile as load_profile
from drbench.provenance import git_commit, hardware, versions
from drbench.runs import Stage, args_hash

PROTOCOL = "dr-only"
TEST_SPLIT = "real-test"


def leaderboard_scores(evaluation: dict) -> dict:
    """The leaderboard's view of an evaluation: AP11/AP40 with intervals per IoU and level."""
    return {
        iou: {
            level: {key: result[key] for key in ("ap11", "ap40", "ap11_ci95", "ap40_ci95", "n_gt")}
            for level, result in levels.items()
        }
        for iou, levels in evaluation["results"].items()
    }


def run_all(
    profile_name: str,
    *,
    seed: int = 0,
    kitti_root: str | None = None,
    runs_dir: Path = REPO_ROOT / "runs",
    board_dir: Path = REPO_ROOT / "leaderboards",
    console: Console | None = None,
) -> dict:
    """Run the DR-only protocol at one profile; returns the leaderboard entry."""
    from drbench.detectors.predict import predict
    from drbench.detectors.train import train
    from drbench.evaluate.report import evaluate_dirs
    from drbench.generate.runner import generate

    console = console or Console()
    settings = load_profile(profile_name)
    root = resolve_kitti_root(kitti_root)
    run_args = {"protocol": PROTOCOL, "profile": profile_name, "settings": settings,
                "seed": seed, "kitti_root": str(root.resolve()), "drbench": __version__}
    run_id = f"{PROTOCOL}-{profile_name}-{args_hash(run_args)}"
    run_dir = Path(runs_dir) / run_id
    log = EventLog(run_dir / "events.jsonl")
    log.event("run_start", run_id, args=run_args)
    console.rule(f"[bold]drbench all[/] · profile {profile_name} · run {run_id}")
    console.print(f"run folder: {run_dir}")
    timings: dict[str, float] = {}

    def stage(name: str, work) -> dict:
        current = Stage(run_dir, name)
        if current.is_done:
            console.print(f"[green]✓[/] {name}: done earlier, reusing {current.dir}")
            result = current.result()
            timings[name] = result["seconds"]
            return result
        console.print(f"[bold cyan]→ {name}[/]")
        log.event(f"{name}_start")
        start = time.perf_counter()
        result = work(current.dir)
        result["seconds"] = round(time.perf_counter() - start, 2)
        timings[name] = result["seconds"]
        log.event(f"{name}_stop", result)
        return current.finish(result)

    def generate_data(folder: Path) -> dict:
        report = generate(folder / "data", settings["n_images"], seed, width=settings["width"],
                          height=settings["height"], samples=settings["samples"], resume=True)
        if report["failed"]:
            raise RuntimeError(f"generation failed for images {sorted(report['failed'])}: "
                               f"see {folder / 'data' / 'manifest.json'}")
        return {"dir": str(folder / "data"), "n_images": report["count"],
                "n_labels": report["labels"], "seconds_per_image": report["seconds_per_image"]}

    data = stage("generate", generate_data)
    trained = stage("train", lambda d: {"checkpoint": str(train(
        settings["detector"], [Path(data["dir"])], d, settings["max_iters"],
        image_scale=settings["image_scale"], batch_size=settings["batch_size"],
        lr=settings["lr"], seed=seed))})
    predicted = stage("predict", lambda d: {"dir": str(d / "pred"), "n_images": len(predict(
        settings["detector"], Path(trained["checkpoint"]), root / "training" / "image_2",
        d / "pred", names=SPLITS[TEST_SPLIT], image_scale=settings["image_scale"]))})
    evaluation = stage("evaluate", lambda d: evaluate_dirs(
        root, Path(predicted["dir"]), split=TEST_SPLIT, out_dir=d,
        bootstrap=settings["bootstrap"], seed=seed))

    entry = {
        "run_id": run_id,
        "protocol": PROTOCOL,
        "profile": profile_name,
        "detector": settings["detector"],
        "trained_on": f"dr:{settings['n_images']}",
        "test_split": TEST_SPLIT,
        "scores": leaderboard_scores(evaluation),
        "settings": settings,
        "seeds": {"run": seed, "generate": seed, "train": seed, "bootstrap": seed},
        "versions": versions(),
        "hardware": hardware(),
        "git": git_commit(),
        "timings_s": timings,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "run_dir": str(run_dir),
        "schema_version": 1,
    }
    path = write_entry(entry, board_dir)
    log.event("run_stop", str(path), timings=timings)
    console.print(f"[bold green]leaderboard entry:[/] {path}")
    return entry
