"""Cycles (CPU, or an NVIDIA GPU through OptiX/CUDA) into one multilayer EXR: colour with alpha plus the object-index pass.

One render gives both the pixels and, per pixel, which car is seen (the index
pass is free during render), which is what visibility labels need. The EXR is
read back with the OpenImageIO that ships inside the bpy wheel.
"""

from __future__ import annotations

import os
import sys

import bpy
import numpy as np

from drbench.generate.engine import CYCLES_GPU
from drbench.generate.settings import Settings

sys.path.append(os.path.join(bpy.utils.resource_path("LOCAL"), "python", "lib", "python3.11", "site-packages"))
import OpenImageIO as oiio  # noqa: E402  (only importable once the path above is known)

COMBINED = "ViewLayer.Combined"
INDEX = "ViewLayer.Object Index"


def configure(scene: bpy.types.Scene, settings: Settings, engine: str = "cycles") -> None:
    """Render settings: cheap light paths (1 spp DR does not need caustics), transparent film.

    ``engine`` "eevee" renders with EEVEE (needs an OpenGL/EGL context, see engine.py);
    EEVEE has no object-index pass, so the index comes from its Cryptomatte object pass.
    "cycles-optix" / "cycles-cuda" render Cycles on every GPU of that kind this process sees
    (a Ray worker sees the one it was given).
    """
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "GPU" if engine in CYCLES_GPU else "CPU"
    if engine in CYCLES_GPU:
        _use_gpus(CYCLES_GPU[engine])
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
    if engine == "eevee":
        scene.render.engine = "BLENDER_EEVEE"
        scene.eevee.taa_render_samples = settings.samples
        scene.view_layers[0].use_pass_cryptomatte_object = True
        scene.view_layers[0].pass_cryptomatte_depth = 2
    image = scene.render.image_settings
    image.media_type = "MULTI_LAYER_IMAGE"
    image.color_depth = "32"  # Cryptomatte ids are float bit patterns; half floats were no faster
    image.exr_codec = "NONE"


def _use_gpus(kind: str) -> None:
    prefs = bpy.context.preferences.addons["cycles"].preferences
    prefs.compute_device_type = kind
    devices = [d for d in prefs.get_devices_for_type(kind) if d.type == kind]
    if not devices:
        raise RuntimeError(f"Cycles finds no {kind} device in this process")
    for device in prefs.devices:
        device.use = device.type == kind


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


def _murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 (x86, 32 bit): what Cryptomatte hashes object names with."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h = seed
    blocks = len(data) // 4
    for i in range(blocks):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        k = (k * c2) & mask
        h ^= k
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    tail = data[4 * blocks:]
    k = 0
    for i, byte in enumerate(tail):
        k |= byte << (8 * i)
    if tail:
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        k = (k * c2) & mask
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h


def cryptomatte_id(name: str) -> np.float32:
    """The float a Cryptomatte pass stores for an object called ``name`` (Blender's hash_to_float)."""
    h = _murmur3_32(name.encode("utf-8"))
    exponent = min(max((h >> 23) & 0xFF, 1), 254)
    bits = (h & 0x80000000) | (exponent << 23) | (h & 0x7FFFFF)
    return np.array([bits], np.uint32).view(np.float32)[0]


def _index_from_cryptomatte(parts: dict, objects) -> np.ndarray:
    """Per pixel, the pass_index of the object with the largest coverage (0 for none/others)."""
    layer = next((p for name, p in parts.items() if name.endswith("CryptoObject00")), None)
    if layer is None:
        raise KeyError(f"no Cryptomatte object pass in the render (parts: {sorted(parts)})")
    ids = layer[..., 0]  # rank 0: the object covering most of the pixel
    index = np.zeros(ids.shape, np.int32)
    for obj in objects:
        index[(ids == cryptomatte_id(obj.name)) & (layer[..., 1] > 0)] = obj.pass_index
    return index


def render(scene: bpy.types.Scene, exr_path: str, objects=()) -> tuple[np.ndarray, np.ndarray]:
    """Render; returns premultiplied linear RGBA (H×W×4 float) and the object index (H×W int).

    ``objects`` (the cars) are needed only for EEVEE, whose index comes from Cryptomatte.
    """
    scene.render.filepath = exr_path
    bpy.ops.render.render(write_still=True)
    parts = _read_exr(exr_path)
    os.unlink(exr_path)
    rgba = parts[COMBINED]
    if scene.render.engine == "CYCLES":
        index = np.rint(parts[INDEX][..., 0]).astype(np.int32)
    else:
        index = _index_from_cryptomatte(parts, objects)
    return rgba, index
