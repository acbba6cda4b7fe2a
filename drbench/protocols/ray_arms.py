"""Score a wave of protocol arms side by side as Ray tasks (``drbench run/all --ray-address``).

The driver runs each wave's data steps (a DR set renders across the cluster through
``generate_on_ray``, see runner.prepare_arm); then every arm's train, predict and
evaluate steps run in one task (arm_steps.score_arm), through the same cached steps as a
local run. The step folders live in ``runs_dir``, so every node must see it at the same
path (a shared file system); a task lost with its node is retried by Ray and resumes from
the step's last checkpoint. Arms with the same training step share one task.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from drbench.events import EVENT_LOG, Event, EventLog
from drbench.protocols.arm_steps import score_arm
from drbench.steps import StepRunner


def score_on_ray(jobs: list[dict], steps: StepRunner, address: str, resources: dict) -> list[dict]:
    """``score_arm`` of every job, run as Ray tasks asking for ``resources`` each, in job order."""
    import ray  # inside: an optional dependency (drbench[ray]), only for --ray-address

    if not ray.is_initialized():
        ray.init(address=address, logging_level="WARNING", log_to_driver=False)
    task = ray.remote(max_retries=3, **resources)(_score_task)
    keys = [steps.key("train", job["train"], tuple(job["upstream"])) for job in jobs]
    refs: dict[str, object] = {}
    for key, job in zip(keys, jobs):
        if key not in refs:
            refs[key] = task.remote(job, str(steps.runs_dir))
            steps.log.event(Event.ARM_TASK, job["arm"], train=key, resources=resources)
    results = dict(zip(refs, ray.get(list(refs.values()))))
    return [results[key] for key in keys]


def _score_task(job: dict, runs_dir: str) -> dict:
    import ray  # inside: an optional dependency (drbench[ray]); this runs in a Ray worker

    steps = StepRunner(Path(runs_dir), EventLog(Path(runs_dir) / EVENT_LOG), Console(stderr=True))
    steps.log.event(Event.ARM_TASK_START, job["arm"], node=ray.get_runtime_context().get_node_id(),
                    pid=os.getpid())
    return score_arm(steps, job)
