"""Named scales of the same protocols: one readable YAML file each in this folder (DomainBed-style registry).

tiny checks the plumbing in seconds (tests); smoke proves the whole path in
minutes (CI); cpu is the largest run practical on a 2-core machine; paper is
the paper's scale on a CUDA GPU. ``estimates`` are per-step rates used only
by ``--dry-run`` to say how long a plan will take.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drbench.detectors.mmdet_config import load_detector_config

PROFILE_DIR = Path(__file__).resolve().parent


class Estimates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    generate_s_per_image: float = Field(gt=0)
    train_s_per_iter: float = Field(gt=0)
    predict_s_per_image: float = Field(gt=0)


class Profile(BaseModel):
    """What a profile file may say; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")
    n_images: int = Field(gt=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    samples: int = Field(gt=0)
    engine: str | None = None  # generator engine; the generator's default when absent
    detector: str
    detector_variants: dict[str, str] | None = None  # a protocol arm's detector -> this profile's
    image_scale: tuple[int, int]
    max_iters: int = Field(gt=0)
    batch_size: int = Field(gt=0)
    lr: float = Field(gt=0)
    real_n: list[int]
    finetune_iters: int = Field(gt=0)
    bootstrap: int = Field(ge=0)
    protocols: list[str]
    requires_gpu: bool = False
    next_profile: str | None = None  # where `drbench all` points for numbers that mean more
    estimates: Estimates


def load_profile(path: Path) -> dict:
    """One profile file as a settings dict (only the keys it sets); errors name the file."""
    try:
        return Profile.model_validate(yaml.safe_load(Path(path).read_text())).model_dump(
            exclude_unset=True)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid profile: {exc}") from None


PROFILES: dict[str, dict] = {path.stem: load_profile(path)
                             for path in sorted(PROFILE_DIR.glob("*.yaml"))}


def profile(name: str) -> dict:
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    return dict(PROFILES[name])


def detector_for(settings: dict, detector: str) -> str:
    """The profile's variant of a detector a protocol arm names (itself when it has none)."""
    return (settings.get("detector_variants") or {}).get(detector, detector)


def check_can_run(name: str, settings: dict) -> None:
    """Stop before any work when this machine cannot run the profile (dry runs skip this).

    A GPU profile needs CUDA and every ImageNet backbone file its detectors start from.
    """
    if not settings.get("requires_gpu"):
        return
    # lazy: torch (~2.5 s) and weights.py (imports torch), only for a GPU profile; the runner,
    # which the CLI imports, imports this module
    import torch

    from drbench.detectors.weights import require_checkpoints

    if not torch.cuda.is_available():
        raise RuntimeError(f"profile {name!r} needs a CUDA GPU and torch sees none "
                           f"(torch {torch.__version__}); plan it with --dry-run, or use "
                           f"--profile cpu on this machine")
    detectors = {settings["detector"], *(settings.get("detector_variants") or {}).values()}
    for detector in sorted(detectors):
        require_checkpoints(load_detector_config(detector).model)
