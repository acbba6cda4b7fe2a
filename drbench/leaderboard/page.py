"""The leaderboard as one static, self-contained HTML page: sortable tables with PR curves and data.

Everything is inline (CSS, a few lines of JS, PR curves as SVG drawn here from
each entry's ``pr_curves``); only the contact-sheet thumbnails are separate
files, linked relative to the page. Each entry with stored predictions shows its error
breakdown at IoU 0.5, easy (counts and AP40 costs only: the page is committed, and
KITTI's licence keeps real frames off it); the same page built in the git-ignored
gallery folder also shows each entry's worst errors cut from the real frames
(``gallery``). One table per test split, one row per
scored model (``ranking.ranked_by_split``). Click a header to sort every table;
``#sort=KEY:asc`` (or ``:desc``) in the address sorts on load, so a sorted view can be linked.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drbench.data.levels import LEVEL_NAMES
from drbench.evaluate.errors import ERRORS
from drbench.leaderboard.breakdown import LABELS, entry_breakdown
from drbench.leaderboard.entries import EntryError
from drbench.leaderboard.gallery import TOP_K, Gallery, score_text
from drbench.leaderboard.ranking import BoardRow, delta_text, other_splits, ranked_by_split
from drbench.leaderboard.reproduction import Study
from drbench.leaderboard.reproduction import render_html as reproduction_html

IOUS = ("0.5", "0.7")
LEVEL_COLORS = {"easy": "#1b9e77", "moderate": "#d95f02", "hard": "#7570b3"}
DEFAULT_SORT = "ap40-0.5-easy"
NOT_SHOWN = {"real": "real KITTI (not shown)", "vkitti": "Virtual KITTI (not shown)"}  # licences


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    sort_value: Callable[[BoardRow], float | str]
    text: Callable[[BoardRow], str]
    numeric: bool = False


def _ap_column(iou: str, level: str) -> Column:
    def result(row: BoardRow) -> dict:
        return row.entry["scores"][iou][level]

    def text(row: BoardRow) -> str:
        r = result(row)
        return f"{r['ap40']:.1f}<br><small>{r['ap40_ci95'][0]:.1f}&ndash;{r['ap40_ci95'][1]:.1f}</small>"

    return Column(f"ap40-{iou}-{level}", f"{iou} {level}", lambda row: result(row)["ap40"], text, True)


def _run_text(row: BoardRow) -> str:
    """Run id, then protocols · profile · date, a submitted randomizer, and other splits' scores (not ranked)."""
    e = row.entry
    submitted = e.get("submission", {}).get("randomizer")
    details = [f"{html.escape(', '.join(row.protocols))} · {html.escape(e['profile'])} · {e['created'][:10]}",
               *([f"submitted: {html.escape(submitted)}"] if submitted else []),
               *(html.escape(line) for line in other_splits(e))]
    return f'<span class="run">{html.escape(e["run_id"])}</span><br><small>{"<br>".join(details)}</small>'


def _delta_column(deltas: dict[str, dict]) -> Column:
    """The paired delta against the profile's baseline at AP40 0.5 easy (``baseline_deltas``)."""
    def sort_value(row: BoardRow) -> float:
        stored = deltas.get(row.entry["run_id"])
        return stored["results"]["0.5"]["easy"]["ap40"]["delta"] if stored else -1e9  # sorts last; JS reads it

    def text(row: BoardRow) -> str:
        stored = deltas.get(row.entry["run_id"])
        if not stored:
            return '<span class="placeholder">&ndash;</span>'
        delta, verdict = delta_text(stored).split(" [", 1)
        return f"{html.escape(delta)}<br><small>[{html.escape(verdict)}</small>"

    return Column("delta-baseline", "vs baseline (paired, 0.5 easy)", sort_value, text, True)


def columns(deltas: dict[str, dict]) -> tuple[Column, ...]:
    return (
        Column("run", "run", lambda row: row.entry["run_id"], _run_text),
        Column("detector", "detector", lambda row: row.entry["detector"],
               lambda row: html.escape(row.entry["detector"])),
        Column("trained-on", "trained on", lambda row: row.entry["trained_on"],
               lambda row: html.escape(row.entry["trained_on"])),
        *(_ap_column(iou, level) for iou in IOUS for level in LEVEL_NAMES),
        _delta_column(deltas),
    )

STYLE = """
body { font: 13px/1.35 system-ui, sans-serif; margin: 1.2em; color: #222; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: middle; }
th[data-key] { cursor: pointer; background: #f3f3f3; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.num { text-align: right; white-space: nowrap; }
small { color: #666; }
.run { display: inline-block; width: 150px; overflow-wrap: anywhere; }
.placeholder { color: #666; font-style: italic; }
img.thumb { width: 220px; display: block; }
"""
GALLERY_STYLE = """details.gallery div { display: flex; flex-wrap: wrap; gap: 3px; max-width: 560px; }
details.gallery img { height: 90px; }
"""

SCRIPT = """
const tables = document.querySelectorAll('table.board');
function sortBy(key, dir) {
  tables.forEach(table => {
    const th = table.querySelector('th[data-key="' + key + '"]');
    if (!th) return;
    const column = th.cellIndex, numeric = th.dataset.type === 'number';
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = a.cells[column].dataset.sort, y = b.cells[column].dataset.sort;
      const order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return dir === 'asc' ? order : -order;
    });
    rows.forEach(row => body.appendChild(row));
    table.querySelectorAll('th').forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
  });
}
document.querySelectorAll('table.board th[data-key]').forEach(th => th.addEventListener('click', () => {
  const current = th.getAttribute('aria-sort');
  const dir = current ? (current === 'ascending' ? 'desc' : 'asc')
                      : (th.dataset.type === 'number' ? 'desc' : 'asc');
  sortBy(th.dataset.key, dir);
  history.replaceState(null, '', '#sort=' + th.dataset.key + ':' + dir);
}));
const wanted = /^#sort=([\\w.-]+)(?::(asc|desc))?$/.exec(decodeURIComponent(location.hash));
if (wanted) sortBy(wanted[1], wanted[2] || 'desc');
"""


def pr_svg(entry: dict) -> str:
    """Inline SVG: one small panel per IoU, precision over recall per level (steps, as the devkit)."""
    curves = entry.get("pr_curves")
    if not curves:
        return '<span class="placeholder">no curves (v1 entry)</span>'
    size, pad, gap = 70, 14, 6
    width = len(IOUS) * (size + pad + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size + 2 * pad}" '
             f'viewBox="0 0 {width} {size + 2 * pad}" role="img" '
             f'aria-label="precision-recall curves of {html.escape(entry["run_id"])}">']
    for column, iou in enumerate(IOUS):
        left, top = pad + column * (size + pad + gap), pad
        parts.append(f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#999"/>'
                     f'<text x="{left + size / 2}" y="{top - 5}" font-size="10" text-anchor="middle">'
                     f'IoU {iou}</text>')
        for level in LEVEL_NAMES:
            points = curves[iou][level]
            steps = []
            for (recall, precision), (next_recall, _) in zip(points, points[1:] + points[-1:]):
                y = top + size * (1 - precision)
                steps += [f"{left + size * recall:.1f},{y:.1f}", f"{left + size * next_recall:.1f},{y:.1f}"]
            ap40 = entry["scores"][iou][level]["ap40"]
            parts.append(f'<polyline fill="none" stroke="{LEVEL_COLORS[level]}" stroke-width="1.3" '
                         f'points="{" ".join(steps)}"><title>{level}: AP40 {ap40:.1f}</title></polyline>')
    parts.append(f'<text x="{pad}" y="{size + 2 * pad - 3}" font-size="9">'
                 + " ".join(f'<tspan fill="{color}">{level}</tspan>' for level, color in LEVEL_COLORS.items())
                 + "</text></svg>")
    return "".join(parts)


def _data_cell(entry: dict, board_dir: Path, page_dir: Path) -> str:
    dataset = entry.get("dataset")
    own_data = entry["trained_on"].split(" then ")[-1]  # v1 entries have no dataset record
    kind = dataset["kind"] if dataset else own_data.split(":")[0]
    if kind in NOT_SHOWN:
        return f'<span class="placeholder">{NOT_SHOWN[kind]}</span>'
    if "thumbnail" not in entry:
        return '<span class="placeholder">no thumbnail</span>'
    thumbnail = board_dir / entry["thumbnail"]
    if not thumbnail.is_file():
        raise EntryError(f"{board_dir / (entry['run_id'] + '.json')}: thumbnail {thumbnail} is missing")
    source = Path(os.path.relpath(thumbnail, page_dir)).as_posix()
    alt = f"contact sheet of {dataset['n_images']} training images" if dataset else "training data"
    return (f'<a href="{html.escape(source)}"><img class="thumb" src="{html.escape(source)}" '
            f'alt="{html.escape(alt)}"></a>')


ERROR_CELL = ("0.5", "easy")


def _gallery_details(run_id: str, gallery: Gallery, page_dir: Path) -> str:
    """The entry's crops, folded; refused on a page outside their folder, so a real frame never
    reaches a page that is committed."""
    links = []
    for crop in [*gallery.false_positives, *gallery.missed]:
        path = crop.path.resolve()
        if path.parent.parent != page_dir:  # crops lie in GALLERY_DIR/<run_id>/
            raise ValueError(f"{path}: a crop of a real frame can only be shown by a page in its own "
                             f"git-ignored folder, not by one in {page_dir}")
        source = html.escape(path.relative_to(page_dir).as_posix())
        links.append(f'<a href="{source}"><img src="{source}" alt="{html.escape(crop.caption)}"></a>')
    whose = "" if gallery.prediction_set == run_id else f" of {html.escape(gallery.prediction_set)}"
    missed = f"{len(gallery.missed)} largest missed cars" if gallery.missed else "no missed car"
    at = ("at any score (no operating point)" if gallery.threshold == -float("inf")
          else f"at score ≥ {score_text(gallery.threshold)} (best F1)")
    return (f'<details class="gallery"><summary>crops{whose}: top {len(gallery.false_positives)} false '
            f'positives, {missed} {at}</summary><div>{"".join(links)}</div></details>')


def _errors_cell(entry: dict, board_dir: Path, page_dir: Path, kitti_root: Path | None,
                 gallery: dict[str, Gallery]) -> str:
    """The entry's error breakdown at IoU 0.5, easy, on its ranked split: per error type its
    count at the best-F1 threshold and the AP40 an oracle fixing it gains; then its crops, if given."""
    if "predictions" not in entry and "aggregate" not in entry:
        return '<span class="placeholder">no stored predictions</span>'
    if kitti_root is None:
        return '<span class="placeholder">no KITTI labels where the page was built</span>'
    iou, level = ERROR_CELL
    cell = entry_breakdown(board_dir / f"{entry['run_id']}.json", kitti_root)["results"][iou][level]
    lines = [f"{LABELS[kind]} {cell['errors'][kind].get('at_operating_point', cell['errors'][kind]['count']):.0f} "
             f"({cell['errors'][kind]['dap40']:+.1f})" for kind in ERRORS]
    lines.append(f"FP/image {cell['operating_point']['fp_per_image']:.2f}")
    run_id = entry["run_id"]
    crops = _gallery_details(run_id, gallery[run_id], page_dir) if run_id in gallery else ""
    return f"<small>{'<br>'.join(lines)}</small>{crops}"


def _table(split: str, rows: list[BoardRow], head: str, board_dir: Path, page_dir: Path,
           shown: tuple[Column, ...], kitti_root: Path | None, gallery: dict[str, Gallery]) -> str:
    """One split's section: its heading and its ranked table."""
    lines = []
    for rank, row in enumerate(rows, start=1):
        cells = [f'<td class="num">{rank}</td>'] + [
            f'<td{" class=num" if c.numeric else ""} data-sort="{html.escape(str(c.sort_value(row)))}">'
            f"{c.text(row)}</td>" for c in shown]
        cells += [f"<td>{_errors_cell(row.entry, board_dir, page_dir, kitti_root, gallery)}</td>",
                  f"<td>{_data_cell(row.entry, board_dir, page_dir)}</td>", f"<td>{pr_svg(row.entry)}</td>"]
        lines.append(f'<tr data-run="{html.escape(row.entry["run_id"])}">{"".join(cells)}</tr>')
    return (f"<h2>AP40 on {html.escape(split)}</h2>\n"
            f'<table class="board" id="board-{html.escape(split)}"><thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{chr(10).join(lines)}\n</tbody></table>")


_GALLERY_NOTE = f"""<p><b>Not for committing:</b> this copy of the board shows, under each entry's errors,
its {TOP_K} highest-scoring false positives and {TOP_K} largest missed cars at IoU 0.5, easy, at its best-F1
score threshold (missed: no box scoring at least that on the car at IoU above 0.5), cut from the real KITTI
frames where it was built (box drawn; caption: kind and score, or the threshold and the best score a box on
the car got; size, frame). It and its crops live in a git-ignored folder: KITTI's licence keeps real frames
off the committed board.</p>
"""


def render_html(entries: list[dict], board_dir: Path, page_path: Path, deltas: dict[str, dict] | None = None,
                kitti_root: Path | None = None, gallery: dict[str, Gallery] | None = None,
                reproduction: list[Study] = ()) -> str:
    """The page for ``entries`` read from ``board_dir``, to be written at ``page_path``.

    ``deltas``: stored comparisons with the profile's baseline by run id (``baseline_deltas``); the
    error breakdowns need the real labels of ``kitti_root`` (without it, a placeholder). ``gallery``:
    crops of real frames by run id (``gallery.board_gallery``), only for a page in their folder.
    ``reproduction``: the paper's studies (``reproduction.build_report``), shown after the tables.
    """
    board_dir, page_dir = Path(board_dir).resolve(), Path(page_path).resolve().parent
    shown = columns(deltas or {})
    head = "".join(["<th>rank</th>"] + [
        f'<th data-key="{c.key}" data-type="{"number" if c.numeric else "text"}"'
        + (' aria-sort="descending"' if c.key == DEFAULT_SORT else "") + f">{html.escape(c.header)}</th>"
        for c in shown] + ["<th>errors @0.5 easy<br><small>n at best F1 (AP40 cost)</small></th>",
                             "<th>training data</th>", "<th>PR curves<br><small>precision over recall</small></th>"])
    by_split = ranked_by_split(entries)
    tables = [_table(split, rows, head, board_dir, page_dir, shown, kitti_root, gallery or {})
              for split, rows in by_split.items()]
    n_models = sum(len(rows) for rows in by_split.values())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>drbench leaderboard</title>
<style>{STYLE}{GALLERY_STYLE if gallery else ""}</style></head>
<body>
<h1>drbench leaderboard</h1>
<p>{len(entries)} entries, {n_models} scored models: one row per model (entries with equal train, predict
and evaluate steps share a row listing their protocols). Columns <i>IoU level</i>: AP40 on the table's
test split (Car) with its 95&nbsp;% bootstrap interval; ranked by AP40 at IoU 0.5, easy, within each
split. <i>vs baseline</i>: AP40 at 0.5 easy minus the profile's baseline entry's, by a paired bootstrap
on the same frames (split named), with its 95&nbsp;% interval and verdict (n.d.: not distinguishable).
Click a column header to sort. <i>errors</i>: what costs AP40 at IoU 0.5, easy (<code>drbench
errors RUN</code> gives every IoU and level): each error type's count among the detections at the
best-F1 score threshold (missed cars: all) and, in brackets, the AP40 an oracle fixing that type
gains; then false positives per image at that threshold.</p>
{_GALLERY_NOTE if gallery else ""}{chr(10).join(tables)}
{reproduction_html(reproduction, board_dir, page_dir) if reproduction else ""}
<script>{SCRIPT}</script>
</body></html>
"""
