"""Named scales of the same protocols: a plain registry (DomainBed style).

tiny checks the plumbing in seconds (tests); smoke proves the whole path in
minutes (AP may be near zero; CI runs it); cpu is the largest run that is
practical on a 2-core machine. ``estimates`` are measured rates on such a
machine, used only by ``--dry-run`` to say how long a plan will take.
"""

from __future__ import annotations

PROFILES: dict[str, dict] = {
    "tiny": dict(
        n_images=4, width=320, height=96, samples=1,
        detector="faster_rcnn", image_scale=(320, 97), max_iters=4, batch_size=2, lr=0.01,
        real_n=[4], finetune_iters=2, bootstrap=20, protocols=["dr-only"],
        estimates=dict(generate_s_per_image=0.3, train_s_per_iter=0.3, predict_s_per_image=0.1),
    ),
    "smoke": dict(
        n_images=32, width=640, height=192, samples=1,
        detector="faster_rcnn", image_scale=(640, 194), max_iters=80, batch_size=2, lr=0.01,
        real_n=[10], finetune_iters=40, bootstrap=200, protocols=["dr-only", "fine-tune"],
        estimates=dict(generate_s_per_image=0.6, train_s_per_iter=0.7, predict_s_per_image=0.3),
    ),
    "cpu": dict(
        n_images=500, width=800, height=242, samples=2,
        detector="faster_rcnn", image_scale=(800, 242), max_iters=1000, batch_size=4, lr=0.02,
        real_n=[25, 50], finetune_iters=300, bootstrap=1000,
        protocols=["dr-only", "fine-tune"],
        estimates=dict(generate_s_per_image=1.0, train_s_per_iter=2.0, predict_s_per_image=0.5),
    ),
}


def profile(name: str) -> dict:
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    return dict(PROFILES[name])
