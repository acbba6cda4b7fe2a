# SSDLite: ImageNet MobileNetV2, depthwise SSD head, Car only.
_base_ = [
    '_base_/models/ssdlite_mobilenetv2.py',
    '_base_/datasets/kitti_car.py',
    '_base_/schedules/sgd_iters.py',
    '_base_/default_runtime.py',
]
