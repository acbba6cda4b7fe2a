"""Generation settings: everything that changes the pixels, recorded in the manifest.

Plain JSON-able values only: the same object travels to the worker in every job
and decides whether ``resume`` may continue an existing run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

DEFAULT_RANDOMIZERS = ("camera", "cars", "hard_negatives", "distractors", "textures", "lights", "background")


@dataclass(frozen=True)
class Settings:
    """``randomizers`` run in order; a name is a registry key or ``module:function``.

    Leaving one out is the paper's ablation: that axis keeps its fixed default
    (KITTI camera, grey paint, one sun, plain grey background, no objects).
    """

    width: int = 1242
    height: int = 375
    samples: int = 1
    min_cars: int = 1
    max_cars: int = 14
    max_distractors: int = 5
    max_hard_negatives: int = 6
    randomizers: tuple[str, ...] = DEFAULT_RANDOMIZERS
    masks: bool = False  # also write mask_2/NNNNNN.png: pixel = 1-based line of its car in the label file
    threads: int = 0  # Cycles CPU threads; 0 = all cores

    def __post_init__(self) -> None:
        if self.width < 8 or self.height < 8:
            raise ValueError(f"image size must be at least 8×8, got {self.width}×{self.height}")
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if not 0 <= self.min_cars <= self.max_cars:
            raise ValueError(f"need 0 <= min_cars <= max_cars, got {self.min_cars}, {self.max_cars}")
        object.__setattr__(self, "randomizers", tuple(self.randomizers))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["randomizers"] = list(self.randomizers)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**data)
