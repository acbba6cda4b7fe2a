"""Generation settings: everything that changes the pixels, recorded in the manifest.

Plain JSON-able values only: the same object travels to the worker in every job
and decides whether ``resume`` may continue an existing run. Its hash (with the
run seed) names a data set, see ``dataset_hash``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields

DEFAULT_RANDOMIZERS = ("camera", "cars", "hard_negatives", "distractors", "textures", "lights", "background")
ENGINES = ("cycles", "cycles-optix", "cycles-cuda", "eevee", "auto")

# The paper's ablations (Tremblay et al. 2018, table 3) as switches: the axis each one turns off.
ABLATIONS = {
    "no_light_variation": "lights",  # one fixed sun and a fixed grey sky
    "no_textures": "textures",  # fixed grey paint, grey ground and props
    "no_distractors": "distractors",  # no flying primitives (ground-level hard negatives stay)
    "half_textures": None,  # half as many distinct textures: texture_bank // 2 (8K -> 4K in the paper)
}


def entry_name(entry) -> str:
    return entry if isinstance(entry, str) else entry["name"]


@dataclass(frozen=True)
class Settings:
    """``randomizers`` run in order; an entry is a reference (``"cars"``, ``"pkg.mod:Name"``,
    ``"file.py:Name"``) or ``{"name": ref, "params": {...}, "id": stream name}``.

    Leaving one out is the paper's ablation: that axis keeps its fixed default
    (KITTI camera, grey paint, one sun, plain grey background, no objects); the
    ``ablations`` switches do the same by name (see ``ABLATIONS``).
    """

    width: int = 1242
    height: int = 375
    samples: int = 1
    min_cars: int = 1  # default of the cars randomizer's min_cars; >= 1 also means "an image must show a car"
    max_cars: int = 14
    max_distractors: int = 5
    max_hard_negatives: int = 6
    randomizers: tuple = DEFAULT_RANDOMIZERS
    masks: bool = False  # also write mask_2/NNNNNN.png: pixel = 1-based line of its car in the label file
    threads: int = 0  # Cycles CPU threads; 0 = all cores
    engine: str = "cycles"  # cycles (CPU), cycles-optix, cycles-cuda, eevee, or auto (see engine.py)
    texture_bank: int = 0  # distinct procedural textures in the data set; 0 = every texture new
    texture_dir: str | None = None  # user texture images (png/jpg), mixed with procedural ones
    background_dir: str | None = None  # user background images, mixed with procedural ones
    car_models_dir: str | None = None  # .glb/.gltf/.obj/.fbx/.blend car models (searched recursively)
    car_model_ratio: float = 0.5  # share of cars drawn from car_models_dir (when set)
    ablations: tuple[str, ...] = ()
    randomizer_timeout: float = 60.0  # seconds one randomizer may run before the image fails

    def __post_init__(self) -> None:
        if self.width < 8 or self.height < 8:
            raise ValueError(f"image size must be at least 8×8, got {self.width}×{self.height}")
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if not 0 <= self.min_cars <= self.max_cars:
            raise ValueError(f"need 0 <= min_cars <= max_cars, got {self.min_cars}, {self.max_cars}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.texture_bank < 0:
            raise ValueError(f"texture_bank must be >= 0 (0 = unbounded), got {self.texture_bank}")
        if not 0.0 <= self.car_model_ratio <= 1.0:
            raise ValueError(f"car_model_ratio must be in [0, 1], got {self.car_model_ratio}")
        unknown = set(self.ablations) - set(ABLATIONS)
        if unknown:
            raise ValueError(f"unknown ablations {sorted(unknown)} (known: {', '.join(ABLATIONS)})")
        if "half_textures" in self.ablations and self.texture_bank < 2:
            raise ValueError("the half_textures ablation halves texture_bank: set texture_bank (e.g. 8000)")
        if self.randomizer_timeout <= 0:
            raise ValueError(f"randomizer_timeout must be > 0, got {self.randomizer_timeout}")
        for folder in ("texture_dir", "background_dir", "car_models_dir"):
            if getattr(self, folder) is not None:
                object.__setattr__(self, folder, str(getattr(self, folder)))
        entries = []
        for entry in self.randomizers:
            if isinstance(entry, dict):
                entry = {k: v for k, v in entry.items() if k != "params" or v}
                entry = entry["name"] if set(entry) == {"name"} else entry
            elif not isinstance(entry, str):
                raise ValueError(f"a randomizer entry is a name or a mapping with 'name', got {entry!r}")
            entries.append(entry)
        object.__setattr__(self, "randomizers", tuple(entries))
        object.__setattr__(self, "ablations", tuple(sorted(set(self.ablations))))

    @property
    def active_randomizers(self) -> tuple:
        """The randomizers left after the ablation switches."""
        off = {ABLATIONS[name] for name in self.ablations} - {None}
        return tuple(entry for entry in self.randomizers if entry_name(entry) not in off)

    @property
    def active_texture_bank(self) -> int:
        return self.texture_bank // 2 if "half_textures" in self.ablations else self.texture_bank

    def to_dict(self) -> dict:
        data = asdict(self)
        data["randomizers"] = [e if isinstance(e, str) else json.loads(json.dumps(e)) for e in self.randomizers]
        data["ablations"] = list(self.ablations)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def digest(self, seed: int | None = None) -> str:
        """A short stable hash of these settings (and the run seed): the data set's name."""
        text = json.dumps({"settings": self.to_dict(), "seed": seed}, sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
