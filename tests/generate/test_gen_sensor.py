"""The sensor randomizer: its image effects (pure numpy) and real renders that keep the labels."""

import cv2
import numpy as np
import pytest

from drbench.generate import Settings, generate
from drbench.generate.sensor import SensorEffects, check_effect_output
from drbench.generate.settings import DEFAULT_RANDOMIZERS

NEUTRAL = dict(exposure_gain=1.0, white_balance=(1.0, 1.0, 1.0), vignetting=0.0, blur_sigma=0.0,
               aberration_px=0, noise_sigma=0.0, noise_seed=0)


def _image(seed=0, shape=(48, 160, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_neutral_effects_leave_the_image_unchanged():
    image = _image()
    assert np.abs(SensorEffects(**NEUTRAL).apply(image).astype(int) - image).max() <= 1


def test_exposure_acts_in_linear_light_and_white_balance_per_channel():
    grey = np.full((4, 4, 3), 128, np.uint8)
    brighter = SensorEffects(**{**NEUTRAL, "exposure_gain": 2.0}).apply(grey)
    assert brighter[0, 0, 0] == round(255 * min(1, 2 * (128 / 255) ** 2.2) ** (1 / 2.2))
    warm = SensorEffects(**{**NEUTRAL, "white_balance": (1.2, 1.0, 0.8)}).apply(grey)
    assert warm[0, 0, 0] > 128 == warm[0, 0, 1] > warm[0, 0, 2]


def test_vignetting_darkens_corners_not_centre_and_noise_is_seeded():
    flat = np.full((49, 161, 3), 200, np.uint8)
    dark = SensorEffects(**{**NEUTRAL, "vignetting": 0.5}).apply(flat)
    assert dark[24, 80, 0] == 200 and dark[0, 0, 0] < 170
    noisy = {**NEUTRAL, "noise_sigma": 5.0, "noise_seed": 7}
    a, b = SensorEffects(**noisy).apply(flat), SensorEffects(**noisy).apply(flat)
    assert np.array_equal(a, b) and 3 < a.astype(float).std() < 7
    c = SensorEffects(**{**noisy, "noise_seed": 8}).apply(flat)
    assert not np.array_equal(a, c)


def test_aberration_shifts_red_and_blue_opposite_ways():
    image = np.zeros((5, 9, 3), np.uint8)
    image[:, 4] = 255
    out = SensorEffects(**{**NEUTRAL, "aberration_px": 1}).apply(image)
    assert out[0, 5, 0] == 255 and out[0, 3, 2] == 255 and out[0, 4, 1] == 255


def test_bad_effect_output_is_described():
    assert check_effect_output(np.zeros((2, 2, 3), np.uint8), (2, 2, 3)) is None
    assert "expected uint8 (2, 2, 3)" in check_effect_output(np.zeros((2, 2, 3)), (2, 2, 3))


@pytest.mark.slow
def test_sensor_changes_pixels_not_labels_and_is_deterministic(tmp_path):
    tiny = dict(width=160, height=48, max_cars=3, max_distractors=2, max_hard_negatives=2)
    with_sensor = Settings(**tiny, randomizers=(*DEFAULT_RANDOMIZERS, {"name": "sensor", "params": {"dof_share": 0.0}}))
    generate(tmp_path / "base", 2, seed=1, settings=Settings(**tiny), progress=False)
    for run in ("a", "b"):
        generate(tmp_path / run, 2, seed=1, settings=with_sensor, progress=False)
    for name in ("000000", "000001"):
        labels = [(tmp_path / run / "label_2" / f"{name}.txt").read_bytes() for run in ("base", "a", "b")]
        assert labels[0] == labels[1] == labels[2]  # its own random stream: no other draw moves
        images = [(tmp_path / run / "image_2" / f"{name}.png").read_bytes() for run in ("base", "a", "b")]
        assert images[1] == images[2] and images[0] != images[1]
        base, sensed = (cv2.imread(str(tmp_path / run / "image_2" / f"{name}.png")).astype(int) for run in ("base", "a"))
        assert np.abs(base - sensed).mean() > 1
