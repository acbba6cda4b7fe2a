"""torchvision's RoIAlign inside the extractor gives mmcv's results up to float noise."""

import pytest
import torch
from mmdet.registry import MODELS

from drbench.detectors import mmdet_fixes


def _extractors():
    mmdet_fixes.apply()
    common = dict(roi_layer=dict(type="RoIAlign", output_size=7, sampling_ratio=0),
                  out_channels=8, featmap_strides=[8, 16, 32, 64])
    return (MODELS.build(dict(type="SingleRoIExtractor", **common)),
            MODELS.build(dict(type="TorchvisionRoIExtractor", **common)))


def test_torchvision_extractor_matches_mmcv():
    mmcv_extractor, tv_extractor = _extractors()
    gen = torch.Generator().manual_seed(0)
    feats = tuple(torch.randn(2, 8, 192 // s, 640 // s, generator=gen) for s in (8, 16, 32, 64))
    n = 300
    xy = torch.rand(n, 2, generator=gen) * torch.tensor([600.0, 170.0])
    wh = torch.rand(n, 2, generator=gen) * torch.tensor([400.0, 150.0]) + 2
    rois = torch.cat([torch.randint(0, 2, (n, 1), generator=gen).float(), xy, xy + wh], dim=1)
    with torch.no_grad():
        expected = mmcv_extractor(feats, rois)
        got = tv_extractor(feats, rois)
    assert expected.shape == got.shape == (n, 8, 7, 7)
    assert expected.abs().sum() > 0
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_unsupported_pool_mode_is_refused():
    mmdet_fixes.apply()
    with pytest.raises(ValueError, match="only avg RoIAlign"):
        MODELS.build(dict(type="TorchvisionRoIExtractor",
                          roi_layer=dict(type="RoIAlign", output_size=7, pool_mode="max"),
                          out_channels=8, featmap_strides=[8]))
