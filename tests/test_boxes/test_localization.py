"""heatmap_to_boxes against a full-upsampling per-image reference."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmccrop.functional.localization import (
    box_area,
    box_iou,
    heatmap_to_boxes,
    heatmap_to_boxes_reference,
    kept_spans,
    normalized_heatmaps,
    upsample_heatmaps,
)

# (h, w) feature map -> (H, W) eval image: ImageNet 7->224, CIFAR 4->32,
# odd non-square ratios, no upsampling, and downsampling.
SIZES = [(7, 7, 224, 224), (4, 4, 32, 32), (3, 5, 50, 37), (7, 7, 7, 7), (8, 6, 5, 4),
         (2, 9, 96, 64), (6, 6, 96, 96)]


def _random_feats(gen, batch, h, w, dtype):
    # Cubed normals: peaky maps, so boxes vary from tiny to full.
    return (torch.randn(batch, 3, h, w, generator=gen, dtype=torch.float64) ** 3).to(dtype)


@pytest.mark.parametrize('align', ['centre', 'corner'])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('h,w,H,W', SIZES)
def test_matches_reference_on_random_maps(dtype, h, w, H, W, align):
    gen = torch.Generator().manual_seed(h * 1000 + w * 100 + H + W)
    batch = 16 if H * W > 10000 else 48
    for k in (0.1, 0.3, 0.5, 0.9):
        feats = _random_feats(gen, batch, h, w, dtype)
        boxes, deg = heatmap_to_boxes(feats, k, (H, W), return_degenerate=True, align=align)
        ref, ref_deg = heatmap_to_boxes_reference(feats, k, (H, W), return_degenerate=True,
                                                  align=align)
        assert boxes.shape == (batch, 4) and boxes.dtype == torch.float32
        # 'centre': the same arithmetic as F.interpolate, so equality is exact;
        # 'corner': the reference's dense hat-function matrices agree too.
        assert torch.equal(boxes, ref), (k, (boxes != ref).any(1).nonzero().flatten())
        assert torch.equal(deg, ref_deg)
    # The boxes are not all trivial.
    area = box_area(heatmap_to_boxes(_random_feats(gen, 64, h, w, dtype), 0.5, (H, W),
                                     align=align))
    if h * w > 1 and H * W > 20:
        assert area.min() < 0.9 and area.max() > area.min()


def test_kept_spans_equal_full_upsampling_scan():
    gen = torch.Generator().manual_seed(3)
    heat = torch.rand(32, 7, 7, generator=gen) ** 4
    top, bottom, left, right, found = kept_spans(heat, 0.3, (224, 160))
    up = F.interpolate(heat[:, None], size=(224, 160), mode='bilinear', align_corners=False)[:, 0]
    for b in range(32):
        rows = torch.nonzero(up[b].amax(1) > 0.3).flatten()
        cols = torch.nonzero(up[b].amax(0) > 0.3).flatten()
        assert bool(found[b]) == (rows.numel() > 0 and cols.numel() > 0)
        if found[b]:
            assert (top[b], bottom[b]) == (rows[0], rows[-1])
            assert (left[b], right[b]) == (cols[0], cols[-1])


def test_single_peak_box_is_the_interpolated_support():
    # One hot cell in the middle of a 7x7 map, 32x upsampling: the kept rows
    # are those where the bilinear tent exceeds k.
    feats = torch.zeros(1, 1, 7, 7)
    feats[0, 0, 3, 3] = 1
    box = heatmap_to_boxes(feats, 0.5, 224)[0]
    # Tent around the centre (3 + 0.5) * 32 = 112 of half-width 32; > 0.5 for
    # |src - 3| < 0.5, i.e. output pixels 96..127 -> [96/224, 128/224).
    expected = torch.tensor([96, 96, 128, 128]) / 224
    assert torch.allclose(box, expected)
    assert box_area(box) == pytest.approx((32 / 224) ** 2)


def test_box_geometry_follows_the_object():
    feats = torch.zeros(4, 8, 7, 7)
    feats[0, :, 0:2, 0:2] = 5  # top-left
    feats[1, :, 5:7, 4:7] = 5  # bottom-right
    feats[2, :, 2:5, 1:6] = 5  # centre
    feats[3] = 1
    feats[3, :, 3, 3] = 2
    boxes = heatmap_to_boxes(feats, 0.1, 224)
    assert boxes[0, 0] == 0 and boxes[0, 1] == 0 and boxes[0, 2] < 0.4 and boxes[0, 3] < 0.4
    assert boxes[1, 2] == 1 and boxes[1, 3] == 1 and boxes[1, 0] > 0.5 and boxes[1, 1] > 0.6
    assert (boxes[:, 0] < boxes[:, 2]).all() and (boxes[:, 1] < boxes[:, 3]).all()
    assert ((boxes >= 0) & (boxes <= 1)).all()


def test_degenerate_maps_give_full_box_and_are_counted():
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(6, 4, 7, 7, generator=gen)
    feats[1] = 0.0  # constant: 0/0 in the authors' code
    feats[2] = 3.5  # constant, non-zero
    feats[3, 0, 2, 2] = math.nan
    feats[4, 1, 0, 0] = math.inf
    boxes, deg = heatmap_to_boxes(feats, 0.1, 32, return_degenerate=True)
    assert deg.tolist() == [False, True, True, True, True, False]
    assert int(deg.sum()) == 4
    full = torch.tensor([0., 0., 1., 1.])
    for i in (1, 2, 3, 4):
        assert torch.equal(boxes[i], full)
    assert torch.isfinite(boxes).all()
    ref, ref_deg = heatmap_to_boxes_reference(feats, 0.1, 32, return_degenerate=True)
    assert torch.equal(boxes, ref) and torch.equal(deg, ref_deg)


def test_overflowing_half_precision_features_are_summed_in_float32():
    feats = torch.zeros((2, 64, 4, 4), dtype=torch.float16)
    feats[0, :, 1, 1] = 60000.0  # the channel sum overflows fp16
    assert torch.isinf(feats[0].sum(0)).any()
    feats[1, 0, 0, 0] = math.inf  # really non-finite
    boxes, deg = heatmap_to_boxes(feats, 0.1, 32, return_degenerate=True)
    assert deg.tolist() == [False, True]
    assert box_area(boxes[0]) < 0.2


def test_normalized_heatmaps_range():
    feats = torch.randn(5, 3, 4, 6)
    heat, deg = normalized_heatmaps(feats)
    assert heat.shape == (5, 4, 6) and not deg.any()
    assert torch.allclose(heat.flatten(1).amin(1), torch.zeros(5))
    assert torch.allclose(heat.flatten(1).amax(1), torch.ones(5))


def test_empty_batch_and_bad_arguments():
    assert heatmap_to_boxes(torch.zeros(0, 3, 7, 7), 0.1, 224).shape == (0, 4)
    feats = torch.randn(2, 3, 7, 7)
    for k in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match='threshold'):
            heatmap_to_boxes(feats, k, 224)
    with pytest.raises(ValueError, match='out_size'):
        heatmap_to_boxes(feats, 0.1, (0, 224))
    with pytest.raises(ValueError, match='feats'):
        heatmap_to_boxes(feats[0], 0.1, 224)


def test_box_iou_elementwise():
    a = torch.tensor([[0., 0., 1., 1.], [0., 0., .5, .5], [0., 0., .5, .5], [.2, .2, .4, .4]])
    b = torch.tensor([[0., 0., 1., 1.], [.5, .5, 1., 1.], [0., 0., 1., 1.], [.3, .2, .5, .4]])
    iou = box_iou(a, b)
    assert torch.allclose(iou, torch.tensor([1.0, 0.0, 0.25, (0.1 * 0.2) / (0.04 + 0.04 - 0.02)]))
    assert box_iou(a, a).allclose(torch.ones(4))
    with pytest.raises(ValueError):
        box_iou(a[:, :3], b)


def test_corner_align_puts_cells_where_strided_convolutions_centre_them():
    """ResNet's stride-2 ops (7x7 stem conv, 3x3 max-pool window, 3x3 and 1x1
    block convs, all "same"-padded) put output j over input 2j; composed, a
    stride-16 cell i sits on pixel 16 i, which is where 'corner' places it and
    7.5 px up-left of where 'centre' (F.interpolate) does."""
    torch.manual_seed(0)
    stack = torch.nn.Sequential(
        torch.nn.Conv2d(1, 1, 7, stride=2, padding=3, bias=False),
        torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True),  # max-pool's window
        torch.nn.Conv2d(1, 1, 3, stride=2, padding=1, bias=False),
        torch.nn.Conv2d(1, 1, 1, stride=2, padding=0, bias=False),
        torch.nn.Conv2d(1, 1, 3, stride=1, padding=1, bias=False)).double()
    for m in stack:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.constant_(m.weight, 1.0)  # symmetric kernels
    size, cell = 256, 8
    img = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = stack(img)
    assert out.shape[-1] == size // 16
    out[0, 0, cell, cell].backward()
    weight = img.grad[0, 0].sum(0)  # influence of each input column
    centre = float((weight * torch.arange(size)).sum() / weight.sum())
    assert centre == pytest.approx(16 * cell, abs=1e-6)
    # the upsampled one-hot heatmap peaks there with 'corner' only
    heat = torch.zeros(1, size // 16, size // 16, dtype=torch.float64)
    heat[0, cell, cell] = 1
    for align, peak in (('corner', 16 * cell), ('centre', 16 * cell + 7.5)):
        up = upsample_heatmaps(heat, size, align)[0]
        cols = torch.nonzero(up.amax(0) == up.max()).flatten().double()
        assert float(cols.mean()) == pytest.approx(peak), align


def test_corner_align_holds_the_last_cell_and_rejects_unknown_modes():
    heat = torch.tensor([[[0.0, 1.0]]])  # (1, 1, 2): stride 4 along x
    up = upsample_heatmaps(heat, (1, 8), 'corner')[0, 0]
    assert up.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="align must be one of"):
        heatmap_to_boxes(torch.rand(1, 2, 4, 4), 0.5, 32, align='edge')
