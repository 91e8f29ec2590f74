"""Batched crop + resize (+ horizontal flip) of uint8 images of different sizes.

The device half of the device augmentation path (see ``docs/speed.md``).
Pure torch, no mmengine.  Every sample ``b`` has its own crop
``(top, left, h, w)`` in pixels on its own image, and all come out at one
size ``(out_h, out_w)``: the batch is ``(B, C, out_h, out_w)`` uint8.

Two resampling laws, each an integer emulation of the CPU op it stands for,
so that the device path and the CPU pipeline make the same pixels:

- ``'pil_bilinear'`` / ``'pil_bicubic'``: PIL's antialiased resampling, as
  ``torch.nn.functional.interpolate(..., antialias=True)`` runs it on uint8
  (what :func:`mmccrop.functional.resize.resize` calls with
  ``antialias=True``).  Along each axis, output pixel ``i`` averages the
  input pixels under the kernel (triangle, or Keys cubic with ``a = -0.5``)
  centred at ``(i + 0.5) * s`` and stretched by the scale ``s = in / out``
  when shrinking.  The weights are normalised, rounded to ``int16`` with
  torch's precision rule, applied horizontally, rounded and clipped to
  uint8, then vertically.  Bit-exact with torch's CPU uint8 kernel.
- ``'cv2_bilinear'``: ``cv2.resize(..., INTER_LINEAR)`` on uint8 (the CPU
  crops' default without ``antialias``): two taps per axis at
  ``(i + 0.5) * s - 0.5``, 11-bit weights, an integer horizontal pass and
  OpenCV's SIMD vertical pass (shifts by 4 and 16, then a rounded shift by
  2).  Bit-exact with OpenCV 4.x / 5.x on x86 (tested against the
  installed cv2).

The flip reverses the order of the output columns of a sample, which is
where the CPU pipeline's flip after the crop puts them.

Images travel as one flat buffer (:func:`pack_images`): channel ``c`` of
image ``b`` occupies ``flat[c, offset[b]:offset[b] + H_b * W_b]`` in row
order, so a batch of different sizes needs no padding.  Each pass gathers
its taps from there; the work is ``O(taps * C * crop_h * out_w)`` per
sample, independent of the image size.
"""
import math
from typing import List, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .resize import resize

#: Resampling laws of :func:`crop_resize_flip`.
MODES = ('pil_bilinear', 'pil_bicubic', 'cv2_bilinear')

_PIL_SUPPORT = {'pil_bilinear': 1.0, 'pil_bicubic': 2.0}  # kernel half-width
# The (interpolation, antialias) of :func:`resize` that each mode emulates.
_RESIZE_ARGS = {'pil_bilinear': ('bilinear', True), 'pil_bicubic': ('bicubic', True),
                'cv2_bilinear': ('bilinear', False)}


def pack_images(images: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """Concatenate CHW uint8 images of any sizes into one flat ``(C, N)`` buffer.

    Returns ``(flat, offsets, shapes)``: ``offsets`` ``(B,)`` int64 start of
    each image in ``flat``'s second axis, ``shapes`` ``(B, 2)`` int64 ``(H, W)``.
    All images must have the same channel count, dtype and device.
    """
    if len(images) == 0:
        raise ValueError('`images` must hold at least one image')
    channels = {int(img.shape[0]) for img in images}
    if any(img.dim() != 3 for img in images) or len(channels) != 1:
        raise ValueError('`images` must be CHW tensors with one channel count, got shapes '
                         f'{sorted({tuple(img.shape) for img in images})}')
    device = images[0].device
    shapes = torch.tensor([[img.shape[1], img.shape[2]] for img in images], dtype=torch.int64)
    sizes = shapes[:, 0] * shapes[:, 1]
    offsets = torch.cumsum(sizes, 0) - sizes
    flat = torch.cat([img.reshape(img.shape[0], -1) for img in images], dim=1)
    return flat, offsets.to(device), shapes.to(device)


def _pil_filter(x: Tensor, mode: str) -> Tensor:
    x = x.abs()
    if mode == 'pil_bilinear':
        return (1.0 - x).clamp_(min=0.0)
    a = -0.5  # PIL's (and torch's antialiased) Keys cubic
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return torch.where(x < 1.0, near, torch.where(x < 2.0, far, torch.zeros_like(x)))


def pil_axis_taps(length: Tensor, out: int, mode: str) -> Tuple[Tensor, Tensor, Tensor]:
    """Taps of PIL's antialiased resampling along one axis, per sample.

    Args:
        length: ``(B,)`` int64 input lengths (the crop's height or width).
        out: Output length.
        mode: ``'pil_bilinear'`` or ``'pil_bicubic'``.

    Returns:
        ``(index, weight, precision)``: ``index`` ``(B, out, K)`` int64
        input positions in ``[0, length)``; ``weight`` ``(B, out, K)`` int32
        fixed-point weights (0 for unused taps); ``precision`` ``(B,)``
        int32 fraction bits, as torch's uint8 kernel chooses them.
    """
    dev = length.device
    n = length.to(torch.float64)
    scale = n / out
    shrink = scale >= 1.0
    half = _PIL_SUPPORT[mode]
    support = torch.where(shrink, half * scale, torch.full_like(scale, half))
    invscale = torch.where(shrink, 1.0 / scale, torch.ones_like(scale))
    k = int(math.ceil(float(support.max()))) * 2 + 1
    centre = scale[:, None] * (torch.arange(out, device=dev, dtype=torch.float64) + 0.5)
    xmin = torch.floor(centre - support[:, None] + 0.5).clamp_(min=0)
    xmax = torch.minimum(torch.floor(centre + support[:, None] + 0.5), n[:, None])
    xsize = (xmax - xmin).clamp_(0, k)
    j = torch.arange(k, device=dev, dtype=torch.float64)
    w = _pil_filter((j + xmin[..., None] - centre[..., None] + 0.5) * invscale[:, None, None],
                    mode)
    w = torch.where(j < xsize[..., None], w, torch.zeros_like(w))
    total = w.sum(-1, keepdim=True)
    w = torch.where(total != 0, w / torch.where(total != 0, total, torch.ones_like(total)), w)
    # torch: the most fraction bits (<= 22) with round(2 * max weight) < 2**15.
    wt_max = w.flatten(1).amax(1)
    precision = torch.zeros_like(wt_max, dtype=torch.int64)
    done = torch.zeros_like(wt_max, dtype=torch.bool)
    for p in range(22):
        stop = torch.floor(0.5 + wt_max * (1 << (p + 1))) >= (1 << 15)
        precision = torch.where(done | stop, precision, torch.full_like(precision, p + 1))
        done |= stop
    scaled = w * torch.pow(2.0, precision.to(torch.float64))[:, None, None]
    w_int = torch.where(scaled < 0, torch.ceil(scaled - 0.5), torch.floor(scaled + 0.5))
    index = (xmin[..., None] + j).clamp(max=(n - 1)[:, None, None]).to(torch.int64)
    return index, w_int.to(torch.int32), precision.to(torch.int32)


def cv2_axis_taps(length: Tensor, out: int, vertical: bool) -> Tuple[Tensor, Tensor]:
    """Taps of ``cv2.resize(..., INTER_LINEAR)`` on uint8 along one axis.

    Returns ``(index, weight)``, each ``(B, out, 2)``: input positions and
    11-bit weights.  Horizontally OpenCV moves a source position left of 0
    or right of ``length - 1`` onto the edge with weights ``(2048, 0)``;
    vertically it keeps the weights and clamps the two row indices instead.
    """
    dev = length.device
    n = length.to(torch.float64)
    scale = 1.0 / (out / n)  # OpenCV: 1 / inv_scale, inv_scale = out / in
    f = ((torch.arange(out, device=dev, dtype=torch.float64) + 0.5) * scale[:, None] - 0.5)
    f = f.to(torch.float32)
    s = torch.floor(f)
    f = f - s
    last = (n - 1).to(torch.float32)[:, None]
    if not vertical:
        low, high = s < 0, s >= last
        f = torch.where(low | high, torch.zeros_like(f), f)
        s = torch.where(low, torch.zeros_like(s), torch.where(high, last.expand_as(s), s))
    w = torch.stack([torch.round((1.0 - f) * 2048), torch.round(f * 2048)], -1)
    index = torch.stack([s, s + 1], -1).clamp(min=0).minimum(last[..., None])
    return index.to(torch.int64), w.to(torch.int32)


def crop_resize_flip(flat: Tensor, offsets: Tensor, shapes: Tensor, boxes: Tensor,
                     flips: Tensor, size: Tuple[int, int], mode: str,
                     max_elements: int = 1 << 24) -> Tensor:
    """Crop ``boxes`` out of the packed images, resize to ``size``, flip some.

    Args:
        flat, offsets, shapes: The images, from :func:`pack_images`.
        boxes: ``(B, 4)`` int64 crops ``(top, left, h, w)``, one per image
            (the convention of :mod:`mmccrop.functional.crop`).
        flips: ``(B,)`` bool, flip the sample horizontally after the resize.
        size: Output ``(h, w)``.
        mode: One of :data:`MODES`.
        max_elements: Bound on ``samples x tallest crop x output width`` per
            chunk of the batch: the horizontal pass holds about 45 bytes per
            such element (``1 << 24``: about 0.75 GB), however large the images.

    Returns:
        ``(B, C, h, w)`` uint8 on ``flat``'s device.
    """
    if mode not in MODES:
        raise ValueError(f'`mode` must be one of {MODES}, got {mode!r}')
    boxes = boxes.to(flat.device, torch.int64)
    top, left, h, w = boxes.unbind(1)
    if bool(((h < 1) | (w < 1) | (top < 0) | (left < 0) | (top + h > shapes[:, 0])
             | (left + w > shapes[:, 1])).any()):
        raise ValueError('`boxes` must lie inside their images (top, left >= 0, h, w >= 1)')
    flips = flips.to(flat.device, torch.bool)
    out_w = int(size[1])
    chunks, start, tallest = [], 0, 0
    for i, rows in enumerate(h.tolist()):
        tallest = max(tallest, rows)
        if i > start and (i + 1 - start) * tallest * out_w > max_elements:
            chunks.append((start, i))
            start, tallest = i, rows
    chunks.append((start, len(h)))
    return torch.cat([_crop_resize_flip(flat, offsets[a:b], shapes[a:b], boxes[a:b],
                                        flips[a:b], size, mode) for a, b in chunks])


def _crop_resize_flip(flat: Tensor, offsets: Tensor, shapes: Tensor, boxes: Tensor,
                      flips: Tensor, size: Tuple[int, int], mode: str) -> Tensor:
    out_h, out_w = (int(s) for s in size)
    top, left, h, w = boxes.unbind(1)
    if mode == 'cv2_bilinear':
        ix, wx = cv2_axis_taps(w, out_w, vertical=False)
        iy, wy = cv2_axis_taps(h, out_h, vertical=True)
        px = py = None
    else:
        ix, wx, px = pil_axis_taps(w, out_w, mode)
        iy, wy, py = pil_axis_taps(h, out_h, mode)
    ix = torch.where(flips[:, None, None], ix.flip(1), ix)
    wx = torch.where(flips[:, None, None], wx.flip(1), wx)

    # Horizontal pass over rows top .. top + h - 1 of each crop (padded to the
    # batch's tallest crop by repeating the last row, which no output reads).
    rows = int(h.max())
    r = torch.minimum(torch.arange(rows, device=flat.device)[None], (h - 1)[:, None])
    row_start = offsets[:, None] + (top[:, None] + r) * shapes[:, 1:2] + left[:, None]
    acc = None
    for k in range(ix.shape[-1]):
        pos = row_start[:, :, None] + ix[:, None, :, k]            # (B, rows, out_w)
        vals = flat[:, pos.reshape(-1)].view(flat.shape[0], *pos.shape).to(torch.int32)
        term = vals * wx[None, :, None, :, k]
        acc = term if acc is None else acc.add_(term)
    tmp = acc.permute(1, 0, 2, 3)                                   # (B, C, rows, out_w)
    if px is not None:
        tmp = _round_shift(tmp, px).clamp_(0, 255)

    # Vertical pass.
    out = None
    for k in range(iy.shape[-1]):
        idx = iy[:, None, :, k, None].expand(-1, tmp.shape[1], -1, out_w)
        vals = torch.gather(tmp, 2, idx)
        if py is None:  # OpenCV's SIMD: (v >> 4) * beta >> 16 per tap
            term = ((vals >> 4) * wy[:, None, :, k, None]) >> 16
        else:
            term = vals * wy[:, None, :, k, None]
        out = term if out is None else out.add_(term)
    if py is None:
        out = (out + 2) >> 2
    else:
        out = _round_shift(out, py)
    return out.clamp_(0, 255).to(torch.uint8)


def _round_shift(x: Tensor, precision: Tensor) -> Tensor:
    """``(x + 2**(p-1)) >> p`` with a per-sample ``p``."""
    p = precision.to(x.device, torch.int32).view(-1, *([1] * (x.dim() - 1)))
    return (x + (1 << (p - 1))) >> p


def crop_resize_flip_loop(images: List[Tensor], boxes: Tensor, flips: Tensor,
                          size: Tuple[int, int], mode: str) -> Tensor:
    """The same result as :func:`crop_resize_flip`, one image at a time.

    On the CPU each crop goes through :func:`mmccrop.functional.resize.resize`,
    the CPU pipeline's own op (cv2 or torch's antialiased uint8 kernel);
    other devices fall back to the batched function per image.  Faster than
    the batched gathers on a CPU, slower on a GPU.
    """
    if mode not in _RESIZE_ARGS:
        raise ValueError(f'`mode` must be one of {MODES}, got {mode!r}')
    interpolation, antialias = _RESIZE_ARGS[mode]
    out = []
    for img, box, flip in zip(images, boxes.tolist(), flips.tolist()):
        if img.device.type != 'cpu':
            flat, off, shp = pack_images([img])
            res = crop_resize_flip(flat, off, shp, torch.tensor([box]), torch.tensor([flip]),
                                   size, mode)[0]
        else:
            top, left, h, w = box
            crop = img[:, top:top + h, left:left + w].permute(1, 2, 0).numpy()
            # cv2 wants the channels dense; the antialiased path copies anyway.
            res_hwc = resize(np.ascontiguousarray(crop), tuple(size), interpolation,
                             antialias=antialias)
            res = torch.from_numpy(res_hwc.reshape(*res_hwc.shape[:2], -1)).permute(2, 0, 1)
            if flip:
                res = res.flip(-1)
        out.append(res)
    return torch.stack(out)
