# Faster R-CNN, ImageNet ResNet-101 + FPN, Car only (the paper profile's detector).
_base_ = [
    '_base_/models/faster_rcnn_r101_fpn.py',
    '_base_/datasets/kitti_car.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
