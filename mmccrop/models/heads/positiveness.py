"""SNCLR positiveness: how positive each of a sample's K neighbours is."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmccrop.functional.snclr_loss import attention_positiveness, cosine_positiveness
from mmccrop.registry import MODELS


@MODELS.register_module()
class CosinePositiveness(BaseModule):
    """The authors' code form: parameter-free softmax over K of the cosines.

    ``w = softmax_K(cos(y1, NN(y2)_i))``, with y1 the online projection
    before the predictor.  Not detached by default (as in the authors' code),
    so the loss also trains y1 through the weights.

    Args:
        threshold: Zero weights ``<= 1/K``.
        detach: Stop the gradient through the weights.
    """

    num_neighbors: Optional[int] = None  # any K

    def __init__(self, threshold: bool = False, detach: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.threshold, self.detach = threshold, detach

    def forward(self, anchor: Tensor, neighbors: Tensor) -> Tensor:
        """``anchor`` ``(B, D)``, ``neighbors`` ``(B, K, D)`` -> ``(B, K)``."""
        return cosine_positiveness(anchor, neighbors, threshold=self.threshold,
                                   detach=self.detach)

    def extra_repr(self) -> str:
        return f'threshold={self.threshold}, detach={self.detach}'


@MODELS.register_module()
class AttentionPositiveness(BaseModule):
    """The paper's form: ``w_i = softmax_i(f1(y1) . f2(NN(y2)_i)^T) / gamma_i``.

    f1 and f2 are learnable linear projections of the (L2-normalised) online
    projection y1 and of the neighbours; the dot products are scaled by
    ``proj_channels ** -0.5`` as in scaled dot-product attention.

    gamma is one scale per neighbour rank.  Note that under the paper loss
    the gradient on gamma is always positive (a larger numerator always lowers
    the loss), so a learnable gamma only ever decreases: it is parameterised
    as ``max(exp(log_gamma), min_gamma)`` and settles at ``min_gamma``.  The
    default floor of 1 keeps the summed neighbour weight at most ``w_0 = 1``,
    i.e. the neighbours together never count more than the sample itself.

    Args:
        in_channels: Channels of y1 and of the neighbours (projector output).
        num_neighbors: K; must equal the algorithm's ``topk``.
        proj_channels: Output channels of f1 and f2 (``None``: in_channels).
        gamma: Initial (or fixed) gamma.
        learnable_gamma: Learn gamma (see the note above).
        min_gamma: Lower bound of a learnable gamma.
        threshold: Zero weights whose softmax is ``<= 1/K``.
        detach: Stop the gradient through the weights.  Then f1, f2 and gamma
            receive no gradient from the loss at all (under DDP that needs
            ``find_unused_parameters=True``).
    """

    def __init__(self,
                 in_channels: int,
                 num_neighbors: int,
                 proj_channels: Optional[int] = None,
                 gamma: float = 2.0,
                 learnable_gamma: bool = True,
                 min_gamma: float = 1.0,
                 threshold: bool = False,
                 detach: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f'AttentionPositiveness: in_channels must be a positive int, '
                             f'got {in_channels!r}')
        if not isinstance(num_neighbors, int) or num_neighbors < 0:
            raise ValueError(f'AttentionPositiveness: num_neighbors must be an int >= 0, '
                             f'got {num_neighbors!r}')
        if not gamma > 0 or not min_gamma > 0:
            raise ValueError(f'AttentionPositiveness: gamma and min_gamma must be > 0, got '
                             f'gamma={gamma!r}, min_gamma={min_gamma!r}')
        if learnable_gamma and gamma < min_gamma:
            raise ValueError(f'AttentionPositiveness: gamma={gamma} is below '
                             f'min_gamma={min_gamma}')
        proj_channels = proj_channels or in_channels
        self.num_neighbors = num_neighbors
        self.threshold, self.detach = threshold, detach
        self.min_gamma, self.learnable_gamma = min_gamma, learnable_gamma
        self.f1 = nn.Linear(in_channels, proj_channels)
        self.f2 = nn.Linear(in_channels, proj_channels)
        log_gamma = torch.full((num_neighbors,), math.log(gamma))
        if learnable_gamma:
            self.log_gamma = nn.Parameter(log_gamma)
        else:
            self.register_buffer('log_gamma', log_gamma)

    @property
    def gamma(self) -> Tensor:
        gamma = self.log_gamma.exp()
        return gamma.clamp_min(self.min_gamma) if self.learnable_gamma else gamma

    def forward(self, anchor: Tensor, neighbors: Tensor) -> Tensor:
        """``anchor`` ``(B, D)``, ``neighbors`` ``(B, K, D)`` -> ``(B, K)``."""
        if neighbors.dim() != 3 or neighbors.size(1) != self.num_neighbors:
            raise ValueError(f'AttentionPositiveness: expected (B, K={self.num_neighbors}, D) '
                             f'neighbours, got {tuple(neighbors.shape)}')
        anchor = F.normalize(anchor, dim=1)
        neighbors = F.normalize(neighbors.to(anchor.dtype), dim=2)
        return attention_positiveness(self.f1(anchor), self.f2(neighbors), self.gamma,
                                      threshold=self.threshold, detach=self.detach)

    def extra_repr(self) -> str:
        return (f'num_neighbors={self.num_neighbors}, learnable_gamma={self.learnable_gamma}, '
                f'min_gamma={self.min_gamma}, threshold={self.threshold}, detach={self.detach}')
