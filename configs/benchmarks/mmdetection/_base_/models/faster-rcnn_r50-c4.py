# Faster R-CNN R50-C4 with the transfer conventions of MoCo's detectron2 protocol:
# pytorch-style ResNet-50 with torchvision-RGB normalisation, SyncBN everywhere,
# nothing frozen (frozen_stages=-1, norm_eval=False), and the res5 RoI shared
# head followed by an extra norm (mmccrop.ResLayerExtraNorm).  The pretrained
# weights (a backbone-only file from tools/model_converters/extract_backbone.py)
# go to BOTH init_cfg.checkpoint entries below; tools/benchmarks/mmdetection/*.sh
# set them. They are None here on purpose: train without them and init fails
# instead of silently benchmarking a random backbone.
#
# CPU / single process: mmengine's Runner reverts SyncBN to BN when it is not
# distributed. When you build the model yourself, override the norm with
#   --cfg-options model.backbone.norm_cfg.type=BN \
#       model.roi_head.shared_head.norm_cfg.type=BN
_base_ = 'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py'

# Registers mmccrop.ResLayerExtraNorm while default_scope stays 'mmdet'.
custom_imports = dict(imports=['mmccrop.models'], allow_failed_imports=False)

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
        init_cfg=dict(type='Pretrained', checkpoint=None)),
    roi_head=dict(
        shared_head=dict(
            type='mmccrop.ResLayerExtraNorm',
            style='pytorch',
            norm_cfg=norm_cfg,
            norm_eval=False,
            init_cfg=dict(type='Pretrained', checkpoint=None))))
