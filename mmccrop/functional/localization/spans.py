"""Kept rows and columns of upsampled heatmaps, without building the maps.

:func:`kept_spans` is the authors' rule (every row / column with a pixel above
``k``), computed exactly from the low-resolution heatmap; :func:`peak_region_spans`
keeps only the connected region around the maximum.  No mmengine / mmcv
imports (OpenCV labels the peak regions).
"""
import functools
from typing import Callable, Tuple

import cv2
import torch
from torch import Tensor

from .heatmap import SizeLike, _check_align, _linear_coeffs, _pair, upsample_heatmaps


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


