# R-FCN-style detector: ImageNet MobileNetV2 at stride 16, PSRoIAlign k=7, Car only.
_base_ = [
    '_base_/models/rfcn_mobilenetv2.py',
    '_base_/datasets/kitti_car.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
