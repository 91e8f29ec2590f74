"""SimCLR (Chen et al. 2020): contrast all pairs of the (global) batch."""
from typing import Dict, List

import torch
from torch import Tensor

from mmccrop.registry import MODELS

from .base import BaseSelfSupAlgorithm, SampleList


@MODELS.register_module()
class SimCLR(BaseSelfSupAlgorithm):
    """SimCLR.

    The two views are encoded in one pass (BN over ``2N`` images, as in the
    official implementation); the NT-Xent head contrasts each embedding with
    its partner against all other ``2N - 2`` embeddings of the local batch and,
    with ``NTXentLoss(gather_distributed=True)``, of every other rank
    (gradient flows back to each rank's own slice).

    Args:
        backbone: Backbone config.
        neck: Projector config (:class:`NonLinearNeck`).
        head: ``dict(type='ContrastiveHead', loss=dict(type='NTXentLoss',
            temperature=0.5))``.
    """

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        self._check_views(inputs, 2, 'SimCLR')
        n = inputs[0].size(0)
        z = self.neck(self.backbone(torch.cat([inputs[0], inputs[1]], dim=0)))[0]
        loss = self.head.loss(z[:n], z[n:])
        return dict(loss=loss)
