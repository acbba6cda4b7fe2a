"""The board's order, best AP40 at IoU 0.5 easy first, and the terminal table in that order.

Markdown, the HTML page and ``drbench leaderboard``'s table all rank through ``ranked``.
"""

from __future__ import annotations

from rich.table import Table


def ranked(entries: list[dict]) -> list[dict]:
    """``entries`` best first by AP40 at IoU 0.5, easy (ties keep their order)."""
    return sorted(entries, key=lambda e: -e["scores"]["0.5"]["easy"]["ap40"])


def ranking_table(entries: list[dict]) -> Table:
    """The ranked board for the terminal: AP40 at 0.5 easy, 0.5 moderate and 0.7 easy."""
    table = Table(title="drbench leaderboard (AP40 on real-test)")
    for column in ("run", "protocol", "detector", "trained on", "0.5 easy", "0.5 mod", "0.7 easy"):
        table.add_column(column)
    for e in ranked(entries):
        s = e["scores"]
        table.add_row(e["run_id"], e["protocol"], e["detector"], e["trained_on"],
                      f"{s['0.5']['easy']['ap40']:.1f}", f"{s['0.5']['moderate']['ap40']:.1f}",
                      f"{s['0.7']['easy']['ap40']:.1f}")
    return table
