# The paper's "no data augmentation" ablation: kitti_car.py without any of
# its augmentations. The dataloader's pipeline is set again because a base's
# variables are resolved before a child overrides them.
_base_ = ['kitti_car.py']
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale={{_base_.image_scale}}, keep_ratio=True),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
