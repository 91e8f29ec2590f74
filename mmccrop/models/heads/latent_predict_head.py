"""Predictor + cosine loss head of BYOL and SimSiam."""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor

from mmccrop.registry import MODELS


@MODELS.register_module()
class LatentPredictHead(BaseModule):
    """Predict the target embedding from the online one; cosine loss.

    The target is detached (stop-gradient), as both BYOL and SimSiam need.
    Parameter names start with ``predictor.``, which is what a paramwise
    ``custom_keys`` entry or :class:`FixedLrHook` matches.

    Args:
        predictor: Config of the predictor MLP, e.g. ``dict(type='NonLinearNeck',
            in_channels=128, hid_channels=512, out_channels=128,
            with_last_bn=False, with_avg_pool=False)``.
        loss: Config of the loss, e.g. ``dict(type='CosineSimilarityLoss')``.
        init_cfg: mmengine init config.
    """

    def __init__(self, predictor: dict, loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.predictor = MODELS.build(predictor)
        self.loss_module = MODELS.build(
            dict(type='CosineSimilarityLoss') if loss is None else loss)

    def loss(self, online: Tensor, target: Tensor) -> Tensor:
        """``(N, D)`` online projection and target projection -> scalar loss."""
        pred = self.predictor(online)[0]
        return self.loss_module(pred, target.detach())
