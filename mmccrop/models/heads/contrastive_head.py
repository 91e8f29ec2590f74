"""Head of the contrastive (InfoNCE / NT-Xent) methods."""
from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmccrop.registry import MODELS


@MODELS.register_module()
class ContrastiveHead(BaseModule):
    """L2-normalise two embeddings and apply a contrastive loss.

    Args:
        loss: Config of the loss module, e.g. ``dict(type='InfoNCELoss',
            temperature=0.2)`` (MoCo; called with a queue) or
            ``dict(type='NTXentLoss', temperature=0.5)`` (SimCLR).
        init_cfg: mmengine init config.
    """

    def __init__(self, loss: dict, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss)

    def loss(self, a: Tensor, b: Tensor, queue: Optional[Tensor] = None) -> Tensor:
        """Loss of ``(N, D)`` embeddings ``a`` (queries / view 1) and ``b``
        (keys / view 2), with an optional ``(K, D)`` normalised queue."""
        a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
        if queue is None:
            return self.loss_module(a, b)
        return self.loss_module(a, b, queue)
