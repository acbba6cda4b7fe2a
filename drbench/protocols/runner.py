"""Run a protocol at a profile: expand its arms, run their cached steps, score each arm.

Every arm ends as a schema-checked leaderboard entry; steps shared between
arms (the same DR data, the same pretrained model) run once. Arms run in waves
(fine-tuning after the model it starts from), so one wave's arms can train side
by side on a Ray cluster (ray_arms.py) through the very same steps (arm_steps.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from drbench.data.splits import SPLITS, frames_digest, nested_subset, split_frames, tree_digest
from drbench.data.vkitti import detect_layout, to_kitti_layout
from drbench.detectors.detection_limits import MAX_PER_IMAGE, SCORE_THRESHOLD
from drbench.detectors.mmdet_config import config_digest
from drbench.events import EVENT_LOG, Event, EventLog
from drbench.generate.api import normalise_entry, with_randomizers
from drbench.generate.ray_shards import generate_on_ray
from drbench.generate.local_run import generate
from drbench.generate.preview import contact_sheet
from drbench.generate.settings import DEFAULT_RANDOMIZERS, Settings
from drbench.generate.stats import fingerprint
from drbench.leaderboard.entries import (SCHEMA_VERSION, THUMBNAIL_SHEET, dataset_record, pr_curves,
                                         save_thumbnail, write_entry)
from drbench.leaderboard.predictions import write_archive
from drbench.paths import REPO_ROOT, kitti_root as resolve_kitti_root, vkitti_root as resolve_vkitti_root
from drbench.profiles import check_can_run, detector_for, profile as load_profile
from drbench.protocols import Arm, protocol as load_protocol
from drbench.provenance import git_commit, hardware, versions
from drbench.steps import StepRunner, args_hash

TEST_SPLIT = "real-test"
ALL_FRAMES = "all"  # the whole fixed real set: where arms that saw no real frame are also scored
ESSENTIAL_RANDOMIZERS = ("cars",)  # without it there is nothing to detect
VKITTI_ABSENT = "vkitti: absent (give --vkitti-root)"
CONVERT_S_PER_IMAGE = 0.15  # Virtual KITTI 2 JPEG -> PNG at 1242x375 on 2 loaded cores (1.3.1 PNGs: links)


def expand_arms(arms: list[Arm], settings: dict) -> list[tuple[Arm, dict]]:
    """Concrete arms with their variable part: ``{"real_n": n}`` or ``{"randomizers": [...]}``."""
    split = {arm.name for arm in arms if arm.detectors}  # an init names the same detector's arm
    per_detector = []
    for arm in arms:
        if not arm.detectors:
            per_detector.append(arm)
            continue
        for detector in arm.detectors:
            suffix = detector.replace("_", "-")
            init = f"{arm.init}-{suffix}" if arm.init in split else arm.init
            per_detector.append(arm.model_copy(update={
                "name": f"{arm.name}-{suffix}", "detector": detector, "detectors": None, "init": init}))
    expanded = []
    for arm in per_detector:
        if arm.per_real_n:
            expanded += [(arm.model_copy(update={"name": f"{arm.name}-{n}"}), {"real_n": n})
                         for n in settings["real_n"]]
        elif arm.per_randomizer_off:
            expanded += [(arm.model_copy(update={"name": f"{arm.name}-{off.replace('_', '-')}"}),
                          {"randomizers": [r for r in DEFAULT_RANDOMIZERS if r != off]})
                         for off in DEFAULT_RANDOMIZERS if off not in ESSENTIAL_RANDOMIZERS]
        else:
            expanded.append((arm, {}))
    return expanded


def with_extra_randomizers(arm: Arm, variant: dict, extra: list) -> tuple[Arm, dict]:
    """The arm with randomizers added to its list (named after them: ``dr-road-scene``); one
    already in the list (``cars``) is replaced there by the given entry, parameters included."""
    names = [normalise_entry(e)["name"].rsplit(":", 1)[-1] for e in extra]
    suffix = "-".join(re.sub(r"[^a-z0-9]+", "-", n.lower()).strip("-") for n in names)
    randomizers = with_randomizers(variant.get("randomizers", DEFAULT_RANDOMIZERS), extra)
    return arm.model_copy(update={"name": f"{arm.name}-{suffix}"}), {**variant, "randomizers": randomizers}


def estimate_seconds(plan: list[dict], settings: dict) -> float:
    """Rough time for the steps still to run, from the profile's measured rates."""
    rates = settings["estimates"]
    total = 0.0
    for step in plan:
        if step["status"] == "cached":
            continue
        params = step["params"]
        total += {
            "generate": lambda: params.get("n_images", 0) * rates["generate_s_per_image"],
            "train": lambda: params.get("iters", 0) * rates["train_s_per_iter"],
            "predict": lambda: params["n_images"] * rates["predict_s_per_image"],
            "evaluate": lambda: 2.0,
            "convert": lambda: params.get("n_images", 0) * CONVERT_S_PER_IMAGE,
        }[step["kind"]]()
    return total


def run_protocol(
    protocol_name: str,
    profile_name: str,
    *,
    seed: int = 0,
    kitti_root: str | None = None,
    vkitti_root: str | None = None,
    runs_dir: Path = REPO_ROOT / "runs",
    board_dir: Path = REPO_ROOT / "leaderboards",
    dry_run: bool = False,
    extra_randomizers: list | None = None,
    arms: list[str] | None = None,
    submission: dict | None = None,
    ray_address: str | None = None,
    console: Console | None = None,
    verbose: bool = False,
) -> list[dict]:
    """Run (or plan) every arm; returns the leaderboard entries (or the plan when dry).

    Arms run in waves: an arm that starts from another's model waits for it. Within a
    wave the data steps run first, then each arm's train/predict/evaluate chain, one
    after another here or, with ``ray_address``, side by side as Ray tasks.
    An arm whose data is not on disk (Virtual KITTI without a root) is not run: it is
    logged, printed in the results table and returned as ``{"protocol", "arm", "absent"}``.
    ``arms``: run only these (and the arms they start from), so a long study runs in batches.
    """
    console = console or Console()
    spec = load_protocol(protocol_name)
    settings = load_profile(profile_name)
    if not dry_run:  # a GPU profile on a CPU machine stops here, before any step
        check_can_run(profile_name, settings)
    root = resolve_kitti_root(kitti_root)
    vroot = resolve_vkitti_root(vkitti_root)
    if vroot is not None:
        detect_layout(vroot)  # a wrong folder fails now, not after the other arms trained
    runs_dir = Path(runs_dir)
    steps = StepRunner(runs_dir, EventLog(runs_dir / EVENT_LOG), console, dry_run=dry_run, verbose=verbose)
    steps.log.event(Event.PROTOCOL_START, protocol_name, profile=profile_name, seed=seed,
                    dry_run=dry_run)
    console.rule(f"[bold]drbench {protocol_name}[/] · profile {profile_name} · seed {seed}")

    trained: dict[str, dict] = {}
    entries, absent = [], []
    expanded = expand_arms(spec.arms, settings)
    if arms is not None:
        expanded = selected_arms(expanded, arms, protocol_name)
    for wave in waves(expanded):
        jobs = []
        for position, arm, variant in wave:
            if arm.data == "vkitti" and vroot is None:
                steps.log.event(Event.ARM_ABSENT, arm.name, reason=VKITTI_ABSENT)
                console.print(f"[yellow]arm {arm.name} not run — {VKITTI_ABSENT}[/]")
                absent.append({"protocol": protocol_name, "arm": arm.name, "absent": VKITTI_ABSENT})
                continue
            if extra_randomizers and arm.data == "dr":  # a randomizer scored against the baseline
                arm, variant = with_extra_randomizers(arm, variant, extra_randomizers)
            job, source = prepare_arm(arm, variant, settings, seed, steps, root, vroot, trained,
                                      ray_address)
            jobs.append(({**job, "position": position}, source))
        if ray_address and not dry_run:
            # lazy: imports torch and mmdet (~6 s, see score_arms), not needed for --help
            from drbench.protocols.ray_arms import score_on_ray

            results = score_on_ray([job for job, _ in jobs], steps, ray_address,
                                   {"num_gpus": 1} if settings.get("requires_gpu") else {"num_cpus": 1})
        else:
            results = score_arms(steps, [job for job, _ in jobs])
        for (job, source), result in zip(jobs, results):
            trained[job["arm"]] = {**result["model"], "trained_on": job["trained_on"],
                                   "saw_real": job["saw_real"]}
            if not dry_run:
                entries.append((job["position"], score_entry(protocol_name, profile_name, settings,
                                                             seed, job, source, result, submission,
                                                             board_dir, steps)))
    entries = [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]  # protocol order

    if dry_run:
        print_plan(steps.planned, settings, console)
        return steps.planned
    print_entries(protocol_name, entries, console, absent)
    steps.log.event(Event.PROTOCOL_STOP, protocol_name, entries=[e["run_id"] for e in entries],
                    absent={a["arm"]: a["absent"] for a in absent})
    return entries + absent


def selected_arms(expanded: list[tuple[Arm, dict]], names: list[str], protocol_name: str) -> list[tuple[Arm, dict]]:
    """The named arms and, transitively, the arms whose trained models they start from."""
    by_name = {arm.name: arm for arm, _ in expanded}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise KeyError(f"protocol {protocol_name!r} has no arm {', '.join(map(repr, unknown))} at this profile; "
                       f"its arms: {', '.join(by_name)}")
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += [by_name[name].init] if by_name[name].init else []
    return [(arm, variant) for arm, variant in expanded if arm.name in wanted]


def waves(expanded: list[tuple[Arm, dict]]) -> list[list[tuple[int, Arm, dict]]]:
    """Arms grouped so each starts after the arm whose model it loads: (position, arm, variant)."""
    depth: dict[str, int] = {}
    grouped: dict[int, list] = {}
    for position, (arm, variant) in enumerate(expanded):
        depth[arm.name] = depth[arm.init] + 1 if arm.init else 0
        grouped.setdefault(depth[arm.name], []).append((position, arm, variant))
    return [grouped[d] for d in sorted(grouped)]


def prepare_arm(arm: Arm, variant: dict, settings: dict, seed: int, steps: StepRunner, root: Path,
                vroot: Path | None, trained: dict[str, dict],
                ray_address: str | None = None) -> tuple[dict, dict]:
    """Run (or plan) the arm's data step; return its scoring job and where its data came from.

    With ``ray_address`` a DR set renders across the cluster (the same bytes as here)."""
    if arm.data == "dr":
        n_images = max(1, round(settings["n_images"] * arm.data_fraction))
        gen_params = {"n_images": n_images, "seed": seed,
                      "settings": {"width": settings["width"], "height": settings["height"],
                                   "samples": settings["samples"],
                                   **({"engine": settings["engine"]} if "engine" in settings else {}),
                                   **({"randomizers": variant["randomizers"]}
                                      if "randomizers" in variant else {}),
                                   **texture_settings(arm, n_images)}}

        def generate_data(folder: Path, p=gen_params) -> dict:
            settings_ = Settings.from_dict(p["settings"])
            report = (generate_on_ray(folder / "data", p["n_images"], p["seed"], settings_,
                                      ray_address, resume=True,
                                      gpus_per_worker=1 if settings.get("requires_gpu") else 0,
                                      events=steps.log)
                      if ray_address else
                      generate(folder / "data", p["n_images"], p["seed"], resume=True,
                               settings=settings_, events=steps.log))
            if report["failed"]:
                raise RuntimeError(f"generation failed for images {sorted(report['failed'])}; "
                                   f"see {folder / 'data' / 'manifest.json'}")
            return {"dir": str(folder / "data"), "n_images": report["count"],
                    "n_labels": report["labels"]}

        data = steps.run("generate", gen_params, generate_data)
        data_dirs, frames, upstream = [Path(data["dir"])], None, (data["key"],)
        data_param = {"generated": data["key"]}
        source = dict(kind="dr", config_hash=data["key"], folder=data_dirs[0],
                      settings_digest=Settings.from_dict(gen_params["settings"]).digest(seed))
        trained_on = f"dr:{n_images}"
        if "randomizers" in variant:
            trained_on += f" ({arm.name})"
    elif arm.data == "vkitti":
        n_images = max(1, round(settings["n_images"] * arm.data_fraction))
        convert_params = {"vkitti": tree_digest(vroot), "n_images": n_images}

        def convert_data(folder: Path, p=convert_params) -> dict:
            return to_kitti_layout(vroot, folder / "data", n_images=p["n_images"])

        data = steps.run("convert", convert_params, convert_data)
        data_dirs, frames, upstream = [Path(data["dir"])], None, (data["key"],)
        data_param = {"converted": data["key"]}
        source = dict(kind="vkitti", config_hash=data["key"], folder=data_dirs[0])
        trained_on = f"vkitti:{data.get('n_images', n_images)}"
    else:
        real_n = variant.get("real_n", len(SPLITS["real-train"]))
        chosen = nested_subset(SPLITS["real-train"], real_n, seed)
        data_dirs, frames, upstream = [root], {root: chosen}, ()
        data_param = {"real_frames": chosen, "real_data": frames_digest(root, chosen)}
        source = dict(kind="real", config_hash=args_hash(data_param), folder=root, frames=chosen)
        trained_on = f"real:{real_n}"

    init = trained[arm.init] if arm.init else None
    saw_real = arm.data == "real" or bool(init and init["saw_real"])
    if init:
        upstream += (init["key"],)
        trained_on = f"{init['trained_on']} then {trained_on}"
    detector = detector_for(settings, arm.detector or settings["detector"])
    train_params = {"detector": detector, "detector_config": config_digest(detector),
                    "data": data_param,
                    "backbone_init": arm.backbone_init, "freeze_backbone": arm.freeze_backbone,
                    "iters": settings["finetune_iters"] if init else settings["max_iters"],
                    "lr": settings["lr"] * arm.lr_scale, "batch_size": settings["batch_size"],
                    "image_scale": list(settings["image_scale"]), "seed": seed}
    # An arm that never saw a real frame is also scored on every real frame (twice the cars);
    # one that did, only on real-test, which it never trained on.
    scored_splits = [TEST_SPLIT] if saw_real else [TEST_SPLIT, ALL_FRAMES]
    predicted_frames = split_frames(root, scored_splits[-1])
    job = {"arm": arm.name, "detector": detector, "trained_on": trained_on, "saw_real": saw_real,
           "root": root, "data_dirs": data_dirs, "frames": frames, "upstream": upstream,
           "train": train_params, "load_from": init.get("checkpoint") if init else None,
           "predict": {"split": scored_splits[-1], "n_images": len(predicted_frames),
                       "image_scale": list(settings["image_scale"]),
                       "real_images": frames_digest(root, predicted_frames, ("image_2",))},
           "evaluate": [{"split": split, "bootstrap": settings["bootstrap"], "seed": seed,
                         "real_labels": frames_digest(root, split_frames(root, split), ("label_2",))}
                        for split in scored_splits]}
    return job, source


def texture_settings(arm: Arm, n_images: int) -> dict:
    """The arm's texture bank and ablation switches for the generator; none when unset, so
    the arms without them keep the baseline's generate key (and share its DR set)."""
    settings = {}
    if arm.texture_bank_per_image is not None:
        settings["texture_bank"] = max(2, round(arm.texture_bank_per_image * n_images))
    if arm.ablations:
        settings["ablations"] = sorted(arm.ablations)
    return settings


def score_arms(steps: StepRunner, jobs: list[dict]) -> Iterator[dict]:
    """Train, predict and evaluate each arm here, one after another, handing each result on as it
    lands: the caller writes that arm's entry before the next arm trains, so a study stopped
    half-way leaves the entries of the arms it finished."""
    # lazy: arm_steps imports torch and mmdet (~6 s), not needed for --help
    from drbench.protocols.arm_steps import score_arm

    return (score_arm(steps, job) for job in jobs)


def score_entry(protocol_name: str, profile_name: str, settings: dict, seed: int, job: dict,
                source: dict, result: dict, submission: dict | None, board_dir: Path,
                steps: StepRunner) -> dict:
    """The arm's leaderboard entry, validated and written."""
    model, predicted = result["model"], result["predicted"]
    evaluation, *more = result["evaluations"]  # the test split's first, then every frame's
    record = {key: value for key, value in source.items() if key != "folder"}
    dataset = dataset_record(**record, fingerprint=fingerprint(source["folder"], frames=source.get("frames")))
    entry = {
        "run_id": f"{protocol_name}-{job['arm']}-{profile_name}-{evaluation['key'][:8]}",
        "protocol": protocol_name, "arm": job["arm"], "profile": profile_name,
        "detector": job["detector"], "trained_on": job["trained_on"], "test_split": TEST_SPLIT,
        "scores": leaderboard_scores(evaluation),
        "settings": settings, "seeds": {"run": seed},
        "steps": {"train": model["key"], "predict": predicted["key"], "evaluate": evaluation["key"]},
        "versions": versions(), "hardware": hardware(), "git": git_commit(),
        "timings_s": {"train": model["seconds"], "predict": predicted["seconds"],
                      "evaluate": evaluation["seconds"]},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "dataset": dataset, "pr_curves": pr_curves(evaluation),
    }
    entry["predictions"] = write_archive(Path(predicted["dir"]), split_frames(job["root"], job["predict"]["split"]),
                                         board_dir, entry["run_id"], SCORE_THRESHOLD, MAX_PER_IMAGE)
    if more:
        entry["scores_by_split"] = {e["split"]: {"n_frames": e["n_frames"], "scores": leaderboard_scores(e)}
                                    for e in more}
    if submission:
        entry["submission"] = submission
    if dataset["kind"] == "dr":  # real KITTI frames may not be shown on the board
        with tempfile.TemporaryDirectory() as scratch:
            sheet = contact_sheet(source["folder"], Path(scratch) / "sheet.jpg", **THUMBNAIL_SHEET)
            entry["thumbnail"] = save_thumbnail(sheet, board_dir, dataset["config_hash"])
    path = write_entry(entry, board_dir)
    steps.log.event(Event.ENTRY_WRITTEN, str(path))
    return entry


def leaderboard_scores(evaluation: dict) -> dict:
    """The leaderboard's view of an evaluation: AP11/AP40 with intervals per IoU and level."""
    return {
        iou: {
            level: {key: result[key] for key in ("ap11", "ap40", "ap11_ci95", "ap40_ci95", "n_gt")}
            for level, result in levels.items()
        }
        for iou, levels in evaluation["results"].items()
    }


def print_plan(plan: list[dict], settings: dict, console: Console) -> None:
    table = Table(title="plan (dry run)")
    for column in ("step", "key", "status", "what"):
        table.add_column(column)
    for step in plan:
        params = step["params"]
        what = {"generate": lambda: f"{params['n_images']} images",
                "convert": lambda: f"{params['n_images']} Virtual KITTI images",
                "train": lambda: f"{params['iters']} iterations",
                "predict": lambda: f"{params['n_images']} images",
                "evaluate": lambda: f"KITTI devkit AP on {params['split']}"}[step["kind"]]()
        table.add_row(step["kind"], step["key"], step["status"], what)
    console.print(table)
    console.print(f"estimated time for the steps to run: "
                  f"{estimate_seconds(plan, settings) / 60:.1f} min")


def print_entries(protocol_name: str, entries: list[dict], console: Console,
                  absent: list[dict] = ()) -> None:
    """The arms' AP40 with intervals, fitted to the terminal: "trained on" only where it fits."""
    wide = console.width >= 100
    table = Table(title=f"{protocol_name}: AP40 on {TEST_SPLIT} [95% interval]", title_justify="left")
    table.add_column("arm", overflow="fold")
    if wide:
        table.add_column("trained on", overflow="fold")
    for column in ("@0.5 easy", "@0.5 mod.", "@0.7 easy"):
        table.add_column(column, no_wrap=True, justify="right")
    for e in entries:
        s = e["scores"]
        cells = [f"{r['ap40']:.1f} [{r['ap40_ci95'][0]:.0f}, {r['ap40_ci95'][1]:.0f}]"
                 for r in (s["0.5"]["easy"], s["0.5"]["moderate"], s["0.7"]["easy"])]
        table.add_row(e["arm"], *([e["trained_on"]] if wide else []), *cells)
    for a in absent:
        table.add_row(a["arm"], *([a["absent"]] if wide else []), "absent", "—", "—")
    console.print(table)


def planned_seconds(protocol_names: list[str], profile_name: str, **kwargs) -> float:
    """Estimated time of the protocols' steps that are not cached yet, as ``--dry-run`` says;
    a step that several protocols share (the DR baseline's data and model) counts once."""
    quiet = Console(file=io.StringIO(), width=120)
    steps = {step["key"]: step for name in protocol_names
             for step in run_protocol(name, profile_name, dry_run=True, console=quiet, **kwargs)}
    return estimate_seconds(list(steps.values()), load_profile(profile_name))


def run_all(profile_name: str, **kwargs) -> list[dict]:
    """``drbench all``: every protocol the profile lists."""
    entries = []
    for name in load_profile(profile_name)["protocols"]:
        entries += run_protocol(name, profile_name, **kwargs)
    return entries
