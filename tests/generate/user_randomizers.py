"""Third-party-style randomizers for the tests, loaded by the worker as ``path/to/this.py:Name``.

``Tilt`` is the class form, ``saboteur`` the decorated-function form: it breaks
chosen images in each way the runner must catch (raise, hang, NaN pose,
negative light power, no car in view).
"""

import math
import time
from typing import Annotated

import bpy
import numpy as np

from drbench.generate.api import Randomizer, Range, randomizer


class Tilt(Randomizer):
    """Sets the camera pitch (degrees) and records it on the camera."""

    name = "tilt"
    pitch: Annotated[float, Range(-10.0, 10.0)] = 0.0

    def sample(self, ctx, rng):
        ctx.camera.rotation_euler.x = math.radians(90.0 + self.pitch)


@randomizer("saboteur")
def saboteur(ctx, rng, *, raise_at: int = -1, hang_at: int = -1, nan_at: int = -1,
             negative_light_at: int = -1, no_cars_at: int = -1, bad_background_at: int = -1):
    """Breaks image ``*_at`` in that way; leaves every other image alone."""
    if ctx.index == raise_at:
        raise ZeroDivisionError("deliberate")
    if ctx.index == hang_at:
        while True:
            time.sleep(0.01)
    if ctx.index == nan_at:
        ctx.cars[0].location.x = float("nan")
    if ctx.index == negative_light_at:
        light = bpy.data.objects.new("bad light", bpy.data.lights.new("bad light", "POINT"))
        light.data.energy = -5.0
        ctx.collection.objects.link(light)
    if ctx.index == bad_background_at:  # drawn lazily: only the writer thread finds out
        ctx.background = lambda: np.zeros((2, 2, 3), np.float32)
    if ctx.index == no_cars_at:
        for car in ctx.cars:
            car.location.y = -50.0  # behind the camera
