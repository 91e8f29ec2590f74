"""MoCo's InfoNCE loss with a queue of negatives."""
import torch.nn as nn
from torch import Tensor

from mmccrop.functional.contrastive import info_nce
from mmccrop.registry import MODELS


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Registered wrapper of :func:`mmccrop.functional.contrastive.info_nce`.

    Args:
        temperature: Softmax temperature (MoCo v2: 0.2; MoCo v1: 0.07).
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, temperature: float = 0.2, loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'InfoNCELoss: temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, query: Tensor, key: Tensor, queue: Tensor) -> Tensor:
        """Normalised ``(N, D)`` queries and keys, ``(K, D)`` negatives -> scalar."""
        return self.loss_weight * info_nce(query, key, queue, self.temperature)
