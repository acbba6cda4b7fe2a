"""The HTML leaderboard, rendered by ``drbench leaderboard`` and opened in headless Chromium.

Two real scored models: one trained on freshly rendered DR data (its contact sheet
is the thumbnail; entered by two protocols, so one row listing both), one on real
KITTI frames (shown only as a placeholder); both scored by the real devkit
evaluation. Chromium takes a screenshot and dumps the DOM after the page's own
JavaScript sorted the tables from the address's #sort=.
"""

import copy

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from board_entries import ENTRY, real_entry, real_train_dataset
from drbench.cli import main
from drbench.generate import Settings, contact_sheet, fingerprint, generate
from drbench.leaderboard.entries import THUMBNAIL_SHEET, dataset_record, save_thumbnail, write_entry
from drbench.leaderboard.page import render_html

pytestmark = pytest.mark.slow

WINDOW = (1280, 900)


@pytest.fixture(scope="module")
def board(root, tmp_path_factory):
    """A board folder with a DR model (labels-exact, entered by two protocols) and a real-data one
    (boxes-shifted), rendered."""
    work = tmp_path_factory.mktemp("page")
    board = work / "board"
    settings = Settings(width=320, height=96, samples=1)
    generate(work / "dr", 4, seed=5, settings=settings, progress=False)
    digest = settings.digest(5)
    dr = dataset_record("dr", digest, fingerprint(work / "dr"), settings_digest=digest)
    exact = real_entry(root, work / "pred", "labels-exact", dr)
    sheet = contact_sheet(work / "dr", work / "sheet.jpg", **THUMBNAIL_SHEET)
    exact["thumbnail"] = save_thumbnail(sheet, board, digest)
    exact["steps"] = {"train": "t-exact", "predict": "p-exact", "evaluate": "e-exact"}
    write_entry(exact, board)
    write_entry(dict(exact, run_id="labels-exact-fine-tune", protocol="fine-tune"), board)  # same model
    # shifted by 0.4 box widths: IoU 0.43 with its car, below both thresholds
    write_entry(real_entry(root, work / "pred", "boxes-shifted", real_train_dataset(root), shift=0.4), board)
    assert main(["leaderboard", "--board-dir", str(board), "--markdown", str(work / "board.md")]) == 0
    return board


def _chromium(*args: str, profile) -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (Debian's package; "
                    ".ci/run installs it before the test suite)")
    done = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                           *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _row_order(dom: str) -> list[str]:
    return re.findall(r'<tr data-run="([a-z0-9-]+)"', dom)


def test_page_is_self_contained_with_curves_thumbnail_and_placeholder(board):
    page = (board / "index.html").read_text()
    assert _row_order(page) == ["labels-exact", "boxes-shifted"], "one row per model, ranked by AP40@0.5 easy"
    assert "3 entries, 2 scored models" in page and page.count("<h2>AP40 on real-test</h2>") == 1
    assert "<small>dr-only, fine-tune · tiny · " in page
    assert not re.search(r'<link|(src|href)="(https?:)?//', page), "no external resources"
    assert "<style>" in page and "<script>" in page
    (source,) = set(re.findall(r'<img class="thumb" src="([^"]+)"', page))
    thumbnail = board / source
    assert source.startswith("thumbs/") and thumbnail.read_bytes()[:3] == b"\xff\xd8\xff"
    assert thumbnail.stat().st_size < 60_000
    assert Image.open(thumbnail).size == (400, 120)  # 2 x 2 tiles, 200 px wide (320x96 scaled)
    shifted_row = page[page.index('data-run="boxes-shifted"'):]
    assert page.count("real KITTI (not shown)") == 1 and "real KITTI (not shown)" in shifted_row
    assert page.count("<svg") == 2 and page.count("<polyline") == 2 * 2 * 3  # IoU x level per entry
    markdown = (board.parent / "board.md").read_text().splitlines()
    assert markdown[6].startswith("| 1 | labels-exact | dr-only, fine-tune |")
    assert markdown[7].startswith("| 2 | boxes-shifted | dr-only |") and len(markdown) == 8


def test_screenshot_in_headless_chromium_is_the_rendered_page(board, tmp_path):
    shot = tmp_path / "board.png"
    _chromium(f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
              (board / "index.html").as_uri(), profile=tmp_path / "profile")
    image = Image.open(shot)
    assert image.size == WINDOW
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert pixels.std() > 20, "a blank page"
    assert (pixels.min(axis=2) < 200).mean() > 0.02, "too little ink for a table with curves"


@pytest.mark.parametrize("address, order, header", [
    ("#sort=run:asc", ["boxes-shifted", "labels-exact"], "run"),
    ("#sort=run:desc", ["labels-exact", "boxes-shifted"], "run"),
    ("#sort=ap40-0.7-easy:asc", ["boxes-shifted", "labels-exact"], "ap40-0.7-easy"),
])
def test_the_page_sorts_itself_from_the_address(board, tmp_path, address, order, header):
    dom = _chromium("--virtual-time-budget=2000", "--dump-dom",
                    (board / "index.html").as_uri() + address, profile=tmp_path / "profile")
    assert _row_order(dom) == order
    (sorted_by,) = re.findall(r'<th data-key="([^"]+)"[^>]*aria-sort=', dom)
    assert sorted_by == header


def _split_entry(run_id: str, split: str, ap40_easy: float) -> dict:
    entry = copy.deepcopy(ENTRY)  # v1: no curves, no thumbnail
    entry.update(run_id=run_id, test_split=split)
    entry["scores"]["0.5"]["easy"]["ap40"] = ap40_easy
    return entry


@pytest.fixture(scope="module")
def two_splits(tmp_path_factory):
    """A page with two test splits; one real-test entry also carries scores on all frames."""
    page = tmp_path_factory.mktemp("splits") / "index.html"
    with_all = _split_entry("test-b", "real-test", 20.0)
    with_all["scores_by_split"] = {"all": {"n_frames": 101, "scores": copy.deepcopy(with_all["scores"])}}
    with_all["scores_by_split"]["all"]["scores"]["0.5"]["easy"]["ap40"] = 77.7
    entries = [_split_entry("all-a", "all", 90.0), _split_entry("test-a", "real-test", 10.0), with_all,
               _split_entry("all-b", "all", 5.0)]
    page.write_text(render_html(entries, page.parent, page))
    return page


def test_each_test_split_is_its_own_ranked_table(two_splits):
    page = two_splits.read_text()
    all_table, test_table = page.split("<h2>AP40 on all</h2>")[1].split("<h2>AP40 on real-test</h2>")
    assert _row_order(all_table) == ["all-a", "all-b"] and _row_order(test_table) == ["test-b", "test-a"]
    test_b = test_table[test_table.index('data-run="test-b"'):test_table.index('data-run="test-a"')]
    assert "all (101 frames, not ranked): 0.5 easy 77.7" in test_b
    assert 'data-sort="77.7' not in test_b and 'data-sort="20.0"' in test_b, "the ranked column: real-test only"


def test_the_address_sorts_every_split_table(two_splits, tmp_path):
    dom = _chromium("--virtual-time-budget=2000", "--dump-dom", two_splits.as_uri() + "#sort=ap40-0.5-easy:asc",
                    profile=tmp_path / "profile")
    all_table, test_table = dom.split("AP40 on all</h2>")[1].split("AP40 on real-test</h2>")
    assert _row_order(all_table) == ["all-b", "all-a"] and _row_order(test_table) == ["test-a", "test-b"]
    assert re.findall(r'<th data-key="([^"]+)"[^>]*aria-sort="ascending"', dom) == ["ap40-0.5-easy"] * 2
