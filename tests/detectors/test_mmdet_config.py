"""Detector configs: a config's digest follows what mmengine resolves, bases included."""

from drbench.detectors.mmdet_config import DETECTORS, config_digest


def test_digest_follows_the_resolved_config(tmp_path):
    digest = config_digest("faster_rcnn")
    assert config_digest(DETECTORS["faster_rcnn"]) == digest, "a name and its file are one config"
    assert config_digest("faster_rcnn_noaug") != digest and config_digest("rfcn") != digest

    same = tmp_path / "same.py"
    same.write_text(f"_base_ = [{str(DETECTORS['faster_rcnn'])!r}]\n")
    assert config_digest(same) == digest, "inheriting and changing nothing is the same detector"
    edited = tmp_path / "edited.py"
    edited.write_text(f"_base_ = [{str(DETECTORS['faster_rcnn'])!r}]\n"
                      "model = dict(rpn_head=dict(anchor_generator=dict(ratios=[0.25, 0.5, 1.0])))\n")
    assert config_digest(edited) != digest, "an edit inside a base-derived config changes the digest"
