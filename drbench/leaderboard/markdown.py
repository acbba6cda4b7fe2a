"""The board as a Markdown table (``drbench leaderboard --markdown``), e.g. leaderboards/README.md."""

from __future__ import annotations

from drbench.leaderboard.ranking import ranked


def _cell(result: dict) -> str:
    low, high = result["ap40_ci95"]
    return f"{result['ap40']:.1f} [{low:.1f}, {high:.1f}]"


def render_markdown(entries: list[dict]) -> str:
    """The ranked board as a Markdown table with 95 % intervals."""
    lines = [
        "| rank | run | protocol | profile | detector | trained on | AP40@0.5 easy | "
        "AP40@0.5 moderate | AP40@0.7 easy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rank, e in enumerate(ranked(entries), start=1):
        s = e["scores"]
        lines.append(f"| {rank} | {e['run_id']} | {e['protocol']} | {e['profile']} | "
                     f"{e['detector']} | {e['trained_on']} | {_cell(s['0.5']['easy'])} | "
                     f"{_cell(s['0.5']['moderate'])} | {_cell(s['0.7']['easy'])} |")
    return "\n".join(lines) + "\n"
