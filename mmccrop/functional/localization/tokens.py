"""Vision Transformer tokens as feature maps, for ContrastiveCrop's localisation.

A ViT's last layer gives ``(B, L, C)`` tokens: ``num_prefix_tokens`` extra
tokens (the class token; distillation or register tokens) followed by one
token per patch in row-major order (``PatchEmbed``'s ``flatten(2)``).
Dropping the prefix and reshaping the rest to the patch grid gives a
``(B, C, h, w)`` map, on which the heatmap maths of
:mod:`.heatmap` applies unchanged.  A patch token covers exactly its
``p x p`` pixels, so its cell centre is the patch centre: ``align='centre'``
is the right geometry for patch embeddings (see
:func:`~.heatmap.upsample_heatmaps`).

No mmengine / mmcv imports.
"""
import math
from typing import Optional, Sequence, Tuple, Union

from torch import Tensor

from .heatmap import _pair


def infer_grid_size(num_patches: int, image_size: Union[int, Sequence[int]]
                    ) -> Tuple[int, int]:
    """The patch grid ``(h, w)`` with ``h * w == num_patches`` and the image's aspect.

    ``h = round(sqrt(num_patches * H / W))``, ``w = num_patches / h``.  For
    an ``H x W`` image cut into ``p x p`` patches (floored or padded up) this
    recovers ``(H / p, W / p)`` without knowing ``p``.

    Raises:
        ValueError: ``num_patches`` is not a positive int, or no such grid
            exists (the tokens do not come from an image of that aspect).
    """
    img_h, img_w = _pair(image_size, 'image_size')
    if isinstance(num_patches, bool) or not isinstance(num_patches, int) or num_patches < 1:
        raise ValueError(f'num_patches must be a positive int, got {num_patches!r}')
    h = max(1, round(math.sqrt(num_patches * img_h / img_w)))
    w = num_patches // h
    if h * w != num_patches:
        raise ValueError(f'{num_patches} patch tokens do not form a grid with the aspect of a '
                         f'{img_h}x{img_w} image (tried {h}x{w}); check num_prefix_tokens '
                         'and the eval size')
    return h, w


def tokens_to_grid(tokens: Tensor, grid_size: Optional[Sequence[int]] = None,
                   num_prefix_tokens: int = 1,
                   image_size: Optional[Union[int, Sequence[int]]] = None) -> Tensor:
    """``(B, L, C)`` ViT tokens to the ``(B, C, h, w)`` map of their patch tokens.

    Args:
        tokens: ``(B, num_prefix_tokens + h * w, C)``, patch tokens row-major.
        grid_size: ``(h, w)`` of the patch grid; ``None``: inferred from
            ``image_size`` with :func:`infer_grid_size`.
        num_prefix_tokens: Leading non-patch tokens to drop (1: the class
            token; 0: none, e.g. a ViT without class token).
        image_size: ``(H, W)`` (or an int) of the input image; needed only
            when ``grid_size`` is ``None``.

    Returns:
        The ``(B, C, h, w)`` map, a permuted view of ``tokens`` (no copy).

    Raises:
        ValueError: ``tokens`` is not 3-D, the counts do not add up, or
            neither ``grid_size`` nor ``image_size`` is given.
    """
    if tokens.dim() != 3:
        raise ValueError(f'tokens must be (B, L, C), got shape {tuple(tokens.shape)}')
    if isinstance(num_prefix_tokens, bool) or not isinstance(num_prefix_tokens, int) \
            or num_prefix_tokens < 0:
        raise ValueError(f'num_prefix_tokens must be an int >= 0, got {num_prefix_tokens!r}')
    num_patches = tokens.size(1) - num_prefix_tokens
    if num_patches < 1:
        raise ValueError(f'{tokens.size(1)} tokens leave no patch token after '
                         f'{num_prefix_tokens} prefix tokens')
    if grid_size is None:
        if image_size is None:
            raise ValueError('tokens_to_grid needs grid_size or image_size')
        grid_size = infer_grid_size(num_patches, image_size)
    h, w = _pair(grid_size, 'grid_size')
    if h * w != num_patches:
        raise ValueError(f'grid_size {h}x{w} does not match the {num_patches} patch tokens '
                         f'({tokens.size(1)} tokens minus {num_prefix_tokens} prefix tokens)')
    patches = tokens[:, num_prefix_tokens:]
    return patches.unflatten(1, (h, w)).permute(0, 3, 1, 2)
