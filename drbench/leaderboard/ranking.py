"""The board's rows and order: one row per scored model, ranked per test split, best AP40 at 0.5 easy first.

Markdown, the HTML page and ``drbench leaderboard``'s terminal table all rank through
``ranked_by_split``: scores of different splits are never ranked against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table

HEADLINE = ("0.5", "easy")  # the ranking cell (IoU, level), the one comparisons say in words
SHORT_VERDICT = {"better": "better", "worse": "worse", "not distinguishable": "n.d."}


@dataclass(frozen=True)
class BoardRow:
    """One distinct scored model: ``entry`` stands for the entries of every protocol in ``protocols``."""

    entry: dict
    protocols: tuple[str, ...]


def distinct_models(entries: list[dict]) -> list[BoardRow]:
    """``entries`` with each scored model once, in the order each model first appears.

    Entries are the same scored model when their ``steps`` records (train, predict and
    evaluate keys) and test splits are equal: e.g. the dr arm of dr-only and of fine-tune.
    Such a row lists every protocol it serves (sorted) and keeps the entry whose run id
    sorts first. Entries without ``steps`` (seed aggregates, schema v1) are rows of their own.
    """
    groups: dict[object, list[dict]] = {}
    for index, entry in enumerate(entries):
        steps = entry.get("steps")
        key = (entry["test_split"], tuple(sorted(steps.items()))) if steps else index
        groups.setdefault(key, []).append(entry)
    return [BoardRow(min(group, key=lambda e: e["run_id"]), tuple(sorted({e["protocol"] for e in group})))
            for group in groups.values()]


def ranked_by_split(entries: list[dict]) -> dict[str, list[BoardRow]]:
    """Test split (sorted) -> its distinct models best first by AP40 at IoU 0.5, easy (ties keep their order)."""
    splits: dict[str, list[BoardRow]] = {}
    for row in distinct_models(entries):
        splits.setdefault(row.entry["test_split"], []).append(row)
    return {split: sorted(splits[split], key=lambda row: -row.entry["scores"]["0.5"]["easy"]["ap40"])
            for split in sorted(splits)}


def other_splits(entry: dict) -> list[str]:
    """The entry's ``scores_by_split`` as labelled text, one line per split: shown beside, never ranked."""
    lines = []
    for split, result in sorted(entry.get("scores_by_split", {}).items()):
        s = result["scores"]
        lines.append(f"{split} ({result['n_frames']} frames, not ranked): "
                     f"0.5 easy {s['0.5']['easy']['ap40']:.1f} · 0.5 moderate {s['0.5']['moderate']['ap40']:.1f}"
                     f" · 0.7 easy {s['0.7']['easy']['ap40']:.1f}")
    return lines


def delta_text(stored: dict) -> str:
    """A stored comparison with the baseline (``baseline_deltas``) at the ranking cell: delta, its
    interval, the verdict and the split it rests on."""
    iou, level = HEADLINE
    cell = stored["results"][iou][level]["ap40"]
    low, high = cell["ci95"]
    return (f"{cell['delta']:+.1f} [{low:.1f}, {high:.1f}] {SHORT_VERDICT[cell['verdict']]} "
            f"({stored['split']})")


def ranking_table(entries: list[dict], deltas: dict[str, dict] | None = None) -> Group:
    """The ranked board for the terminal, one table per test split: AP40 at 0.5 easy, 0.5 moderate, 0.7 easy.

    Other splits' scores of an entry are listed under its table, never in the ranked columns; with
    ``deltas`` (stored comparisons with the baseline, by run id) each row's paired delta is listed too.
    """
    deltas = deltas or {}
    tables = []
    for split, rows in ranked_by_split(entries).items():
        notes = [f"{row.entry['run_id']} on {line}" for row in rows for line in other_splits(row.entry)]
        notes += [f"{row.entry['run_id']} vs baseline (paired, 0.5 easy): {delta_text(deltas[row.entry['run_id']])}"
                  for row in rows if row.entry["run_id"] in deltas]
        table = Table(title=f"drbench leaderboard (AP40 on {split})", caption="\n".join(notes) or None)
        for column in ("run", "protocols", "detector", "trained on", "0.5 easy", "0.5 mod", "0.7 easy"):
            table.add_column(column)
        for row in rows:
            e, s = row.entry, row.entry["scores"]
            table.add_row(e["run_id"], ", ".join(row.protocols), e["detector"], e["trained_on"],
                          f"{s['0.5']['easy']['ap40']:.1f}", f"{s['0.5']['moderate']['ap40']:.1f}",
                          f"{s['0.7']['easy']['ap40']:.1f}")
        tables.append(table)
    return Group(*tables)
