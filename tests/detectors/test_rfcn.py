"""R-FCN's head: per-RoI scores come only from score maps inside the RoI, averaged over k*k bins."""

import pytest
import torch

from drbench.detectors import mmdet_fixes

mmdet_fixes.apply()
from mmdet.registry import MODELS  # noqa: E402

HEAD = dict(type="RFCNBBoxHead", in_channels=16, feat_channels=8, roi_feat_size=7,
            spatial_scale=1 / 16, num_classes=1, reg_class_agnostic=True)


def head():
    torch.manual_seed(0)
    module = MODELS.build(HEAD)
    module.init_weights()
    for conv in (module.conv_cls, module.conv_reg):  # a visible signal instead of std-0.01 noise
        torch.nn.init.normal_(conv.weight)
    return module.eval()


def test_outputs_one_score_per_class_plus_background_and_one_box():
    rois = torch.tensor([[0, 16.0, 16.0, 160.0, 96.0], [1, 0.0, 0.0, 64.0, 64.0], [1, 100, 20, 300, 90]])
    with torch.no_grad():
        cls_score, bbox_pred = head()(torch.randn(2, 16, 8, 20), rois)
    assert cls_score.shape == (3, 2) and bbox_pred.shape == (3, 4)
    assert not hasattr(head(), "fc_cls") and not hasattr(head(), "fc_reg")


def test_a_rois_scores_ignore_features_outside_it():
    module = head()
    feat = torch.randn(1, 16, 12, 20, generator=torch.Generator().manual_seed(1))
    roi = torch.tensor([[0, 32.0, 32.0, 128.0, 112.0]])  # feature cells 2..8 x 2..7
    outside, inside = feat.clone(), feat.clone()
    outside[..., 10:, :] += 5
    outside[..., :, 12:] += 5
    inside[..., 4, 5] += 5
    with torch.no_grad():
        base, moved, changed = (module(f, roi) for f in (feat, outside, inside))
    torch.testing.assert_close(moved, base)
    assert not torch.allclose(changed[0], base[0])


def test_ps_roi_head_refuses_an_extractor_and_several_levels():
    common = dict(bbox_head=HEAD, train_cfg=None, test_cfg=None)
    with pytest.raises(ValueError, match="bbox_roi_extractor=None"):
        MODELS.build(dict(type="PSRoIHead", bbox_roi_extractor=dict(type="SingleRoIExtractor"), **common))
    roi_head = MODELS.build(dict(type="PSRoIHead", bbox_roi_extractor=None, **common))
    with pytest.raises(ValueError, match="one feature level"):
        roi_head._bbox_forward((torch.zeros(1, 16, 4, 4),) * 2, torch.zeros(1, 5))
