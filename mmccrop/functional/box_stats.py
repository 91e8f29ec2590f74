"""Summary statistics of a set of ContrastiveCrop boxes (pure torch)."""
import math
from typing import Dict, Optional

import torch

from .localization import FULL_BOX, box_area, box_iou

__all__ = ['box_stats']


def box_stats(boxes: torch.Tensor, degenerate: torch.Tensor,
              gt: Optional[torch.Tensor] = None,
              previous: Optional[torch.Tensor] = None) -> Dict[str, float]:
    """What a refresh logs about its ``(N, 4)`` normalised xyxy boxes.

    Args:
        boxes: The new boxes.
        degenerate: ``(N,)`` bool mask of heatmaps that fell back to the full box.
        gt: ``(N, 4)`` ground-truth boxes, NaN rows where unknown, or None.
        previous: The boxes before the refresh, or None.

    Returns:
        ``box_mean_area``, ``box_full_frac`` (share of full-image boxes),
        ``box_degenerate`` (count); with ``previous``, ``box_iou_prev`` (mean
        IoU with it); with ``gt``, ``box_miou`` and, as a baseline, the mean
        IoU of the full-image box ``box_miou_full``, over the rows with a gt box.
    """
    full = torch.tensor(FULL_BOX).expand_as(boxes)
    stats = dict(
        box_mean_area=float(box_area(boxes).mean()) if len(boxes) else math.nan,
        box_full_frac=float((boxes == full).all(1).float().mean()) if len(boxes) else 0.0,
        box_degenerate=float(degenerate.sum()),
    )
    if previous is not None and len(boxes):
        stats['box_iou_prev'] = float(box_iou(boxes, previous).mean())
    if gt is not None:
        valid = ~torch.isnan(gt).any(1)
        if valid.any():
            stats['box_miou'] = float(box_iou(boxes[valid], gt[valid]).mean())
            stats['box_miou_full'] = float(box_iou(full[valid], gt[valid]).mean())
    return stats
