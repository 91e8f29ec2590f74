"""SimCLR's NT-Xent loss, negatives gathered across ranks."""
from typing import Optional

import torch.nn as nn
from torch import Tensor

from mmccrop.functional.contrastive import nt_xent
from mmccrop.functional.dist import all_gather_with_grad, get_dist_info
from mmccrop.registry import MODELS


@MODELS.register_module()
class NTXentLoss(nn.Module):
    """NT-Xent over the global batch.

    With ``gather_distributed=True`` (default) the keys are the embeddings of
    every rank, gathered with gradient flowing back to each rank's own slice,
    so ``B`` per GPU on ``G`` GPUs sees ``2*B*G - 2`` negatives per query.

    Loss scale: the SimCLR paper's loss is the plain cross-entropy
    (``base_temperature=None``, the default).  ContrastiveCrop's authors (and
    the SupContrast code they build on) multiply it by ``T / base_T`` with
    ``base_T = 0.07``; at their ``T = 0.5`` that is 7.14x the plain loss, so
    with SGD a 7.14x larger step and a relatively weaker weight decay.  Set
    ``base_temperature=0.07`` to train with their scale (the SimCLR configs
    here do); keep ``None`` for the paper's, e.g. with a learning rate tuned
    for it.

    Args:
        temperature: Softmax temperature (SimCLR on small sets: 0.5).
        gather_distributed: Use the other ranks' embeddings as negatives.
        base_temperature: Multiply the loss by ``temperature /
            base_temperature``; ``None`` keeps the plain scale.
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, temperature: float = 0.5, gather_distributed: bool = True,
                 base_temperature: Optional[float] = None, loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'NTXentLoss: temperature must be > 0, got {temperature}')
        if base_temperature is not None and not base_temperature > 0:
            raise ValueError(f'NTXentLoss: base_temperature must be > 0 or None, '
                             f'got {base_temperature}')
        self.temperature = temperature
        self.gather_distributed = gather_distributed
        self.base_temperature = base_temperature
        self.loss_weight = loss_weight

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        """Normalised ``(N, D)`` embeddings of the two views -> scalar loss."""
        rank, world = get_dist_info()
        if self.gather_distributed and world > 1:
            all_z1, all_z2 = all_gather_with_grad(z1), all_gather_with_grad(z2)
            offset = rank * z1.size(0)
        else:
            all_z1, all_z2, offset = None, None, 0
        return self.loss_weight * nt_xent(z1, z2, self.temperature, all_z1, all_z2, offset,
                                          base_temperature=self.base_temperature)
