# Faster R-CNN on an ImageNet ResNet-50 + FPN (mmdet's standard recipe, Car
# only): the GPU-profile detector. The backbone is torchvision's ImageNet
# ResNet-50 (``torchvision://`` resolves to torch hub's checkpoint folder;
# drbench checks the file is there before it builds anything, see
# drbench.detectors.weights). Shares the preprocessor, losses, assigners,
# samplers and test settings of the MobileNetV2 base; only what differs is here.
_base_ = './faster_rcnn_mobilenetv2_fpn.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    rpn_head=dict(
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(scales=[8], strides=[4, 8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=256, featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(in_channels=256, fc_out_channels=1024)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=2000, max_per_img=1000),
                   rcnn=dict(sampler=dict(num=256))),  # the CPU base samples 128
    test_cfg=dict(rpn=dict(max_per_img=1000)))
