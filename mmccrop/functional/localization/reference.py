"""Per-image reference of :func:`~.boxes.heatmap_to_boxes`, for tests and benchmarks."""
import collections
from typing import Tuple, Union

import torch
from torch import Tensor

from .boxes import FULL_BOX
from .heatmap import (
    SizeLike,
    _check_align,
    _check_background,
    _check_region,
    _check_threshold,
    _pair,
    upsample_heatmaps,
)


def _peak_region_reference(up: Tensor, threshold: float) -> Tensor:
    """Breadth-first flood fill of one ``(H, W)`` map from its first maximum."""
    height, width = up.shape
    above = (up > threshold).tolist()
    region = torch.zeros(height, width, dtype=torch.bool)
    start = divmod(int(up.flatten().argmax()), width)
    if not above[start[0]][start[1]]:
        return region
    queue = collections.deque([start])
    region[start] = True
    while queue:
        y, x = queue.popleft()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                v, u = y + dy, x + dx
                if 0 <= v < height and 0 <= u < width and above[v][u] and not region[v, u]:
                    region[v, u] = True
                    queue.append((v, u))
    return region


def heatmap_to_boxes_reference(feats: Tensor,
                               threshold: float,
                               out_size: SizeLike,
                               return_degenerate: bool = False,
                               align: str = 'centre',
                               background: str = 'none',
                               region: str = 'all'
                               ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Per-image reference of :func:`heatmap_to_boxes`.

    Normalises, upsamples the full map (:func:`upsample_heatmaps`: with
    ``F.interpolate`` for ``'centre'``) and scans its row / column maxima, one
    image at a time, as the authors' code does; ``region='peak'`` flood-fills
    from the maximum pixel by pixel.  Kept for tests and the benchmark; use
    :func:`heatmap_to_boxes`.
    """
    threshold = _check_threshold(threshold)
    align = _check_align(align)
    background = _check_background(background)
    region = _check_region(region)
    out_h, out_w = _pair(out_size)
    boxes, degenerate = [], []
    for feat in feats:
        feat = feat.to(torch.promote_types(feat.dtype, torch.float32))
        if background == 'median':
            feat = torch.stack([(c - c.flatten().median()).clamp_min(0) for c in feat])
        heat = feat.sum(0)
        low, high = heat.min(), heat.max()
        if not bool(torch.isfinite(heat).all()) or not bool(high > low) or \
                not bool(torch.isfinite(high - low)):
            boxes.append(torch.tensor(FULL_BOX))
            degenerate.append(True)
            continue
        heat = (heat - low) / (high - low)
        up = upsample_heatmaps(heat[None], (out_h, out_w), align)[0]
        if region == 'peak':
            kept = _peak_region_reference(up, threshold)
            rows = torch.nonzero(kept.any(1)).flatten()
            cols = torch.nonzero(kept.any(0)).flatten()
        else:
            rows = torch.nonzero(up.amax(1) > threshold).flatten()
            cols = torch.nonzero(up.amax(0) > threshold).flatten()
        if rows.numel() == 0 or cols.numel() == 0:
            boxes.append(torch.tensor(FULL_BOX))
            degenerate.append(True)
            continue
        boxes.append(torch.tensor([
            cols[0].item() / out_w, rows[0].item() / out_h,
            (cols[-1].item() + 1) / out_w, (rows[-1].item() + 1) / out_h
        ]))
        degenerate.append(False)
    out = torch.stack(boxes).float().to(feats.device) if boxes else \
        feats.new_zeros((0, 4), dtype=torch.float32)
    mask = torch.tensor(degenerate, dtype=torch.bool, device=feats.device)
    return (out, mask) if return_degenerate else out


