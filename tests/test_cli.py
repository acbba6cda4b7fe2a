"""The command line: help that explains every stage, clear errors on bad input."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from drbench.cli import COMMANDS, build_parser, main
from drbench.paths import REPO_ROOT


def test_help_names_every_subcommand():
    text = build_parser().format_help()
    for command in ("generate", "train", "predict", "eval", "all", "leaderboard"):
        assert f"  {command}" in text
    assert "leaderboard (board)" in text, "board stays an alias of leaderboard"


def test_console_script_runs():
    done = subprocess.run([sys.executable, "-m", "drbench.cli", "all", "--help"],
                          capture_output=True, text=True, check=True)
    assert "--profile" in done.stdout and "leaderboards" in done.stdout


def test_bad_kitti_root_is_a_clear_error(tmp_path, capsys):
    code = main(["eval", "--gt", str(tmp_path / "missing"), "--pred", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 2 and "missing" in out and "KITTI" in out


def test_malformed_prediction_names_file_and_line(tmp_path, capsys):
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / "000050.txt").write_text("Car 0 0 0 1 2 3\n")
    code = main(["eval", "--pred", str(pred), "--bootstrap", "5"])
    out = capsys.readouterr().out.replace("\n", "")
    assert code == 2 and "000050.txt:1" in out


def test_every_command_in_the_table_parses_to_its_handler():
    parser = build_parser()
    required = {"train": ["--data", "d", "--work-dir", "w"], "predict": ["--images", "i", "--out", "o",
                "--checkpoint", "c"], "eval": ["--pred", "p"], "stats": ["d"], "run": ["dr-only"],
                "regress": ["--baseline", "b"], "submit": ["fog.py:Fog"],
                "compare": ["a", "b"], "errors": ["e"]}
    for command in COMMANDS:
        for name in (command.name, *command.aliases):
            assert parser.parse_args([name, *required.get(command.name, [])]).handler is command.handler


def test_board_renders_the_committed_entries_to_the_committed_pages(tmp_path, capsys):
    board = shutil.copytree(REPO_ROOT / "leaderboards", tmp_path / "leaderboards")
    pages = ("README.md", "index.html", "REPRODUCTION.md")
    for page in pages:
        (board / page).unlink()
    shutil.rmtree(board / "reproduction")
    assert main(["board", "--board-dir", str(board), "--markdown", str(board / "README.md")]) == 0
    for page in pages:
        assert (board / page).read_text() == (REPO_ROOT / "leaderboards" / page).read_text(), page
    charts = sorted(p.name for p in (REPO_ROOT / "leaderboards" / "reproduction").iterdir())
    assert charts and sorted(p.name for p in (board / "reproduction").iterdir()) == charts
    assert "drbench leaderboard (AP40 on real-test)" in capsys.readouterr().out, "the ranked table"
    markdown = (board / "README.md").read_text()
    # dr-only's and fine-tune's dr arm share train, predict and evaluate steps: one scored model, one row
    shared = re.search(r"\| \d+ \| dr-only-dr-smoke-([0-9a-f]{8}) \| dr-only, fine-tune \| smoke \|", markdown)
    assert shared and (board / f"fine-tune-dr-smoke-{shared[1]}.json").is_file()
    assert f"fine-tune-dr-smoke-{shared[1]}" not in markdown


def test_protocols_lists_the_registry_and_run_accepts_only_its_names(capsys):
    from drbench.protocols import registry

    assert main(["protocols"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in registry()), "every registered protocol is listed"
    assert build_parser().parse_args(["run", "dr-only"]).protocol == "dr-only"
    done = subprocess.run([sys.executable, "-m", "drbench.cli", "run", "no-such-protocol"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr and "fine-tune" in done.stderr


@pytest.mark.slow
def test_all_prints_a_short_quiet_report_that_fits_80_columns(tmp_path, root):
    """The main command as a new user sees it: plan, results and summary, no mmengine dump."""
    done = subprocess.run(
        [sys.executable, "-m", "drbench.cli", "all", "--profile", "tiny", "--kitti-root", str(root),
         "--runs-dir", str(tmp_path / "runs"), "--board-dir", str(tmp_path / "board")],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"}, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) < 60, "\n".join(lines)
    assert max(len(line) for line in lines) <= 80, "\n".join(line for line in lines if len(line) > 80)
    text = "\n".join(lines)
    for dump in ("System environment", "model = dict(", "Config:", "GPU number"):
        assert dump not in text, f"mmengine's {dump!r} reached the terminal"
    assert "training log: " in text and (tmp_path / "board" / "index.html").is_file()
    assert "tiny proves that the whole path works" in text and "tox -e smoke" in text
