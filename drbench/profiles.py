"""Named scales of the same protocol: a plain registry (DomainBed style).

tiny checks the plumbing in seconds (tests); smoke proves the whole path in
minutes (AP may be near zero); cpu is the largest run that is practical on a
2-core machine.
"""

from __future__ import annotations

PROFILES: dict[str, dict] = {
    "tiny": dict(  # seconds: the tests' check that every stage connects and resumes
        n_images=4, width=320, height=96, samples=1,
        detector="faster_rcnn", image_scale=(320, 97), max_iters=4, batch_size=2, lr=0.01,
        bootstrap=20,
    ),
    "smoke": dict(
        n_images=32, width=640, height=192, samples=1,
        detector="faster_rcnn", image_scale=(640, 194), max_iters=80, batch_size=2, lr=0.01,
        bootstrap=200,
    ),
    "cpu": dict(
        n_images=500, width=800, height=242, samples=2,
        detector="faster_rcnn", image_scale=(800, 242), max_iters=1000, batch_size=4, lr=0.02,
        bootstrap=1000,
    ),
}


def profile(name: str) -> dict:
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    return dict(PROFILES[name])
