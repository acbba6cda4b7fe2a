"""The offline ImageNet MobileNetV2, renamed for mmdet, computes what torchvision's does."""

import pytest
import torch
import torchvision
from mmdet.registry import MODELS
from mmengine.runner.checkpoint import CheckpointLoader

from drbench.detectors import mmdet_fixes
from drbench.detectors.weights import (
    convert_mobilenet_v2, converted_path, fold_batch_norm, mobilenet_v2_key_map, torchvision_weights_path,
)


def test_key_map_covers_every_backbone_tensor_once():
    tv_state = torch.load(torchvision_weights_path(), map_location="cpu", weights_only=True)
    sources = [src for src, _ in mobilenet_v2_key_map()]
    targets = [dst for _, dst in mobilenet_v2_key_map()]
    assert len(set(sources)) == len(sources) == len(set(targets))
    assert set(tv_state) - set(sources) == {"classifier.1.weight", "classifier.1.bias"}


def test_converted_backbone_matches_torchvision_outputs():
    mmdet_fixes.apply()
    tv_model = torchvision.models.mobilenet_v2()
    tv_model.load_state_dict(
        torch.load(torchvision_weights_path(), map_location="cpu", weights_only=True))
    tv_model.eval()

    backbone = MODELS.build(dict(type="MobileNetV2", out_indices=(7,)))
    state = CheckpointLoader.load_checkpoint("drbench://mobilenet_v2_imagenet")["state_dict"]
    backbone.load_state_dict(state, strict=True)  # raises on any missing or extra key
    backbone.eval()

    image = torch.rand(1, 3, 96, 160, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = tv_model.features(image)
        (got,) = backbone(image)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    # The features must be ImageNet ones, not random: a plain image gives a non-trivial map.
    assert expected.abs().mean() > 0.01


def test_folded_checkpoint_has_no_batch_norm_and_a_bias_per_conv():
    state = CheckpointLoader.load_checkpoint("drbench://mobilenet_v2_imagenet")["state_dict"]
    folded = fold_batch_norm(state)
    assert not any(".bn." in key for key in folded)
    convs = [key for key in state if key.endswith(".conv.weight")]
    assert sorted(folded) == sorted(convs + [key[:-len("weight")] + "bias" for key in convs])
    with pytest.raises(KeyError, match="drbench://nope"):
        CheckpointLoader.load_checkpoint("drbench://nope")


def test_converted_file_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DRBENCH_CACHE", str(tmp_path))
    path = converted_path()
    assert path.is_file() and path.is_relative_to(tmp_path)
    stamp = path.stat().st_mtime_ns
    assert converted_path() == path and path.stat().st_mtime_ns == stamp


def test_convert_rejects_a_foreign_state_dict():
    with pytest.raises(KeyError, match="features.0.0.weight"):
        convert_mobilenet_v2({"conv.weight": torch.zeros(1)})
