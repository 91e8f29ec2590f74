"""MoCo v2's projection MLP."""
from typing import Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmccrop.registry import MODELS


@MODELS.register_module()
class MoCoV2Neck(BaseModule):
    """Global average pool -> fc -> ReLU -> fc (no BN), as in MoCo v2.

    Args:
        in_channels: Backbone output channels (2048 for R50, 512 for R18).
        hid_channels: Hidden width.
        out_channels: Embedding size (128).
        with_avg_pool: Pool an ``(N, C, H, W)`` map first.
        init_cfg: mmengine init config.

    Input: a tuple/list of feature maps (the last is used) or one tensor.
    Output: a 1-tuple with the ``(N, out_channels)`` embedding.
    """

    def __init__(self, in_channels: int, hid_channels: int, out_channels: int,
                 with_avg_pool: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.with_avg_pool = with_avg_pool
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1)) if with_avg_pool else None
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hid_channels), nn.ReLU(inplace=True),
            nn.Linear(hid_channels, out_channels))

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor]:
        x = x[-1] if isinstance(x, (list, tuple)) else x
        if self.avgpool is not None:
            x = self.avgpool(x)
        return (self.mlp(x.flatten(1)), )
