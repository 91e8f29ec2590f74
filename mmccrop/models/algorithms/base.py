"""Common base of the self-supervised algorithms."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from mmccrop.registry import MODELS
from mmccrop.structures.data_sample import SelfSupDataSample

SampleList = Optional[List[SelfSupDataSample]]


class BaseSelfSupAlgorithm(BaseModel):
    """Builds backbone / neck / head and dispatches ``forward`` modes.

    A subclass only implements :meth:`loss`.

    Args:
        backbone: Backbone config, e.g. ``dict(type='mmdet.ResNet', depth=50,
            out_indices=(3, ), norm_eval=False)`` or ``dict(type='CIFARResNet', ...)``.
        neck: Neck config (projection MLP), or None.
        head: Head config (loss), or None.
        data_preprocessor: Config or module; defaults to
            ``dict(type='SelfSupDataPreprocessor')``.
        init_cfg: mmengine init config of the whole model.

    Forward modes (``forward(inputs, data_samples=None, mode=...)``):

    - ``'tensor'``: :meth:`extract_feat`, the backbone's tuple of feature maps.
    - ``'loss'``: :meth:`loss`, a dict of tensors (keys with ``loss`` are summed).
    - ``'predict'``: :meth:`predict`, data samples with ``pred_feature``, the
      globally average-pooled last feature map (for kNN / feature dumps).
    """

    def __init__(self, backbone: dict, neck: Optional[dict] = None, head: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SelfSupDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here with our registry so it resolves without a default scope.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(backbone, dict):
            raise ValueError(f'{type(self).__name__}: backbone must be a config dict, '
                             f'got {type(backbone).__name__}')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head) if head is not None else None

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    @property
    def with_head(self) -> bool:
        return self.head is not None

    def forward(self, inputs: Union[Tensor, List[Tensor]], data_samples: SampleList = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'{type(self).__name__}.forward: invalid mode "{mode}", '
                         "expected 'tensor', 'loss' or 'predict'")

    def extract_feat(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor, ...]:
        """Backbone feature maps of ``inputs`` (a list means: its first view)."""
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        return tuple(self.backbone(inputs))

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        raise NotImplementedError(f'{type(self).__name__} does not implement loss()')

    def predict(self, inputs: Union[Tensor, List[Tensor]],
                data_samples: SampleList = None) -> List[SelfSupDataSample]:
        """Pooled last-stage feature per image, in ``data_sample.pred_feature``."""
        feat = self.extract_feat(inputs)[-1]
        pooled = F.adaptive_avg_pool2d(feat, 1).flatten(1) if feat.dim() == 4 else feat
        if data_samples is None:
            data_samples = [SelfSupDataSample() for _ in range(pooled.size(0))]
        for sample, f in zip(data_samples, pooled):
            sample.pred_feature = f
        return data_samples

    @staticmethod
    def _check_views(inputs: Sequence[Tensor], n: int, name: str) -> None:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < n:
            got = len(inputs) if isinstance(inputs, (list, tuple)) else type(inputs).__name__
            raise ValueError(f'{name}.loss needs a list of at least {n} views, got {got}')
        if any(v.shape != inputs[0].shape for v in inputs[1:n]):
            raise ValueError(f'{name}.loss: views have different shapes '
                             f'{[tuple(v.shape) for v in inputs[:n]]}')

