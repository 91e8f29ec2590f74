"""Position-embedding grids of Vision Transformers (torch only, no mmengine).

A ViT's ``pos_embed`` is ``(1, extra + h * w, C)``: ``extra`` entries for the
class (and other) tokens, then one per patch of an ``h x w`` grid in row-major
order.  A checkpoint trained at 224 px with 16 px patches has a 14x14 grid; a
512 px input needs 32x32.
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
import torch.nn.functional as F


def grid_of(num_tokens: int, num_extra_tokens: int = 1) -> Tuple[int, int]:
    """The square position grid of a ``pos_embed`` with ``num_tokens`` entries.

    Raises:
        ValueError: If the patch tokens do not form a square grid.
    """
    n = num_tokens - num_extra_tokens
    side = math.isqrt(max(n, 0))
    if n <= 0 or side * side != n:
        raise ValueError(f'pos_embed has {num_tokens} tokens: {n} patch tokens after '
                         f'{num_extra_tokens} class token(s) is not a square grid')
    return side, side


def resize_pos_embed(pos_embed: torch.Tensor, dst_grid: Tuple[int, int],
                     num_extra_tokens: int = 1, mode: str = 'bicubic') -> torch.Tensor:
    """Interpolate the patch part of ``pos_embed`` (1, extra + h*w, C) to ``dst_grid``.

    The class-token entries are kept; the patch entries are resized as an
    image (``align_corners=False``), as DeiT's fine-tuning and mmpretrain's
    loader do, so a resized embedding matches what they would compute.
    """
    if pos_embed.dim() != 3 or pos_embed.shape[0] != 1:
        raise ValueError(f'pos_embed must be (1, tokens, dims), got {tuple(pos_embed.shape)}')
    src = grid_of(pos_embed.shape[1], num_extra_tokens)
    dst = (int(dst_grid[0]), int(dst_grid[1]))
    if src == dst:
        return pos_embed
    extra, patches = pos_embed[:, :num_extra_tokens], pos_embed[:, num_extra_tokens:]
    dims = pos_embed.shape[2]
    grid = patches.reshape(1, src[0], src[1], dims).permute(0, 3, 1, 2).float()
    grid = F.interpolate(grid, size=dst, mode=mode, align_corners=False)
    patches = grid.permute(0, 2, 3, 1).reshape(1, dst[0] * dst[1], dims).to(pos_embed.dtype)
    return torch.cat([extra, patches], dim=1)
