"""Configurable MLP projector / predictor (SimCLR, BYOL, SimSiam)."""
from typing import Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmccrop.registry import MODELS


@MODELS.register_module()
class NonLinearNeck(BaseModule):
    """``num_layers`` fully connected layers with BN + ReLU between them.

    Layer ``i`` is ``Linear -> BN -> ReLU`` (``Linear -> ReLU`` with
    ``with_hidden_norm=False``) except the last, which is ``Linear``
    followed by an optional BN.  Examples (in -> hid -> out):

    - SimCLR as ContrastiveCrop's authors build it: ``512-512-128``, 2 layers,
      ``Linear(bias) -> ReLU -> Linear(bias)``: ``with_hidden_norm=False,
      with_bias=True, with_last_bn=False, with_last_bias=True``.  (The SimCLR
      paper's ImageNet head has a BN after each Linear: the default.)
    - BYOL: projector ``512-512-128`` and predictor ``128-512-128``, 2 layers,
      no last BN.
    - SimSiam: projector ``512-512-512``, 3 layers, last BN without affine;
      predictor ``512-128-512``, 2 layers, no last BN.

    Args:
        in_channels: Input width.
        hid_channels: Hidden width.
        out_channels: Output width.
        num_layers: Number of Linear layers (>= 1).
        with_bias: Bias in the hidden Linear layers (redundant before BN;
            wanted without it).
        with_hidden_norm: A norm layer (``norm_cfg``) after each hidden
            Linear.  ``False`` gives a plain ``Linear -> ReLU`` MLP.
        with_last_bn: BN after the last Linear.
        with_last_bn_affine: Learnable affine of that BN.
        with_last_bias: Bias in the last Linear.
        with_avg_pool: Global-average-pool an ``(N, C, H, W)`` input first.
        norm_cfg: mmcv norm config of the 1-D BN (``BN1d`` or ``SyncBN``).
        init_cfg: mmengine init config.

    Input: a tuple/list of tensors (the last is used) or one tensor.
    Output: a 1-tuple with the ``(N, out_channels)`` tensor.
    """

    def __init__(self, in_channels: int, hid_channels: int, out_channels: int,
                 num_layers: int = 2, with_bias: bool = False, with_last_bn: bool = True,
                 with_last_bn_affine: bool = True, with_last_bias: bool = False,
                 with_avg_pool: bool = True, norm_cfg: Optional[dict] = None,
                 with_hidden_norm: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'NonLinearNeck: num_layers must be >= 1, got {num_layers}')
        norm_cfg = dict(type='BN1d') if norm_cfg is None else norm_cfg
        self.with_avg_pool = with_avg_pool
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1)) if with_avg_pool else None
        layers = []
        for i in range(num_layers):
            last = i == num_layers - 1
            cin = in_channels if i == 0 else hid_channels
            cout = out_channels if last else hid_channels
            layers.append(nn.Linear(cin, cout, bias=with_last_bias if last else with_bias))
            if not last:
                if with_hidden_norm:
                    layers.append(build_norm_layer(norm_cfg, cout)[1])
                layers.append(nn.ReLU(inplace=True))
            elif with_last_bn:
                layers.append(build_norm_layer(dict(norm_cfg, affine=with_last_bn_affine),
                                               cout)[1])
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor]:
        x = x[-1] if isinstance(x, (list, tuple)) else x
        if self.avgpool is not None and x.dim() == 4:
            x = self.avgpool(x)
        return (self.mlp(x.flatten(1)), )
