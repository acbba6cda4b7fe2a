"""User car models: find them in a folder and decide each one's KITTI class (no Blender here).

Any ``.glb``, ``.gltf``, ``.obj``, ``.fbx`` or ``.blend`` file under the folder
(recursively) is a model. Its class, in order of precedence:

1. a sidecar ``<model>.json`` (or ``.yaml``) next to it: ``{"class": "Van",
   "forward": "-y", "length": [4.6, 5.4]}`` (every key optional);
2. a ``README.md`` table in its folder with rows ``| a.glb, b.glb | Van |``;
3. the file name: ``van``/``delivery``/``ambulance`` → Van, ``truck``/``bus``/``lorry`` → Truck;
4. ``Car``.

``forward`` is the model's front direction in Blender's frame after import
(``+x``, ``-x``, ``+y``, ``-y``); by default ``-y`` (glTF, OBJ and FBX importers
turn a Y-up, +Z-forward asset into that), or ``+x`` when the model is longer in x.
Models are scaled to real sizes for their class (``SIZES``), length and width
separately, so the side view (round wheels) keeps its proportions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

EXTENSIONS = (".glb", ".gltf", ".obj", ".fbx", ".blend")
CLASSES = ("Car", "Van", "Truck")
FORWARDS = ("+x", "-x", "+y", "-y")
# class -> length range, width range, max height (metres); typical European/US vehicles
SIZES = {
    "Car": dict(length=(3.8, 4.9), width=(1.65, 1.95), max_height=1.8),
    "Van": dict(length=(4.6, 5.8), width=(1.8, 2.1), max_height=2.6),
    "Truck": dict(length=(6.5, 10.0), width=(2.3, 2.55), max_height=3.8),
}
_NAME_HINTS = (("Truck", ("truck", "lorry", "bus", "tractor")), ("Van", ("van", "delivery", "ambulance", "minibus")))


@dataclass(frozen=True)
class CarModel:
    path: str
    cls: str = "Car"
    forward: str | None = None  # None: decide from the mesh (see module doc)
    length: tuple[float, float] | None = None
    width: tuple[float, float] | None = None
    max_height: float | None = None

    @property
    def key(self) -> str:
        """A short stable name for labels and statistics: parent folder / file name."""
        path = Path(self.path)
        return f"{path.parent.name}/{path.name}"

    def size(self) -> dict:
        base = SIZES[self.cls]
        return dict(length=tuple(self.length or base["length"]), width=tuple(self.width or base["width"]),
                    max_height=self.max_height or base["max_height"])


def _readme_classes(folder: Path) -> dict[str, str]:
    readme = folder / "README.md"
    if not readme.is_file():
        return {}
    mapping = {}
    for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "|" not in line:
            continue
        cls = next((c for c in CLASSES if re.search(rf"\b{c}\b", cells[-1])), None)
        if cls is None:
            continue
        for name in re.split(r"[,\s]+", cells[0]):
            name = name.strip("`*")
            if name.lower().endswith(EXTENSIONS):
                mapping[name] = cls
    return mapping


def _sidecar(path: Path) -> dict:
    for suffix in (".json", ".yaml", ".yml"):
        side = path.with_suffix(suffix)
        if side.is_file():
            text = side.read_text(encoding="utf-8")
            data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
            if not isinstance(data, dict):
                raise ValueError(f"{side}: expected a mapping")
            return data
    return {}


def _name_class(path: Path) -> str:
    stem = path.stem.lower()
    for cls, words in _NAME_HINTS:
        if any(word in stem for word in words):
            return cls
    return "Car"


def find_models(folder: str | Path) -> list[CarModel]:
    """Every model under ``folder``, sorted by path (so indices are stable across machines)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"car model folder {folder} does not exist")
    models = []
    readmes: dict[Path, dict] = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file()):
        if path.parent not in readmes:
            readmes[path.parent] = _readme_classes(path.parent)
        side = _sidecar(path)
        cls = side.get("class") or readmes[path.parent].get(path.name) or _name_class(path)
        if cls not in CLASSES:
            raise ValueError(f"{path}: class {cls!r} is not one of {', '.join(CLASSES)}")
        forward = side.get("forward")
        if forward is not None and forward not in FORWARDS:
            raise ValueError(f"{path}: forward {forward!r} is not one of {', '.join(FORWARDS)}")
        models.append(CarModel(path=str(path.resolve()), cls=cls, forward=forward,
                               length=tuple(side["length"]) if "length" in side else None,
                               width=tuple(side["width"]) if "width" in side else None,
                               max_height=side.get("max_height")))
    if not models:
        raise FileNotFoundError(f"no car models ({', '.join(EXTENSIONS)}) under {folder}")
    return models


def summary(folder: str | Path | None) -> dict:
    """Class counts of a model folder, for reports (``{}`` without one)."""
    if not folder:
        return {}
    models = find_models(folder)
    return {"models": len(models), "by_class": {c: sum(m.cls == c for m in models) for c in CLASSES}}
