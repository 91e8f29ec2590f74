"""Batched Gaussian blur with one sigma per sample, as OpenCV blurs uint8 images.

The device half of the device augmentation path (see ``docs/speed.md``).
Pure torch/numpy, no mmengine.  It emulates ``cv2.GaussianBlur(img, (0, 0),
sigma, sigma, borderType=cv2.BORDER_REFLECT_101)`` on uint8, which the CPU
transform :class:`mmccrop.datasets.transforms.GaussianBlur` runs, bit for
bit:

- the kernel side is ``round(6 * sigma + 1) | 1`` (OpenCV's rule for 8-bit
  images) unless given;
- the kernel is OpenCV's bit-exact Gaussian: ``exp(-x**2 / (2 sigma**2))``
  normalised, then quantised to multiples of 1/256 with error diffusion
  from the tails inwards and the centre tap taking what is left, so that
  the taps sum to exactly 256;
- rows then columns, reflecting the border without repeating the edge
  pixel; the horizontal sums are exact (8 fraction bits), the vertical
  ones carry 16 and are rounded half up to uint8.

All sums are integers below 2**24, so float32 arithmetic is exact on any
device.  Samples that are not blurred get the identity kernel (one tap of
256), which returns them unchanged.
"""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .batch_augment_color import _check


def kernel_size(sigma: float) -> int:
    """OpenCV's automatic kernel side for 8-bit images: ``round(6 sigma + 1) | 1``."""
    return int(np.rint(sigma * 6 + 1)) | 1


def fixed_point_kernel(sigma: float, size: Optional[int] = None) -> np.ndarray:
    """OpenCV's quantised 1-D Gaussian for uint8: ints that sum to 256.

    Args:
        sigma: Standard deviation in pixels, > 0.
        size: Odd kernel side, or ``None`` for :func:`kernel_size`.
    """
    if not sigma > 0:
        raise ValueError(f'`sigma` must be > 0, got {sigma!r}')
    n = kernel_size(sigma) if size is None else int(size)
    if n < 1 or n % 2 == 0:
        raise ValueError(f'`size` must be a positive odd int, got {size!r}')
    half = (n - 1) // 2
    scale2 = -0.125 / (sigma * sigma)  # exp(x**2 * scale2) with x in half-pixel steps
    tails = [float(np.exp((x * x) * scale2)) for x in range(1 - n, 0, 2)][:half]
    norm = 1.0 / (sum(tails) * 2 + 1.0)
    taps, err = [], 0.0
    for t in tails:  # error diffusion, outer taps first
        adj = t * norm * 256 + err
        v = int(np.rint(adj))
        err = adj - v
        taps.append(v)
    centre = 256 - 2 * sum(taps)
    return np.array(taps + [centre] + taps[::-1], dtype=np.int64)


def kernels_for(sigmas: Sequence[float], size: Optional[int] = None) -> np.ndarray:
    """``(B, K)`` int kernels, centred and zero-padded to the widest; NaN sigma = identity."""
    kernels = [np.array([256]) if np.isnan(s) else fixed_point_kernel(float(s), size)
               for s in sigmas]
    width = max(len(k) for k in kernels)
    out = np.zeros((len(kernels), width), dtype=np.int64)
    for row, k in zip(out, kernels):
        pad = (width - len(k)) // 2
        row[pad:pad + len(k)] = k
    return out


def gaussian_blur(x: Tensor, kernels: np.ndarray) -> Tensor:
    """Blur each sample of a uint8 ``(B, C, H, W)`` batch with its own kernel.

    Args:
        x: uint8 batch.
        kernels: ``(B, K)`` integer kernels (odd ``K``) summing to 256, from
            :func:`kernels_for`.

    Returns:
        The blurred uint8 batch.

    Raises:
        ValueError: if the kernel is wider than the image allows for a
            reflected border (``K // 2 >= H`` or ``>= W``).
    """
    _check(x, 'x')
    kernels = np.asarray(kernels)
    if kernels.ndim != 2 or kernels.shape[0] != x.shape[0] or kernels.shape[1] % 2 == 0:
        raise ValueError(f'`kernels` must be (B, odd K) with B = {x.shape[0]}, got '
                         f'{kernels.shape}')
    k = kernels.shape[1]
    pad = k // 2
    _, _, h, w = x.shape
    if pad >= h or pad >= w:
        raise ValueError(f'a {k}-tap blur needs images larger than {pad} px, got {h}x{w}')
    wts = torch.from_numpy(kernels.astype(np.float32)).to(x.device)
    xf = F.pad(x.to(torch.float32), (pad, pad, pad, pad), mode='reflect')
    rows = None
    for i in range(k):
        term = xf[..., i:i + w] * wts[:, i].view(-1, 1, 1, 1)
        rows = term if rows is None else rows.add_(term)
    out = None
    for i in range(k):
        term = rows[..., i:i + h, :] * wts[:, i].view(-1, 1, 1, 1)
        out = term if out is None else out.add_(term)
    return torch.floor((out + 32768.0) / 65536.0).clamp_(0, 255).to(torch.uint8)
