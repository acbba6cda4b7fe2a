"""Protocols: declarative YAML files in this folder, loaded into a registry by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from drbench.generate.settings import ABLATIONS

PROTOCOL_DIR = Path(__file__).resolve().parent


class Arm(BaseModel):
    """One trained-and-scored detector of a protocol."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    data: Literal["dr", "real", "vkitti"]  # vkitti: Virtual KITTI, converted (drbench.data.vkitti)
    init: str | None = None  # an earlier arm whose trained model this one starts from
    lr_scale: float = Field(1.0, gt=0)
    detector: str | None = None  # overrides the profile's detector (e.g. faster_rcnn_noaug)
    detectors: list[str] | None = None  # one arm per detector, named <arm>-<detector>
    backbone_init: Literal["imagenet", "random"] = "imagenet"
    freeze_backbone: bool = False
    data_fraction: float = Field(1.0, gt=0, le=1)  # share of the profile's DR images
    per_real_n: bool = False  # one arm per N in the profile's real_n
    per_randomizer_off: bool = False  # one arm per randomizer left out
    # distinct procedural textures per DR image (the paper: 8K for 100K images, 0.08); the
    # bank scales with the profile's data set so the half-textures arm means the same anywhere
    texture_bank_per_image: float | None = Field(None, gt=0)
    ablations: list[str] = []  # generator ablation switches (drbench.generate.settings.ABLATIONS)

    @model_validator(mode="after")
    def _one_way_to_name_the_detector(self) -> "Arm":
        if self.detector is not None and self.detectors is not None:
            raise ValueError(f"arm {self.name!r}: give detector or detectors, not both")
        return self

    @model_validator(mode="after")
    def _known_ablations_with_what_they_need(self) -> "Arm":
        unknown = set(self.ablations) - set(ABLATIONS)
        if unknown:
            raise ValueError(f"arm {self.name!r}: unknown ablations {sorted(unknown)} "
                             f"(known: {', '.join(ABLATIONS)})")
        if "half_textures" in self.ablations and self.texture_bank_per_image is None:
            raise ValueError(f"arm {self.name!r}: half_textures halves a bank: set texture_bank_per_image")
        return self


class Protocol(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    arms: list[Arm]

    @model_validator(mode="after")
    def _inits_refer_to_earlier_arms(self) -> "Protocol":
        seen: set[str] = set()
        for arm in self.arms:
            if arm.init is not None and arm.init not in seen:
                raise ValueError(f"arm {arm.name!r}: init {arm.init!r} is not an earlier arm")
            seen.add(arm.name)
        return self


def load_protocol(path: Path) -> Protocol:
    """Parse and validate one protocol file; errors name the file."""
    try:
        return Protocol.model_validate(yaml.safe_load(Path(path).read_text()))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid protocol: {exc}") from None


@cache
def registry() -> dict[str, Protocol]:
    protocols = [load_protocol(p) for p in sorted(PROTOCOL_DIR.glob("*.yaml"))]
    return {p.name: p for p in protocols}


def protocol(name: str) -> Protocol:
    if name not in registry():
        raise KeyError(f"unknown protocol {name!r}; known: {', '.join(registry())}")
    return registry()[name]
