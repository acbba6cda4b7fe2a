"""Provenance: the git commit comes from the checkout, or inside a Docker image (no .git) from the
commit docker/build.sh recorded at build time."""

import subprocess

from drbench import provenance
from drbench.paths import REPO_ROOT


def test_a_checkout_reports_its_own_head_even_when_the_image_variable_is_set(monkeypatch):
    monkeypatch.setenv(provenance.COMMIT_ENV, "0" * 40)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    found = provenance.git_commit()
    assert found["commit"] == head and isinstance(found["dirty"], bool) and "source" not in found


def test_without_git_the_commit_recorded_at_build_time_is_used(monkeypatch, tmp_path):
    """What an image sees: a copy of the tree without .git, and the build's commit in the environment."""
    monkeypatch.setenv(provenance.COMMIT_ENV, "a1b2c3" * 6 + "d4e5")
    monkeypatch.setenv(provenance.DIRTY_ENV, "false")
    found = provenance.git_commit(tmp_path)
    assert found["commit"] == "a1b2c3" * 6 + "d4e5" and found["dirty"] is False
    assert "DRBENCH_GIT_COMMIT" in found["source"]
    monkeypatch.setenv(provenance.DIRTY_ENV, "")
    assert provenance.git_commit(tmp_path)["dirty"] is None, "unknown, not guessed"


def test_without_git_or_a_recorded_commit_it_says_unknown(monkeypatch, tmp_path):
    monkeypatch.delenv(provenance.COMMIT_ENV, raising=False)
    assert provenance.git_commit(tmp_path) == {"commit": "unknown", "dirty": None}


def test_only_changes_outside_the_board_folder_make_a_tree_dirty(tmp_path):
    """A run's own entries (untracked until committed) leave it clean; an edited module does not."""
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                       check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "module.py").write_text("x = 1\n")
    (tmp_path / "leaderboards").mkdir()
    (tmp_path / "leaderboards" / "README.md").write_text("board\n")
    git("add", "-A")
    git("commit", "-qm", "start")
    assert provenance.git_commit(tmp_path)["dirty"] is False
    (tmp_path / "leaderboards" / "dr-only-dr-cpu-0.json").write_text("{}\n")
    (tmp_path / "leaderboards" / "README.md").write_text("board, re-rendered\n")
    assert provenance.git_commit(tmp_path)["dirty"] is False, "the board's own outputs"
    (tmp_path / "module.py").write_text("x = 2\n")
    assert provenance.git_commit(tmp_path)["dirty"] is True, "an edited module"
    (tmp_path / "module.py").write_text("x = 1\n")
    (tmp_path / "new_randomizer.py").write_text("y = 1\n")
    assert provenance.git_commit(tmp_path)["dirty"] is True, "an untracked module"
