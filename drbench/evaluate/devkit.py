"""The KITTI devkit's 2D box evaluation (``cpp/evaluate_object.cpp``), vectorized in numpy.

Why a port and not pycocotools: KITTI numbers are only comparable when the
devkit's rules are kept exactly: difficulty levels, ``Van`` as a neighbour
class of ``Car`` (ignored: neither TP nor FN), ignored ground truth that may
still absorb a detection, detections shorter than the level's minimum height
ignored, unmatched detections inside ``DontCare`` regions not counted as FP,
41 recall-sampled score thresholds chosen from the true-positive scores, and a
precision curve made monotone by a max over the suffix.

Rules kept from the official devkit (the 2017 ``devkit_object`` version that
also evaluates bird's-eye and 3D boxes):

* Height boundary. Ground truth is ignored when ``height <= MIN_HEIGHT`` (the
  official ``cleanData`` uses ``<=``; some published copies use ``<``), so an
  easy car must be strictly taller than 40 px. A detection is ignored when
  ``int32(|y2 - y1|) < MIN_HEIGHT``; truncating a non-negative height to an
  integer does not change ``< 40``, so ``height < MIN_HEIGHT`` here. On
  kitti-mini no box sits on the boundary: 79 easy / 185 moderate either way.
* A detection shorter than the level's minimum is ignored whatever its class
  (the devkit checks height before class), so it can absorb a ground truth
  box without being a TP; the same holds in this port.
* Overlaps are compared with ``>`` (IoU > threshold, and intersection over the
  detection's own area > threshold for ``DontCare``).
* ``AP11`` = mean of precision at sample points 0, 4, ..., 40; ``AP40`` = mean
  at points 1..40 (times 100). With fewer than 41 valid ground-truth boxes the
  devkit samples fewer than 41 thresholds, so even a perfect detector cannot
  reach 100: see :func:`max_reachable_ap`.

One deliberate difference: where the devkit divides 0 by 0 for precision (a
sampled threshold at which no detection is TP or FP, possible only in
contrived cases) it yields NaN; here precision is 0 there.

Speed: frames are padded to ``[frames, max_gt, max_det]``; IoU is computed
once. The devkit's greedy per-ground-truth assignment is inherently sequential
over the ground truth of one frame, so it runs as a loop over the ground-truth
slot index, vectorized over every (frame, score threshold) pair at once and
over each ground truth's short list of candidate detections. For the
bootstrap, :func:`frame_table` tabulates each frame's counts once, so a
resample of frames is evaluated by lookups (:func:`resample_ap`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drbench.data.kitti import KittiObject
from drbench.data.levels import LEVELS, NEIGHBOUR_CLASS, Level

N_SAMPLE_PTS = 41
NO_DETECTION = -10000000.0
IOU_THRESHOLDS = (0.5, 0.7)


@dataclass
class Frames:
    """Ground truth and detections of many frames, padded to rectangular arrays.

    Padding slots carry class code -1 (ground truth) or score -inf and no class
    (detections), which the devkit rules treat as absent.
    """

    gt_box: np.ndarray        # [F, G, 4] left, top, right, bottom
    gt_class: np.ndarray      # [F, G] 1 evaluated class, 0 neighbour class, -1 other/padding
    gt_truncation: np.ndarray  # [F, G]
    gt_occlusion: np.ndarray  # [F, G]
    det_box: np.ndarray       # [F, D, 4]
    det_score: np.ndarray     # [F, D], -inf in padding
    det_is_class: np.ndarray  # [F, D] bool, detection of the evaluated class
    dontcare_overlap: np.ndarray  # [F, D] max over DontCare of intersection / detection area
    iou: np.ndarray           # [F, G, D] devkit IoU of detection d with ground truth g

    @property
    def n_frames(self) -> int:
        return self.gt_box.shape[0]


def _overlap(det: np.ndarray, other: np.ndarray, own_area: bool) -> np.ndarray:
    """``imageBoxOverlap``: IoU, or intersection over the detection's own area.

    det [..., D, 4] against other [..., M, 4] -> [..., M, D], in the devkit's
    order of float operations.
    """
    a = det[..., None, :, :]
    b = other[..., :, None, :]
    w = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    h = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter = w * h
    a_area = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    if own_area:
        denominator = np.broadcast_to(a_area, inter.shape)
    else:
        b_area = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        denominator = a_area + b_area - inter
    positive = (w > 0) & (h > 0)
    out = np.zeros(inter.shape)
    np.divide(inter, denominator, out=out, where=positive)
    return out


def pack(
    ground_truth: list[list[KittiObject]],
    detections: list[list[KittiObject]],
    class_name: str = "Car",
) -> Frames:
    """Pad per-frame objects into :class:`Frames` and compute every overlap once."""
    if len(ground_truth) != len(detections):
        raise ValueError(f"{len(ground_truth)} ground-truth frames but {len(detections)} detection frames")
    cls = class_name.lower()
    neighbour = NEIGHBOUR_CLASS.get(cls)
    n = len(ground_truth)
    g_max = max([len(objs) for objs in ground_truth] + [1])
    d_max = max([len(objs) for objs in detections] + [1])
    c_max = max([sum(o.type.lower() == "dontcare" for o in objs) for objs in ground_truth] + [1])

    gt_box = np.zeros((n, g_max, 4))
    gt_class = np.full((n, g_max), -1, np.int8)
    gt_truncation = np.zeros((n, g_max))
    gt_occlusion = np.zeros((n, g_max), np.int64)
    det_box = np.zeros((n, d_max, 4))
    det_score = np.full((n, d_max), -np.inf)
    det_is_class = np.zeros((n, d_max), bool)
    dc_box = np.zeros((n, c_max, 4))  # zero-size boxes overlap nothing
    for f, (gts, dets) in enumerate(zip(ground_truth, detections)):
        dc = 0
        for g, obj in enumerate(gts):
            kind = obj.type.lower()
            gt_box[f, g] = obj.bbox
            gt_class[f, g] = 1 if kind == cls else 0 if kind == neighbour else -1
            gt_truncation[f, g] = obj.truncated
            gt_occlusion[f, g] = obj.occluded
            if kind == "dontcare":
                dc_box[f, dc] = obj.bbox
                dc += 1
        for d, obj in enumerate(dets):
            if obj.score is None:
                raise ValueError(f"frame {f}: detection {obj.type} {obj.bbox} has no score")
            det_box[f, d] = obj.bbox
            det_score[f, d] = obj.score
            det_is_class[f, d] = obj.type.lower() == cls
    return Frames(
        gt_box=gt_box,
        gt_class=gt_class,
        gt_truncation=gt_truncation,
        gt_occlusion=gt_occlusion,
        det_box=det_box,
        det_score=det_score,
        det_is_class=det_is_class,
        dontcare_overlap=_overlap(det_box, dc_box, own_area=True).max(axis=1),
        iou=_overlap(det_box, gt_box, own_area=False),
    )


def ignore_flags(frames: Frames, level: Level) -> tuple[np.ndarray, np.ndarray]:
    """``cleanData``: ground truth 0 valid / 1 ignored / -1 other class; detections likewise."""
    height = frames.gt_box[..., 3] - frames.gt_box[..., 1]
    outside = (
        (frames.gt_occlusion > level.max_occlusion)
        | (frames.gt_truncation > level.max_truncation)
        | (height <= level.min_height)
    )
    ig_gt = np.full(frames.gt_class.shape, -1, np.int8)
    ig_gt[(frames.gt_class == 0) | ((frames.gt_class == 1) & outside)] = 1
    ig_gt[(frames.gt_class == 1) & ~outside] = 0
    det_height = np.abs(frames.det_box[..., 1] - frames.det_box[..., 3])
    real = np.isfinite(frames.det_score)
    ig_det = np.where(frames.det_is_class, 0, -1).astype(np.int8)
    ig_det[real & (det_height < level.min_height)] = 1
    return ig_gt, ig_det


def group_thresholds(scores: np.ndarray, group: np.ndarray, n_gt: np.ndarray) -> np.ndarray:
    """``getThresholds`` for many groups of images at once -> ``[groups, 41]``, NaN-padded.

    Per group: true-positive scores in descending order, keeping the score whose
    recall (i+1)/n_gt best approximates each of 41 evenly spaced recall steps.
    The running recall target is accumulated exactly as the devkit does and is
    shared by all groups, since it depends only on how many scores were kept.
    """
    n_groups = len(n_gt)
    order = np.lexsort((-scores, group))
    scores, group = scores[order], group[order]
    length = np.bincount(group, minlength=n_groups)
    width = max(int(length.max(initial=0)), 1)
    rank = np.arange(scores.size) - (np.cumsum(length) - length)[group]
    v = np.full((n_groups, width), np.nan)
    v[group, rank] = scores
    i = np.arange(width)[None, :]
    n = length[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        l_recall = (i + 1) / n_gt[:, None].astype(float)
        r_recall = np.where(i < n - 1, (i + 2) / n_gt[:, None].astype(float), l_recall)
    current = np.add.accumulate(np.r_[0.0, np.full(N_SAMPLE_PTS, 1.0 / (N_SAMPLE_PTS - 1.0))])
    picks = np.full((n_groups, N_SAMPLE_PTS), -1)
    start = np.zeros(n_groups, np.int64)
    for k in range(N_SAMPLE_PTS):
        active = start < length
        if not active.any():
            break
        with np.errstate(invalid="ignore"):
            keep = ~((r_recall - current[k]) < (current[k] - l_recall)) | (i == n - 1)
        first = np.argmax(keep & (i >= start[:, None]), axis=1)
        picks[active, k] = first[active]
        start = np.where(active, first + 1, start)
    assert not (start < length).any(), "getThresholds kept more than 41 scores"
    rows = np.arange(n_groups)[:, None]
    return np.where(picks >= 0, v[rows, np.maximum(picks, 0)], np.nan)


def get_thresholds(scores: np.ndarray, n_gt: int) -> np.ndarray:
    """``getThresholds`` for one set of images: the sampled scores, descending."""
    scores = np.asarray(scores, dtype=float)
    row = group_thresholds(scores, np.zeros(scores.size, np.int64), np.array([n_gt]))[0]
    return row[~np.isnan(row)]


@dataclass
class Candidates:
    """Per ground-truth slot, the detections it may match (IoU > threshold), in detection order."""

    det: np.ndarray      # [F, G, K] detection index, D (a sentinel column) in padding
    overlap: np.ndarray  # [F, G, K]


def candidates(frames: Frames, ig_gt: np.ndarray, ig_det: np.ndarray, min_overlap: float) -> Candidates:
    """Candidate lists: overlaps are sparse, so the greedy loop works on K << D columns."""
    n, g_max, d_max = frames.iou.shape
    mask = (frames.iou > min_overlap) & (ig_det[:, None, :] != -1) & (ig_gt[:, :, None] != -1)
    f, g, d = np.nonzero(mask)
    counts = mask.sum(axis=2).ravel()
    k_max = max(int(counts.max(initial=0)), 1)
    starts = np.cumsum(counts) - counts
    rank = np.arange(f.size) - starts[f * g_max + g]
    det = np.full((n, g_max, k_max), d_max, np.int64)
    overlap = np.zeros((n, g_max, k_max))
    det[f, g, rank] = d
    overlap[f, g, rank] = frames.iou[f, g, d]
    return Candidates(det, overlap)


def _with_sentinel(values: np.ndarray, fill) -> np.ndarray:
    """Append one padding column (index D) that candidate lists point to when empty."""
    return np.concatenate([values, np.full((values.shape[0], 1), fill, values.dtype)], axis=1)


def score_matches(cand: Candidates, score: np.ndarray) -> np.ndarray:
    """The threshold pass's assignment: each ground truth, in label order, takes its
    highest-scoring unassigned candidate (first of equal maxima, as the devkit).

    Returns ``[F, G]`` detection indices, ``D`` where a ground truth took none. Exposed
    for the error analysis, which classifies detections by this same matching.
    """
    n, g_max, _ = cand.det.shape
    d_max = score.shape[1]
    assigned = np.zeros((n, d_max + 1), bool)
    assigned[:, d_max] = True
    score = _with_sentinel(score, -np.inf)
    match = np.full((n, g_max), d_max, np.int64)
    for g in range(g_max):
        rows = np.flatnonzero(cand.det[:, g, 0] != d_max)
        if rows.size == 0:
            continue
        det = cand.det[rows, g]
        s = score[rows[:, None], det]
        ok = ~assigned[rows[:, None], det] & (s > NO_DETECTION)
        k = np.where(ok, s, -np.inf).argmax(axis=1)
        at = np.arange(rows.size)
        has = ok[at, k]
        j = det[at, k]
        match[rows[has], g] = j[has]
        assigned[rows[has], j[has]] = True
    return match


def tp_scores(
    cand: Candidates, score: np.ndarray, ig_gt: np.ndarray, ig_det: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``computeStatistics`` without FP (:func:`score_matches`): the matches of valid ground
    truth by valid detections are the true positives, from which thresholds are sampled.

    Returns ``(scores, frame index)`` of the true positives, frame by frame.
    """
    match = score_matches(cand, score)
    frame, g = np.nonzero(match < score.shape[1])
    j = match[frame, g]
    tp = (ig_gt[frame, g] == 0) & (ig_det[frame, j] == 0)
    return score[frame[tp], j[tp]], frame[tp]


@dataclass
class Counts:
    """Totals over a group's images at each score threshold (``[groups, thresholds]``)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    dontcare: np.ndarray  # unmatched detections not counted as FP because of DontCare
    ignored_det: np.ndarray  # detections shorter than the level minimum, at or above the threshold


def count_at(
    cand: Candidates,
    score: np.ndarray,
    ig_gt: np.ndarray,
    ig_det: np.ndarray,
    in_dontcare: np.ndarray,
    group: np.ndarray,
    thresholds: np.ndarray,
) -> Counts:
    """``computeStatistics`` with FP at every threshold of each frame's group, summed per group.

    Each ground truth (in label order) takes, among unassigned candidates scoring
    at least the threshold, the non-ignored one of greatest IoU (first of
    equals), else the first ignored (too short) one. ``thresholds`` is
    ``[groups, T]``; NaN entries match nothing and count nothing.
    """
    n, g_max, _ = cand.det.shape
    d_max = score.shape[1]
    n_groups, n_t = thresholds.shape
    frame_thr = thresholds[group]  # [F, T]
    assigned = np.zeros((n * n_t, d_max + 1), bool)
    assigned[:, d_max] = True
    score_x = _with_sentinel(score, -np.inf)
    ig_det_x = _with_sentinel(ig_det, -1)
    dc_x = _with_sentinel(in_dontcare, False)
    size = n_groups * n_t
    tp = np.zeros(size, np.int64)
    hidden = np.zeros(size, np.int64)  # valid ground truth absorbed by a too-short detection
    taken_free = np.zeros(size, np.int64)
    taken_dc = np.zeros(size, np.int64)
    best = score_x[np.arange(n)[:, None, None], cand.det].max(axis=2)  # [F, G]
    for g in range(g_max):
        # pairs where some candidate scores at least the threshold; the rest cannot match
        frame_idx, t_idx = np.nonzero(frame_thr <= best[:, g, None])
        if frame_idx.size == 0:
            continue
        pair = frame_idx * n_t + t_idx
        cell = group[frame_idx] * n_t + t_idx
        det = cand.det[frame_idx, g]
        above = score_x[frame_idx[:, None], det] >= frame_thr[frame_idx, t_idx, None]
        ok = ~assigned[pair[:, None], det] & above
        kind = ig_det_x[frame_idx[:, None], det]
        ok0 = ok & (kind == 0)
        ok1 = ok & (kind == 1)
        at = np.arange(pair.size)
        k0 = np.where(ok0, cand.overlap[frame_idx, g], -1.0).argmax(axis=1)
        k1 = ok1.argmax(axis=1)
        has0 = ok0[at, k0]
        has = has0 | ok1[at, k1]
        j = det[at, np.where(has0, k0, k1)]
        valid = ig_gt[frame_idx, g] == 0
        dc = dc_x[frame_idx, j]
        tp += np.bincount(cell[has0 & valid], minlength=size)
        hidden += np.bincount(cell[has & ~has0 & valid], minlength=size)
        taken_free += np.bincount(cell[has0 & ~dc], minlength=size)
        taken_dc += np.bincount(cell[has0 & dc], minlength=size)
        assigned[pair[has], j[has]] = True

    def at_or_above(mask: np.ndarray) -> np.ndarray:
        """Per (group, threshold): detections in ``mask`` scoring at least the threshold."""
        f, d = np.nonzero(mask)
        hit = frame_thr[f] <= score[f, d][:, None]  # [detections, T]
        cells = group[f][:, None] * n_t + np.arange(n_t)
        return np.bincount(cells[hit], minlength=size)

    eligible = ig_det == 0
    n_gt = np.bincount(group, weights=(ig_gt == 0).sum(axis=1), minlength=n_groups).astype(np.int64)
    shape = (n_groups, n_t)
    return Counts(
        tp=tp.reshape(shape),
        fp=(at_or_above(eligible & ~in_dontcare) - taken_free).reshape(shape),
        fn=n_gt[:, None] - (tp + hidden).reshape(shape),
        dontcare=(at_or_above(eligible & in_dontcare) - taken_dc).reshape(shape),
        ignored_det=at_or_above(ig_det == 1).reshape(shape),
    )


def ap11(precision: np.ndarray) -> np.ndarray:
    """Mean precision at 11 recall points (every 4th of 41), in percent (last axis)."""
    return np.add.reduce(precision[..., 0:N_SAMPLE_PTS:4], axis=-1) / 11.0 * 100.0


def ap40(precision: np.ndarray) -> np.ndarray:
    """Mean precision at recall points 1..40 (recall 0 left out), in percent (last axis)."""
    return np.add.reduce(precision[..., 1:N_SAMPLE_PTS], axis=-1) / 40.0 * 100.0


def max_reachable_ap(n_gt: int) -> tuple[float, float]:
    """(AP11, AP40) of a perfect detector: below 100 when ``n_gt`` < 41 (fewer thresholds)."""
    precision = np.zeros(N_SAMPLE_PTS)
    precision[: len(get_thresholds(np.arange(n_gt, dtype=float), n_gt))] = 1.0
    return float(ap11(precision)), float(ap40(precision))


def precision_recall(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, sampled: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Precision (made monotone by the max over each suffix) and recall at the 41 sample points."""
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(sampled & (tp + fp > 0), tp / (tp + fp), 0.0)
        recall = np.where(sampled & (tp + fn > 0), tp / (tp + fn), 0.0)
    precision = np.maximum.accumulate(precision[..., ::-1], axis=-1)[..., ::-1] * sampled
    return precision, recall


@dataclass
class LevelResult:
    """The devkit's output for one level at one IoU, plus the counts behind it."""

    level: str
    min_overlap: float
    n_gt: int
    n_ignored_gt: int         # neighbour class, or the class outside the level
    thresholds: np.ndarray    # the sampled score thresholds, descending
    counts: Counts            # 1-D, at each sampled threshold
    all_counts: Counts        # 1-D, one entry: every detection (threshold -inf)
    precision: np.ndarray = field(repr=False)  # [41], after the suffix max
    recall: np.ndarray = field(repr=False)     # [41], zero past the sampled thresholds

    @property
    def ap11(self) -> float:
        return float(ap11(self.precision))

    @property
    def ap40(self) -> float:
        return float(ap40(self.precision))


def operating_point(result: LevelResult) -> int | None:
    """Index of the sampled threshold with the best F1 (the highest threshold on ties);
    None when no threshold was sampled (no true positive at all)."""
    c = result.counts
    if not c.tp.size:
        return None
    return int(np.argmax(2 * c.tp / np.maximum(2 * c.tp + c.fp + c.fn, 1)))


def evaluate_level(frames: Frames, level: Level, min_overlap: float) -> LevelResult:
    """``eval_class`` for one level and IoU threshold over all frames."""
    ig_gt, ig_det = ignore_flags(frames, level)
    cand = candidates(frames, ig_gt, ig_det, min_overlap)
    one_group = np.zeros(frames.n_frames, np.int64)
    n_gt = int((ig_gt == 0).sum())
    scores, _ = tp_scores(cand, frames.det_score, ig_gt, ig_det)
    thresholds = get_thresholds(scores, n_gt)
    n_t = thresholds.size
    counts = count_at(cand, frames.det_score, ig_gt, ig_det, frames.dontcare_overlap > min_overlap,
                      one_group, np.r_[thresholds, -np.inf][None, :])
    sampled = np.arange(N_SAMPLE_PTS) < n_t
    padded = [np.pad(c[0, :n_t], (0, N_SAMPLE_PTS - n_t)) for c in (counts.tp, counts.fp, counts.fn)]
    precision, recall = precision_recall(*padded, sampled)
    return LevelResult(
        level=level.name,
        min_overlap=min_overlap,
        n_gt=n_gt,
        n_ignored_gt=int((ig_gt == 1).sum()),
        thresholds=thresholds,
        counts=Counts(**{k: v[0, :n_t] for k, v in vars(counts).items()}),
        all_counts=Counts(**{k: v[0, n_t:] for k, v in vars(counts).items()}),
        precision=precision,
        recall=recall,
    )


def evaluate(
    frames: Frames,
    min_overlaps: tuple[float, ...] = IOU_THRESHOLDS,
    levels: tuple[Level, ...] = LEVELS,
) -> dict[float, dict[str, LevelResult]]:
    """Every level at every IoU threshold: ``{iou: {level name: LevelResult}}``."""
    return {iou: {lv.name: evaluate_level(frames, lv, iou) for lv in levels} for iou in min_overlaps}


@dataclass
class FrameTable:
    """Each frame's devkit counts as a step function of the score threshold.

    A frame's counts depend on the threshold only through which of its
    detections score at least that much, so they are tabulated once at +inf
    and at each distinct detection score; any resample of frames is then
    evaluated by lookups instead of re-running the assignment.
    """

    n_gt: np.ndarray           # [F]
    tp_scores: np.ndarray      # true-positive scores of the threshold pass, frame by frame
    tp_frame: np.ndarray       # their frame index, ascending
    steps: np.ndarray          # [F, C] +inf, then distinct detection scores descending, NaN pad
    counts: Counts             # [F, C]


def frame_table(frames: Frames, level: Level, min_overlap: float) -> FrameTable:
    """Tabulate every frame's counts at each of its step points (+inf and its distinct scores)."""
    ig_gt, ig_det = ignore_flags(frames, level)
    cand = candidates(frames, ig_gt, ig_det, min_overlap)
    scores, frame_of = tp_scores(cand, frames.det_score, ig_gt, ig_det)
    order = np.argsort(frame_of, kind="stable")
    distinct = -np.sort(-frames.det_score, axis=1)  # descending, -inf padding last
    distinct[:, 1:][distinct[:, 1:] == distinct[:, :-1]] = -np.inf
    distinct = -np.sort(-distinct, axis=1)
    steps = np.concatenate([np.full((frames.n_frames, 1), np.inf), distinct], axis=1)
    steps[np.isneginf(steps)] = np.nan
    all_frames = np.arange(frames.n_frames)
    counts = count_at(cand, frames.det_score, ig_gt, ig_det, frames.dontcare_overlap > min_overlap,
                      all_frames, steps)
    return FrameTable((ig_gt == 0).sum(axis=1), scores[order], frame_of[order], steps, counts)


def resample_ap(table: FrameTable, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(AP11, AP40) of each row of ``indices`` (``[resamples, frames]``, repeats allowed)."""
    n_resamples, n_per = indices.shape
    n_frames = table.n_gt.size
    # true-positive scores of every resample: each chosen frame contributes its own
    per_frame = np.bincount(table.tp_frame, minlength=n_frames)
    first = np.cumsum(per_frame) - per_frame
    flat = indices.ravel()
    repeat = per_frame[flat]
    offset = np.arange(repeat.sum()) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    scores = table.tp_scores[np.repeat(first[flat], repeat) + offset]
    group = np.repeat(np.repeat(np.arange(n_resamples), n_per), repeat)
    thresholds = group_thresholds(scores, group, table.n_gt[indices].sum(axis=1))  # [B, 41]
    # column of each (resample, frame, threshold) in the frame's step table: the
    # number of its distinct scores at or above the threshold
    finite = ~np.isnan(table.steps[:, 1:])
    f_entry, c_entry = np.nonzero(finite)
    values = table.steps[:, 1:][f_entry, c_entry]
    order = np.lexsort((values, f_entry))
    f_entry, values = f_entry[order], values[order]
    sampled = ~np.isnan(thresholds)
    vocabulary = np.unique(np.concatenate([values, thresholds[sampled]]))
    width = vocabulary.size + 1
    keys = f_entry * width + np.searchsorted(vocabulary, values)
    ends = np.cumsum(finite.sum(axis=1))
    query_thr = np.where(sampled, thresholds, np.inf)[:, None, :]  # [B, 1, 41]
    query = indices[:, :, None] * width + np.searchsorted(vocabulary, query_thr)
    column = ends[indices][:, :, None] - np.searchsorted(keys, query, side="left")
    column = np.where(sampled[:, None, :], column, 0)
    tp, fp, fn = (c[indices[:, :, None], column].sum(axis=1) for c in
                  (table.counts.tp, table.counts.fp, table.counts.fn))
    precision, _ = precision_recall(tp, fp, fn, sampled)
    return ap11(precision), ap40(precision)
