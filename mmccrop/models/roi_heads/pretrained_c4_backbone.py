"""Weight initializer for the backbone half of a C4 detector.

A C4 detector splits a ResNet in two: the backbone stops after res4
(``num_stages=3``) and res5 runs per RoI in the head
(:class:`~mmccrop.models.roi_heads.ResLayerExtraNorm`). Both halves load the
same converted file; each takes its own stages.
"""
from __future__ import annotations

import re

from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.runner.checkpoint import (
    _load_checkpoint,
    _load_checkpoint_with_prefix,
    load_state_dict,
)
from torch import nn

from mmccrop.registry import WEIGHT_INITIALIZERS

_STAGE = re.compile(r'^(layer\d+)\.')


@WEIGHT_INITIALIZERS.register_module()
class PretrainedC4Backbone(PretrainedInit):
    """``Pretrained`` for a ResNet that stops early: its own stages from a full file.

    mmengine's ``Pretrained`` loads non-strictly and warns about every key the
    module lacks: with a full ResNet file in a C4 backbone that is all of
    ``layer4.*``, reported as "unexpected key in source state_dict", which
    reads like a broken transfer. This initializer sets aside the stages the
    module does not have (``layerN`` for N above its last stage), loads the
    rest exactly as ``Pretrained`` does (any other missing or unexpected key is
    still reported), and logs one line saying where the set-aside stages go.

    Args:
        checkpoint: Path of the converted backbone
            (``tools/model_converters/extract_backbone.py``); ``None`` is an
            error, so a benchmark never trains from a random backbone.
        prefix: Strip this prefix first and load only the keys that have it
            (e.g. ``'backbone.'``); ``None`` loads the file as it is.
        map_location: Where tensors are loaded.
    """

    def __call__(self, module: nn.Module) -> None:
        if not self.checkpoint:
            raise ValueError(
                'PretrainedC4Backbone: init_cfg.checkpoint is not set. Pass the converted '
                'backbone (tools/model_converters/extract_backbone.py) with --cfg-options '
                'model.backbone.init_cfg.checkpoint=PATH')
        if self.prefix is None:
            ckpt = _load_checkpoint(self.checkpoint, map_location=self.map_location)
            state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
            state_dict = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
        else:
            state_dict = _load_checkpoint_with_prefix(
                self.prefix, self.checkpoint, map_location=self.map_location)
        own = {m.group(1) for k in module.state_dict() if (m := _STAGE.match(k))}
        later = {m.group(1) for k in state_dict if (m := _STAGE.match(k))} - own
        kept = {k: v for k, v in state_dict.items()
                if not ((m := _STAGE.match(k)) and m.group(1) in later)}
        load_state_dict(module, kept, strict=False, logger='current')
        message = (f'PretrainedC4Backbone: loaded {len(kept)} tensors from {self.checkpoint} '
                   f'into the backbone ({", ".join(sorted(own)) or "no residual stage"} '
                   'and the stem)')
        if later:
            message += (f'; {len(state_dict) - len(kept)} tensors of {", ".join(sorted(later))} '
                        'are not part of a C4 backbone and were left for the RoI head '
                        '(ResLayerExtraNorm loads them as res5)')
        print_log(message + '.', logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
