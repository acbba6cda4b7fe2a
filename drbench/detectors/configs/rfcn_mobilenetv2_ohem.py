# The CPU R-FCN-style detector trained as R-FCN was: online hard example mining
# picks the 128 highest-loss RoIs per image for the head (mmdet's OHEMSampler).
_base_ = ['./rfcn_mobilenetv2.py']
model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler'))))
