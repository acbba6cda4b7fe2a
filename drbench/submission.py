"""``drbench submit``: check a randomizer against the benchmark's rules, then score it.

Like an MLPerf submission checker, the rules run before anything is scored and
each failure names its rule and the reason; a submission that fails one writes
nothing to the leaderboard. What a submission may choose is its randomizer and
that randomizer's parameters; the data budget, the render settings and the
detector recipe are the profile's, so entries of one profile compare like with
like. A passing submission runs the standard protocol (``dr-only``: the
baseline's randomizers plus the submitted one, which takes the place of the
baseline's own when it names one of them, e.g. ``cars`` with other parameters);
its entries are staged, and land on the board, marked ``submission``, only once
the run's event log shows every step behind them computed or reused, in order.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.table import Table

from drbench.events import EVENT_LOG, Event, EventLog, LoggedStep, last_run, logged_steps, read_events
from drbench.generate.api import ConfigError, with_randomizers
from drbench.generate.audit import ENV, read_log
from drbench.generate.generation_run import GenerationError
from drbench.generate.local_run import generate
from drbench.generate.settings import DEFAULT_RANDOMIZERS, Settings
from drbench.io import write_bytes_atomic
from drbench.leaderboard.comparison import against_baseline
from drbench.paths import REPO_ROOT, kitti_root as resolve_kitti_root
from drbench.profiles import profile as load_profile
from drbench.protocols.multi_seed import run_seeds
from drbench.protocols.runner import run_protocol

PROTOCOL = "dr-only"
SAMPLE_IMAGES = 3

RULES = {
    "config": "the submission's config sets only the randomizer's parameters",
    "image-budget": "the number of images and the seeds are the profile's",
    "render-settings": "resolution and samples are the profile's, and the randomizer leaves them so",
    "detector-recipe": "the detector, its schedule and its augmentations are the protocol's",
    "loads": "the randomizer resolves and its parameters validate",
    "samples": f"it renders {SAMPLE_IMAGES} images in an isolated Blender process without failing",
    "no-real-images": "it opens no file of the real data sets (Python-level opens and Blender images)",
    "run-log": "the run logged each arm's steps (data, train, predict, evaluate) in order, computed or reused",
}
CONFIG_KEYS = {"params"}
BUDGET_KEYS = {"n", "n_images", "seed", "seeds", "shard", "workers", "max_failures", "data_fraction"}
RENDER_KEYS = {"width", "height", "samples", "engine", "threads", "masks"}
RECIPE_KEYS = {"detector", "lr", "iters", "max_iters", "finetune_iters", "batch_size", "image_scale",
               "augment", "augmentations", "backbone_init", "freeze_backbone", "schedule"}
DATA_STEPS = {"dr": "generate", "vkitti": "convert"}  # the step an entry's data came from (real: none)
SCORING_STEPS = ("train", "predict", "evaluate")


@dataclass(frozen=True)
class Finding:
    rule: str
    passed: bool
    detail: str = ""


class SubmissionRejected(RuntimeError):
    """At least one rule failed; the message lists each failed rule and why."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        failed = [f for f in findings if not f.passed]
        super().__init__("submission rejected, nothing written to the leaderboard:\n" + "\n".join(
            f"  rule {f.rule!r} ({RULES[f.rule]}): {f.detail}" for f in failed))


def read_config(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        config = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the submission config: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a submission config is a mapping (params: {{...}}), got {type(config).__name__}")
    return config


def check_config(config: dict, where: str) -> list[Finding]:
    """The static rules: which keys a submission's config may set."""
    findings = []
    for rule, keys in (("image-budget", BUDGET_KEYS), ("render-settings", RENDER_KEYS),
                       ("detector-recipe", RECIPE_KEYS)):
        bad = sorted(set(config) & keys)
        findings.append(Finding(rule, not bad, f"{where} sets {', '.join(bad)}" if bad else ""))
    other = sorted(set(config) - CONFIG_KEYS - BUDGET_KEYS - RENDER_KEYS - RECIPE_KEYS)
    if not isinstance(config.get("params", {}), dict):
        other.append("params (not a mapping)")
    findings.append(Finding("config", not other, f"{where} sets {', '.join(other)}; only 'params' is allowed"
                            if other else ""))
    return findings


def forbidden_roots(kitti_root: str | None) -> list[Path]:
    """Folders of real images a randomizer must not read."""
    roots = sorted({resolve_kitti_root(kitti_root).resolve(), (REPO_ROOT.parent / "shared" / "data").resolve()})
    return [r for r in roots if not any(r != other and r.is_relative_to(other) for other in roots)]


def sample_in_isolation(entry: dict, settings: dict, kitti_root: str | None, scratch: Path) -> list[Finding]:
    """Render a few images with the baseline plus the submission in a child Blender process,
    logging every file it opens; check it loads, samples, keeps the render settings and reads
    no real image."""
    log = scratch / "opened.txt"
    render = Settings.from_dict({"width": settings["width"], "height": settings["height"],
                                 "samples": settings["samples"],
                                 "randomizers": with_randomizers(DEFAULT_RANDOMIZERS, [entry])})
    previous = os.environ.get(ENV)
    os.environ[ENV] = str(log)
    try:
        report = generate(scratch / "sample", SAMPLE_IMAGES, seed=0, settings=render, max_failures=0,
                          progress=False)
        problem = None
    except ConfigError as exc:
        return [Finding("loads", False, str(exc))]
    except GenerationError as exc:
        report, problem = None, str(exc)
    finally:
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
    findings = [Finding("loads", True)]
    if problem and "render setting" in problem:
        findings.append(Finding("render-settings", False, problem))
    else:
        findings.append(Finding("samples", problem is None, problem or
                                f"{report['generated']} images, {report['seconds_per_image']:.2f} s/image"))
    roots = forbidden_roots(kitti_root)
    read = [p for p in read_log(log) if any(Path(p).resolve().is_relative_to(r) for r in roots)]
    findings.append(Finding("no-real-images", not read,
                            f"opened {', '.join(read[:3])}{' ...' if len(read) > 3 else ''}" if read else
                            "no file under " + ", ".join(map(str, roots)) + " was opened"))
    return findings


def check(ref: str, config: dict, profile_name: str, *, kitti_root: str | None = None,
          where: str = "<command line>") -> list[Finding]:
    """Every rule checked before the run, in order; the dynamic ones run only when the static
    ones pass (``run-log`` is checked after the run, by :func:`check_run_log`)."""
    findings = check_config(config, where)
    if not all(f.passed for f in findings):
        return findings
    entry = {"name": ref, "params": dict(config.get("params") or {})}
    with tempfile.TemporaryDirectory(prefix="drbench-submit-") as scratch:
        findings += sample_in_isolation(entry, load_profile(profile_name), kitti_root, Path(scratch))
    merged: dict[str, Finding] = {}
    for finding in findings:  # a rule checked twice keeps its failure
        if finding.rule not in merged or not finding.passed:
            merged[finding.rule] = finding
    return [merged[rule] for rule in RULES if rule in merged]


def check_run_log(steps: list[LoggedStep], entries: list[dict]) -> Finding:
    """Every step behind each entry (its data, train, predict and evaluate steps, by key) is in
    the run's logged steps, in that order: the scores come from work this run computed or reused."""
    first: dict[tuple[str, str], int] = {}
    for position, step in enumerate(steps):
        first.setdefault((step.kind, step.key), position)
    problems = []
    for entry in entries:
        if "absent" in entry:  # an arm whose data is not on disk ran no step
            continue
        data = DATA_STEPS.get(entry["dataset"]["kind"])
        required = ([(data, entry["dataset"]["config_hash"])] if data else []) + [
            (kind, entry["steps"][kind]) for kind in SCORING_STEPS]
        missing = [f"{kind} step {key}" for kind, key in required if (kind, key) not in first]
        if missing:
            problems.append(f"arm {entry['arm']}: no {', '.join(missing)} in the run's event log")
        elif sorted(required, key=first.__getitem__) != required:
            logged = " -> ".join(kind for kind, _ in sorted(required, key=first.__getitem__))
            problems.append(f"arm {entry['arm']}: steps logged out of order ({logged})")
    return Finding("run-log", not problems, "; ".join(problems) or
                   f"{len(steps)} steps computed or reused for {len(entries)} entries")


def source_sha256(ref: str) -> str | None:
    """SHA-256 of the file a ``path.py:Name`` reference loads (None for modules and built-ins)."""
    path = Path(ref.rsplit(":", 1)[0])
    return hashlib.sha256(path.read_bytes()).hexdigest() if ref.count(":") and path.is_file() else None


def publish(staging: Path, board_dir: Path, log: EventLog) -> None:
    """Copy staged board files (entries, thumbnails) onto the board, each file atomically."""
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = write_bytes_atomic(Path(board_dir) / path.relative_to(staging), path.read_bytes())
        if target.suffix == ".json":
            log.event(Event.ENTRY_PUBLISHED, str(target), staged=str(path))


def compliance_table(findings: list[Finding]) -> Table:
    table = Table(title="compliance check")
    for column in ("rule", "what it asks", "result"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.rule, RULES[f.rule], ("[green]pass[/] " if f.passed else "[red]FAIL[/] ") + f.detail)
    return table


def submit(ref: str, config_path: Path | None, profile_name: str, *, first_seed: int = 0, n_seeds: int = 1,
           **run_options) -> list[dict]:
    """Check, then run the standard protocol with the randomizer added (``n_seeds`` seeds, with a
    summary entry when more than one); returns the entries. Entries are written to a staging
    folder and published only when every seed's run passes :func:`check_run_log`."""
    config = read_config(config_path)
    findings = check(ref, config, profile_name, kitti_root=run_options.get("kitti_root"),
                     where=str(config_path) if config_path else "<command line>")
    if not all(f.passed for f in findings):
        raise SubmissionRejected(findings)
    if run_options.get("console"):
        run_options["console"].print(compliance_table(findings))
    entry = {"name": ref, "params": dict(config.get("params") or {})}
    record = {"randomizer": ref, "params": entry["params"], "source_sha256": source_sha256(ref),
              "compliance": {f.rule: f.detail or "passed" for f in findings}}
    board_dir = run_options.pop("board_dir", REPO_ROOT / "leaderboards")
    log_path = Path(run_options.get("runs_dir", REPO_ROOT / "runs")) / EVENT_LOG
    dry_run = run_options.get("dry_run", False)
    with tempfile.TemporaryDirectory(prefix="drbench-submit-board-") as staging:
        def run_one(seed: int) -> list[dict]:
            entries = run_protocol(PROTOCOL, profile_name, seed=seed, extra_randomizers=[entry],
                                   submission=record, board_dir=Path(staging), **run_options)
            if not dry_run:
                finding = check_run_log(logged_steps(last_run(read_events(log_path))), entries)
                if not finding.passed:
                    raise SubmissionRejected([finding])
            return entries

        results = run_seeds(run_one, first_seed, n_seeds, Path(staging), run_options.get("console"), dry_run)
        publish(Path(staging), board_dir, EventLog(log_path))
    if not dry_run and run_options.get("console"):
        judged = results[-1]  # the summary over seeds when there are several, else the one entry
        verdict = against_baseline(Path(board_dir) / f"{judged['run_id']}.json", board_dir,
                                   resolve_kitti_root(run_options.get("kitti_root")))
        run_options["console"].print(f"[bold]verdict:[/] {verdict}")
    return results
