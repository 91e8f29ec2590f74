"""C4 RoI shared head (res5) followed by an extra normalisation layer.

MoCo's detectron2 transfer protocol (``Res5ROIHeadsExtraNorm``) appends a
norm layer to the res5 block of the RoI head, so the head's output is
normalised like the rest of the (SyncBN) backbone.  This is mmdet's
``ResLayer`` shared head plus that layer, registered as
``mmccrop.ResLayerExtraNorm``.
"""
from __future__ import annotations

from typing import Optional

import torch
from mmcv.cnn import build_norm_layer
from mmdet.models.roi_heads.shared_heads import ResLayer
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmccrop.registry import MODELS


@MODELS.register_module()
class ResLayerExtraNorm(ResLayer):
    """mmdet's ResLayer shared head with a norm layer after the last block.

    The residual stage keeps mmdet's name (``layer4`` for ``stage=3``), so a
    backbone-only ResNet checkpoint (torchvision naming, as written by
    ``tools/model_converters/extract_backbone.py``) fills it; the extra norm
    (``extra_norm``) has no pretrained counterpart and starts as the identity
    map of a fresh norm layer (weight 1, bias 0).

    Args:
        depth: ResNet depth (50, 101, ...).
        norm_cfg: Norm config for the stage and the extra norm (SyncBN in the
            benchmarks; use BN on a single CPU/GPU).
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH, prefix=None)``
            loads ``layer{stage+1}.*`` from PATH *strictly* (every res5 tensor
            must be there, or a clear error is raised); ``prefix`` (e.g.
            ``'backbone.'``) is stripped first.  Anything else falls back to
            mmdet's ResLayer initialisation.
        **kwargs: The other arguments of mmdet's ``ResLayer``.
    """

    def __init__(self, depth: int, norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, **kwargs) -> None:
        if norm_cfg is None:
            norm_cfg = dict(type='BN', requires_grad=True)
        super().__init__(depth, norm_cfg=norm_cfg, init_cfg=init_cfg, **kwargs)
        channels = self.res_layer[-1].conv3.out_channels if hasattr(
            self.res_layer[-1], 'conv3') else self.res_layer[-1].conv2.out_channels
        _, norm = build_norm_layer(norm_cfg, channels)
        self.add_module('extra_norm', norm)

    @property
    def res_layer(self) -> nn.Sequential:
        return getattr(self, f'layer{self.stage + 1}')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.extra_norm(self.res_layer(x))

    def train(self, mode: bool = True) -> ResLayerExtraNorm:
        # mmdet's ResLayer only freezes nn.BatchNorm2d; SyncBN is a _BatchNorm.
        nn.Module.train(self, mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        checkpoint = cfg.get('checkpoint')
        if not checkpoint:
            raise ValueError(
                'ResLayerExtraNorm: init_cfg.checkpoint is not set. Pass the converted '
                'backbone (tools/model_converters/extract_backbone.py) with --cfg-options '
                'model.roi_head.shared_head.init_cfg.checkpoint=PATH')
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        prefix = cfg.get('prefix') or ''
        stage = f'layer{self.stage + 1}.'
        weights = {
            k[len(prefix) + len(stage):]: v
            for k, v in state_dict.items() if k.startswith(prefix + stage)
        }
        if not weights:
            raise KeyError(f"ResLayerExtraNorm: no '{prefix}{stage}*' keys in {checkpoint}; "
                           f'keys seen: {list(state_dict)[:8]} ...')
        try:
            self.res_layer.load_state_dict(weights, strict=True)
        except RuntimeError as e:
            raise RuntimeError(
                f"ResLayerExtraNorm: {checkpoint} does not match '{stage}*': {e}") from e
        print_log(f'ResLayerExtraNorm: loaded {len(weights)} tensors into {stage[:-1]} from '
                  f'{checkpoint}; extra_norm starts at weight 1, bias 0.', logger='current')
        self._is_init = True
