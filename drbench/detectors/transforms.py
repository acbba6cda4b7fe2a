"""The paper's training augmentations as mmdet pipeline transforms.

Tremblay et al. 2018 trained with the TensorFlow Object Detection API's
augmentations: random brightness, contrast, additive Gaussian noise,
horizontal flip, random resize, box jitter and random crop. Each one here is
a separate registered transform, so an ablation drops it from the pipeline
(``configs/_base_/datasets/kitti_car_noaug.py`` drops them all).

Randomness: mmcv's own transforms draw from the global ``np.random``. These
draw only from their own ``np.random.Generator``, built from ``seed``;
:func:`seed_augmentations` gives every augmentation of a pipeline a distinct
seed derived from the run seed (``train()`` calls it), so a run's
augmentation stream is reproducible and independent of anything else that
uses ``np.random``. ``seed=None`` means fresh OS entropy. The dataloader runs
in-process (``num_workers=0``); forked workers would each repeat the stream.

Boxes are mmdet ``HorizontalBoxes`` (x1, y1, x2, y2 in pixels); labels and
ignore flags stay index-aligned with them when a crop drops boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

# Instance-level keys that must be filtered together with ``gt_bboxes``.
INSTANCE_KEYS = ("gt_bboxes", "gt_bboxes_labels", "gt_ignore_flags")


class Augmentation(BaseTransform):
    """Applies ``augment`` with probability ``prob``, drawing from its own generator."""

    def __init__(self, prob: float = 1.0, seed: int | Sequence[int] | None = None) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"{type(self).__name__}: prob must be in [0, 1], got {prob}")
        self.prob = prob
        self.rng = np.random.default_rng(seed)

    def transform(self, results: dict) -> dict:
        if self.rng.random() < self.prob:
            results = self.augment(results)
        return results

    def augment(self, results: dict) -> dict:
        raise NotImplementedError


def _to_uint8(img: np.ndarray) -> np.ndarray:
    """Rounded and clipped to 0-255, in place (``img`` is a float scratch array)."""
    return np.clip(np.rint(img, out=img), 0, 255, out=img).astype(np.uint8)


def _affine(img: np.ndarray, scale: float, offset) -> np.ndarray:
    """``img * scale + offset`` (offset per channel or one number), rounded and saturated to uint8.

    One OpenCV pass over the uint8 image: about 5x faster than the same in
    float32 numpy, which matters while data loading shares two cores with training.
    """
    channels = img.shape[2]
    matrix = np.zeros((channels, channels + 1), np.float64)
    matrix[:, :channels] = np.eye(channels) * scale
    matrix[:, channels] = offset
    return cv2.transform(img, matrix)


@TRANSFORMS.register_module()
class RandomBrightness(Augmentation):
    """Adds one offset to every pixel, up to ``max_delta`` of the 0-255 range (TF: 0.2)."""

    def __init__(self, max_delta: float = 0.2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_delta = max_delta

    def augment(self, results: dict) -> dict:
        delta = self.rng.uniform(-self.max_delta, self.max_delta) * 255.0
        results["img"] = _affine(results["img"], 1.0, delta)
        return results


@TRANSFORMS.register_module()
class RandomContrast(Augmentation):
    """Scales each channel's deviation from its mean by a factor in ``[lower, upper]`` (TF: 0.8-1.25)."""

    def __init__(self, lower: float = 0.8, upper: float = 1.25, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < lower <= upper:
            raise ValueError(f"RandomContrast: need 0 < lower <= upper, got {lower}, {upper}")
        self.lower, self.upper = lower, upper

    def augment(self, results: dict) -> dict:
        img = results["img"]
        mean = np.asarray(cv2.mean(img)[:img.shape[2]])
        factor = self.rng.uniform(self.lower, self.upper)
        results["img"] = _affine(img, factor, mean * (1.0 - factor))
        return results


@TRANSFORMS.register_module()
class GaussianNoise(Augmentation):
    """Adds i.i.d. Gaussian noise with a standard deviation drawn from ``std_range`` (pixel units)."""

    def __init__(self, std_range: tuple[float, float] = (0.0, 8.0), **kwargs) -> None:
        super().__init__(**kwargs)
        self.std_range = tuple(std_range)

    def augment(self, results: dict) -> dict:
        img = results["img"]
        std = self.rng.uniform(*self.std_range)
        noisy = self.rng.standard_normal(img.shape, dtype=np.float32)
        noisy *= std
        noisy += img
        results["img"] = _to_uint8(noisy)
        return results


@TRANSFORMS.register_module()
class HorizontalFlip(Augmentation):
    """Mirrors the image and its boxes left-right (apply with ``prob=0.5``)."""

    def __init__(self, prob: float = 0.5, **kwargs) -> None:
        super().__init__(prob=prob, **kwargs)

    def transform(self, results: dict) -> dict:
        results["flip"] = False
        return super().transform(results)

    def augment(self, results: dict) -> dict:
        results["img"] = np.ascontiguousarray(results["img"][:, ::-1])
        results["gt_bboxes"].flip_(results["img"].shape[:2], direction="horizontal")
        results["flip"], results["flip_direction"] = True, "horizontal"
        return results


@TRANSFORMS.register_module()
class RandomScale(Augmentation):
    """Resizes image and boxes by one factor drawn from ``ratio_range`` (the paper's random resize).

    Placed after the fixed ``Resize`` to the profile's scale, so the network
    sees objects up to ``ratio_range`` larger or smaller than at test time.
    """

    def __init__(self, ratio_range: tuple[float, float] = (0.8, 1.2), **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError(f"RandomScale: bad ratio_range {ratio_range}")
        self.ratio_range = tuple(ratio_range)

    def augment(self, results: dict) -> dict:
        img = results["img"]
        height, width = img.shape[:2]
        ratio = self.rng.uniform(*self.ratio_range)
        new_w, new_h = max(1, round(width * ratio)), max(1, round(height * ratio))
        results["img"] = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        sx, sy = new_w / width, new_h / height
        results["gt_bboxes"].rescale_((sx, sy))
        results["gt_bboxes"].clip_((new_h, new_w))
        results["img_shape"] = (new_h, new_w)
        old = results.get("scale_factor", (1.0, 1.0))
        results["scale_factor"] = (old[0] * sx, old[1] * sy)
        return results


@TRANSFORMS.register_module()
class BoxJitter(Augmentation):
    """Moves each box edge by up to ``ratio`` of the box's width/height (TF random_jitter_boxes, 0.05).

    Teaches tolerance to loose labels; the image is unchanged and boxes stay
    inside it and non-degenerate.
    """

    def __init__(self, ratio: float = 0.05, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ratio = ratio

    def augment(self, results: dict) -> dict:
        boxes = results["gt_bboxes"]
        if len(boxes) == 0:
            return results
        t = boxes.tensor
        size = (t[:, 2:] - t[:, :2]).repeat(1, 2)
        shift = self.rng.uniform(-self.ratio, self.ratio, size=tuple(t.shape))
        jittered = t + size * t.new_tensor(shift)
        height, width = results["img"].shape[:2]
        jittered[:, 0::2] = jittered[:, 0::2].clamp(0, width)
        jittered[:, 1::2] = jittered[:, 1::2].clamp(0, height)
        valid = (jittered[:, 2] > jittered[:, 0]) & (jittered[:, 3] > jittered[:, 1])
        t[valid] = jittered[valid]  # a box jittered to nothing keeps its original place
        return results


@TRANSFORMS.register_module()
class RandomCropBoxes(Augmentation):
    """Crops a random window of the image's aspect; boxes are clipped, tiny or mostly-cut ones dropped.

    The window's side is ``scale_range`` of the image's; a box is kept when at
    least ``min_visible`` of its area and ``min_size`` px of width and height
    remain inside (TF random_crop_image's overlap_thresh is 0.3).
    """

    def __init__(self, scale_range: tuple[float, float] = (0.6, 1.0), min_visible: float = 0.3,
                 min_size: float = 4.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < scale_range[0] <= scale_range[1] <= 1:
            raise ValueError(f"RandomCropBoxes: bad scale_range {scale_range}")
        self.scale_range, self.min_visible, self.min_size = tuple(scale_range), min_visible, min_size

    def augment(self, results: dict) -> dict:
        img = results["img"]
        height, width = img.shape[:2]
        scale = self.rng.uniform(*self.scale_range)
        crop_w, crop_h = max(1, round(width * scale)), max(1, round(height * scale))
        x0 = int(self.rng.integers(0, width - crop_w + 1))
        y0 = int(self.rng.integers(0, height - crop_h + 1))
        results["img"] = np.ascontiguousarray(img[y0:y0 + crop_h, x0:x0 + crop_w])
        results["img_shape"] = (crop_h, crop_w)

        boxes = results["gt_bboxes"]
        areas = boxes.areas
        boxes.translate_((-x0, -y0))
        boxes.clip_((crop_h, crop_w))
        keep = ((boxes.widths >= self.min_size) & (boxes.heights >= self.min_size)
                & (boxes.areas >= self.min_visible * areas)).numpy()
        for key in INSTANCE_KEYS:
            if key in results:
                results[key] = results[key][keep]
        return results


AUGMENTATIONS = ("RandomBrightness", "RandomContrast", "GaussianNoise", "HorizontalFlip",
                 "RandomScale", "BoxJitter", "RandomCropBoxes")


def seed_augmentations(pipeline: list, seed: int) -> None:
    """Give each augmentation in a pipeline config its own seed, derived from the run seed."""
    for index, step in enumerate(pipeline):
        if step["type"] in AUGMENTATIONS:
            step["seed"] = [seed, index]
