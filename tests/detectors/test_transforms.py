"""Each augmentation keeps boxes on the pixels they label: boxes are painted in
known colours, transformed, and the colour regions found again."""

import numpy as np
import pytest
import torch

from drbench.detectors import mmdet_fixes
from drbench.detectors.mmdet_config import load_detector_config
from drbench.detectors.transforms import (
    AUGMENTATIONS, BoxJitter, GaussianNoise, HorizontalFlip, RandomBrightness, RandomContrast,
    RandomCropBoxes, RandomScale, seed_augmentations,
)

mmdet_fixes.apply()
from mmdet.structures.bbox import HorizontalBoxes  # noqa: E402

HEIGHT, WIDTH = 97, 320
BOXES = [(100, 30, 180, 70), (10, 60, 40, 90), (290, 5, 318, 25)]
COLOURS = [(0, 0, 255), (0, 255, 0), (255, 0, 0)]  # BGR, one per label
BACKGROUND = 90


def scene() -> dict:
    img = np.full((HEIGHT, WIDTH, 3), BACKGROUND, np.uint8)
    for (x1, y1, x2, y2), colour in zip(BOXES, COLOURS):
        img[y1:y2, x1:x2] = colour
    return dict(img=img, img_shape=(HEIGHT, WIDTH), ori_shape=(HEIGHT, WIDTH),
                gt_bboxes=HorizontalBoxes(torch.tensor(BOXES, dtype=torch.float32)),
                gt_bboxes_labels=np.arange(len(BOXES)),
                gt_ignore_flags=np.array([False, True, False]))


def colour_mask(img: np.ndarray, label: int) -> np.ndarray:
    """Pixels nearer the label's colour than the background (robust to interpolation)."""
    distance = np.abs(img.astype(int) - np.array(COLOURS[label])).sum(axis=2)
    return distance < np.abs(BACKGROUND - np.array(COLOURS[label])).sum() / 2


def mask_box(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)


def assert_boxes_on_colours(results: dict, tol: float) -> None:
    img = results["img"]
    assert tuple(results["img_shape"]) == img.shape[:2]
    boxes = results["gt_bboxes"].tensor.numpy()
    assert len(boxes) == len(results["gt_bboxes_labels"]) == len(results["gt_ignore_flags"])
    for box, label, ignore in zip(boxes, results["gt_bboxes_labels"], results["gt_ignore_flags"]):
        assert ignore == (label == 1)  # flags moved with their boxes
        np.testing.assert_allclose(box, mask_box(colour_mask(img, label)), atol=tol)


@pytest.mark.parametrize("seed", range(10))
def test_flip_moves_boxes_with_pixels(seed):
    results = HorizontalFlip(prob=0.5, seed=seed)(scene())
    assert_boxes_on_colours(results, tol=0)
    assert results["flip"] == (results["gt_bboxes"].tensor[0, 0] != BOXES[0][0])


def test_flip_happens_about_half_the_time():
    flips = [HorizontalFlip(seed=seed)(scene())["flip"] for seed in range(200)]
    assert 70 < sum(flips) < 130


@pytest.mark.parametrize("seed", range(10))
def test_random_scale_rescales_boxes_with_the_image(seed):
    results = RandomScale(ratio_range=(0.5, 1.5), seed=seed)(scene())
    ratio = results["img"].shape[1] / WIDTH
    assert 0.5 <= ratio <= 1.5 and results["scale_factor"] == pytest.approx((ratio, ratio), rel=0.02)
    assert_boxes_on_colours(results, tol=1.5)


@pytest.mark.parametrize("seed", range(30))
def test_crop_clips_kept_boxes_and_drops_tiny_or_mostly_cut_ones(seed):
    crop = RandomCropBoxes(scale_range=(0.3, 1.0), min_visible=0.3, min_size=4, seed=seed)
    results = crop(scene())
    assert_boxes_on_colours(results, tol=0)
    kept = set(results["gt_bboxes_labels"].tolist())
    for label in set(range(len(BOXES))) - kept:
        mask = colour_mask(results["img"], label)
        x1, y1, x2, y2 = BOXES[label]
        visible = mask.sum() / ((x2 - x1) * (y2 - y1))
        if visible:
            box = mask_box(mask)
            assert visible < 0.3 or box[2] - box[0] < 4 or box[3] - box[1] < 4


def test_crop_drops_boxes_in_some_draws_and_keeps_all_in_others():
    counts = {len(RandomCropBoxes(scale_range=(0.3, 1.0), seed=s)(scene())["gt_bboxes"])
              for s in range(40)}
    assert len(BOXES) in counts and min(counts) < len(BOXES)


@pytest.mark.parametrize("seed", range(10))
def test_box_jitter_moves_edges_a_little_and_leaves_the_image(seed):
    before = scene()
    results = BoxJitter(ratio=0.05, seed=seed)(scene())
    np.testing.assert_array_equal(results["img"], before["img"])
    boxes, original = results["gt_bboxes"].tensor.numpy(), np.array(BOXES, float)
    size = np.tile(original[:, 2:] - original[:, :2], 2)
    assert (np.abs(boxes - original) <= 0.05 * size + 1e-4).all()
    assert (boxes != original).any()
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= WIDTH).all() and (boxes[:, 3] <= HEIGHT).all()


@pytest.mark.parametrize("transform", [RandomBrightness(max_delta=0.2, seed=1),
                                       RandomContrast(0.8, 1.25, seed=2),
                                       GaussianNoise(std_range=(2.0, 8.0), seed=3)],
                         ids=lambda t: type(t).__name__)
def test_photometric_changes_pixels_but_not_boxes(transform):
    before = scene()
    results = transform(scene())
    assert results["img"].dtype == np.uint8 and results["img"].shape == before["img"].shape
    assert (results["img"] != before["img"]).any()
    assert_boxes_on_colours(results, tol=0)


def test_brightness_and_contrast_stay_in_their_ranges():
    img = scene()["img"].astype(float)
    for seed in range(20):
        shift = RandomBrightness(max_delta=0.1, seed=seed)(scene())["img"].astype(float) - img
        inside = (img > 30) & (img < 225)  # pixels that cannot saturate
        assert np.ptp(shift[inside]) <= 1 and abs(shift[inside].mean()) <= 0.1 * 255 + 0.5
        contrasted = RandomContrast(0.8, 1.25, seed=seed)(scene())["img"].astype(float)
        ratio = contrasted.std(axis=(0, 1)) / img.std(axis=(0, 1))
        assert ((ratio > 0.78) & (ratio < 1.27)).all()


def test_noise_std_is_drawn_from_its_range():
    img = np.full((200, 200, 3), 128, np.uint8)
    for seed in range(10):
        noisy = GaussianNoise(std_range=(3.0, 6.0), seed=seed)(dict(img=img.copy()))["img"]
        assert 2.8 < (noisy.astype(float) - 128).std() < 6.2


def test_same_seed_same_draws_and_prob_zero_is_identity():
    for cls in (RandomCropBoxes, RandomScale, BoxJitter, GaussianNoise):
        first, second = cls(seed=7)(scene()), cls(seed=7)(scene())
        np.testing.assert_array_equal(first["img"], second["img"])
        torch.testing.assert_close(first["gt_bboxes"].tensor, second["gt_bboxes"].tensor)
        untouched = cls(prob=0.0, seed=7)(scene())
        np.testing.assert_array_equal(untouched["img"], scene()["img"])
        torch.testing.assert_close(untouched["gt_bboxes"].tensor, scene()["gt_bboxes"].tensor)


def test_configured_pipelines_use_every_augmentation_or_none():
    full = load_detector_config("faster_rcnn").train_dataloader.dataset.pipeline
    bare = load_detector_config("faster_rcnn_noaug").train_dataloader.dataset.pipeline
    assert {step["type"] for step in full} >= set(AUGMENTATIONS)
    assert not {step["type"] for step in bare} & set(AUGMENTATIONS)
    seed_augmentations(full, seed=5)
    seeds = [tuple(step["seed"]) for step in full if step["type"] in AUGMENTATIONS]
    assert len(set(seeds)) == len(AUGMENTATIONS) and all(s[0] == 5 for s in seeds)
