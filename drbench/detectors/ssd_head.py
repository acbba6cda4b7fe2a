"""mmdet's SSDHead, fixed so that inference works (a known upstream bug, never fixed in 3.3).

``SSDHead`` computes its loss inline and never builds ``self.loss_cls``, but the
prediction path it inherits (``BaseDenseHead._predict_by_feat_single``) reads
``getattr(self.loss_cls, 'custom_cls_channels', False)`` and so raises
``AttributeError: 'SSDHead' object has no attribute 'loss_cls'``. With no loss
module, "no custom class channels" is the right answer, which ``None`` gives.
"""

from __future__ import annotations

from mmdet.models.dense_heads import SSDHead
from mmdet.registry import MODELS


@MODELS.register_module()
class DrbenchSSDHead(SSDHead):
    """SSDHead whose missing ``loss_cls`` reads as None (softmax scores, as SSD trains)."""

    loss_cls = None
