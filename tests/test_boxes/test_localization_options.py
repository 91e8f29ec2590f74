"""The two localisation options beyond the authors' rule: background and region."""
import pytest
import torch

from mmccrop.functional.localization import (
    heatmap_to_boxes,
    heatmap_to_boxes_reference,
    normalized_heatmaps,
    peak_region_spans,
)


def _blob(size, y, x, radius, value=1.0):
    """A (size, size) map with a square blob of ``value`` centred at (y, x)."""
    m = torch.zeros(size, size, dtype=torch.float64)
    m[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1] = value
    return m


@pytest.mark.parametrize('background', ['none', 'median'])
@pytest.mark.parametrize('region', ['all', 'peak'])
@pytest.mark.parametrize('align', ['centre', 'corner'])
def test_options_match_the_per_image_reference(background, region, align):
    gen = torch.Generator().manual_seed(7)
    for h, w, out in [(4, 4, 32), (7, 7, 56), (3, 5, (30, 41)), (8, 8, 8)]:
        feats = (torch.randn(24, 5, h, w, generator=gen, dtype=torch.float64) ** 3).relu()
        for k in (0.2, 0.5, 0.8):
            got = heatmap_to_boxes(feats, k, out, True, align, background, region)
            ref = heatmap_to_boxes_reference(feats, k, out, True, align, background, region)
            assert torch.equal(got[0], ref[0]), (h, w, out, k)
            assert torch.equal(got[1], ref[1])


def test_median_background_removes_a_channel_that_fires_everywhere():
    # channel 0: the object (a small bright blob at the top left);
    # channel 1: a strong background gradient over the whole image, highest at the
    # bottom right. Its sum swamps the object; its median is its background level.
    obj = _blob(8, 1, 1, 0, value=5.0)
    ramp = torch.linspace(0, 4, 8, dtype=torch.float64)
    background = 4.0 + ramp[:, None] + ramp[None, :]
    feats = torch.stack([obj, background])[None]
    plain, _ = normalized_heatmaps(feats)
    assert plain[0].flatten().argmax() == 63  # the authors' sum peaks at the bottom right
    heat, degenerate = normalized_heatmaps(feats, 'median')
    assert not degenerate.any()
    assert heat[0, 1, 1] == 1.0  # the object is the peak now
    # the gradient's upper half is above its median, so it stays, but below the object
    assert heat[0, 7, 7] < 1.0
    box = heatmap_to_boxes(feats, 0.9, 8, align='corner', background='median')
    assert torch.equal(box, torch.tensor([[1 / 8, 1 / 8, 2 / 8, 2 / 8]]))


def test_median_background_is_per_image_and_per_channel():
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(3, 4, 5, 5, generator=gen)
    heat, _ = normalized_heatmaps(feats, 'median')
    # an offset per (image, channel) is background: it cannot change the map
    shifted, _ = normalized_heatmaps(feats + 10 * torch.randn(3, 4, 1, 1, generator=gen),
                                     'median')
    torch.testing.assert_close(heat, shifted)
    # Unlike a plain offset (invisible to min-max anyway), the clamp matters: a
    # channel's dip below its background level no longer hides another channel.
    feats = torch.zeros(1, 2, 1, 3)
    feats[0, 0, 0] = torch.tensor([0., 1., 0.])  # object in the middle
    feats[0, 1, 0] = torch.tensor([2., 0., 2.])  # background dip under the object
    plain, _ = normalized_heatmaps(feats)
    assert plain[0, 0].tolist() == [1.0, 0.0, 1.0]  # the dip hides the object
    heat, _ = normalized_heatmaps(feats, 'median')
    assert heat[0, 0].tolist() == [0.0, 1.0, 0.0]


def test_nan_features_stay_degenerate_with_median_background():
    feats = torch.rand(2, 3, 4, 4)
    feats[1, 2, 0, 0] = float('nan')
    boxes, degenerate = heatmap_to_boxes(feats, 0.5, 16, return_degenerate=True,
                                         background='median')
    assert degenerate.tolist() == [False, True]
    assert torch.equal(boxes[1], torch.tensor([0., 0., 1., 1.]))


def test_peak_region_ignores_a_secondary_peak():
    # main object at the top left, a weaker distractor at the bottom right
    heat = (_blob(16, 3, 3, 2) + _blob(16, 13, 13, 1, value=0.8))[None]
    feats = heat[:, None]
    every = heatmap_to_boxes(feats, 0.5, 16, align='corner')
    peak = heatmap_to_boxes(feats, 0.5, 16, align='corner', region='peak')
    assert torch.equal(every, torch.tensor([[1 / 16, 1 / 16, 15 / 16, 15 / 16]]))
    assert torch.equal(peak, torch.tensor([[1 / 16, 1 / 16, 6 / 16, 6 / 16]]))
    # a distractor above the main peak's value would be chosen instead: the rule follows
    # the maximum, it does not pick the largest region
    heat = (_blob(16, 3, 3, 2, value=0.9) + _blob(16, 13, 13, 1))[None]
    peak = heatmap_to_boxes(heat[:, None], 0.5, 16, align='corner', region='peak')
    assert torch.equal(peak, torch.tensor([[12 / 16, 12 / 16, 15 / 16, 15 / 16]]))


def test_peak_region_is_eight_connected():
    heat = torch.zeros(1, 6, 6, dtype=torch.float64)
    for i in range(5):  # a diagonal line: connected only through corners
        heat[0, i, i] = 1.0 - 0.01 * i
    top, bottom, left, right, found = peak_region_spans(heat, 0.5, 6, 'corner')
    assert (top.item(), bottom.item(), left.item(), right.item()) == (0, 4, 0, 4)
    assert found.tolist() == [True]


def test_peak_region_spans_on_empty_and_bad_arguments():
    spans = peak_region_spans(torch.zeros(0, 4, 4), 0.5, 16, 'corner')
    assert all(s.shape == (0, ) for s in spans)
    feats = torch.rand(2, 3, 4, 4)
    with pytest.raises(ValueError, match='region must be one of'):
        heatmap_to_boxes(feats, 0.5, 16, region='largest')
    with pytest.raises(ValueError, match='background must be one of'):
        heatmap_to_boxes(feats, 0.5, 16, background='mean')
    with pytest.raises(ValueError, match='background must be one of'):
        normalized_heatmaps(feats, 'Median')
