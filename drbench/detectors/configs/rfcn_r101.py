# R-FCN, ImageNet ResNet-101 dilated to stride 16, PSRoIAlign k=7, OHEM, Car only.
_base_ = [
    '_base_/models/rfcn_r101.py',
    '_base_/datasets/kitti_car.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
