# R-FCN-style detector (drbench.detectors.rfcn): ImageNet MobileNetV2 dilated to
# one stride-16 map (R-FCN used a dilated ResNet C5), a 1x1 reduction, an RPN
# on that map, and position-sensitive score maps pooled by torchvision's
# PSRoIAlign (k=7) with average voting. Class-agnostic box regression, as in
# the R-FCN paper. Shares the preprocessor, losses, assigners and test settings
# of the Faster R-CNN base; only what differs is written here.
_base_ = './faster_rcnn_mobilenetv2_fpn.py'
model = dict(
    backbone=dict(
        output_stride=16,
        out_indices=(7, ),  # the final 1x1 conv, 1280 channels
    ),
    neck=dict(_delete_=True, type='ChannelMapper', in_channels=[1280], out_channels=256,
              kernel_size=1, norm_cfg=None, act_cfg=dict(type='ReLU')),
    rpn_head=dict(
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(scales=[1, 2, 4, 8, 16], strides=[16])),
    roi_head=dict(
        _delete_=True,
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
        rpn_proposal=dict(max_per_img=300),
        rcnn=dict(sampler=dict(num=128))))
