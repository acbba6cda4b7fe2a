"""The command line: help that explains every stage, clear errors on bad input."""

import shutil
import subprocess
import sys

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
                "regress": ["--baseline", "b"], "submit": ["fog.py:Fog"]}
    for command in COMMANDS:
        for name in (command.name, *command.aliases):
            assert parser.parse_args([name, *required.get(command.name, [])]).handler is command.handler


def test_board_renders_the_committed_entries_to_the_committed_pages(tmp_path, capsys):
    board = shutil.copytree(REPO_ROOT / "leaderboards", tmp_path / "leaderboards")
    (board / "README.md").unlink()
    (board / "index.html").unlink()
    assert main(["board", "--board-dir", str(board), "--markdown", str(board / "README.md")]) == 0
    for page in ("README.md", "index.html"):
        assert (board / page).read_text() == (REPO_ROOT / "leaderboards" / page).read_text(), page
    assert "drbench leaderboard (AP40 on real-test)" in capsys.readouterr().out, "the ranked table"
