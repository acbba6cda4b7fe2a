"""One arm's train, predict and evaluate steps: run by the protocol runner here, or in a Ray task.

The runner (runner.py) and the Ray tasks (ray_arms.py) both score arms through
:func:`score_arm`, so a Ray task caches exactly the steps a local run would.
"""

from __future__ import annotations

from pathlib import Path

from drbench.data.splits import split_frames
from drbench.detectors.predict import predict
from drbench.detectors.train import train
from drbench.evaluate.report import evaluate_dirs
from drbench.events import Event
from drbench.steps import StepRunner


def score_arm(steps: StepRunner, job: dict) -> dict:
    """Train, predict and evaluate one arm through cached steps (here or in a Ray task)."""
    root, detector = job["root"], job["detector"]

    def train_model(folder: Path, p=job["train"]) -> dict:
        checkpoint = train(p["detector"], job["data_dirs"], folder, p["iters"],
                           image_scale=tuple(p["image_scale"]), batch_size=p["batch_size"],
                           lr=p["lr"], seed=p["seed"], frames=job["frames"],
                           load_from=Path(job["load_from"]) if job["load_from"] else None,
                           init=p["backbone_init"], freeze_backbone=p["freeze_backbone"],
                           resume=True, checkpoint_every=max(1, p["iters"] // 5), events=steps.log,
                           verbose=steps.verbose)
        return {"checkpoint": str(checkpoint)}

    model = steps.run("train", job["train"], train_model, tuple(job["upstream"]))

    def predict_test(folder: Path, p=job["predict"]) -> dict:
        written = predict(detector, Path(model["checkpoint"]), root / "training" / "image_2",
                          folder / "pred", names=split_frames(root, p["split"]),
                          image_scale=tuple(p["image_scale"]), verbose=steps.verbose)
        return {"dir": str(folder / "pred"), "n_images": len(written)}

    predicted = steps.run("predict", job["predict"], predict_test, (model["key"],))

    def evaluate_predictions(folder: Path, p: dict) -> dict:
        report = evaluate_dirs(root, Path(predicted["dir"]), split=p["split"], out_dir=folder,
                               bootstrap=p["bootstrap"], seed=p["seed"])
        steps.log.event(Event.EVALUATION, report["n_frames"], split=p["split"], scores={
            iou: {level: {"ap11": r["ap11"], "ap40": r["ap40"]} for level, r in levels.items()}
            for iou, levels in report["results"].items()})
        return report

    evaluations = [steps.run("evaluate", params, lambda folder, p=params: evaluate_predictions(folder, p),
                             (predicted["key"],))
                   for params in job["evaluate"]]
    return {"model": model, "predicted": predicted, "evaluations": evaluations}
