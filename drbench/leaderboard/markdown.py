"""The board as Markdown (``drbench leaderboard --markdown``), e.g. leaderboards/README.md."""

from __future__ import annotations

from drbench.leaderboard.ranking import BoardRow, delta_text, other_splits, ranked_by_split


def _cell(result: dict) -> str:
    low, high = result["ap40_ci95"]
    return f"{result['ap40']:.1f} [{low:.1f}, {high:.1f}]"


def _table(rows: list[BoardRow], deltas: dict[str, dict]) -> list[str]:
    lines = [
        "| rank | run | protocols | profile | detector | trained on | AP40@0.5 easy | "
        "AP40@0.5 moderate | AP40@0.7 easy | vs baseline (paired, 0.5 easy) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rank, row in enumerate(rows, start=1):
        e, s = row.entry, row.entry["scores"]
        delta = delta_text(deltas[e["run_id"]]) if e["run_id"] in deltas else "–"
        lines.append(f"| {rank} | {e['run_id']} | {', '.join(row.protocols)} | {e['profile']} | "
                     f"{e['detector']} | {e['trained_on']} | {_cell(s['0.5']['easy'])} | "
                     f"{_cell(s['0.5']['moderate'])} | {_cell(s['0.7']['easy'])} | {delta} |")
    notes = [f"- {row.entry['run_id']} on {line}" for row in rows for line in other_splits(row.entry)]
    return lines + ([""] + notes if notes else [])


INTRO = ("One row per scored model (entries with equal train, predict and evaluate steps share a row "
         "listing their protocols), ranked by AP40 at IoU 0.5, easy, within each test split. "
         "*vs baseline*: AP40@0.5 easy minus the profile's baseline entry's, by a paired bootstrap on the "
         "same frames (split named; stored in `comparisons/`), with its 95 % interval and verdict "
         "(n.d.: not distinguishable).")


def render_markdown(entries: list[dict], deltas: dict[str, dict] | None = None) -> str:
    """The intro, then one ranked table with 95 % intervals per test split, under a heading naming it.

    ``deltas``: stored comparisons with the profile's baseline by run id (``baseline_deltas``).
    """
    sections = [[f"## AP40 on {split}", "", *_table(rows, deltas or {})]
                for split, rows in ranked_by_split(entries).items()]
    return "\n\n".join([INTRO, *("\n".join(section) for section in sections)]) + "\n"
