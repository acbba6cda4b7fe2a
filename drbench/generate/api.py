"""The randomizer API: what a user-submitted randomization axis looks like, and how it is found.

A randomizer is a small pydantic model: its fields are its typed parameters
(defaults and ranges included) and ``sample(ctx, rng)`` changes the scene
context using only the numpy ``Generator`` it is handed::

    from typing import Annotated
    from drbench.generate.api import Randomizer, Range

    class Fog(Randomizer):
        name = "fog"
        density: Annotated[float, Range(0.0, 0.2)] = 0.02

        def sample(self, ctx, rng):
            ...  # ctx.scene, ctx.cars, ctx.camera ... (see scene.SceneContext)

or a function with keyword-only parameters, decorated::

    @randomizer("fog")
    def fog(ctx, rng, *, density: Annotated[float, Range(0.0, 0.2)] = 0.02): ...

A parameter pair ``min_x``/``max_x`` must satisfy ``min_x <= max_x``. A plain
``(ctx, rng)`` function without parameters is accepted as it is.

References (in a config file, ``Settings.randomizers`` or ``--randomizer``):
a built-in name (``cars``), an entry point name (group ``drbench.randomizers``),
``package.module:Name`` or ``path/to/file.py:Name``.

This module does not import Blender; resolving a built-in or a user randomizer
imports its module, which usually does, so only the render worker resolves.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

ENTRY_POINT_GROUP = "drbench.randomizers"

# Built-in axes as lazy references (the module imports Blender): the paper's, in their default
# order (settings.DEFAULT_RANDOMIZERS), then drbench's additions, which a run adds by name.
BUILTINS: dict[str, str] = {
    "camera": "drbench.generate.randomizers:Camera",
    "cars": "drbench.generate.randomizers:Cars",
    "hard_negatives": "drbench.generate.randomizers:HardNegatives",
    "distractors": "drbench.generate.randomizers:Distractors",
    "textures": "drbench.generate.randomizers:Textures",
    "lights": "drbench.generate.randomizers:Lights",
    "background": "drbench.generate.randomizers:Background",
    "road_scene": "drbench.generate.randomizers:RoadScene",
    "sensor": "drbench.generate.randomizers:Sensor",
    "hdri": "drbench.generate.randomizers:Hdri",
    "clutter": "drbench.generate.randomizers:Clutter",
}


def Range(low: float | None = None, high: float | None = None, **kwargs: Any) -> Any:
    """A closed range for a parameter: ``Annotated[float, Range(0, 1)]``."""
    return Field(ge=low, le=high, **kwargs)


class RandomizerError(RuntimeError):
    """A randomizer raised, hung or left invalid values; names the randomizer and the image."""

    def __init__(self, randomizer: str, index: int | None, problem: str) -> None:
        self.randomizer, self.index, self.problem = randomizer, index, problem
        where = f" on image {index}" if index is not None else ""
        super().__init__(f"randomizer {randomizer!r}{where}: {problem}")


class ConfigError(ValueError):
    """A bad randomizer reference or parameter; the message names the randomizer and the field."""


class Randomizer(BaseModel):
    """Base class of every randomization axis: parameters are fields, ``sample`` draws.

    ``name`` names the axis (and its random stream, see seeds.py). ``sample`` must
    draw only from ``rng`` so that runs are reproducible and ablations independent.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    name: ClassVar[str] = ""

    def sample(self, ctx, rng) -> None:  # pragma: no cover - the interface
        raise NotImplementedError

    @model_validator(mode="after")
    def _ordered_ranges(self):
        values = self.__dict__
        for key, low in values.items():
            if key.startswith("min_") and f"max_{key[4:]}" in values:
                high = values[f"max_{key[4:]}"]
                if low is not None and high is not None and low > high:
                    raise ValueError(f"{key} ({low}) must not exceed max_{key[4:]} ({high})")
        return self


def randomizer(name: str | None = None) -> Callable[[Callable], type[Randomizer]]:
    """Decorator: a function ``(ctx, rng, *, param: type = default, ...)`` becomes a Randomizer class."""

    def wrap(function: Callable) -> type[Randomizer]:
        return _from_function(function, name or function.__name__)

    return wrap


def _from_function(function: Callable, name: str) -> type[Randomizer]:
    fields = {}
    for parameter in list(inspect.signature(function).parameters.values())[2:]:
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"randomizer {name!r}: parameter {parameter.name!r} must be keyword-only "
                            "(put it after a bare *)")
        annotation = parameter.annotation if parameter.annotation is not inspect.Parameter.empty else Any
        default = parameter.default if parameter.default is not inspect.Parameter.empty else ...
        fields[parameter.name] = (annotation, default)

    def sample(self, ctx, rng) -> None:
        function(ctx, rng, **{key: getattr(self, key) for key in fields})

    cls = create_model(f"{function.__name__}_randomizer", __base__=Randomizer, __module__=function.__module__,
                       __doc__=function.__doc__, **fields)
    cls.name = name
    cls.sample = sample
    cls.function = staticmethod(function)
    return cls


def _load_file(path: Path):
    key = "drbench_user_randomizers_" + hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
    return module


def _entry_points() -> dict[str, metadata.EntryPoint]:
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def known() -> list[str]:
    """Names usable without a module path: built-ins, then installed entry points."""
    return list(BUILTINS) + sorted(set(_entry_points()) - set(BUILTINS))


def _as_class(obj: Any, ref: str) -> type[Randomizer]:
    if isinstance(obj, type) and issubclass(obj, Randomizer):
        if not obj.name:
            obj.name = ref
        return obj
    if callable(obj):
        if len(inspect.signature(obj).parameters) < 2:
            raise ConfigError(f"randomizer {ref!r} must take (ctx, rng, *, params...)")
        return _from_function(obj, ref)  # an undecorated function: its stream is named by the reference
    raise ConfigError(f"randomizer {ref!r} is neither a Randomizer class nor a function")


@functools.lru_cache(maxsize=None)
def resolve(ref: str) -> type[Randomizer]:
    """The Randomizer class a reference names (imports its module)."""
    if ref in BUILTINS:
        ref_to_load = BUILTINS[ref]
    elif ref in (points := _entry_points()):
        return _as_class(points[ref].load(), ref)
    elif ":" in ref:
        ref_to_load = ref
    else:
        raise ConfigError(f"unknown randomizer {ref!r} (known: {', '.join(known())}; "
                          "or package.module:Name, or path/to/file.py:Name)")
    target, _, attribute = ref_to_load.rpartition(":")
    try:
        if target.endswith(".py"):
            path = Path(target)
            if not path.is_file():
                raise ConfigError(f"randomizer {ref!r}: no file {path}")
            module = _load_file(path)
        else:
            module = importlib.import_module(target)
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(f"randomizer {ref!r}: cannot import {target}: {type(error).__name__}: {error}") from error
    if not hasattr(module, attribute):
        raise ConfigError(f"randomizer {ref!r}: {target} has no {attribute!r}")
    cls = _as_class(getattr(module, attribute), ref)
    if ref in BUILTINS:
        cls.name = ref
    return cls


def normalise_entry(entry: str | dict) -> dict:
    """``"cars"`` or ``{"name": "cars", "params": {...}, "id": ...}`` → the dict form."""
    if isinstance(entry, str):
        return {"name": entry, "params": {}}
    if not isinstance(entry, dict) or "name" not in entry:
        raise ConfigError(f"a randomizer entry is a name or a mapping with 'name' (and 'params'), got {entry!r}")
    unknown = set(entry) - {"name", "params", "id"}
    if unknown:
        raise ConfigError(f"randomizer {entry['name']!r}: unknown keys {sorted(unknown)} (use name, params, id)")
    out = {"name": str(entry["name"]), "params": dict(entry.get("params") or {})}
    if entry.get("id"):
        out["id"] = str(entry["id"])
    return out


def _stream_key(entry: str | dict) -> str:
    entry = normalise_entry(entry)
    return entry.get("id") or entry["name"]


def with_randomizers(base, extra) -> list:
    """``base`` with ``extra`` added in order; an entry naming one already in ``base`` (same name,
    or the same ``id``) takes its place there, so a submission can re-parameterise a baseline axis
    (``drbench submit cars`` with ``lane_share: 0``) instead of running it twice."""
    merged = list(base)
    keys = [_stream_key(entry) for entry in merged]
    for entry in extra:
        key = _stream_key(entry)
        if key in keys:
            merged[keys.index(key)] = entry
        else:
            merged.append(entry)
            keys.append(key)
    return merged


def _format_validation(ref: str, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "(parameters)"
        problems.append(f"parameter {field!r}: {item['msg']}" + (f" (got {item['input']!r})"
                                                                   if "input" in item and item["loc"] else ""))
    return f"randomizer {ref!r}: " + "; ".join(problems)


def instantiate(entries) -> list[tuple[str, Randomizer]]:
    """(stream name, validated instance) per entry; raises ConfigError naming randomizer and field."""
    built, seen = [], {}
    for raw in entries:
        entry = normalise_entry(raw)
        cls = resolve(entry["name"])
        try:
            instance = cls(**entry["params"])
        except ValidationError as error:
            raise ConfigError(_format_validation(entry["name"], error)) from None
        stream = entry.get("id") or cls.name or entry["name"]
        if stream in seen:
            raise ConfigError(f"randomizers {seen[stream]!r} and {entry['name']!r} share the name {stream!r}; "
                              "give one an 'id'")
        seen[stream] = entry["name"]
        built.append((stream, instance))
    return built
