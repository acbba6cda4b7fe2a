"""DrbenchMobileNetV2: ImageNet weights load into the stride-16 variant; frozen_stages=8 freezes all;
the CPU recipe (folded BN, channels-last, bf16) computes the ImageNet network's features."""

import pytest
import torch

from drbench.detectors import mmdet_fixes

mmdet_fixes.apply()
from mmdet.registry import MODELS  # noqa: E402
from mmengine.runner.checkpoint import CheckpointLoader  # noqa: E402


def imagenet_state() -> dict:
    return CheckpointLoader.load_checkpoint("drbench://mobilenet_v2_imagenet")["state_dict"]


def test_stride_16_keeps_every_imagenet_weight_and_halves_no_more():
    backbone = MODELS.build(dict(type="DrbenchMobileNetV2", output_stride=16, out_indices=(4, 7)))
    backbone.load_state_dict(imagenet_state(), strict=True)
    backbone.eval()
    with torch.no_grad():
        s16, last = backbone(torch.rand(1, 3, 96, 160, generator=torch.Generator().manual_seed(0)))
    assert s16.shape == (1, 96, 6, 10) and last.shape == (1, 1280, 6, 10)
    assert last.abs().mean() > 0.01


def test_stride_32_is_mmdets_mobilenet_v2():
    ours = MODELS.build(dict(type="DrbenchMobileNetV2", out_indices=(7,)))
    theirs = MODELS.build(dict(type="MobileNetV2", out_indices=(7,)))
    for model in (ours, theirs):
        model.load_state_dict(imagenet_state(), strict=True)
        model.eval()
    image = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(ours(image)[0], theirs(image)[0])


def test_frozen_stages_8_freezes_everything_where_mmdets_7_leaves_conv2():
    ours = MODELS.build(dict(type="DrbenchMobileNetV2", frozen_stages=8, norm_eval=True))
    ours.train()
    assert not any(p.requires_grad for p in ours.parameters())
    assert not any(m.training for m in ours.modules() if isinstance(m, torch.nn.BatchNorm2d))
    theirs = MODELS.build(dict(type="MobileNetV2", frozen_stages=7))
    theirs.train()
    assert all(p.requires_grad for p in theirs.conv2.parameters())


def test_frozen_stages_counts_conv1_as_stage_0():
    backbone = MODELS.build(dict(type="DrbenchMobileNetV2", frozen_stages=1))
    assert not any(p.requires_grad for p in backbone.conv1.parameters())
    assert not any(p.requires_grad for p in backbone.layer1.parameters())
    assert all(p.requires_grad for p in backbone.layer2.parameters())


def folded_state() -> dict:
    return CheckpointLoader.load_checkpoint("drbench://mobilenet_v2_imagenet_bn_folded")["state_dict"]


@pytest.mark.parametrize("output_stride", [32, 16])
def test_cpu_recipe_computes_the_imagenet_features(output_stride):
    reference = MODELS.build(dict(type="DrbenchMobileNetV2", out_indices=(2, 4, 7), output_stride=output_stride))
    reference.load_state_dict(imagenet_state(), strict=True)
    folded = MODELS.build(dict(type="DrbenchMobileNetV2", out_indices=(2, 4, 7), output_stride=output_stride,
                               norm_cfg=None))
    folded.load_state_dict(folded_state(), strict=True)
    fast = MODELS.build(dict(type="DrbenchMobileNetV2", out_indices=(2, 4, 7), output_stride=output_stride,
                             norm_cfg=None, channels_last=True, autocast_dtype="bfloat16"))
    fast.load_state_dict(folded_state(), strict=True)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in fast.parameters() if p.dim() == 4)
    image = torch.rand(2, 3, 96, 160, generator=torch.Generator().manual_seed(2))
    models = (reference, folded, fast)
    for model in models:
        model.eval()
    with torch.no_grad():
        features = [model(image) for model in models]
    for ref, fold, bf16 in zip(*features):
        torch.testing.assert_close(fold, ref, rtol=1e-4, atol=1e-4)  # folding is exact up to rounding
        assert bf16.dtype == torch.float32 and bf16.shape == ref.shape
        # bf16 keeps ~3 significant digits: the maps agree to a few per cent, not exactly
        assert (bf16 - ref).abs().mean() / ref.abs().mean() < 0.15
        assert torch.corrcoef(torch.stack([bf16.flatten(), ref.flatten()]))[0, 1] > 0.99


def test_cpu_recipe_trains_in_fp32_parameters():
    fast = MODELS.build(dict(type="DrbenchMobileNetV2", out_indices=(7,), norm_cfg=None, channels_last=True,
                             autocast_dtype="bfloat16", frozen_stages=1))
    fast.load_state_dict(folded_state(), strict=True)
    fast.train()
    (out,) = fast(torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(3)))
    out.square().mean().backward()
    grads = [p.grad for p in fast.layer2.parameters()]
    assert all(g is not None and g.dtype == torch.float32 and g.abs().sum() > 0 for g in grads)
    assert all(p.grad is None for p in fast.conv1.parameters())  # stage 0 stays frozen


@pytest.mark.parametrize("bad", [dict(output_stride=8), dict(frozen_stages=9), dict(autocast_dtype="int8")])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        MODELS.build(dict(type="DrbenchMobileNetV2", **bad))
