"""DrbenchSSDHead predicts where mmdet 3.3's SSDHead raises (its missing ``loss_cls``)."""

import pytest
import torch

from drbench.detectors import mmdet_fixes

mmdet_fixes.apply()
from mmdet.registry import MODELS  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402

HEAD = dict(in_channels=(8, 8), num_classes=1, use_depthwise=True,
            anchor_generator=dict(type="SSDAnchorGenerator", scale_major=False, strides=[16, 32],
                                  ratios=[[2], [2]], min_sizes=[16, 40], max_sizes=[40, 80]),
            bbox_coder=dict(type="DeltaXYWHBBoxCoder", target_means=[0.0] * 4,
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            test_cfg=ConfigDict(nms_pre=100, nms=dict(type="nms", iou_threshold=0.45),
                                min_bbox_size=0, score_thr=0.0, max_per_img=20))
METAS = [dict(img_shape=(97, 320), scale_factor=(1.0, 1.0))]


def predict(head_type: str):
    torch.manual_seed(0)
    head = MODELS.build(dict(type=head_type, **HEAD)).eval()
    feats = (torch.randn(1, 8, 7, 20), torch.randn(1, 8, 4, 10))
    with torch.no_grad():
        return head.predict_by_feat(*head(feats), batch_img_metas=METAS, rescale=False)[0]


def test_fixed_head_predicts_boxes_inside_the_image():
    result = predict("DrbenchSSDHead")
    assert 0 < len(result.bboxes) <= 20
    assert (result.scores >= 0).all() and (result.scores <= 1).all()
    boxes = result.bboxes
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 320).all() and (boxes[:, 3] <= 97).all()


def test_upstream_head_still_has_the_bug():
    """If this fails, mmdet fixed SSDHead and DrbenchSSDHead can go."""
    with pytest.raises(AttributeError, match="loss_cls"):
        predict("SSDHead")
