"""BYOL (Grill et al. 2020): bootstrap your own latent."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmccrop.registry import MODELS

from .base import SampleList
from .base_momentum import BaseMomentumAlgorithm


@MODELS.register_module()
class BYOL(BaseMomentumAlgorithm):
    """BYOL.

    The online network (backbone, projector, predictor in the head) predicts
    the target network's projection of the other view; the target network is
    a frozen EMA copy of the online backbone + projector.
    ``loss = L(p1, t2) + L(p2, t1)``, ``L = 2 - 2 cos``.

    Momentum: ``momentum_schedule='cosine'`` (the default, the BYOL paper's)
    raises it from ``base_momentum`` to ``end_momentum`` on a cosine over all
    iterations; ``'constant'`` keeps ``base_momentum``, as ContrastiveCrop's
    authors do (m = 0.996) and as the BYOL configs here do.

    Args:
        backbone: Backbone config.
        neck: Projector config (:class:`NonLinearNeck`).
        head: ``dict(type='LatentPredictHead', predictor=..., loss=dict(
            type='CosineSimilarityLoss', shift=2., scale=2.))``.
        base_momentum: Start momentum (0.996).
        end_momentum: End momentum (1.0).
        momentum_schedule: ``'cosine'`` (BYOL paper) or ``'constant'``
            (ContrastiveCrop's authors).
        data_preprocessor: Config or module.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, base_momentum: float = 0.996,
                 end_momentum: float = 1.0, momentum_schedule: str = 'cosine',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, base_momentum=base_momentum,
                         end_momentum=end_momentum, momentum_schedule=momentum_schedule,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        self._check_views(inputs, 2, 'BYOL')
        v1, v2 = inputs[0], inputs[1]
        z1 = self.neck(self.backbone(v1))[0]
        z2 = self.neck(self.backbone(v2))[0]
        with torch.no_grad():
            self.momentum_update()
            t1 = self.momentum_encoder(v1)[0]
            t2 = self.momentum_encoder(v2)[0]
        loss = self.head.loss(z1, t2) + self.head.loss(z2, t1)
        return dict(loss=loss)
