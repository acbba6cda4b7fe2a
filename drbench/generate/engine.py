"""Which render engine to use: probe EEVEE and Cycles' GPUs in child processes, fall back to Cycles on the CPU.

EEVEE needs an OpenGL/EGL context; without one Blender aborts the whole process
(SIGABRT from libepoxy), which Python cannot catch, so the probe renders a tiny
frame in a throwaway child. On a software context (Mesa llvmpipe) EEVEE runs,
but slower than Cycles at low samples (field notes: 7.3 vs 1.3 s/image), so
``auto`` picks EEVEE only on a hardware GPU context. Cycles renders on an NVIDIA
GPU through OptiX or CUDA (``cycles-optix``, ``cycles-cuda``); ``auto`` takes
those next, where Cycles lists such a device, and the CPU last.
"""

from __future__ import annotations

import functools
import glob
import json
import subprocess
import sys

_PROBE = r"""
import json, os, sys, tempfile
out = os.fdopen(os.dup(1), "w"); os.dup2(2, 1)
import bpy
scene = bpy.context.scene
scene.render.engine = "BLENDER_EEVEE"
scene.render.resolution_x, scene.render.resolution_y = 16, 8
scene.eevee.taa_render_samples = 1
path = os.path.join(tempfile.mkdtemp(), "probe.png")
scene.render.filepath = path
bpy.ops.render.render(write_still=True)
import gpu
renderer = gpu.platform.renderer_get()
out.write(json.dumps({"ok": os.path.exists(path), "renderer": renderer,
                      "vendor": gpu.platform.vendor_get()}) + "\n")
"""
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software")
CYCLES_GPU = {"cycles-optix": "OPTIX", "cycles-cuda": "CUDA"}  # engine -> Cycles device type, best first
_CYCLES_PROBE = r"""
import json, os, sys
out = os.fdopen(os.dup(1), "w"); os.dup2(2, 1)
import bpy
prefs = bpy.context.preferences.addons["cycles"].preferences
out.write(json.dumps({kind: [d.name for d in prefs.get_devices_for_type(kind) if d.type == kind]
                      for kind in sys.argv[1:]}) + "\n")
"""


@functools.lru_cache(maxsize=1)
def probe_eevee(timeout: float = 120.0) -> dict:
    """{"ok", "renderer", "software", "error"}: whether EEVEE can render in this environment."""
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "renderer": None, "software": None, "error": f"probe timed out after {timeout:g} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return {"ok": False, "renderer": None, "software": None,
                "error": f"EEVEE probe exited with status {done.returncode}: {tail}"}
    result = json.loads(lines[-1])
    renderer = str(result.get("renderer") or "")
    return {"ok": bool(result["ok"]), "renderer": renderer,
            "software": any(word in renderer.lower() for word in SOFTWARE_RENDERERS), "error": None}


@functools.lru_cache(maxsize=1)
def cycles_gpus(timeout: float = 120.0) -> dict[str, list[str]]:
    """Cycles' GPU devices per device type (``{"OPTIX": [names], "CUDA": [names]}``), asked in a child."""
    kinds = list(CYCLES_GPU.values())
    try:
        done = subprocess.run([sys.executable, "-c", _CYCLES_PROBE, *kinds], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Cycles device probe timed out after {timeout:g} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"Cycles device probe exited with status {done.returncode}: {tail}")
    return json.loads(lines[-1])


GPU_DEVICES = ("/dev/nvidia[0-9]*", "/dev/dri/renderD*", "/dev/kfd")


def gpu_devices() -> list[str]:
    """Device nodes of a hardware GPU (NVIDIA, DRM render nodes, AMD KFD); empty on a CPU-only machine."""
    return sorted(path for pattern in GPU_DEVICES for path in glob.glob(pattern))


def choose(requested: str) -> tuple[str, dict | None]:
    """The engine to render with for a settings' ``engine`` value, and the probe result (if probed).

    ``auto`` without any GPU device node skips the probes (EEVEE could only run on a
    software context there, which ``auto`` would not pick anyway; the probe costs ~20 s).
    """
    if requested == "cycles":
        return "cycles", None
    if requested in CYCLES_GPU:
        kind = CYCLES_GPU[requested]
        devices = cycles_gpus()[kind]
        if not devices:
            raise RuntimeError(f"engine {requested} requested but Cycles finds no {kind} device here "
                               f"(GPU device nodes: {', '.join(gpu_devices()) or 'none'}); "
                               f"use engine cycles or auto")
        return requested, {"devices": devices}
    if requested == "auto" and not gpu_devices():
        return "cycles", {"ok": None, "renderer": None, "software": None, "error": "no GPU device node: not probed"}
    probe = probe_eevee()
    if requested == "eevee":
        if not probe["ok"]:
            raise RuntimeError(f"engine eevee requested but EEVEE cannot render here: {probe['error']}")
        return "eevee", probe
    if probe["ok"] and not probe["software"]:
        return "eevee", probe
    devices = cycles_gpus()
    for engine, kind in CYCLES_GPU.items():
        if devices[kind]:
            return engine, {**probe, "devices": devices[kind]}
    return "cycles", probe
