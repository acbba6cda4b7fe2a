"""``drbench submit``: check a randomizer against the benchmark's rules, then score it.

Like an MLPerf submission checker, the rules run before anything is scored and
each failure names its rule and the reason; a submission that fails one writes
nothing to the leaderboard. What a submission may choose is its randomizer and
that randomizer's parameters; the data budget, the render settings and the
detector recipe are the profile's, so entries of one profile compare like with
like. A passing submission runs the standard protocol (``dr-only``: the
baseline's randomizers plus the submitted one) and lands as an entry marked
``submission``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from drbench.paths import REPO_ROOT, kitti_root as resolve_kitti_root
from drbench.profiles import profile as load_profile

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
}
CONFIG_KEYS = {"params"}
BUDGET_KEYS = {"n", "n_images", "seed", "seeds", "shard", "workers", "max_failures", "data_fraction"}
RENDER_KEYS = {"width", "height", "samples", "engine", "threads", "masks"}
RECIPE_KEYS = {"detector", "lr", "iters", "max_iters", "finetune_iters", "batch_size", "image_scale",
               "augment", "augmentations", "backbone_init", "freeze_backbone", "schedule"}


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
    from drbench.generate.api import ConfigError
    from drbench.generate.audit import ENV, read_log
    from drbench.generate.generation_run import GenerationError
    from drbench.generate.local_run import generate
    from drbench.generate.settings import DEFAULT_RANDOMIZERS, Settings

    log = scratch / "opened.txt"
    render = Settings.from_dict({"width": settings["width"], "height": settings["height"],
                                 "samples": settings["samples"],
                                 "randomizers": list(DEFAULT_RANDOMIZERS) + [entry]})
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
    """Every rule, in order; the dynamic ones run only when the static ones pass."""
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


def source_sha256(ref: str) -> str | None:
    """SHA-256 of the file a ``path.py:Name`` reference loads (None for modules and built-ins)."""
    path = Path(ref.rsplit(":", 1)[0])
    return hashlib.sha256(path.read_bytes()).hexdigest() if ref.count(":") and path.is_file() else None


def compliance_table(findings: list[Finding]):
    from rich.table import Table

    table = Table(title="compliance check")
    for column in ("rule", "what it asks", "result"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.rule, RULES[f.rule], ("[green]pass[/] " if f.passed else "[red]FAIL[/] ") + f.detail)
    return table


def submit(ref: str, config_path: Path | None, profile_name: str, *, first_seed: int = 0, n_seeds: int = 1,
           **run_options) -> list[dict]:
    """Check, then run the standard protocol with the randomizer added (``n_seeds`` seeds, with a
    summary entry when more than one); returns the entries."""
    from drbench.protocols.runner import run_protocol
    from drbench.protocols.seeds import run_seeds

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
    board_dir = run_options.get("board_dir", REPO_ROOT / "leaderboards")
    return run_seeds(lambda seed: run_protocol(PROTOCOL, profile_name, seed=seed, extra_randomizers=[entry],
                                               submission=record, **run_options),
                     first_seed, n_seeds, board_dir, run_options.get("console"), run_options.get("dry_run", False))
