"""Data sample carried next to the views of one image."""
from typing import Optional, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement, LabelData


class SelfSupDataSample(BaseDataElement):
    """Per-image annotations of a self-supervised batch.

    Meta fields (set by :class:`PackSelfSupInputs`): ``sample_idx`` (int),
    ``crop_bbox`` (list with one pixel xyxy box per view), ``img_path`` ...

    Data fields: ``gt_label`` (:class:`LabelData` with ``label``), when the
    dataset has labels.
    """

    def set_gt_label(self, value: Union[int, np.integer, torch.Tensor, np.ndarray]
                     ) -> 'SelfSupDataSample':
        """Store a class index as ``gt_label.label`` (a 1-element LongTensor)."""
        label = torch.as_tensor(value, dtype=torch.long).reshape(-1)
        self.gt_label = LabelData(label=label)
        return self

    @property
    def gt_label(self) -> Optional[LabelData]:
        return self._gt_label if hasattr(self, '_gt_label') else None

    @gt_label.setter
    def gt_label(self, value: LabelData) -> None:
        self.set_field(value, '_gt_label', dtype=LabelData)

    @gt_label.deleter
    def gt_label(self) -> None:
        del self._gt_label
