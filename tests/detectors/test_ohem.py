"""OHEM with drbench's R-FCN head: training runs, and the sampler keeps exactly the hardest RoIs.

mmdet's OHEMSampler scores every candidate RoI through the RoI head it lives in
(``PSRoIHead._bbox_forward``) and keeps the highest-loss ones; here the losses
are recomputed independently, on real RPN proposals for a real KITTI frame.
"""

import json

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox2roi
from mmengine.runner import Runner, load_checkpoint

from drbench.detectors import mmdet_fixes
from drbench.detectors.train import training_config, write_training_annotations

mmdet_fixes.apply()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mining(trained, root, tmp_path_factory):
    """Model trained 4 iterations with OHEM, one real frame's features, proposals and assignment."""
    run = trained("rfcn_ohem")
    tmp = tmp_path_factory.mktemp("ohem")
    frames = ["000008", "000010"]  # 6 and 8 cars; not among the training frames
    ann = write_training_annotations(tmp / "coco.json", [root], {root: frames})
    cfg = training_config("rfcn_ohem", ann, tmp, max_iters=1, image_scale=run.scale)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, str(run.checkpoint), map_location="cpu")
    # After 4 iterations every RoI's loss is still about ln 2 (scores from std-0.01 convs);
    # a wider score-map conv spreads the losses so that hard and easy RoIs differ visibly.
    torch.nn.init.normal_(model.roi_head.bbox_head.conv_cls.weight, std=1.0,
                          generator=torch.Generator().manual_seed(0))
    model.train()
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    data = model.data_preprocessor(batch, True)
    sample = data["data_samples"][0]
    with torch.no_grad():
        feats = tuple(level[:1] for level in model.extract_feat(data["inputs"]))
        (proposals,) = model.rpn_head.predict(feats, [sample], rescale=False)
    proposals.priors = proposals.pop("bboxes")
    head = model.roi_head
    ignored = sample.ignored_instances if "ignored_instances" in sample else None
    assign = head.bbox_assigner.assign(proposals, sample.gt_instances, ignored)
    return model, feats, proposals, sample, assign


def candidate_losses(head, feats, bboxes, labels):
    """Per-RoI classification loss, computed here rather than by the sampler."""
    with torch.no_grad():
        cls_score = head._bbox_forward(feats, bbox2roi([bboxes]))["cls_score"]
    return F.cross_entropy(cls_score, labels, reduction="none")


def test_training_with_ohem_runs_and_learns(trained):
    run = trained("rfcn_ohem")
    logs = list(run.work_dir.glob("*/vis_data/scalars.json"))
    losses = [json.loads(line) for line in logs[0].read_text().splitlines() if "loss" in line]
    assert losses and all(0 < entry["loss"] < 100 for entry in losses)
    assert all("loss_cls" in entry and "loss_bbox" in entry for entry in losses)


def test_ohem_keeps_the_highest_loss_negatives(mining):
    model, feats, proposals, sample, assign = mining
    head = model.roi_head
    assert type(head.bbox_sampler).__name__ == "OHEMSampler"
    gt = sample.gt_instances
    result = head.bbox_sampler.sample(assign, proposals, gt, feats=list(feats))

    candidates = torch.cat([gt.bboxes, proposals.priors])  # sample() put the GT boxes first
    negatives = torch.nonzero(assign.gt_inds == 0).squeeze(1)
    background = torch.full((len(negatives),), head.bbox_head.num_classes)
    losses = candidate_losses(head, feats, candidates[negatives], background)
    n_kept = len(result.neg_inds)
    assert 0 < n_kept < len(negatives), "mining must choose among more negatives than it keeps"

    kept = torch.isin(negatives, result.neg_inds)
    assert kept.sum() == n_kept
    assert losses[kept].min() >= losses[~kept].max() - 1e-6, "a kept RoI is easier than a dropped one"
    assert losses.topk(n_kept).values.sum() == pytest.approx(losses[kept].sum().item(), rel=1e-5)

    random_sampler = TASK_UTILS.build(dict(type="RandomSampler", num=head.bbox_sampler.num,
                                           pos_fraction=head.bbox_sampler.pos_fraction))
    torch.manual_seed(0)
    random_neg = random_sampler._sample_neg(assign, n_kept)
    random_losses = candidate_losses(head, feats, candidates[random_neg],
                                     torch.full((n_kept,), head.bbox_head.num_classes))
    assert losses[kept].mean() > random_losses.mean(), \
        f"OHEM {losses[kept].mean():.3f} vs random {random_losses.mean():.3f}"
