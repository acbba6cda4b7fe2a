"""One image, end to end, in this process: build the scene, render, label, write.

Imports Blender, so only the worker process imports this module.
"""

from __future__ import annotations

import os
import time

import bpy
import cv2

from drbench.data.kitti import write_labels
from drbench.generate import background, labels, randomizers, render, scene
from drbench.generate.settings import Settings
from drbench.io import write_bytes_atomic


def render_job(job: dict) -> dict:
    """Render image ``job["index"]`` from ``job["seed"]`` and write its files; returns the answer."""
    start = time.perf_counter()
    settings = Settings.from_dict(job["settings"])
    ctx = scene.new_scene(settings)
    render.configure(ctx.scene, settings)
    randomizers.apply(ctx, job["seed"])
    built = time.perf_counter()

    rgba, index = render.render(ctx.scene, os.path.join(job["scratch"], f"{job['index']}.exr"))
    rendered = time.perf_counter()

    objects, instance = labels.car_labels(ctx.cars, ctx.camera, bpy.context.evaluated_depsgraph_get(), index)
    labelled = time.perf_counter()

    image = background.composite(rgba, ctx.background)
    write_bytes_atomic(job["image"], cv2.imencode(".png", image[..., ::-1])[1].tobytes())
    if job.get("mask"):
        write_bytes_atomic(job["mask"], cv2.imencode(".png", instance)[1].tobytes())
    write_labels(job["label"], objects)  # last: a label file marks the image complete
    written = time.perf_counter()
    return {
        "index": job["index"], "ok": True, "labels": len(objects),
        "timings": {"build": built - start, "render": rendered - built,
                    "label": labelled - rendered, "write": written - labelled},
    }
