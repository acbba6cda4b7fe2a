# Faster R-CNN, ImageNet ResNet-50 + FPN, Car only (GPU profile).
_base_ = [
    '_base_/models/faster_rcnn_r50_fpn.py',
    '_base_/datasets/kitti_car.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
