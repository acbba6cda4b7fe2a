# SSDLite (mmdet's ssdlite_mobilenetv2 adapted to KITTI cars): ImageNet
# MobileNetV2 (stride 16 and 32 maps), two extra depthwise levels (64, 128), a
# depthwise SSD head on all four. Anchors are sized for cars at drbench's
# image scales (16-256 px) instead of COCO at 320x320. DrbenchSSDHead is
# mmdet's SSDHead with its inference bug fixed (drbench.detectors.ssd_head).
# The preprocessor's std must be the ImageNet one (SSD300's std=1 config gives
# NaN losses within a few iterations; so does training without clip_grad,
# which the shared schedule sets).
model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='DrbenchMobileNetV2',
        out_indices=(4, 7),
        frozen_stages=1,
        norm_cfg=None,  # frozen ImageNet BN, folded into the convs (as in Faster R-CNN's base)
        channels_last=True,
        autocast_dtype='bfloat16',
        init_cfg=dict(type='Pretrained', checkpoint='drbench://mobilenet_v2_imagenet_bn_folded')),
    neck=dict(
        type='SSDNeck',
        in_channels=(96, 1280),
        out_channels=(96, 1280, 512, 256),
        level_strides=(2, 2),
        level_paddings=(1, 1),
        l2_norm_scale=None,
        use_depthwise=True,
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    bbox_head=dict(
        type='DrbenchSSDHead',
        in_channels=(96, 1280, 512, 256),
        num_classes=1,
        use_depthwise=True,
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.001),
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            strides=[16, 32, 64, 128],
            ratios=[[2, 3], [2, 3], [2, 3], [2, 3]],
            min_sizes=[16, 40, 80, 150],
            max_sizes=[40, 80, 150, 256]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2])),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0.,
            ignore_iof_thr=-1,  # SSDHead's loss counts ignored anchors as background anyway
            gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.001,  # the whole PR curve, as the two-stage detectors
        max_per_img=100))
