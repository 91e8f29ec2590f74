"""Batched photometric ops on uint8 ``(B, C, H, W)`` tensors, one parameter per sample.

The device half of the device augmentation path (see ``docs/speed.md``).
Pure torch, no mmengine.  Each op is an integer (or exactly rounded float)
emulation of the OpenCV op that the CPU transform in
``mmccrop/datasets/transforms/`` applies, so that the two paths make the
same pixels; each op takes and returns uint8, as the CPU ops do.

- greyscale: OpenCV's 8-bit ``RGB2GRAY`` (15-bit luma weights 9798, 19235,
  3735 for R, G, B, rounded);
- brightness and contrast: the CPU transform's 256-entry lookup tables
  (``rint(v * f)``; ``rint(m + f * (v - m))`` with ``m`` the rounded mean
  grey level of the sample), built in float64 and gathered;
- saturation: ``cv2.addWeighted(img, f, grey, 1 - f, 0)``, i.e.
  ``round(img * f + round32(grey * (1 - f)))`` with one fused rounding;
- hue: OpenCV's 8-bit ``HSV_FULL`` round trip, the integer forward
  conversion exactly and the float inverse as the installed OpenCV computes
  it (hue scale 6/255), with the hue shifted by ``int(f * 255) mod 256``;
- solarize: ``v >= threshold -> 255 - v``.

Tested against cv2 (``tests/test_speed/test_batch_ops.py``): greyscale,
brightness, contrast, saturation and solarize are bit-exact; the hue's
inverse conversion differs by 1 grey level on 88 of the 2**24 HSV triples.

``channel_order`` is ``'bgr'`` (images loaded by cv2) or ``'rgb'``.
Images with other than 3 channels skip saturation and hue and use their
own mean for contrast, as the CPU transforms do.
"""
from typing import Optional

import numpy as np
import torch
from torch import Tensor

_LUMA15 = {'bgr': (3735, 19235, 9798), 'rgb': (9798, 19235, 3735)}


def _check(x: Tensor, name: str = 'x') -> None:
    if x.dtype != torch.uint8 or x.dim() != 4:
        raise ValueError(f'`{name}` must be a uint8 (B, C, H, W) tensor, got {x.dtype} '
                         f'{tuple(x.shape)}')


def to_gray(x: Tensor, channel_order: str = 'bgr') -> Tensor:
    """OpenCV's 8-bit greyscale of a 3-channel batch, ``(B, 1, H, W)`` uint8."""
    w0, w1, w2 = _LUMA15[channel_order]
    v = x.to(torch.int32)
    g = (v[:, 0:1] * w0 + v[:, 1:2] * w1 + v[:, 2:3] * w2 + (1 << 14)) >> 15
    return g.to(torch.uint8)


def apply_lut(x: Tensor, lut: Tensor) -> Tensor:
    """Map each sample's values through its own table: ``lut`` is ``(B, 256)`` uint8."""
    b = x.shape[0]
    idx = x.reshape(b, -1).to(torch.int64)
    return torch.gather(lut.to(x.device, torch.uint8), 1, idx).view_as(x)


def _rint_lut(table: Tensor) -> Tensor:
    return torch.round(table).clamp_(0, 255).to(torch.uint8)  # round half to even, as np.rint


def brightness_lut(factors: Tensor) -> Tensor:
    """``(B, 256)`` tables ``rint(v * f)`` (float64, as the CPU transform builds them)."""
    ident = torch.arange(256, dtype=torch.float64, device=factors.device)
    return _rint_lut(ident[None] * factors.to(torch.float64)[:, None])


def adjust_brightness(x: Tensor, factors: Tensor) -> Tensor:
    """Scale intensities by a factor per sample, saturating at 255."""
    _check(x)
    return apply_lut(x, brightness_lut(factors.to(x.device)))


def adjust_contrast(x: Tensor, factors: Tensor, channel_order: str = 'bgr') -> Tensor:
    """Blend each sample with its mean grey level (rounded to an integer)."""
    _check(x)
    grey = to_gray(x, channel_order) if x.shape[1] == 3 else x
    total = grey.reshape(x.shape[0], -1).to(torch.int64).sum(1)
    mean = total.to(torch.float64) / grey[0].numel()
    mean = torch.floor(mean + 0.5)
    ident = torch.arange(256, dtype=torch.float64, device=x.device)
    f = factors.to(x.device, torch.float64)[:, None]
    return apply_lut(x, _rint_lut(mean[:, None] + f * (ident[None] - mean[:, None])))


def adjust_saturation(x: Tensor, factors: Tensor, channel_order: str = 'bgr') -> Tensor:
    """Blend each sample with its own greyscale version (3-channel images only)."""
    _check(x)
    if x.shape[1] != 3:
        return x
    f = factors.to(torch.float64).cpu().numpy()
    alpha = torch.from_numpy(f.astype(np.float32)).to(x.device)
    beta = torch.from_numpy((1.0 - f).astype(np.float32)).to(x.device)
    grey = to_gray(x, channel_order).to(torch.float32) * beta.view(-1, 1, 1, 1)
    # One rounding to float32 for x * alpha + grey_term, as OpenCV's fused multiply-add.
    out = (x.to(torch.float64) * alpha.to(torch.float64).view(-1, 1, 1, 1)
           + grey.to(torch.float64)).to(torch.float32)
    return torch.round(out).clamp_(0, 255).to(torch.uint8)


def hue_shifts(factors: np.ndarray) -> np.ndarray:
    """The CPU transform's shift in 8-bit hue units: ``int(f * 255) mod 256``."""
    return np.array([int(float(f) * 255) % 256 for f in factors], dtype=np.int64)


def adjust_hue(x: Tensor, factors: Tensor, channel_order: str = 'bgr') -> Tensor:
    """Rotate the hue by ``f`` of a turn through OpenCV's 8-bit HSV (3 channels only)."""
    _check(x)
    if x.shape[1] != 3:
        return x
    shift = torch.from_numpy(hue_shifts(factors.cpu().numpy())).to(x.device)
    bi, ri = (0, 2) if channel_order == 'bgr' else (2, 0)
    v32 = x.to(torch.int32)
    b, g, r = v32[:, bi], v32[:, 1], v32[:, ri]
    h, s, v = _rgb_to_hsv_full(r, g, b)
    h = (h + shift.view(-1, 1, 1).to(torch.int32)) % 256
    r2, g2, b2 = _hsv_full_to_rgb(h, s, v)
    out = [None, g2, None]
    out[bi], out[ri] = b2, r2
    return torch.stack(out, 1)


def _rgb_to_hsv_full(r: Tensor, g: Tensor, b: Tensor):
    """OpenCV's integer ``RGB2HSV_b`` with ``hrange = 256`` (12-bit tables)."""
    dev = r.device
    i = torch.arange(1, 256, dtype=torch.float64, device=dev)
    sdiv = torch.cat([torch.zeros(1, device=dev, dtype=torch.float64),
                      torch.round((255 << 12) / i)]).to(torch.int32)
    hdiv = torch.cat([torch.zeros(1, device=dev, dtype=torch.float64),
                      torch.round((256 << 12) / (6.0 * i))]).to(torch.int32)
    v = torch.maximum(torch.maximum(b, g), r)
    vmin = torch.minimum(torch.minimum(b, g), r)
    diff = v - vmin
    s = (diff * sdiv[v.long()] + (1 << 11)) >> 12
    h = torch.where(v == r, g - b, torch.where(v == g, b - r + 2 * diff, r - g + 4 * diff))
    h = (h * hdiv[diff.long()] + (1 << 11)) >> 12
    h = torch.where(h < 0, h + 256, h).clamp_(0, 255)
    return h, s, v


def _hsv_full_to_rgb(h: Tensor, s: Tensor, v: Tensor):
    """OpenCV's ``HSV2RGB_b`` (float32 maths, rounded to uint8) as the installed cv2 runs it."""
    hf = h.to(torch.float32) * np.float32(6.0 / 255)
    hf = torch.where(hf >= 6.0, hf - 6.0, hf)  # fmod(hf, 6): only h = 255 reaches 6
    sf = s.to(torch.float32) * np.float32(1.0 / 255)
    vf = v.to(torch.float32) * np.float32(1.0 / 255)
    sector = torch.floor(hf)
    f = hf - sector
    tab = torch.stack([vf, vf * (1.0 - sf), vf * (1.0 - sf * f), vf * (1.0 - sf * (1.0 - f))])
    # (b, g, r) rows of OpenCV's sector table: which tab entry each channel takes.
    sector_data = torch.tensor([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3],
                                [2, 1, 0]], device=h.device)
    pick = sector_data[sector.long()]                               # (..., 3)
    chans = [torch.gather(tab, 0, pick[..., c][None])[0] for c in range(3)]
    chans = [torch.where(s == 0, vf, c) for c in chans]
    b, g, r = (torch.round(c * np.float32(255.0)).clamp_(0, 255).to(torch.uint8) for c in chans)
    return r, g, b


def grayscale(x: Tensor, channel_order: str = 'bgr') -> Tensor:
    """Greyscale replicated over 3 channels (3-channel images; others unchanged)."""
    _check(x)
    if x.shape[1] != 3:
        return x
    return to_gray(x, channel_order).expand(-1, 3, -1, -1).contiguous()


def solarize(x: Tensor, threshold: float) -> Tensor:
    """Invert every value ``>= threshold``."""
    _check(x)
    return torch.where(x >= threshold, 255 - x, x)


_ADJUST = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)


def color_jitter(x: Tensor, order: np.ndarray, factors: np.ndarray,
                 apply: Optional[np.ndarray] = None, channel_order: str = 'bgr') -> Tensor:
    """ColorJitter with a random order and factors per sample.

    Args:
        x: ``(B, C, H, W)`` uint8.
        order: ``(B, 4)`` ints, each row a permutation of 0..3 (brightness,
            contrast, saturation, hue): the order of the adjustments.
        factors: ``(B, 4)`` floats, NaN for an adjustment left out (a range
            of zero width at the identity, as the CPU transform's ``None``).
        apply: ``(B,)`` bools, False for samples the jitter skips (``prob``).
        channel_order: ``'bgr'`` or ``'rgb'``.

    Returns:
        The jittered batch (a new tensor; ``x`` is not modified).
    """
    _check(x)
    order, factors = np.asarray(order), np.asarray(factors, dtype=np.float64)
    apply = np.ones(len(x), bool) if apply is None else np.asarray(apply, bool)
    out = x.clone()
    for step in range(4):
        for op, fn in enumerate(_ADJUST):
            sel = np.flatnonzero(apply & (order[:, step] == op) & ~np.isnan(factors[:, op]))
            if len(sel) == 0:
                continue
            idx = torch.from_numpy(sel).to(x.device)
            f = torch.from_numpy(factors[sel, op])
            args = (f, ) if op == 0 else (f, channel_order)
            out[idx] = fn(out[idx], *args)
    return out
