"""One image, end to end, in this process: build the scene, render, label, write.

Imports Blender, so only the worker process imports this module.
"""

from __future__ import annotations

import functools
import json
import math
import os
import time

import bpy
import cv2

from drbench.data.kitti import write_labels
from drbench.generate import audit, background, labels, randomizers, render, scene, sensor
from drbench.generate.api import RandomizerError
from drbench.generate.settings import Settings
from drbench.io import write_bytes_atomic


def validate(settings_dict: dict) -> dict:
    """Resolve and validate the settings' randomizers (raises ConfigError naming the bad one)."""
    settings = Settings.from_dict(settings_dict)
    bound = randomizers.bound_randomizers(settings)
    return {"ok": True, "randomizers": [{"stream": stream, "class": f"{type(r).__module__}:{type(r).__qualname__}",
                                         "params": r.model_dump()} for stream, r in bound]}


def render_job(job: dict, progress=None, writer=None) -> dict:
    """Render image ``job["index"]`` from ``job["seed"]`` and write its files; returns the answer.

    ``progress(stage)`` is called before each stage, so a parent that has to kill a hung
    worker can say where it hung. With a ``writer`` (a one-thread executor) the last
    stage (compositing, PNG encoding, writing the files; no Blender calls) is handed to
    it and runs while the caller builds the next image: the answer then carries
    ``"pending"``, a future of the write's seconds, instead of a write time.
    """
    start = time.perf_counter()
    settings = Settings.from_dict(job["settings"])
    engine = job.get("engine", "cycles")
    threads = job.get("threads") or settings.threads
    ctx = scene.new_scene(settings)
    ctx.index, ctx.run_seed = job["index"], int(job.get("run_seed", 0))
    render.configure(ctx.scene, settings, engine)
    if threads:
        ctx.scene.render.threads_mode, ctx.scene.render.threads = "FIXED", threads
    randomizers.apply(ctx, job["seed"], job["index"], progress)
    audit.record_blender_images()
    built = time.perf_counter()

    if progress:
        progress("render")
    rgba, index = render.render(ctx.scene, os.path.join(job["scratch"], f"{job['index']}.exr"), ctx.cars)
    rendered = time.perf_counter()

    if progress:
        progress("label")
    depsgraph = bpy.context.evaluated_depsgraph_get()
    geometry = labels.car_geometry(ctx.cars, ctx.camera, depsgraph, settings.width, settings.height)
    side = None
    if job.get("side"):
        side = dict(index=job["index"], image_seed=job["seed"], width=settings.width, height=settings.height,
                    engine=engine,
                    P2=labels.camera_matrix(ctx.camera, depsgraph, settings.width, settings.height).tolist(),
                    camera={"height_m": ctx.camera.location.z,
                            "pitch_deg": math.degrees(ctx.camera.rotation_euler.x) - 90.0,
                            "hfov_deg": math.degrees(ctx.camera.data.angle_x)},
                    cars_placed=len(ctx.cars))
    labelled = time.perf_counter()

    if progress:
        progress("write")
    write = functools.partial(_write, job, rgba, index, geometry, ctx.background, side, tuple(ctx.image_effects))
    answer = {"index": job["index"], "ok": True,
              "timings": {"build": built - start, "render": rendered - built, "label": labelled - rendered}}
    if writer is None:
        done = write()
        answer["labels"], answer["timings"]["write"] = done["labels"], done["seconds"]
    else:
        answer["timings"]["write"] = 0.0
        answer["pending"] = writer.submit(write)
    return answer


def _write(job: dict, rgba, index, geometry, backdrop, side, effects=()) -> dict:
    """Label, composite and write one image's files, label file last; no Blender calls (runs in a
    thread while the next image is built). Returns {"seconds", "labels"}."""
    start = time.perf_counter()
    objects, instance = labels.labels_from_geometry(*geometry, index)
    if callable(backdrop):  # a randomizer may leave the (pure numpy) background to be drawn here
        backdrop = backdrop()
        problem = randomizers.check_background(backdrop, rgba.shape[0], rgba.shape[1])
        if problem:
            raise RandomizerError("background", job["index"], f"left an invalid value: {problem}")
    image = background.composite(rgba, backdrop)
    for effect in effects:  # e.g. the sensor randomizer's; pure numpy, labels unaffected
        result = effect(image)
        problem = sensor.check_effect_output(result, image.shape)
        if problem:
            raise RandomizerError("image effects", job["index"], problem)
        image = result
    write_bytes_atomic(job["image"], cv2.imencode(".png", image[..., ::-1])[1].tobytes())
    if job.get("mask"):
        write_bytes_atomic(job["mask"], cv2.imencode(".png", instance)[1].tobytes())
    if side is not None:
        record = labels.side_record(objects, **side)
        write_bytes_atomic(job["side"], (json.dumps(record, indent=1) + "\n").encode("utf-8"))
    write_labels(job["label"], objects)  # last: a label file marks the image complete
    return {"seconds": time.perf_counter() - start, "labels": len(objects)}
