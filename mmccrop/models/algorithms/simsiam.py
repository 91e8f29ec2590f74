"""SimSiam (Chen & He 2021): Siamese networks with stop-gradient."""
from typing import Dict, List

from torch import Tensor

from mmccrop.registry import MODELS

from .base import BaseSelfSupAlgorithm, SampleList


@MODELS.register_module()
class SimSiam(BaseSelfSupAlgorithm):
    """SimSiam.

    Both views go through the same encoder ``z = neck(backbone(x))``; the head's
    predictor maps one view's ``z`` to the other's stop-gradient ``z``:
    ``loss = (D(p1, sg(z2)) + D(p2, sg(z1))) / 2`` with ``D`` the negative
    cosine.  The views are encoded in two passes so BN statistics are per view,
    as in the paper.  Keep the predictor's lr fixed (the paper's setting) with
    :class:`FixedLrHook` on the ``head.predictor`` parameters.

    Args:
        backbone: Backbone config (``zero_init_residual=True`` in the paper).
        neck: Projector config (:class:`NonLinearNeck`, 3 layers).
        head: ``dict(type='LatentPredictHead', predictor=..., loss=dict(
            type='CosineSimilarityLoss'))``.
    """

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        self._check_views(inputs, 2, 'SimSiam')
        z1 = self.neck(self.backbone(inputs[0]))[0]
        z2 = self.neck(self.backbone(inputs[1]))[0]
        loss = 0.5 * (self.head.loss(z1, z2) + self.head.loss(z2, z1))
        return dict(loss=loss)
