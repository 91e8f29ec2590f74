"""ViT tokens to patch grids, and the boxes their heatmaps give."""
import pytest
import torch

from mmccrop.functional.localization import heatmap_to_boxes, infer_grid_size, tokens_to_grid


def test_tokens_to_grid_drops_prefix_and_keeps_row_major_order():
    b, h, w, c = 2, 3, 5, 4
    patches = torch.arange(b * h * w * c, dtype=torch.float32).view(b, h * w, c)
    cls = torch.full((b, 1, c), -1.0)
    grid = tokens_to_grid(torch.cat([cls, patches], 1), (h, w))
    assert grid.shape == (b, c, h, w)
    for r in range(h):
        for col in range(w):
            assert torch.equal(grid[:, :, r, col], patches[:, r * w + col])
    # two prefix tokens (e.g. class + distillation), grid inferred from a 48x80 image
    grid2 = tokens_to_grid(torch.cat([cls, cls, patches], 1), num_prefix_tokens=2,
                           image_size=(48, 80))
    assert torch.equal(grid2, grid)
    assert torch.equal(tokens_to_grid(patches, (h, w), num_prefix_tokens=0), grid)


@pytest.mark.parametrize('image, patch, grid', [
    ((224, 224), 16, (14, 14)), ((64, 64), 8, (8, 8)), ((32, 96), 8, (4, 12)),
    ((230, 224), 16, (15, 14)),  # padded up ('corner' padding of mmcv's PatchEmbed)
    ((100, 60), 16, (7, 4)), ((16, 16), 16, (1, 1))])
def test_infer_grid_size(image, patch, grid):
    assert infer_grid_size(grid[0] * grid[1], image) == grid


def test_bad_tokens_name_the_problem():
    tokens = torch.zeros(2, 1 + 16, 8)
    with pytest.raises(ValueError, match='grid_size 3x5 does not match the 16 patch tokens'):
        tokens_to_grid(tokens, (3, 5))
    with pytest.raises(ValueError, match='do not form a grid'):
        tokens_to_grid(tokens[:, :16], image_size=(32, 32))  # 15 patches: wrong prefix
    with pytest.raises(ValueError, match='tokens must be'):
        tokens_to_grid(torch.zeros(2, 8), (2, 2))
    with pytest.raises(ValueError, match='needs grid_size or image_size'):
        tokens_to_grid(tokens)
    with pytest.raises(ValueError, match='num_prefix_tokens'):
        tokens_to_grid(tokens, (4, 4), num_prefix_tokens=-1)


def test_token_heatmap_box_is_the_hot_patches_pixels_with_centre_alignment():
    """Patch tokens hot on grid rows 2-4, columns 3-6 of an 8x8 grid (8 px patches).

    With ``align='centre'`` each patch's value sits at its centre, so at
    ``k = 0.5`` the box is exactly those patches' pixels, 16..39 by 24..55;
    ``'corner'`` (right for strided CNNs) shifts it up-left by about half a
    patch (3 to 4 px: values equal to ``k`` are not kept).
    """
    grid = torch.zeros(1, 64, 8, 8)
    grid[:, :, 2:5, 3:7] = 1.0
    tokens = torch.cat([torch.full((1, 1, 64), 9.0),  # a class token never reaches the map
                        grid.flatten(2).transpose(1, 2)], 1)
    feats = tokens_to_grid(tokens, image_size=64)
    box = heatmap_to_boxes(feats, 0.5, 64, align='centre')
    torch.testing.assert_close(box, torch.tensor([[24 / 64, 16 / 64, 56 / 64, 40 / 64]]))
    shifted = heatmap_to_boxes(feats, 0.5, 64, align='corner')
    torch.testing.assert_close(shifted, torch.tensor([[21 / 64, 13 / 64, 52 / 64, 36 / 64]]))
