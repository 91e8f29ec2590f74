# Faster R-CNN R50-C4 with MoCo's detectron2 transfer model (Base-RCNN-C4-BN.yaml and
# the *_moco.yaml overrides; docs/reproduction.md, docs/transfer.md):
# pytorch-style ResNet-50 (STRIDE_IN_1X1 False) with torchvision-RGB
# normalisation, SyncBN everywhere, nothing frozen (FREEZE_AT 0: frozen_stages=-1,
# norm_eval=False), the res5 RoI shared head followed by an extra norm
# (mmccrop.ResLayerExtraNorm = Res5ROIHeadsExtraNorm), precise BN statistics
# before testing (TEST.PRECISE_BN, 200 iterations), and detectron2's RPN
# matching: every ground-truth box keeps its best anchor as a positive
# however low its IoU (min_pos_iou=0.0; mmdet's 0.3 leaves boxes under about
# 18 px without one), and anchors crossing the border train too
# (allowed_border=-1, BOUNDARY_THRESH -1).
#
# The pretrained weights (a backbone-only file from
# tools/model_converters/extract_backbone.py) go to BOTH init_cfg.checkpoint
# entries below; tools/benchmarks/mmdetection/*_c4.sh set them. The backbone
# takes the stem and res2-res4 (mmccrop.PretrainedC4Backbone), the head res5.
# They are None here on purpose: train without them and init fails instead of
# silently benchmarking a random backbone.
#
# CPU / single process: mmengine's Runner reverts SyncBN to BN when it is not
# distributed. When you build the model yourself, override the norm with
#   --cfg-options model.backbone.norm_cfg.type=BN \
#       model.roi_head.shared_head.norm_cfg.type=BN
_base_ = 'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py'

# Registers mmccrop's head, initializer and hook while default_scope stays 'mmdet'.
custom_imports = dict(
    imports=['mmccrop.models', 'mmccrop.engine.hooks'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='mmccrop.PretrainedC4Backbone', checkpoint=None)),
    roi_head=dict(
        shared_head=dict(
            type='mmccrop.ResLayerExtraNorm',
            style='pytorch',
            norm_cfg=norm_cfg,
            norm_eval=False,
            init_cfg=dict(type='Pretrained', checkpoint=None))),
    train_cfg=dict(rpn=dict(assigner=dict(min_pos_iou=0.0), allowed_border=-1)))

custom_hooks = [dict(type='mmccrop.PreciseBNHook', num_iters=200)]
