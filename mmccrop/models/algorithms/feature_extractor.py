"""A backbone (and preprocessor) for evaluation: kNN, feature dumps, box pictures."""
from typing import Dict, List

from torch import Tensor

from mmccrop.registry import MODELS

from .base import BaseSelfSupAlgorithm, SampleList


@MODELS.register_module()
class FeatureExtractor(BaseSelfSupAlgorithm):
    """Only the backbone of a pretrained model, for evaluation loops.

    Its state dict keys (``backbone.*``) are those of every mmccrop
    algorithm, so ``tools/test.py CONFIG PRETRAIN_CKPT`` loads the online
    backbone of a pretraining checkpoint and ignores the rest (necks, heads,
    momentum encoder, queues).  ``extract_feat`` and ``predict`` behave as in
    the algorithms; there is no training loss.
    """

    def __init__(self, backbone: dict, data_preprocessor=None, init_cfg=None) -> None:
        super().__init__(backbone=backbone, neck=None, head=None,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        raise RuntimeError('FeatureExtractor is for evaluation (kNN, feature extraction) and '
                           'has no training loss; train with an algorithm such as MoCoV2')
