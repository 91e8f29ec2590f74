"""Reaching the samples of a wrapped dataset: the leaf dataset that holds a
sample, keys added to its data info for the duration of one sample, and the
ground-truth boxes of all samples."""
import math
from typing import Any, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset
from mmengine.logging import print_log


def resolve_leaf(dataset: Any, idx: int) -> Tuple[Any, int]:
    """The leaf dataset holding sample ``idx`` of ``dataset``, and its index there.

    mmengine's ``ConcatDataset``, ``RepeatDataset`` and
    ``ClassBalancedDataset`` are followed down to the dataset that reads the
    sample; a negative ``idx`` counts from the end.
    """
    local = int(idx)
    if local < 0:
        local += len(dataset)
    while True:
        if isinstance(dataset, ConcatDataset):
            which, local = dataset._get_ori_dataset_idx(local)
            dataset = dataset.datasets[which]
        elif isinstance(dataset, (RepeatDataset, ClassBalancedDataset)):
            local = dataset._get_ori_dataset_idx(local)
            dataset = dataset.dataset
        else:
            return dataset, local


class InjectedInfo:
    """Temporarily make ``dataset.get_data_info`` add some keys.

    Going through the wrapped dataset's own ``prepare_data`` keeps whatever
    it does around the pipeline (e.g. skipping unreadable images), while the
    keys reach the results *before* the first transform.  DataLoader workers
    run one sample at a time, so the per-instance patch is not shared.

    Args:
        dataset: An mmengine dataset (anything with ``get_data_info``).
        extra: The keys and values to add to every data info.
    """

    def __init__(self, dataset: Any, extra: dict) -> None:
        self.dataset, self.extra = dataset, extra

    def __enter__(self) -> None:
        self.saved = vars(self.dataset).get('get_data_info')  # an instance-level override
        original = self.dataset.get_data_info
        extra = self.extra

        def get_data_info(idx: int) -> dict:
            info = original(idx)
            info.update(extra)
            return info

        self.dataset.get_data_info = get_data_info

    def __exit__(self, *exc: Any) -> None:
        if self.saved is None:
            del self.dataset.get_data_info  # back to the class's method
        else:
            self.dataset.get_data_info = self.saved


def read_gt_boxes(dataset: Any) -> Optional[torch.Tensor]:
    """``(N, 4)`` float32 ground-truth boxes from the data infos' ``gt_bbox``.

    Args:
        dataset: Anything with ``__len__`` and ``raw_data_info(idx)`` (a
            :class:`BoxedDataset`, whose own ``get_data_info`` adds keys) or
            ``get_data_info(idx)`` (an mmengine dataset).

    Returns:
        ``None`` when the first sample has no ``gt_bbox``; otherwise one row
        per sample, NaN for samples without one (their count is logged).
        Walks every data info, so callers cache it.
    """
    info = getattr(dataset, 'raw_data_info', None) or dataset.get_data_info
    n = len(dataset)
    if not n or info(0).get('gt_bbox') is None:
        return None
    rows: List[List[float]] = []
    for i in range(n):
        box = info(i).get('gt_bbox')
        rows.append([math.nan] * 4 if box is None else
                    np.asarray(box, dtype=np.float32).reshape(4).tolist())
    boxes = torch.tensor(rows, dtype=torch.float32)
    missing = int(torch.isnan(boxes).any(1).sum())
    if missing:
        print_log(f'BoxedDataset: {missing} of {n} samples have no gt_bbox', logger='current')
    return boxes
