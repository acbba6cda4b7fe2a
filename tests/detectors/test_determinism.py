"""Deterministic training on the CPU: the same seed gives bit-identical weights, another seed not."""

import pytest
import torch

from drbench.detectors.train import train

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
