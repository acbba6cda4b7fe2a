# R-FCN-style detector (drbench.detectors.rfcn): ImageNet MobileNetV2 dilated to
# one stride-16 map (R-FCN used a dilated ResNet C5), a 1x1 reduction, an RPN
# on that map, and position-sensitive score maps pooled by torchvision's
# PSRoIAlign (k=7) with average voting. Class-agnostic box regression, as in
# the R-FCN paper.
model = dict(
    type='FasterRCNN',  # two-stage: backbone -> neck -> RPN -> RoI head
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='DrbenchMobileNetV2',
        output_stride=16,
        out_indices=(7, ),  # the final 1x1 conv, 1280 channels
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='drbench://mobilenet_v2_imagenet')),
    neck=dict(type='ChannelMapper', in_channels=[1280], out_channels=256, kernel_size=1,
              norm_cfg=None, act_cfg=dict(type='ReLU')),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[1, 2, 4, 8, 16],
            ratios=[0.5, 1.0, 2.0],
            strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='PSRoIHead',
        bbox_roi_extractor=None,  # pooling happens inside the bbox head
        bbox_head=dict(
            type='RFCNBBoxHead',
            in_channels=256,
            feat_channels=256,
            roi_feat_size=7,
            spatial_scale=1 / 16,
            sampling_ratio=2,
            num_classes=1,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=True,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=0.5),
            sampler=dict(
                type='RandomSampler', num=256, pos_fraction=0.5,
                neg_pos_ub=-1, add_gt_as_proposals=False),
            allowed_border=-1, pos_weight=-1, debug=False),
        rpn_proposal=dict(
            nms_pre=1000, max_per_img=300,
            nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                min_pos_iou=0.5, match_low_quality=False, ignore_iof_thr=0.5),
            sampler=dict(
                type='RandomSampler', num=128, pos_fraction=0.25,
                neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1, debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=1000, max_per_img=300,
            nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))
