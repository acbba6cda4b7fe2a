"""A generation run described by a file (YAML or JSON): settings, randomizers and their parameters.

Every key is optional::

    n: 1000                 # images (the command line's --n wins)
    seed: 0                 # run seed (--seed wins)
    out: datasets/my-run    # default: datasets/<file stem>-<hash of settings and seed>
    max_failures: 10        # images that may fail (skipped, recorded) before the run stops
    workers: 1              # long-lived render processes
    width: 1242             # ... any Settings field (see settings.py), e.g.
    texture_bank: 8000
    ablations: [no_light_variation]   # or a mapping {no_light_variation: true, ...}
    randomizers:
      - camera
      - {name: cars, params: {max_cars: 10, lane_share: 0.8}}
      - {name: my_pkg.fog:Fog, params: {density: 0.05}}

Types and ranges of the settings are checked here (no Blender needed);
randomizer parameters are checked by the worker before the first image,
because checking them means importing the randomizers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from drbench.generate.api import ConfigError, normalise_entry
from drbench.generate.settings import Settings

RUN_KEYS = {"n", "seed", "out", "max_failures", "workers"}


def _format(path, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "(top level)"
        problems.append(f"{field}: {item['msg']}")
    return f"{path}: " + "; ".join(problems)


def settings_from_mapping(data: dict, where: str = "<config>") -> Settings:
    """Validated Settings from a plain mapping (the config file minus its run keys)."""
    data = dict(data)
    if isinstance(data.get("ablations"), dict):
        data["ablations"] = [name for name, on in data["ablations"].items() if on]
    if "randomizers" in data:
        try:
            data["randomizers"] = [normalise_entry(e) for e in data["randomizers"]]
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None
    unknown = set(data) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(set(Settings.__dataclass_fields__) | RUN_KEYS))})")
    try:
        return TypeAdapter(Settings).validate_python(data)
    except ValidationError as error:
        raise ConfigError(_format(where, error)) from None


def load_generation_config(path: str | os.PathLike) -> tuple[Settings, dict]:
    """(settings, run options) from a YAML or JSON file; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no config file {path}")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {error}")
    data = data or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    run = {key: data.pop(key) for key in RUN_KEYS & set(data)}
    for key in ("n", "seed", "workers"):
        if key in run and not isinstance(run[key], int):
            raise ConfigError(f"{path}: {key} must be an integer, got {run[key]!r}")
    if run.get("max_failures") is not None and not isinstance(run["max_failures"], int):
        raise ConfigError(f"{path}: max_failures must be an integer, got {run['max_failures']!r}")
    for key in ("texture_dir", "background_dir", "car_models_dir"):  # relative to the config file
        if data.get(key) and not Path(data[key]).is_absolute():
            data[key] = str((path.parent / data[key]).resolve())
    if "randomizers" in data:  # file references relative to the config file too
        data["randomizers"] = [_relative_ref(e, path.parent) for e in data["randomizers"] or []]
    return settings_from_mapping(data, str(path)), run


def _relative_ref(entry, base: Path):
    name = entry if isinstance(entry, str) else entry.get("name", "") if isinstance(entry, dict) else ""
    target, sep, attribute = str(name).rpartition(":")
    if sep and target.endswith(".py") and not Path(target).is_absolute() and (base / target).is_file():
        fixed = f"{(base / target).resolve()}:{attribute}"
        return fixed if isinstance(entry, str) else {**entry, "name": fixed}
    return entry


def default_out_dir(config_path: str | os.PathLike, settings: Settings, seed: int) -> Path:
    """Where a config's data set goes by default: named by the config and its hash."""
    return Path("datasets") / f"{Path(config_path).stem}-{settings.digest(seed)}"
