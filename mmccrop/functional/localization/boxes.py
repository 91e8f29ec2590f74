"""Boxes from feature maps (ContrastiveCrop's semantic-aware localisation), and
element-wise box area / IoU / validity.  No mmengine / mmcv imports."""
from typing import Tuple, Union

import torch
from torch import Tensor

from .heatmap import (
    SizeLike,
    _check_align,
    _check_region,
    _check_threshold,
    _pair,
    normalized_heatmaps,
)
from .spans import kept_spans, peak_region_spans

FULL_BOX = (0.0, 0.0, 1.0, 1.0)


def heatmap_to_boxes(feats: Tensor,
                     threshold: float,
                     out_size: SizeLike,
                     return_degenerate: bool = False,
                     align: str = 'centre',
                     background: str = 'none',
                     region: str = 'all'
                     ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Boxes from feature maps, vectorised over the batch.

    Args:
        feats: ``(B, C, h, w)`` last-stage feature maps (before pooling).
        threshold: ``k`` in ``(0, 1)``: rows / columns whose upsampled
            heatmap maximum is ``> k`` are kept.
        out_size: Eval image size ``(H, W)`` (or an int) the heatmap is
            upsampled to; the box resolution is ``1/H`` by ``1/W``.
        return_degenerate: Also return the ``(B,)`` bool mask of images that
            fell back to the full box: a constant or non-finite heatmap, or
            (only possible for ``k`` near 1) no row or column above ``k``.
        align: Where feature cells sit in the image, ``'centre'`` (the
            authors') or ``'corner'`` (right for CNNs); see
            :func:`upsample_heatmaps`.
        background: ``'none'`` (the authors') or ``'median'``: remove each
            channel's per-image median first, see :func:`normalized_heatmaps`.
        region: ``'all'`` (the authors': every row / column with a pixel
            ``> k``) or ``'peak'``: only the connected region above ``k``
            around the maximum, see :func:`peak_region_spans`.

    Returns:
        ``(B, 4)`` float32 normalised ``(x0, y0, x1, y1)`` boxes on
        ``feats.device``, and the mask when ``return_degenerate``.
    """
    threshold = _check_threshold(threshold)
    align = _check_align(align)
    region = _check_region(region)
    out_h, out_w = _pair(out_size)
    heat, degenerate = normalized_heatmaps(feats, background)
    if heat.size(0) == 0:
        boxes = feats.new_zeros((0, 4), dtype=torch.float32)
        return (boxes, degenerate) if return_degenerate else boxes
    spans = kept_spans if region == 'all' else peak_region_spans
    top, bottom, left, right, found = spans(heat, threshold, (out_h, out_w), align)
    degenerate = degenerate | ~found
    boxes = torch.stack([left / out_w, top / out_h, (right + 1) / out_w, (bottom + 1) / out_h],
                        dim=1)
    boxes = boxes.float()
    full = boxes.new_tensor(FULL_BOX).expand_as(boxes)
    boxes = torch.where(degenerate[:, None], full, boxes)
    return (boxes, degenerate) if return_degenerate else boxes


def box_area(boxes: Tensor) -> Tensor:
    """Areas of ``(..., 4)`` xyxy boxes (zero for inverted boxes)."""
    return (boxes[..., 2] - boxes[..., 0]).clamp_min(0) * \
        (boxes[..., 3] - boxes[..., 1]).clamp_min(0)


def box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-12) -> Tensor:
    """Element-wise IoU of two broadcastable ``(..., 4)`` xyxy box tensors.

    Unlike the pairwise ``(N, M)`` IoU of detection libraries, box ``i`` is
    compared with box ``i`` only (refreshed box against its gt box).
    """
    if boxes1.size(-1) != 4 or boxes2.size(-1) != 4:
        raise ValueError('box_iou expects (..., 4) xyxy boxes, got shapes '
                         f'{tuple(boxes1.shape)} and {tuple(boxes2.shape)}')
    lt = torch.maximum(boxes1[..., :2], boxes2[..., :2])
    rb = torch.minimum(boxes1[..., 2:], boxes2[..., 2:])
    inter = (rb - lt).clamp_min(0).prod(dim=-1)
    union = box_area(boxes1) + box_area(boxes2) - inter
    return inter / union.clamp_min(eps)


def invalid_boxes(boxes: Tensor) -> Tensor:
    """``(N,)`` bool mask of the rows of ``(N, 4)`` boxes that are not finite,
    leave ``[0, 1]`` or are empty (``x1 <= x0`` or ``y1 <= y0``)."""
    return ~torch.isfinite(boxes).all(1) | (boxes < 0).any(1) | (boxes > 1).any(1) | \
        (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
