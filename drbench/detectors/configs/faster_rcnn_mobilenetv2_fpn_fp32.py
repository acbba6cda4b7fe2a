# The default detector's training recipe before the CPU speed-up (issue 13):
# ImageNet batch norm kept (frozen), fp32 contiguous convolutions, 256 RoIs per
# image, 1000 boxes per level into the RPN's NMS. Kept as the `recipe`
# protocol's reference arm, so the faster recipe's AP is checked against it
# with a paired comparison on the same frames.
_base_ = './faster_rcnn_mobilenetv2_fpn.py'
model = dict(
    backbone=dict(
        norm_cfg=dict(_delete_=True, type='BN', requires_grad=True),  # the base has None
        norm_eval=True,
        channels_last=False,
        autocast_dtype=None,
        init_cfg=dict(type='Pretrained', checkpoint='drbench://mobilenet_v2_imagenet')),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000),
        rcnn=dict(sampler=dict(num=256))))
