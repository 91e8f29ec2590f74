"""Top-k classification accuracy of a linear probe."""
from typing import List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric

from mmccrop.registry import METRICS


def _label(x) -> int:
    """A label stored as LabelData-dict ``{'label': tensor}``, tensor or int."""
    if isinstance(x, dict):
        x = x['label']
    return int(torch.as_tensor(x).reshape(-1)[0])


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Top-k accuracy (in %) from ``pred_score`` and ``gt_label`` of data samples.

    Args:
        topk: The k values to report, as ``accuracy/top{k}``.
        collect_device: ``'cpu'`` or ``'gpu'`` (mmengine).
        prefix: Metric name prefix (default ``'accuracy'``).
    """

    default_prefix = 'accuracy'

    def __init__(self, topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not self.topk or min(self.topk) < 1:
            raise ValueError(f'Accuracy: topk must be positive ints, got {topk}')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            if 'pred_score' not in s or s.get('gt_label') is None:
                raise ValueError('Accuracy needs data samples with pred_score and gt_label')
            self.results.append((torch.as_tensor(s['pred_score']).cpu(), _label(s['gt_label'])))

    def compute_metrics(self, results: List) -> dict:
        scores = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        maxk = min(max(self.topk), scores.size(1))
        hit = scores.topk(maxk, dim=1).indices == labels[:, None]
        return {f'top{k}': hit[:, :min(k, maxk)].any(dim=1).float().mean().item() * 100
                for k in self.topk}
