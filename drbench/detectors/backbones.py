"""mmdet's MobileNetV2 with what drbench's detectors need and it lacks.

* ``output_stride=16``: R-FCN pools position-sensitive maps from one stride-16
  map (the paper's R-FCN used a dilated ResNet C5). The last stride-2 stage
  gets stride 1 and every later 3x3 conv dilation 2 (DeepLab's recipe), so
  ImageNet weights load unchanged and keep their receptive field.
* ``frozen_stages=8`` freezes everything, the final 1x1 conv (``conv2``)
  included: mmdet accepts at most 7, which leaves ``conv2`` trainable. The
  paper's frozen-feature-extractor ablation needs all of it fixed.
* ``channels_last`` and ``autocast_dtype``: the CPU training recipe
  (docs/benchmarks.md). Channels-last memory and bf16 autocast make the
  convolutions' oneDNN kernels 1.5-2x faster on CPUs with AVX-512 bf16; the
  backbone returns fp32 maps, so the heads and their RoI ops (torchvision's
  RoIAlign refuses bf16) stay in fp32.

Weights and key names are mmdet's MobileNetV2's (``drbench://`` loads into it).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from mmdet.models.backbones import MobileNetV2
from mmdet.registry import MODELS

ALL_STAGES = 8  # conv1 + layer1..layer7 + conv2


def all_stages(backbone_cfg: dict) -> int:
    """The ``frozen_stages`` value that fixes a configured backbone entirely."""
    if backbone_cfg["type"] == "DrbenchMobileNetV2":
        return ALL_STAGES
    if backbone_cfg["type"] == "ResNet":  # the stem and every residual stage
        return backbone_cfg.get("num_stages", 4)
    raise ValueError(f"cannot freeze backbone type {backbone_cfg['type']!r} entirely")


@MODELS.register_module()
class DrbenchMobileNetV2(MobileNetV2):
    """MobileNetV2 with an optional stride-16 output and a fully freezable trunk."""

    def __init__(self, output_stride: int = 32, frozen_stages: int = -1, channels_last: bool = False,
                 autocast_dtype: str | None = None, **kwargs) -> None:
        if output_stride not in (16, 32):
            raise ValueError(f"output_stride must be 16 or 32, got {output_stride}")
        if frozen_stages not in range(-1, ALL_STAGES + 1):
            raise ValueError(f"frozen_stages must be in -1..{ALL_STAGES}, got {frozen_stages}")
        if autocast_dtype not in (None, "bfloat16", "float16"):
            raise ValueError(f"autocast_dtype must be None, 'bfloat16' or 'float16', got {autocast_dtype!r}")
        super().__init__(frozen_stages=min(frozen_stages, 7), **kwargs)
        self.frozen_stages = frozen_stages
        self.output_stride = output_stride
        self.channels_last = channels_last
        self.autocast_dtype = getattr(torch, autocast_dtype) if autocast_dtype else None
        if output_stride == 16:
            self._dilate_last_stride()
        self._freeze_stages()
        if channels_last:  # weights loaded later are copied into this layout
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.autocast_dtype is None:
            return super().forward(x)
        with torch.autocast(x.device.type, dtype=self.autocast_dtype):
            outs = super().forward(x)
        return tuple(out.float() for out in outs)

    def _dilate_last_stride(self) -> None:
        stride_two = [i for i, (*_, stride) in enumerate(self.arch_settings) if stride == 2][-1]
        for name in self.layers[stride_two:]:
            for module in getattr(self, name).modules():
                if isinstance(module, nn.Conv2d) and module.kernel_size == (3, 3):
                    if module.stride == (2, 2):
                        module.stride = (1, 1)
                    else:
                        module.dilation, module.padding = (2, 2), (2, 2)

    def _freeze_stages(self) -> None:
        """Stage 0 is conv1, 1..7 the inverted-residual layers, 8 the final conv2."""
        stages = [self.conv1] + [getattr(self, name) for name in self.layers]
        for stage in stages[:self.frozen_stages + 1]:
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False
