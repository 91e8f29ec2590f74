"""Resizing HW / HWC numpy images, optionally antialiased as PIL does.

Two paths, chosen by ``antialias``:

- ``antialias=False``: ``cv2.resize``.  Fast, but its ``'bilinear'`` and
  ``'bicubic'`` sample the input at the output pixel centres with a fixed
  2- or 4-tap kernel, so shrinking by 2-3x aliases: fine texture turns into
  moire and noise survives at full strength.
- ``antialias=True``: PIL's convolution resampling, the one torchvision
  applies to PIL images (and to tensors with ``antialias=True``).  Along an
  axis that shrinks by ``s``, the kernel (triangle for ``'bilinear'``, Keys
  cubic with ``a = -0.5`` for ``'bicubic'``) is stretched ``s`` times, so it
  averages over every input pixel the output pixel covers; along an axis that
  grows it is the plain kernel.  Each axis is treated on its own, so a crop
  that shrinks one way and grows the other is handled like PIL handles it.
  It runs ``torch.nn.functional.interpolate(..., antialias=True)``, whose
  uint8 kernel follows PIL's fixed-point arithmetic and is 4-7x faster
  than PIL itself on one thread.

How close, in grey levels (0-255), to ``torchvision.transforms.functional.
resized_crop`` on PIL images, for 150 RandomResizedCrop draws each (224 px
output from 300-500 px images; scale (0.2, 1) for bilinear as in the ImageNet
ContrastiveCrop configs, (0.08, 1) for bicubic as in the ViT config).
"natural" is a smooth colour field plus +-25 noise, "noise" is uniform noise,
the worst case for aliasing.  Mean absolute difference per crop, averaged
over the crops (worst crop in brackets)::

                       natural                      noise
                  cv2          antialias       cv2           antialias
    bilinear      2.18 (5.13)  0.05 (0.25)     10.6 (26.9)   0.04 (0.26)
    bicubic       2.98 (7.40)  0.05 (0.28)     13.7 (37.5)   0.07 (0.39)

The antialiased path differs from PIL by at most 1-2 grey levels for
bilinear (up to 5 natural / 24 noise for bicubic, whose ringing PIL clips
between its two passes).  What remains is rounding: both resample in two
fixed-point passes through an intermediate uint8 image, and round the weights
and that image differently.  cv2's ``INTER_AREA`` is no substitute: a box
filter when shrinking and a sharpened nearest neighbour when enlarging, it is
1.0 (natural) and 5.2 (noise) from PIL's bilinear on the same crops.
``tests/test_transforms/test_resize.py`` pins these bounds.  With a torch
older than 2.1 (no uint8 kernel) the float32 fallback is within 0.3 on average.

Cost on one thread, for 150-650 px crops to 224 px: 0.25-0.7 ms, against
0.1-0.3 ms for cv2's bilinear and 1.3-4.6 ms for PIL (4-7x slower).
"""
import numbers
from typing import Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

#: ``interpolation`` names and their cv2 flags.
CV2_INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
#: The interpolations that ``antialias=True`` supports (PIL's and torch's).
ANTIALIAS_INTERPOLATIONS = ('bilinear', 'bicubic')

# Interpolations whose uint8 antialiased kernel this torch lacks (torch < 2.1
# has float kernels only); those fall back to float32 once detected.
_NO_UINT8_KERNEL = set()


def check_interpolation(interpolation: str, antialias: bool, name: str = 'interpolation') -> None:
    """Raise ValueError unless ``interpolation`` (with ``antialias``) is supported."""
    if interpolation not in CV2_INTERPOLATIONS:
        raise ValueError(f'`{name}` must be one of {sorted(CV2_INTERPOLATIONS)}, '
                         f'got {interpolation!r}')
    if not isinstance(antialias, (bool, np.bool_)):
        raise ValueError(f'`antialias` must be True or False, got {antialias!r}')
    if antialias and interpolation not in ANTIALIAS_INTERPOLATIONS:
        raise ValueError(f'`antialias=True` needs `{name}` in {ANTIALIAS_INTERPOLATIONS} '
                         f"(PIL's antialiased kernels), got {interpolation!r}")


def resize(img: np.ndarray, size: Tuple[int, int], interpolation: str = 'bilinear',
           antialias: bool = False) -> np.ndarray:
    """Resize an HW or HWC image to ``size`` = ``(h, w)``.

    Args:
        img: HW or HWC array (uint8 for the exact PIL match; other dtypes go
            through float32 on the antialiased path). May be a strided view,
            such as a crop.
        size: Output ``(h, w)``.
        interpolation: One of :data:`CV2_INTERPOLATIONS`.
        antialias: PIL's antialiased resampling (see the module docstring);
            needs ``'bilinear'`` or ``'bicubic'``.

    Returns:
        A C-contiguous array of shape ``(h, w)`` or ``(h, w, C)`` and the
        dtype of ``img``; an image already of ``size`` comes back unchanged
        (``np.ascontiguousarray`` of it, so not a copy when already contiguous).

    Raises:
        ValueError: naming the argument, for an unknown ``interpolation``,
            ``antialias=True`` with another interpolation than bilinear or
            bicubic, a ``size`` that is not two positive ints, or an image
            that is not HW / HWC.
    """
    check_interpolation(interpolation, antialias)
    if (len(size) != 2 or not all(isinstance(s, numbers.Integral) and s > 0 for s in size)):
        raise ValueError(f'`size` must be (h, w) with positive ints, got {size!r}')
    if img.ndim not in (2, 3) or 0 in img.shape[:2]:
        raise ValueError(f'`img` must be a non-empty HW or HWC array, got shape {img.shape}')
    out_h, out_w = (int(s) for s in size)
    if img.shape[:2] == (out_h, out_w):
        return np.ascontiguousarray(img)  # both libraries copy unchanged at equal size
    if antialias:
        return _resize_antialias(img, (out_h, out_w), interpolation)
    out = cv2.resize(img, (out_w, out_h), interpolation=CV2_INTERPOLATIONS[interpolation])
    if out.ndim == 2 and img.ndim == 3:  # cv2 drops a single channel axis
        out = out[..., None]
    return out


def _resize_antialias(img: np.ndarray, size: Tuple[int, int], mode: str) -> np.ndarray:
    # A dense HWC array, unsqueezed then permuted, is a channels-last NCHW
    # tensor to torch, so the result is channels-last too and comes back as
    # HWC without a transposing copy, which would cost as much as the resize.
    # (Permuting first and then adding the batch axis with ``[None]`` gives
    # that axis a stride that torch does not read as channels-last.)  Copying
    # a crop view to make it dense is cheap.
    img = np.ascontiguousarray(img)
    x = torch.from_numpy(img[..., None] if img.ndim == 2 else img)
    x = x.unsqueeze(0).permute(0, 3, 1, 2)
    if img.dtype == np.uint8 and mode not in _NO_UINT8_KERNEL:
        try:
            y = F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=True)
            return _to_numpy(y, img.ndim)
        except RuntimeError:  # "not implemented for 'Byte'" (torch < 2.1)
            _NO_UINT8_KERNEL.add(mode)
    y = F.interpolate(x.to(torch.float32), size=size, mode=mode, align_corners=False,
                      antialias=True)
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)
        y = y.round_().clamp_(float(info.min), float(info.max))
    return _to_numpy(y, img.ndim).astype(img.dtype, copy=False)


def _to_numpy(y: torch.Tensor, ndim: int) -> np.ndarray:
    out = np.ascontiguousarray(y[0].permute(1, 2, 0).numpy())
    return out[..., 0] if ndim == 2 else out
