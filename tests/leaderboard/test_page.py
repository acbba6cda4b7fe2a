"""The HTML leaderboard, rendered by ``drbench leaderboard`` and opened in headless Chromium.

Two real entries: one trained on freshly rendered DR data (its contact sheet is
the thumbnail), one on real KITTI frames (shown only as a placeholder); both
scored by the real devkit evaluation. Chromium takes a screenshot and dumps the
DOM after the page's own JavaScript sorted the table from the address's #sort=.
"""

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from board_entries import real_entry, real_train_dataset
from drbench.cli import main
from drbench.generate import Settings, contact_sheet, fingerprint, generate
from drbench.leaderboard.entries import THUMBNAIL_SHEET, dataset_record, save_thumbnail, write_entry

pytestmark = pytest.mark.slow

WINDOW = (1280, 900)


@pytest.fixture(scope="module")
def board(root, tmp_path_factory):
    """A board folder with a DR entry (labels-exact) and a real-data entry (boxes-shifted), rendered."""
    work = tmp_path_factory.mktemp("page")
    board = work / "board"
    settings = Settings(width=320, height=96, samples=1)
    generate(work / "dr", 4, seed=5, settings=settings, progress=False)
    digest = settings.digest(5)
    dr = dataset_record("dr", digest, fingerprint(work / "dr"), settings_digest=digest)
    exact = real_entry(root, work / "pred", "labels-exact", dr)
    sheet = contact_sheet(work / "dr", work / "sheet.jpg", **THUMBNAIL_SHEET)
    exact["thumbnail"] = save_thumbnail(sheet, board, digest)
    write_entry(exact, board)
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
    assert _row_order(page) == ["labels-exact", "boxes-shifted"], "ranked by AP40@0.5 easy"
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
    assert markdown[2].startswith("| 1 | labels-exact") and markdown[3].startswith("| 2 | boxes-shifted")


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
