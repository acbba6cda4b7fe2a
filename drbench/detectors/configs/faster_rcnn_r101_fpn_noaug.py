# The paper's "no data augmentation" ablation of the ResNet-101 Faster R-CNN.
_base_ = [
    '_base_/models/faster_rcnn_r101_fpn.py',
    '_base_/datasets/kitti_car_noaug.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
