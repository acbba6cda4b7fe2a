"""Label definitions and compositing that need no renderer."""

import numpy as np
import pytest

from drbench.generate import background, labels
from drbench.generate.seeds import randomizer_rng


def test_truncation_is_the_box_area_outside_the_image():
    assert labels.truncation((10, 10, 50, 40), 100, 50) == 0.0
    assert labels.truncation((80, 10, 120, 40), 100, 50) == pytest.approx(0.5)
    assert labels.truncation((-30, -10, 10, 30), 100, 50) == pytest.approx(1 - (10 * 30) / (40 * 40))


@pytest.mark.parametrize("fraction, level", [(1.0, 0), (0.81, 0), (0.8, 1), (0.51, 1), (0.5, 2), (0.21, 2), (0.2, 3), (0.01, 3)])
def test_occlusion_thresholds(fraction, level):
    assert labels.occlusion_level(fraction) == level


def test_background_is_a_function_of_its_seed():
    one = background.procedural(randomizer_rng(1, "background"), 48, 160)
    assert one.shape == (48, 160, 3) and one.min() >= 0 and one.max() <= 1
    assert np.array_equal(one, background.procedural(randomizer_rng(1, "background"), 48, 160))
    assert not np.array_equal(one, background.procedural(randomizer_rng(2, "background"), 48, 160))


def test_composite_keeps_opaque_pixels_and_shows_background_elsewhere():
    rgba = np.zeros((2, 2, 4), np.float32)
    rgba[0, 0] = (1.0, 0.0, 0.0, 1.0)  # opaque red (premultiplied, linear)
    out = background.composite(rgba, np.full((2, 2, 3), 0.25, np.float32))
    assert tuple(out[0, 0]) == (255, 0, 0)
    assert tuple(out[1, 1]) == (64, 64, 64)
