"""The Markdown board: ranked, with each AP's 95 % interval."""

import copy

from board_entries import ENTRY
from drbench.leaderboard.markdown import render_markdown


def test_markdown_ranks_by_ap_at_05_easy():
    better = copy.deepcopy(ENTRY)
    better["run_id"] = "dr-only-cpu-better"
    better["scores"]["0.5"]["easy"]["ap40"] = 40.0
    table = render_markdown([ENTRY, better]).splitlines()
    assert table[2].startswith("| 1 | dr-only-cpu-better") and "40.0 [4.0, 12.0]" in table[2]
    assert table[3].startswith("| 2 | dr-only-smoke-abc123")
