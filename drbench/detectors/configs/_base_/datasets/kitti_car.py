# Car-only detection data in COCO form, written by drbench from KITTI-layout
# folders (synthetic DR output or real KITTI). drbench sets ann_file per run;
# image paths inside the annotation file are absolute, so data_root is ''.
dataset_type = 'CocoDataset'
metainfo = dict(classes=('Car', ), palette=[(220, 20, 60)])
# KITTI frames are 1242x375; the CPU profiles train and test at this size.
image_scale = (800, 242)
backend_args = None

# The paper's augmentations (drbench.detectors.transforms; each can be dropped
# for an ablation, kitti_car_noaug.py drops all). Crop before the fixed resize,
# so a crop zooms in; photometric ones last, on the smaller image. drbench
# seeds each from the run seed.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='HorizontalFlip', prob=0.5),
    dict(type='RandomCropBoxes', prob=0.5, scale_range=(0.6, 1.0), min_visible=0.3, min_size=4),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomScale', prob=0.5, ratio_range=(0.8, 1.2)),
    dict(type='BoxJitter', prob=0.5, ratio=0.05),
    dict(type='RandomBrightness', prob=0.5, max_delta=0.2),
    dict(type='RandomContrast', prob=0.5, lower=0.8, upper=1.25),
    dict(type='GaussianNoise', prob=0.5, std_range=(0.0, 8.0)),
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
