"""One order for every view of the board: best AP40 at IoU 0.5 easy first."""

import copy

from rich.console import Console

from board_entries import ENTRY
from drbench.leaderboard.ranking import ranked, ranking_table


def _entry(run_id: str, ap40_easy: float, ap40_moderate: float = 8.0) -> dict:
    entry = copy.deepcopy(ENTRY)
    entry["run_id"] = run_id
    entry["scores"]["0.5"]["easy"]["ap40"] = ap40_easy
    entry["scores"]["0.5"]["moderate"]["ap40"] = ap40_moderate
    return entry


def test_ranked_orders_by_ap40_at_05_easy_and_keeps_ties_in_order():
    entries = [_entry("low", 10.0, ap40_moderate=90.0), _entry("high", 60.0), _entry("tie", 10.0)]
    assert [e["run_id"] for e in ranked(entries)] == ["high", "low", "tie"]


def test_terminal_table_lists_the_ranked_entries():
    console = Console(record=True, width=200)
    console.print(ranking_table([_entry("run-low", 10.0), _entry("run-high", 60.0)]))
    text = console.export_text()
    assert "drbench leaderboard (AP40 on real-test)" in text
    assert text.index("run-high") < text.index("run-low")
    high_row = next(line for line in text.splitlines() if "run-high" in line)
    assert "60.0" in high_row and "8.0" in high_row and "dr:32" in high_row
