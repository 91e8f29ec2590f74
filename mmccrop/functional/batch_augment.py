"""The device augmentation path: a view's plan, its parameter vector, and the batched view.

Pure numpy/torch, no mmengine.  The loader draws every random parameter of
a view with the CPU transforms' own samplers (same law, same random
stream) and writes them into one float64 vector per view; the data
preprocessor then makes the whole batch of that view on the model's device
with :func:`augment_view`.  ``docs/speed.md`` describes the path.

A **view plan** is a tuple of op records, plain hashable tuples, the crop
first::

    ('crop', out_h, out_w, mode)      # mode: batch_augment_resize.MODES
    ('jitter', channel_order)         # ColorJitter
    ('gray', channel_order)           # RandomGrayscale
    ('blur', kernel_size)             # GaussianBlur (0: derived from sigma)
    ('solarize', threshold)           # Solarize

The horizontal flip is part of the crop record (it commutes with every
photometric op here: they are per-pixel, or a symmetric blur with a
symmetric border), so it may sit anywhere after the crop in the CPU view.
Each record owns :data:`SLOTS` consecutive entries of the view's vector:

- crop: ``top, left, h, w, flip`` (pixels; flip 0/1);
- jitter: ``apply`` (0/1), the order (a permutation of 0..3: brightness,
  contrast, saturation, hue), then the four factors (NaN: left out);
- gray, solarize: ``do`` (0/1);
- blur: ``sigma``, NaN when the sample is not blurred.
"""
import ast
import functools
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .batch_augment_blur import gaussian_blur, kernels_for
from .batch_augment_color import color_jitter, grayscale, solarize
from .batch_augment_resize import MODES, crop_resize_flip, crop_resize_flip_loop

#: Vector entries owned by each op record.
SLOTS = {'crop': 5, 'jitter': 9, 'gray': 1, 'blur': 1, 'solarize': 1}

ViewPlan = Tuple[tuple, ...]


def check_view_plan(plan: ViewPlan) -> int:
    """Raise ValueError unless ``plan`` is a valid view plan; return its vector length."""
    if not isinstance(plan, tuple) or not plan or plan[0][0] != 'crop':
        raise ValueError(f'a view plan must be a tuple of op records starting with a crop, '
                         f'got {plan!r}')
    length = 0
    for rec in plan:
        if rec[0] not in SLOTS:
            raise ValueError(f'unknown op {rec[0]!r} in view plan {plan!r}; known: '
                             f'{sorted(SLOTS)}')
        if rec[0] == 'crop' and (length or rec[3] not in MODES):
            raise ValueError(f'a view plan has one crop, first, with a mode in {MODES}; '
                             f'got {plan!r}')
        length += SLOTS[rec[0]]
    return length


@functools.lru_cache(maxsize=64)
def parse_plans(text: str) -> Tuple[ViewPlan, ...]:
    """The views' plans from their ``repr`` (how the loader ships them), checked."""
    try:
        plans = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f'not a repr of view plans: {text[:200]!r}') from None
    if not isinstance(plans, tuple) or not plans:
        raise ValueError(f'expected a tuple of view plans, got {text[:200]!r}')
    for plan in plans:
        check_view_plan(plan)
    return plans


def crop_slots(top: int, left: int, h: int, w: int, flip: bool) -> list:
    """The crop record's slots: the crop in pixels, then the flip as 0/1."""
    return [top, left, h, w, float(flip)]


def jitter_slots(sampled: Optional[tuple]) -> list:
    """Slots from ``ColorJitter.sample_params()``: ``None`` or ``(order, factors)``."""
    if sampled is None:
        return [0.0] + [0.0, 1.0, 2.0, 3.0] + [np.nan] * 4
    order, factors = sampled
    return ([1.0] + order.tolist()
            + [np.nan if f is None else f for f in factors])


def flag_slots(flag: bool) -> list:
    return [float(bool(flag))]


def blur_slots(sigma: Optional[float]) -> list:
    return [np.nan if sigma is None else float(sigma)]


def augment_view(images: Sequence[Tensor], packed: Optional[tuple], plan: ViewPlan,
                 params: np.ndarray, crop_method: str = 'batched') -> Tensor:
    """Make one view of a batch: crop, resize, flip, then the photometric ops in order.

    Args:
        images: The B decoded CHW uint8 images, on the target device.
        packed: ``pack_images(images)`` (reused across views), or ``None``
            with ``crop_method='loop'``.
        plan: The view plan.
        params: ``(B, P)`` float64 vectors of this view (extra columns ignored).
        crop_method: ``'batched'`` (:func:`crop_resize_flip`, for GPUs) or
            ``'loop'`` (:func:`crop_resize_flip_loop`, faster on a CPU).

    Returns:
        ``(B, C, out_h, out_w)`` uint8, in the images' channel order.
    """
    length = check_view_plan(plan)
    params = np.asarray(params, dtype=np.float64)
    if params.ndim != 2 or params.shape[0] != len(images) or params.shape[1] < length:
        raise ValueError(f'`params` must be (B={len(images)}, >= {length}) for plan {plan!r}, '
                         f'got {params.shape}')
    col = 0
    out = None
    for rec in plan:
        p = params[:, col:col + SLOTS[rec[0]]]
        col += SLOTS[rec[0]]
        if rec[0] == 'crop':
            boxes = torch.from_numpy(p[:, :4].astype(np.int64))
            flips = torch.from_numpy(p[:, 4] > 0.5)
            size = (rec[1], rec[2])
            if crop_method == 'loop':
                out = crop_resize_flip_loop(list(images), boxes, flips, size, rec[3])
            elif crop_method == 'batched':
                out = crop_resize_flip(*packed, boxes, flips, size, rec[3])
            else:
                raise ValueError(f"`crop_method` must be 'batched' or 'loop', got "
                                 f'{crop_method!r}')
        elif rec[0] == 'jitter':
            out = color_jitter(out, p[:, 1:5].astype(np.int64), p[:, 5:9], p[:, 0] > 0.5,
                               rec[1])
        elif rec[0] in ('gray', 'solarize'):
            sel = np.flatnonzero(p[:, 0] > 0.5)
            if len(sel):
                idx = torch.from_numpy(sel).to(out.device)
                out[idx] = (grayscale(out[idx], rec[1]) if rec[0] == 'gray'
                            else solarize(out[idx], rec[1]))
        else:  # blur
            sel = np.flatnonzero(~np.isnan(p[:, 0]))
            if len(sel):
                idx = torch.from_numpy(sel).to(out.device)
                out[idx] = gaussian_blur(out[idx], kernels_for(p[sel, 0], rec[1] or None))
    return out
