# drbench's default detector: Faster R-CNN, ImageNet MobileNetV2 + FPN, Car only.
_base_ = [
    '_base_/models/faster_rcnn_mobilenetv2_fpn.py',
    '_base_/datasets/kitti_car.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
