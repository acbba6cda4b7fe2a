# R-FCN as in Dai et al. 2016: ImageNet ResNet-101 whose C5 is dilated to
# stride 16 (every 3x3 conv of C5 with dilation 2), a 1x1 1024-channel "new
# conv" (the neck), an RPN on that map, k=7 position-sensitive score maps
# (drbench.detectors.rfcn) and online hard example mining: the 128 RoIs with
# the highest loss out of the 300 proposals per image train the head.
_base_ = './rfcn_mobilenetv2.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=101,
        num_stages=4,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(3, ),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')),
    neck=dict(in_channels=[2048], out_channels=1024),
    rpn_head=dict(in_channels=1024, feat_channels=512),
    roi_head=dict(bbox_head=dict(in_channels=1024, feat_channels=1024)),
    train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))
