"""Heatmaps of feature maps: channel sum, min-max normalisation, upsampling.

The first two steps of ContrastiveCrop's localisation, and the argument checks
that every step shares.  No mmengine / mmcv imports.
"""
from typing import Sequence, Tuple, Union

import torch
from torch import Tensor

from ..crop import check_size

ALIGNS = ('centre', 'corner')
BACKGROUNDS = ('none', 'median')
REGIONS = ('all', 'peak')

SizeLike = Union[int, Sequence[int]]


def _pair(size: SizeLike, name: str = 'out_size') -> Tuple[int, int]:
    if isinstance(size, int):
        size = (size, size)
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f'{name} must be a positive int or (H, W), got {size!r}')
    return size


def _check_threshold(threshold: float) -> float:
    threshold = float(threshold)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f'threshold must lie in (0, 1), got {threshold}')
    return threshold


def _check_choice(name: str, value: str, choices: Tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
    return value


def _check_align(align: str) -> str:
    return _check_choice('align', align, ALIGNS)


def _check_background(background: str) -> str:
    return _check_choice('background', background, BACKGROUNDS)


def _check_region(region: str) -> str:
    return _check_choice('region', region, REGIONS)


def check_localize_options(threshold: float, eval_size: SizeLike, align: str = 'centre',
                           background: str = 'none',
                           region: str = 'all') -> Tuple[float, Tuple[int, int]]:
    """Check the options of a localisation pass as a config gives them.

    Stricter than the per-function checks (no bools, no float sizes), since
    a typo in a config should fail at build time, not after an epoch.

    Returns:
        ``(threshold, (h, w))`` as float and ints.

    Raises:
        ValueError: naming the first bad option.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ValueError(f'threshold must lie in (0, 1), got {threshold!r}')
    threshold = _check_threshold(threshold)
    size = check_size(eval_size, 'eval_size')
    _check_align(align)
    _check_background(background)
    _check_region(region)
    return threshold, size


def normalized_heatmaps(feats: Tensor, background: str = 'none') -> Tuple[Tensor, Tensor]:
    """Channel-sum heatmaps, min-max normalised per image.

    Args:
        feats: ``(B, C, h, w)`` feature maps (any float dtype; summed in at
            least float32 so that fp16 AMP features cannot overflow).
        background: ``'none'`` (the authors': sum the features as they are)
            or ``'median'``: sum ``max(f_c - median(f_c), 0)``, where the
            median of channel ``c`` is taken over the ``h * w`` positions of
            that image (the lower median for an even count).

    Returns:
        ``(heat, degenerate)``: ``heat`` is ``(B, h, w)`` in ``[0, 1]``;
        ``degenerate`` is a ``(B,)`` bool mask of the maps that are constant
        or contain non-finite values.  Their heatmap is set to all ones, so
        they yield the full box.
    """
    if feats.dim() != 4:
        raise ValueError(f'feats must be (B, C, h, w), got shape {tuple(feats.shape)}')
    background = _check_background(background)
    dtype = torch.promote_types(feats.dtype, torch.float32)
    feats = feats.to(dtype)
    if background == 'median' and feats.numel():
        # (a NaN feature makes its channel's median NaN: the map is then degenerate)
        level = feats.flatten(2).median(dim=2).values[:, :, None, None]
        feats = (feats - level).clamp_min(0)
    heat = feats.sum(dim=1)
    flat = heat.flatten(1)
    finite = torch.isfinite(flat).all(dim=1)
    # nan-safe min / max: the non-finite maps are replaced below anyway.
    safe = torch.where(torch.isfinite(flat), flat, torch.zeros_like(flat))
    low = safe.amin(dim=1)
    span = safe.amax(dim=1) - low
    degenerate = ~finite | ~(span > 0) | ~torch.isfinite(span)
    span = torch.where(degenerate, torch.ones_like(span), span)
    heat = (safe - low[:, None]) / span[:, None]
    heat = torch.where(degenerate[:, None], torch.ones_like(heat), heat)
    return heat.view(feats.shape[0], *feats.shape[2:]).clamp_(0, 1), degenerate


def _linear_coeffs(in_size: int, out_size: int, dtype: torch.dtype,
                   device: torch.device, align: str = 'centre'
                   ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """1-D linear-interpolation taps from ``in_size`` cells to ``out_size`` pixels.

    ``'centre'`` mirrors ATen's ``F.interpolate(..., align_corners=False)``:
    ``src = max(in/out * (dst + 0.5) - 0.5, 0)``.  ``'corner'`` places cell
    ``i`` on pixel ``i * out/in``: ``src = min(in/out * dst, in - 1)``.  Left
    tap ``floor(src)``, right tap one further unless at the border.
    """
    scale = in_size / out_size
    dst = torch.arange(out_size, device=device, dtype=dtype)
    if align == 'corner':
        src = (scale * dst).clamp_max(in_size - 1)
    else:
        src = (scale * (dst + 0.5) - 0.5).clamp_min(0)
    i0 = src.floor().long().clamp_max(in_size - 1)
    lam = (src - i0.to(dtype)).clamp(0, 1)
    i1 = torch.where(i0 < in_size - 1, i0 + 1, i0)
    return i0, i1, 1 - lam, lam


def upsample_heatmaps(heat: Tensor, out_size: SizeLike, align: str = 'centre') -> Tensor:
    """Bilinearly upsample ``(B, h, w)`` heatmaps to ``(B, H, W)``.

    Two geometries for where feature cell ``i`` sits in the image (stride
    ``S = H / h``):

    - ``'centre'``: at the centre of pixels ``[i*S, (i+1)*S)``, i.e.
      ``F.interpolate(..., align_corners=False)``.  The authors' choice; right
      for non-overlapping patch embeddings (ViT).
    - ``'corner'``: on pixel ``i*S``, the receptive-field centre of strided
      convolutions with "same" padding (ResNet's stem, max-pool and stride-2
      blocks each put output ``j`` over input ``2j``).  Right for CNNs:
      ``'centre'`` shifts their heatmaps by ``(S - 1) / 2`` pixels towards the
      bottom right (7.5 px at stride 16).  Past the last cell the value is
      held.

    This builds the full maps (for pictures and as the reference of
    :func:`kept_spans`); :func:`heatmap_to_boxes` never does.
    """
    align = _check_align(align)
    out_h, out_w = _pair(out_size)
    if align == 'centre':
        return torch.nn.functional.interpolate(
            heat[:, None], size=(out_h, out_w), mode='bilinear', align_corners=False)[:, 0]

    def hat(n_in: int, n_out: int) -> Tensor:  # (n_out, n_in) interpolation matrix
        src = (torch.arange(n_out, dtype=heat.dtype, device=heat.device) * (n_in / n_out)
               ).clamp_max(n_in - 1)
        cells = torch.arange(n_in, dtype=heat.dtype, device=heat.device)
        return (1 - (src[:, None] - cells[None]).abs()).clamp_min(0)

    return hat(heat.size(1), out_h) @ heat @ hat(heat.size(2), out_w).T


