"""Semantic-aware localisation: boxes from backbone feature maps.

ContrastiveCrop turns the last backbone feature map of each image into a box:

1. heatmap = sum over channels, min-max normalised per image to ``[0, 1]``;
2. the heatmap is bilinearly upsampled to the eval image size, with one of
   two feature-grid geometries (``align``, see :func:`upsample_heatmaps`):
   ``'centre'`` (the authors' ``F.interpolate(align_corners=False)``) or
   ``'corner'`` (where strided CNNs actually centre their cells);
3. the rows whose maximum is ``> k`` and the columns whose maximum is ``> k``
   are kept, and the box spans the first to the last kept row / column, as
   fractions of the eval image.

:func:`heatmap_to_boxes` computes exactly that for a whole batch without
materialising the upsampled maps (see :func:`kept_spans`), and
:func:`heatmap_to_boxes_reference` is the straightforward per-image version it
is tested and benchmarked against.

Two options go beyond the authors' rule; both default to it:

- ``background='median'`` subtracts each channel's per-image median from the
  feature map (negative parts are dropped) before the channel sum.  Channels
  that fire over the whole image (background colour, texture) otherwise
  dominate the sum on cluttered scenes; their median is their background
  level, so what remains is what stands out locally.
- ``region='peak'`` keeps only the connected (8-neighbour) region of
  upsampled pixels ``> k`` that contains the heatmap maximum, instead of every
  row and column with a pixel ``> k``: one secondary peak anywhere (a
  distractor) no longer stretches the box to it.

Box convention: normalised ``(x0, y0, x1, y1)``, where kept rows ``r0..r1``
of an ``H``-row image give ``y0 = r0 / H`` and ``y1 = (r1 + 1) / H``, so a
heatmap above ``k`` everywhere gives exactly ``(0, 0, 1, 1)``.  (The authors'
code stores ``(y0, x0, y1, x1)`` and uses ``r1 / H``, one pixel less.)

No mmengine / mmcv imports here (OpenCV labels the peak regions).
"""
import collections
import functools
from typing import Callable, Sequence, Tuple, Union

import cv2
import torch
from torch import Tensor

__all__ = [
    'normalized_heatmaps', 'upsample_heatmaps', 'kept_spans', 'heatmap_to_boxes',
    'heatmap_to_boxes_reference', 'peak_region_spans', 'box_iou', 'box_area', 'FULL_BOX',
    'ALIGNS', 'BACKGROUNDS', 'REGIONS'
]

FULL_BOX = (0.0, 0.0, 1.0, 1.0)
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


class _Axis:
    """1-D ``align_corners=False`` taps of one axis, split into linear pieces.

    A *piece* is a run of output indices sharing the same two source taps;
    on it the interpolant is linear in the weight ``w1``, which is monotone
    in the output index.  *Candidates* are the first and last index of every
    piece.  Built on the CPU (no device syncs), cached per size, dtype and
    device.
    """

    def __init__(self, in_size: int, out_size: int, dtype: torch.dtype,
                 device: torch.device, align: str = 'centre') -> None:
        i0, i1, w0, w1 = _linear_coeffs(in_size, out_size, dtype, torch.device('cpu'), align)
        new = torch.ones(out_size, dtype=torch.bool)
        new[1:] = i0[1:] != i0[:-1]
        last = torch.ones(out_size, dtype=torch.bool)
        last[:-1] = i0[:-1] != i0[1:]
        starts, ends = torch.nonzero(new).flatten(), torch.nonzero(last).flatten()
        cand = torch.nonzero(new | last).flatten()
        # Fixed number of bisection steps (no data-dependent loop, no sync).
        self.steps = int((ends - starts).max()).bit_length()
        tensors = dict(
            w0=w0, w1=w1, starts=starts, ends=ends,
            piece_i0=i0[starts], piece_i1=i1[starts],
            # where each piece's start / end sits in the candidate list
            start_pos=torch.searchsorted(cand, starts), end_pos=torch.searchsorted(cand, ends),
            cand_i0=i0[cand], cand_i1=i1[cand], cand_w0=w0[cand], cand_w1=w1[cand],
            _round_up=torch.tensor([[0], [1]]), _want=torch.tensor([[True], [False]]))
        for name, value in tensors.items():
            setattr(self, name, value.to(device))

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def get(in_size: int, out_size: int, dtype: torch.dtype, device: torch.device,
            align: str = 'centre') -> '_Axis':
        return _Axis(in_size, out_size, dtype, device, align)

    def end_pieces(self, cand_kept: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """First and last piece with a kept end, from ``(n_cand, B)`` kept flags.

        Returns ``(pieces, start_kept, end_kept, found)``: ``(2, B)`` piece
        indices, whether the first piece's start / the last piece's end is
        kept (``(B,)`` each), and ``(B,)`` whether any piece has a kept end.
        """
        kept_s, kept_e = cand_kept[self.start_pos], cand_kept[self.end_pos]
        hit = kept_s | kept_e
        as_int = hit.to(torch.uint8)
        n_pieces = hit.size(0)
        pieces = torch.stack(
            [as_int.argmax(dim=0), n_pieces - 1 - as_int.flip(0).argmax(dim=0)])
        start_kept = kept_s.gather(0, pieces[:1])[0]
        end_kept = kept_e.gather(0, pieces[1:])[0]
        return pieces, start_kept, end_kept, hit.any(dim=0)

    def bisect(self, kept: Callable[[Tensor], Tensor], pieces: Tensor, start_kept: Tensor,
               end_kept: Tensor) -> Tuple[Tensor, Tensor]:
        """First kept index of piece ``pieces[0]``, last of ``pieces[1]``.

        ``kept(idx)`` maps ``(2, B)`` output indices (row 0 inside the first
        piece, row 1 inside the last) to ``(2, B)`` kept flags.  The non-kept
        indices of a piece are one contiguous run (see :func:`kept_spans`), so
        when the first piece's start is not kept its kept indices are a
        suffix, and when the last piece's end is not kept its kept indices
        are a prefix: both are found by bisection, together.
        """
        starts, ends = self.starts[pieces], self.ends[pieces]
        # row 0: answer in (lo, hi] (lo not kept, hi kept);
        # row 1: answer in [lo, hi) (lo kept, hi not kept).
        lo, hi = starts, ends
        for _ in range(self.steps):
            mid = (lo + hi + self._round_up) // 2
            below = kept(mid) == self._want  # the answer is at or below mid
            hi, lo = torch.where(below, mid, hi), torch.where(below, lo, mid)
        first = torch.where(start_kept, starts[0], hi[0])
        last = torch.where(end_kept, ends[1], lo[1])
        return first, last


def kept_spans(heat: Tensor, threshold: float, out_size: SizeLike, align: str = 'centre'
               ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Extent of the kept rows / columns of the bilinearly upsampled heatmaps.

    Same result as upsampling with :func:`upsample_heatmaps` (for
    ``align='centre'``: ``F.interpolate(heat[:, None], out_size,
    mode='bilinear', align_corners=False)``) and scanning the row and column
    maxima for values ``> threshold``, without building the ``H x W`` maps.

    Why this is exact: bilinear resampling is separable, ``U = A X Bᵀ`` with
    ``A`` (H x h) and ``B`` (W x w) 1-D interpolation matrices of two taps per
    row.  Row ``i`` of ``U`` is the 1-D interpolation by ``B`` of ``A[i] X``,
    a piecewise-linear function sampled at ``W`` points.  On a linear piece
    (output columns sharing their taps) the samples are monotone, so a row's
    maximum is reached at a piece end: at most ``2 w`` candidate columns,
    whatever the data.  Along the rows, within one piece of ``A``, the row
    maximum is then a maximum of linear functions of the weight, i.e. convex,
    so its rows *not* above ``k`` form one contiguous run.  Hence a piece
    whose two end rows are not kept has no kept row; the first kept row is in
    the first piece with a kept end row, either its start or found by
    bisection; the last kept row likewise.  Columns are symmetric (``2 h``
    candidate rows).  Cost ``O(B (h w + log(H / h) w + log(W / w) h))``
    instead of ``O(B H W)``.  Values are computed in ATen's order (width taps
    first), so they match ``F.interpolate`` on the CPU bit for bit.

    Args:
        heat: ``(B, h, w)`` float heatmaps.
        threshold: Keep lines whose maximum is ``> threshold``.
        out_size: Output ``(H, W)`` (or an int for a square).
        align: Feature-grid geometry, ``'centre'`` or ``'corner'`` (see
            :func:`upsample_heatmaps`).

    Returns:
        ``(top, bottom, left, right, found)``: inclusive first / last kept row
        and column indices, ``(B,)`` long each, and a ``(B,)`` bool that is
        False where no row or column is kept (the indices are then
        meaningless).
    """
    out_h, out_w = _pair(out_size)
    _, in_h, in_w = heat.shape
    dtype, device = heat.dtype, heat.device
    align = _check_align(align)
    ay = _Axis.get(in_h, out_h, dtype, device, align)
    ax = _Axis.get(in_w, out_w, dtype, device, align)
    n_rows, n_cols = ay.cand_i0.numel(), ax.cand_i0.numel()
    # Batch-last layout: every broadcast and reduction below is then over
    # contiguous batch vectors (an order of magnitude faster on the CPU).
    heat = heat.permute(1, 2, 0).contiguous()  # (h, w, B)

    # Upsampled map at candidate rows x candidate columns, width taps first.
    p = heat.index_select(1, ax.cand_i0) * ax.cand_w0[:, None] + \
        heat.index_select(1, ax.cand_i1) * ax.cand_w1[:, None]  # (h, n_cols, B)
    a0, a1 = ay.cand_w0[:, None, None], ay.cand_w1[:, None, None]
    u = p.index_select(0, ay.cand_i0) * a0 + p.index_select(0, ay.cand_i1) * a1
    rows = ay.end_pieces(u.amax(dim=1) > threshold)
    cols = ax.end_pieces(u.amax(dim=0) > threshold)

    # Rows: every row of a piece interpolates the same two rows of ``p``.
    taps0 = p.gather(0, ay.piece_i0[rows[0]][:, None, :].expand(-1, n_cols, -1))  # (2, nc, B)
    taps1 = p.gather(0, ay.piece_i1[rows[0]][:, None, :].expand(-1, n_cols, -1))

    def row_kept(idx: Tensor) -> Tensor:  # (2, B) -> (2, B)
        v = taps0 * ay.w0[idx][:, None, :] + taps1 * ay.w1[idx][:, None, :]
        return v.amax(dim=1) > threshold

    # Columns: every column of a piece interpolates the same two heatmap
    # columns, at the two source rows of each candidate row.
    src0 = heat.index_select(0, ay.cand_i0)  # (n_rows, w, B)
    src1 = heat.index_select(0, ay.cand_i1)
    c0 = ax.piece_i0[cols[0]][None].expand(n_rows, -1, -1)  # (n_rows, 2, B)
    c1 = ax.piece_i1[cols[0]][None].expand(n_rows, -1, -1)
    s00, s01 = src0.gather(1, c0), src0.gather(1, c1)
    s10, s11 = src1.gather(1, c0), src1.gather(1, c1)

    def col_kept(idx: Tensor) -> Tensor:  # (2, B) -> (2, B)
        b0, b1 = ax.w0[idx][None], ax.w1[idx][None]
        v = (s00 * b0 + s01 * b1) * a0 + (s10 * b0 + s11 * b1) * a1
        return v.amax(dim=0) > threshold

    top, bottom = ay.bisect(row_kept, *rows[:3])
    left, right = ax.bisect(col_kept, *cols[:3])
    return top, bottom, left, right, rows[3] & cols[3]


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


def peak_region_spans(heat: Tensor, threshold: float, out_size: SizeLike,
                      align: str = 'centre') -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Extent of the region above ``k`` that holds each heatmap's maximum.

    The heatmaps are upsampled (:func:`upsample_heatmaps`); the region is the
    8-connected set of pixels ``> threshold`` that contains the first
    maximum.  Components are labelled by OpenCV on the CPU (a masked
    dilation loop in torch needs as many passes as the region is long: 30-80x
    slower on 128x128 maps); only the ``(B, H, W)`` masks and peaks leave the
    device.

    Args:
        heat: ``(B, h, w)`` heatmaps in ``[0, 1]``.
        threshold: Keep pixels ``> threshold``.
        out_size: Output ``(H, W)`` (or an int for a square).
        align: ``'centre'`` or ``'corner'``, see :func:`upsample_heatmaps`.

    Returns:
        ``(top, bottom, left, right, found)`` as :func:`kept_spans`, on
        ``heat.device``: ``found`` is False where the maximum itself is not
        ``> threshold``.
    """
    out_h, out_w = _pair(out_size)
    up = upsample_heatmaps(heat, (out_h, out_w), _check_align(align))  # (B, H, W)
    masks = (up > threshold).to(torch.uint8).cpu().numpy()
    peaks = up.flatten(1).argmax(dim=1).cpu().tolist()
    spans = torch.zeros(len(peaks), 5, dtype=torch.long)  # top, bottom, left, right, found
    for i, (mask, peak) in enumerate(zip(masks, peaks)):
        y, x = divmod(peak, out_w)
        if not mask[y, x]:
            continue
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        left, top, width, height = stats[labels[y, x], :4].tolist()
        spans[i] = torch.tensor([top, top + height - 1, left, left + width - 1, 1])
    spans = spans.to(heat.device)
    return spans[:, 0], spans[:, 1], spans[:, 2], spans[:, 3], spans[:, 4].bool()


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
