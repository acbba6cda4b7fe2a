"""Cycles on the CPU into one multilayer EXR: colour with alpha plus the object-index pass.

One render gives both the pixels and, per pixel, which car is seen (the index
pass is free during render), which is what visibility labels need. The EXR is
read back with the OpenImageIO that ships inside the bpy wheel.
"""

from __future__ import annotations

import os
import sys

import bpy
import numpy as np

from drbench.generate.settings import Settings

sys.path.append(os.path.join(bpy.utils.resource_path("LOCAL"), "python", "lib", "python3.11", "site-packages"))
import OpenImageIO as oiio  # noqa: E402  (only importable once the path above is known)

COMBINED = "ViewLayer.Combined"
INDEX = "ViewLayer.Object Index"


def configure(scene: bpy.types.Scene, settings: Settings) -> None:
    """Render settings: cheap light paths (1 spp DR does not need caustics), transparent film."""
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = settings.samples
    cycles.use_adaptive_sampling = False
    cycles.use_denoising = False
    cycles.max_bounces, cycles.diffuse_bounces, cycles.glossy_bounces = 4, 2, 2
    cycles.transmission_bounces, cycles.transparent_max_bounces = 2, 2
    cycles.caustics_reflective = cycles.caustics_refractive = False
    scene.render.resolution_x, scene.render.resolution_y = settings.width, settings.height
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = True
    scene.render.threads_mode = "FIXED" if settings.threads > 0 else "AUTO"
    if settings.threads > 0:
        scene.render.threads = settings.threads
    scene.view_layers[0].use_pass_object_index = True
    image = scene.render.image_settings
    image.media_type = "MULTI_LAYER_IMAGE"
    image.color_depth = "32"
    image.exr_codec = "NONE"


def _read_exr(path: str) -> dict[str, np.ndarray]:
    parts = {}
    handle = oiio.ImageInput.open(path)
    if handle is None:
        raise OSError(f"cannot open render output {path}: {oiio.geterror()}")
    try:
        subimage = 0
        while handle.seek_subimage(subimage, 0):
            name = handle.spec().getattribute("name")
            parts[name] = handle.read_image(subimage, 0, 0, handle.spec().nchannels, "float")
            subimage += 1
    finally:
        handle.close()
    return parts


def render(scene: bpy.types.Scene, exr_path: str) -> tuple[np.ndarray, np.ndarray]:
    """Render; returns premultiplied linear RGBA (H×W×4 float) and the object index (H×W int)."""
    scene.render.filepath = exr_path
    bpy.ops.render.render(write_still=True)
    parts = _read_exr(exr_path)
    os.unlink(exr_path)
    rgba = parts[COMBINED]
    index = np.rint(parts[INDEX][..., 0]).astype(np.int32)
    return rgba, index
