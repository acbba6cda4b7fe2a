"""Scored JSON entries under ``leaderboards/``: checked before written, written atomically.

Like an MLPerf submission checker, ``validate`` rejects an entry that lacks
scores, intervals, settings, seeds or provenance, so a broken run can never
land a half-filled result on the board. Each entry carries a SHA-256 of its
own content; a hand-edited (or torn) file no longer matches and is rejected.

Schema version 2 adds the training data (its config hash and label
fingerprint), the devkit's PR curve points and a contact-sheet thumbnail;
sealed version-1 entries stay valid.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import jsonschema

from drbench.io import write_bytes_atomic, write_json_atomic

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "leaderboard_entry.schema.json"
SCHEMA_VERSION = 3  # what new entries are written as
HASH_KEY = "content_sha256"
CURVE_TOLERANCE = 0.01  # AP points: the stored curves must reproduce the stored AP40


class EntryError(ValueError):
    """A leaderboard entry that fails the schema; names the file when there is one."""


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def content_hash(entry: dict) -> str:
    """SHA-256 of the entry's canonical JSON, without the hash field itself."""
    body = {k: v for k, v in entry.items() if k != HASH_KEY}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def validate(entry: dict, where: str = "<entry>") -> dict:
    """Schema check, then the content hash (when present) must match the content."""
    try:
        jsonschema.validate(entry, schema())
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "<root>"
        # an anyOf failure would print the whole entry: name what each alternative lacks instead
        message = " or ".join(sorted({e.message for e in exc.context})) if exc.context else exc.message
        raise EntryError(f"{where}: invalid leaderboard entry at {path}: {message}") from None
    for iou, levels in entry.get("pr_curves", {}).items():
        for level, points in levels.items():
            from_curve = 100.0 * sum(precision for _recall, precision in points[1:]) / (len(points) - 1)
            stored = entry["scores"].get(iou, {}).get(level, {}).get("ap40")
            if stored is None or abs(from_curve - stored) > CURVE_TOLERANCE:
                raise EntryError(f"{where}: pr_curves/{iou}/{level} gives AP40 {from_curve:.2f} but "
                                 f"scores/{iou}/{level} holds {stored}: curves and scores disagree")
    if HASH_KEY in entry and entry[HASH_KEY] != content_hash(entry):
        raise EntryError(f"{where}: {HASH_KEY} does not match the content: the entry was edited "
                         "by hand or corrupted; re-run its protocol to regenerate it")
    return entry


def write_entry(entry: dict, board_dir: Path) -> Path:
    """Validate, seal with the content hash, write atomically as ``<run_id>.json``."""
    entry = {k: v for k, v in entry.items() if k != HASH_KEY}
    validate(entry)
    entry[HASH_KEY] = content_hash(entry)
    return write_json_atomic(Path(board_dir) / f"{entry['run_id']}.json", entry)


REFERENCE_PREFIX = "baseline-"  # baseline-<profile>.json: regression references, not board entries


def read_entry(path: Path) -> dict:
    """One entry file, checked; a file that is not JSON or fails the check raises EntryError naming it."""
    try:
        entry = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise EntryError(f"{path}: not JSON: {exc}") from None
    return validate(entry, where=str(path))


def read_entries(board_dir: Path) -> list[dict]:
    """Every valid entry (references excluded); an invalid file raises EntryError naming it."""
    return [read_entry(path) for path in sorted(Path(board_dir).glob("*.json"))
            if not path.name.startswith(REFERENCE_PREFIX)]


def pr_curves(evaluation: dict) -> dict:
    """The leaderboard's view of the devkit's curves: [recall, precision] at its 41 sample points."""
    return {
        iou: {level: [[k / (len(result["precision"]) - 1), round(precision, 6)]
                      for k, precision in enumerate(result["precision"])]
              for level, result in levels.items()}
        for iou, levels in evaluation["results"].items()
    }


def dataset_record(kind: str, config_hash: str, fingerprint: dict, frames: list[str] | None = None,
                   **extra) -> dict:
    """What an arm trained on: its config hash and the label fingerprint of exactly those frames.

    ``fingerprint`` is the caller's ``drbench.generate.stats.fingerprint`` of the training folder
    (limited to ``frames`` when given); its local ``dir`` is left out, meaningless on another machine.
    """
    stats = {key: value for key, value in fingerprint.items() if key != "dir"}
    return {"kind": kind, "config_hash": config_hash, "n_images": stats["images"], **extra,
            **({"frames": sorted(frames)} if frames is not None else {}), "fingerprint": stats}


THUMBNAIL_SHEET = {"n": 4, "columns": 2, "tile_width": 200}  # a board thumbnail's contact-sheet layout


def save_thumbnail(jpeg: Path, board_dir: Path, name: str) -> str:
    """Copy a JPEG contact sheet of DR training data under ``board_dir/thumbs``; its relative path.

    The caller renders the sheet (``THUMBNAIL_SHEET`` layout). Only for generated data: real
    KITTI frames may not be redistributed on the board.
    """
    relative = f"thumbs/{name}.jpg"
    write_bytes_atomic(Path(board_dir) / relative, Path(jpeg).read_bytes())
    return relative
