"""Negative cosine similarity (SimSiam) / normalised MSE (BYOL)."""
import torch.nn as nn
from torch import Tensor

from mmccrop.functional.contrastive import cosine_similarity_loss
from mmccrop.registry import MODELS


@MODELS.register_module()
class CosineSimilarityLoss(nn.Module):
    """``shift - scale * mean cos(pred, target)``.

    Args:
        shift: Constant offset.  BYOL: 2 (so the loss is ``2 - 2cos``).
        scale: Multiplier of the mean cosine.  BYOL: 2; SimSiam: 1.
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, shift: float = 0., scale: float = 1., loss_weight: float = 1.0) -> None:
        super().__init__()
        self.shift, self.scale, self.loss_weight = shift, scale, loss_weight

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """``(N, D)`` predictions and targets (detach the target yourself) -> scalar."""
        return self.loss_weight * cosine_similarity_loss(pred, target, self.shift, self.scale)
