# Faster R-CNN ResNet-101 + FPN: the ResNet-50 base one stage deeper
# (the paper's Faster R-CNN used a ResNet-V1 feature extractor).
_base_ = './faster_rcnn_r50_fpn.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
