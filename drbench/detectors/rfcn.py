"""R-FCN (Dai et al. 2016) as an mmdet RoI head: mmdet 3.x has none, mmcv 2.1 has no PS pooling.

R-FCN moves all per-RoI computation before pooling: 1x1 convs turn the
feature map into k*k position-sensitive score maps per class (and per box
coordinate); each RoI is split into k*k bins, bin (i, j) is pooled only from
its own group of maps (torchvision's ``PSRoIAlign``), and the bins vote by
averaging. So the per-RoI cost is a pooling, not a sub-network.

``PSRoIHead`` is mmdet's ``StandardRoIHead`` (sampling, losses, NMS) whose box
branch takes the feature map and RoIs directly instead of pooled features;
``RFCNBBoxHead`` is mmdet's ``BBoxHead`` (targets, losses, decoding) with the
score-map convs and PS pooling in place of its fully connected layers.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from mmdet.registry import MODELS
from torchvision.ops import PSRoIAlign


@MODELS.register_module()
class PSRoIHead(StandardRoIHead):
    """RoI head for a single-level feature map whose bbox head pools position-sensitively."""

    def init_bbox_head(self, bbox_roi_extractor, bbox_head) -> None:
        if bbox_roi_extractor is not None:
            raise ValueError("PSRoIHead pools inside its bbox head; set bbox_roi_extractor=None")
        self.bbox_head = MODELS.build(bbox_head)

    def _bbox_forward(self, x: tuple[torch.Tensor, ...], rois: torch.Tensor) -> dict:
        if len(x) != 1:
            raise ValueError(f"PSRoIHead expects one feature level (stride 16), got {len(x)}")
        cls_score, bbox_pred = self.bbox_head(x[0], rois)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=None)


@MODELS.register_module()
class RFCNBBoxHead(BBoxHead):
    """Position-sensitive score maps + ``PSRoIAlign`` + average voting.

    ``feat_channels``: the 1x1 "new conv" R-FCN puts on the backbone
    (1024 in the paper, smaller for CPU). ``spatial_scale`` is 1/stride of
    the input feature map.
    """

    def __init__(self, in_channels: int, feat_channels: int = 256, roi_feat_size: int = 7,
                 spatial_scale: float = 1 / 16, sampling_ratio: int = 2, **kwargs) -> None:
        kwargs.setdefault("init_cfg", dict(type="Normal", layer="Conv2d", std=0.01))
        super().__init__(with_avg_pool=False, roi_feat_size=roi_feat_size,
                         in_channels=in_channels, **kwargs)
        # BBoxHead builds fc predictors for pooled features; R-FCN predicts from score maps.
        del self.fc_cls, self.fc_reg
        k2 = self.roi_feat_area
        box_dim = self.bbox_coder.encode_size
        reg_channels = box_dim if self.reg_class_agnostic else box_dim * self.num_classes
        self.conv_new = nn.Conv2d(in_channels, feat_channels, 1)
        self.conv_cls = nn.Conv2d(feat_channels, k2 * (self.num_classes + 1), 1)
        self.conv_reg = nn.Conv2d(feat_channels, k2 * reg_channels, 1)
        self.ps_roi_align = PSRoIAlign(self.roi_feat_size[0], spatial_scale, sampling_ratio)

    def forward(self, feat: torch.Tensor, rois: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class scores ``(n, C+1)`` and box deltas ``(n, 4 or 4C)`` for ``rois`` ``(n, 5)``."""
        feat = F.relu(self.conv_new(feat), inplace=True)
        cls_score = self.ps_roi_align(self.conv_cls(feat), rois).mean(dim=(2, 3))
        bbox_pred = self.ps_roi_align(self.conv_reg(feat), rois).mean(dim=(2, 3))
        return cls_score, bbox_pred
