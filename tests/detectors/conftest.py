"""One short real training run per detector on real KITTI frames, shared by the detector tests."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from drbench.detectors.train import train
from drbench.events import EVENT_LOG, EventLog
from drbench.paths import kitti_root


@dataclass(frozen=True)
class Run:
    work_dir: Path
    checkpoint: Path
    frames: tuple[str, ...] = ("000001", "000002", "000003", "000004")
    scale: tuple[int, int] = (320, 97)

    @property
    def events(self) -> Path:
        """The event log the training run wrote."""
        return self.work_dir / EVENT_LOG


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """``trained(detector) -> Run``: 4 iterations, batch 2, trained once per session, logged to
    ``Run.events``."""
    runs: dict[str, Run] = {}

    def get(detector: str) -> Run:
        if detector not in runs:
            root = kitti_root()
            work_dir = tmp_path_factory.mktemp(f"train-{detector}")
            run = Run(work_dir, work_dir / "iter_4.pth")
            checkpoint = train(detector, [root], work_dir, max_iters=4, image_scale=run.scale,
                               batch_size=2, frames={root: list(run.frames)}, seed=0,
                               events=EventLog(run.events))
            assert checkpoint == run.checkpoint
            runs[detector] = run
        return runs[detector]

    return get
