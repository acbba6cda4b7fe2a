"""torchvision ResNet backbones: a clear error when the ImageNet file is absent, and the file
(saved under the name mmengine expects) loads into mmdet's ResNet so it computes torchvision's
stage outputs. The weights are random (no network here); the mapping is what is tested."""

import json

import pytest
import torch
import torchvision
from mmdet.registry import MODELS

from drbench.detectors import mmdet_fixes
from drbench.detectors.mmdet_config import load_detector_config
from drbench.detectors.predict import predict
from drbench.detectors.train import train, training_config
from drbench.detectors.weights import torchvision_checkpoint

mmdet_fixes.apply()


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def test_an_absent_imagenet_file_is_named_with_how_to_get_it(torch_home, tmp_path):
    expected = torch_home / "hub" / "checkpoints" / "resnet101-63fe2227.pth"
    assert torchvision_checkpoint("resnet101") == expected
    with pytest.raises(FileNotFoundError) as error:
        training_config("faster_rcnn_r101", tmp_path / "coco.json", tmp_path / "work", max_iters=1)
    message = str(error.value)
    assert str(expected) in message and "torchvision.models.resnet101(weights='IMAGENET1K_V1')" in message


@pytest.mark.parametrize("detector", ["faster_rcnn_r50", "rfcn_r101"])
def test_no_file_is_needed_without_imagenet_init(torch_home, tmp_path, detector):
    cfg = training_config(detector, tmp_path / "coco.json", tmp_path / "work", max_iters=1,
                          init="random")
    assert cfg.model.backbone.init_cfg is None


def _torchvision_stages(model: torchvision.models.ResNet, image: torch.Tensor) -> list[torch.Tensor]:
    x = model.maxpool(model.relu(model.bn1(model.conv1(image))))
    outputs = []
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        x = layer(x)
        outputs.append(x)
    return outputs


@pytest.mark.parametrize("detector,arch,dilated", [("faster_rcnn_r50", "resnet50", False),
                                                    ("rfcn_r101", "resnet101", True)])
def test_torchvision_file_loads_into_mmdets_resnet_unchanged(torch_home, detector, arch, dilated):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, arch)(
        replace_stride_with_dilation=[False, False, dilated])
    for module in reference.modules():  # non-trivial BN statistics, so eval mode is tested too
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    if dilated:  # R-FCN dilates every 3x3 conv of C5; torchvision leaves the first block at 1
        reference.layer4[0].conv2.dilation, reference.layer4[0].conv2.padding = (2, 2), (2, 2)
    path = torchvision_checkpoint(arch)
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)

    backbone_cfg = load_detector_config(detector).model.backbone
    backbone = MODELS.build({**backbone_cfg, "out_indices": (0, 1, 2, 3)})
    backbone.init_weights()  # resolves torchvision://<arch> to the file above
    backbone.eval()
    reference.eval()

    image = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = _torchvision_stages(reference, image), backbone(image)
    assert [g.shape for g in got] == [e.shape for e in expected]
    assert got[-1].shape[-2:] == ((4, 6) if dilated else (2, 3))  # stride 16 vs 32
    for level, (g, e) in enumerate(zip(got, expected)):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-4, msg=f"stage {level + 1}")


@pytest.mark.slow
@pytest.mark.parametrize("detector", ["faster_rcnn_r50", "rfcn_r101"])
def test_resnet_detectors_train_and_predict(torch_home, root, tmp_path, detector):
    """The GPU-profile configs run end to end on the CPU (random init: no ImageNet file needed)."""
    checkpoint = train(detector, [root], tmp_path / "work", max_iters=1, image_scale=(320, 97),
                       frames={root: ["000001", "000002"]}, init="random")
    (scalars,) = (tmp_path / "work").glob("*/vis_data/scalars.json")
    losses = [json.loads(line)["loss"] for line in scalars.read_text().splitlines()]
    assert len(losses) == 1 and 0 < losses[0] < 100
    written = predict(detector, checkpoint, root / "training" / "image_2", tmp_path / "pred",
                      names=["000050"], image_scale=(320, 97), score_thr=0.0, progress=False)
    assert [p.name for p in written] == ["000050.txt"]
