# Car-only detection data in COCO form, written by drbench from KITTI-layout
# folders (synthetic DR output or real KITTI). drbench sets ann_file per run;
# image paths inside the annotation file are absolute, so data_root is ''.
dataset_type = 'CocoDataset'
metainfo = dict(classes=('Car', ), palette=[(220, 20, 60)])
# KITTI frames are 1242x375; the CPU profiles train and test at this size.
image_scale = (800, 242)
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion', brightness_delta=32,
         contrast_range=(0.6, 1.4), saturation_range=(0.7, 1.3), hue_delta=10),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root='',
        ann_file='',
        data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=False, min_size=4),
        pipeline=train_pipeline,
        backend_args=backend_args))
# Only its pipeline is used: drbench predicts image folders itself and scores
# them with the KITTI devkit rules (drbench.evaluate), not with a COCO metric.
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root='',
        ann_file='',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
