"""Linear probe: a frozen pretrained backbone and a trainable linear classifier."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import LabelData
from torch import Tensor

from mmccrop.registry import MODELS
from mmccrop.structures.data_sample import SelfSupDataSample


@MODELS.register_module()
class LinearClassifier(BaseModel):
    """Linear evaluation of self-supervised features.

    The backbone is frozen (no gradient, BN in eval mode even while the model
    trains); its last feature map is globally average-pooled and fed to
    ``head``, one ``nn.Linear`` (weights ~ N(0, 0.01), bias 0, as in MoCo's
    protocol), trained with cross-entropy.  Load the pretrained weights with
    the backbone's ``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix='backbone.')``.

    Args:
        backbone: Backbone config.
        in_channels: Pooled feature size (2048 for R50, 512 for R18).
        num_classes: Number of classes.
        frozen_backbone: Freeze the backbone (linear probe).  False fine-tunes it.
        data_preprocessor: Config or module; defaults to ``SelfSupDataPreprocessor``.
        init_cfg: mmengine init config.

    ``loss`` returns ``loss`` and ``acc_top1`` (training accuracy, logged);
    ``predict`` sets ``pred_score`` (softmax) and ``pred_label`` on each data
    sample, which :class:`mmccrop.evaluation.Accuracy` scores.
    """

    def __init__(self, backbone: dict, in_channels: int, num_classes: int,
                 frozen_backbone: bool = True,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SelfSupDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if in_channels < 1 or num_classes < 1:
            raise ValueError(f'LinearClassifier: in_channels and num_classes must be >= 1, got '
                             f'in_channels={in_channels}, num_classes={num_classes}')
        self.backbone = MODELS.build(backbone)
        self.head = nn.Linear(in_channels, num_classes)
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.zeros_(self.head.bias)
        self.frozen_backbone = frozen_backbone
        if frozen_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def init_weights(self) -> None:
        # The head keeps its own init; only the backbone follows init_cfg (e.g. Pretrained).
        self.backbone.init_weights()

    def train(self, mode: bool = True) -> 'LinearClassifier':
        super().train(mode)
        if self.frozen_backbone:
            self.backbone.eval()
        return self

    def extract_feat(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Pooled last-stage feature ``(N, C)`` (a list input means its first view)."""
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen_backbone):
            feat = self.backbone(inputs)[-1]
        return F.adaptive_avg_pool2d(feat, 1).flatten(1) if feat.dim() == 4 else feat

    def forward(self, inputs, data_samples: Optional[List[SelfSupDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'LinearClassifier.forward: invalid mode "{mode}", '
                         "expected 'tensor', 'loss' or 'predict'")

    @staticmethod
    def _labels(data_samples, device) -> Tensor:
        if not data_samples or any(s.gt_label is None for s in data_samples):
            raise ValueError('LinearClassifier.loss needs data samples with gt_label')
        return torch.cat([s.gt_label.label for s in data_samples]).to(device)

    def loss(self, inputs, data_samples: List[SelfSupDataSample]) -> Dict[str, Tensor]:
        logits = self(inputs, mode='tensor')
        labels = self._labels(data_samples, logits.device)
        acc = (logits.detach().argmax(dim=1) == labels).float().mean() * 100
        return dict(loss=F.cross_entropy(logits, labels), acc_top1=acc)

    def predict(self, inputs, data_samples: Optional[List[SelfSupDataSample]] = None
                ) -> List[SelfSupDataSample]:
        scores = self(inputs, mode='tensor').softmax(dim=1)
        if data_samples is None:
            data_samples = [SelfSupDataSample() for _ in range(scores.size(0))]
        for sample, score in zip(data_samples, scores):
            sample.pred_score = score
            sample.pred_label = LabelData(label=score.argmax().reshape(1))
        return data_samples
