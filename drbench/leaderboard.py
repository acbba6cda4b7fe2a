"""Scored JSON entries under ``leaderboards/``: checked before written, written atomically.

Like an MLPerf submission checker, ``validate`` rejects an entry that lacks
scores, intervals, settings, seeds or provenance, so a broken run can never
land a half-filled result on the board. Each entry carries a SHA-256 of its
own content; a hand-edited (or torn) file no longer matches and is rejected.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import jsonschema

from drbench.io import write_json_atomic

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "leaderboard_entry.schema.json"
HASH_KEY = "content_sha256"


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
        raise EntryError(f"{where}: invalid leaderboard entry at {path}: {exc.message}") from None
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


def read_entries(board_dir: Path) -> list[dict]:
    """Every valid entry; an invalid file raises EntryError naming it."""
    entries = []
    for path in sorted(Path(board_dir).glob("*.json")):
        try:
            entry = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise EntryError(f"{path}: not JSON: {exc}") from None
        entries.append(validate(entry, where=str(path)))
    return entries


def render_markdown(entries: list[dict]) -> str:
    """The board as a Markdown table, best AP@0.5 easy first, with 95 % intervals."""
    def cell(result: dict) -> str:
        low, high = result["ap40_ci95"]
        return f"{result['ap40']:.1f} [{low:.1f}, {high:.1f}]"

    ranked = sorted(entries, key=lambda e: -e["scores"]["0.5"]["easy"]["ap40"])
    lines = [
        "| rank | run | protocol | profile | detector | trained on | AP40@0.5 easy | "
        "AP40@0.5 moderate | AP40@0.7 easy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rank, e in enumerate(ranked, start=1):
        s = e["scores"]
        lines.append(f"| {rank} | {e['run_id']} | {e['protocol']} | {e['profile']} | "
                     f"{e['detector']} | {e['trained_on']} | {cell(s['0.5']['easy'])} | "
                     f"{cell(s['0.5']['moderate'])} | {cell(s['0.7']['easy'])} |")
    return "\n".join(lines) + "\n"
