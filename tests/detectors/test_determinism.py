"""Deterministic training on the CPU: the same seed gives bit-identical weights, another seed not."""

from pathlib import Path

import pytest
import torch

from drbench.detectors.rng_state import KEY
from drbench.detectors.train import train
from drbench.events import Event, EventLog

pytestmark = pytest.mark.slow
FRAMES = ["000001", "000002", "000003"]


def weights(root, work_dir, seed) -> dict:
    checkpoint = train("rfcn", [root], work_dir, max_iters=2, image_scale=(320, 97),
                       frames={root: FRAMES}, seed=seed, threads=1, deterministic=True)
    return torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]


def test_same_seed_same_weights_other_seed_other_weights(root, tmp_path):
    first, again, other = (weights(root, tmp_path / name, seed)
                           for name, seed in (("a", 3), ("b", 3), ("c", 4)))
    assert first.keys() == again.keys()
    for key in first:
        assert torch.equal(first[key], again[key]), key
    assert not torch.are_deterministic_algorithms_enabled(), "train() leaked torch's switch"
    trained = [k for k in first if k.startswith("roi_head.") and k.endswith("weight")]
    assert any(not torch.equal(first[k], other[k]) for k in trained)



class CrashAfter(EventLog):
    """A run that dies right after iteration ``iteration`` (its checkpoint is saved by then)."""

    def __init__(self, path, iteration: int):
        super().__init__(path)
        self.iteration = iteration

    def event(self, key, value=None, **metadata):
        if key == Event.TRAIN_PROGRESS and value == self.iteration:
            raise RuntimeError(f"simulated crash after iteration {value}")
        return super().event(key, value, **metadata)


def run_to_4(root, work_dir, **more) -> Path:
    return train("faster_rcnn", [root], work_dir, max_iters=4, image_scale=(320, 97), frames={root: FRAMES},
                 seed=3, threads=1, deterministic=True, checkpoint_every=2, **more)


def killed_at_2(root, work_dir) -> Path:
    with pytest.raises(RuntimeError, match="simulated crash after iteration 2"):
        run_to_4(root, work_dir, events=CrashAfter(work_dir.parent / f"{work_dir.name}.jsonl", iteration=2))
    assert not (work_dir / "iter_4.pth").exists()
    return work_dir / "iter_2.pth"


def assert_same_weights(checkpoint_a: Path, checkpoint_b: Path) -> None:
    a, b = (torch.load(c, map_location="cpu", weights_only=True)["state_dict"] for c in (checkpoint_a, checkpoint_b))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(root, tmp_path):
    """Faster R-CNN's RPN and RoI samplers draw from torch's global generator, which mmengine's
    resume re-seeds: the checkpoint must carry its state for a killed run to continue the same run."""
    whole = run_to_4(root, tmp_path / "whole")
    assert killed_at_2(root, tmp_path / "killed").is_file()
    resumed = run_to_4(root, tmp_path / "killed", resume=True)
    assert any("resumed epoch: 0, iter: 2" in log.read_text() for log in (tmp_path / "killed").glob("*/*.log"))
    assert_same_weights(whole, resumed)


def test_a_checkpoint_without_random_state_is_trained_again_not_resumed(root, tmp_path):
    """A checkpoint from before drbench stored the random state cannot continue the same run: the
    run starts again from iteration 0 (and so still ends with the uninterrupted run's weights)."""
    old = killed_at_2(root, tmp_path / "old")
    checkpoint = torch.load(old, map_location="cpu", weights_only=True)
    del checkpoint[KEY]
    torch.save(checkpoint, old)
    again = run_to_4(root, tmp_path / "old", resume=True)
    logs = "".join(log.read_text() for log in (tmp_path / "old").glob("*/*.log"))
    assert "holds no random state" in logs and "resumed epoch" not in logs
    assert_same_weights(run_to_4(root, tmp_path / "whole"), again)
