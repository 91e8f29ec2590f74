"""The crop sampling law: ContrastiveCrop placement and RandomResizedCrop sizes."""
import math
import random

import numpy as np
import pytest
import torch
from scipy import stats
from torchvision.transforms import RandomResizedCrop as TVRandomResizedCrop

from mmccrop.functional.crop import (
    central_crop,
    check_alpha,
    check_box,
    check_range,
    check_size,
    contrastive_crop_params,
    place_in_box,
    random_resized_crop_params,
    sample_crop_size,
    yxyx_to_xyxy,
)

N_DRAWS = 5000


def _draw(n, height, width, box, scale, ratio, alpha, seed):
    rng = np.random.default_rng(seed)
    return np.array([contrastive_crop_params(height, width, box, scale, ratio, alpha, rng)
                     for _ in range(n)], dtype=np.float64)


def _torchvision_draws(n, height, width, scale, ratio, seed):
    torch.manual_seed(seed)
    img = torch.empty(3, height, width)
    return np.array([TVRandomResizedCrop.get_params(img, list(scale), list(ratio))
                     for _ in range(n)], dtype=np.float64)


@pytest.mark.parametrize('alpha', [0.1, 0.6, 1.0])
def test_crop_centres_inside_box_wherever_clamping_allows(alpha):
    height, width = 480, 640
    box = (0.2, 0.3, 0.6, 0.7)  # x0, y0, x1, y1
    p = _draw(N_DRAWS, height, width, box, (0.01, 1.0), (3 / 4, 4 / 3), alpha, seed=1)
    top, left, h, w = p.T
    cy, cx = top + h / 2, left + w / 2
    # Where the border allows, the centre lies in the box; otherwise it is
    # pushed by exactly the amount the border requires.
    lo_y = np.clip(height * box[1], h / 2, height - h / 2)
    hi_y = np.clip(height * box[3], h / 2, height - h / 2)
    lo_x = np.clip(width * box[0], w / 2, width - w / 2)
    hi_x = np.clip(width * box[2], w / 2, width - w / 2)
    # (integer pixels: the start is floored, so up to one pixel low)
    assert np.all(cy >= lo_y - 1) and np.all(cy <= hi_y + 1e-9)
    assert np.all(cx >= lo_x - 1) and np.all(cx <= hi_x + 1e-9)
    # Crops always lie inside the image.
    assert np.all(top >= 0) and np.all(top + h <= height)
    assert np.all(left >= 0) and np.all(left + w <= width)
    # Small crops (no clamping possible) have their centre strictly in the box.
    free = (h / 2 <= height * box[1]) & (height * box[3] <= height - h / 2)
    assert free.sum() > 100
    assert np.all((cy[free] >= height * box[1] - 1) & (cy[free] <= height * box[3] + 1e-9))


@pytest.mark.parametrize('alpha', [0.6, 1.0, 2.0])
def test_normalised_centres_follow_beta(alpha):
    # A huge virtual image makes the integer pixel grid negligible, and small
    # crops in a central box never hit the border, so the position of the
    # crop centre within the box is u ~ Beta(alpha, alpha).
    side = 200_000
    box = (0.25, 0.3, 0.7, 0.8)
    p = _draw(N_DRAWS, side, side, box, (0.005, 0.02), (3 / 4, 4 / 3), alpha, seed=2)
    top, left, h, w = p.T
    u_y = (top + h / 2 - side * box[1]) / (side * (box[3] - box[1]))
    u_x = (left + w / 2 - side * box[0]) / (side * (box[2] - box[0]))
    beta = stats.beta(alpha, alpha)
    assert stats.kstest(u_y, beta.cdf).pvalue > 0.01
    assert stats.kstest(u_x, beta.cdf).pvalue > 0.01
    # The two axes are drawn independently.
    assert abs(stats.spearmanr(u_x, u_y).statistic) < 0.05
    # Sanity: the KS test has power here; a wrong alpha is rejected.
    wrong = stats.beta(alpha * 2, alpha * 2)
    assert stats.kstest(u_x, wrong.cdf).pvalue < 1e-4


def _randomised_pit(start, extent, crop, lo, hi, cdf, rng):
    """Exact PIT of integer crop starts under the placement law (any clamping, any grid).

    ``place_in_box`` maps u to ``floor(L + (R - L + 1) u)`` capped at
    ``floor(R)``, so each integer start comes from an interval of u; a uniform
    point of its CDF image is U(0, 1) exactly when u ~ the law with ``cdf``.
    """
    room = extent - crop
    low = np.clip(extent * lo - crop / 2, 0, room)
    high = np.clip(extent * hi - crop / 2, 0, room)
    span = high - low + 1.0
    u_lo = np.clip((start - low) / span, 0, 1)
    u_hi = np.where(start >= np.floor(high), 1.0, np.clip((start + 1 - low) / span, 0, 1))
    f_lo, f_hi = cdf(u_lo), cdf(u_hi)
    return f_lo + rng.uniform(size=start.shape) * (f_hi - f_lo)


@pytest.mark.parametrize('alpha', [0.1, 0.6])
def test_placement_law_is_exact_at_real_image_sizes(alpha):
    # The authors' small-data alpha (0.1) puts most of the mass within a
    # pixel of the box edges, and real crops get clamped by the border; the
    # randomised PIT accounts for both exactly.
    height, width, box = 96, 128, (0.1, 0.35, 0.75, 0.9)
    p = _draw(N_DRAWS, height, width, box, (0.2, 1.0), (3 / 4, 4 / 3), alpha, seed=6)
    top, left, h, w = p.T
    rng = np.random.default_rng(0)
    cdf = stats.beta(alpha, alpha).cdf
    pit_y = _randomised_pit(top, height, h, box[1], box[3], cdf, rng)
    pit_x = _randomised_pit(left, width, w, box[0], box[2], cdf, rng)
    assert stats.kstest(pit_y, 'uniform').pvalue > 0.01
    assert stats.kstest(pit_x, 'uniform').pvalue > 0.01
    wrong = stats.beta(alpha * 4, alpha * 4).cdf
    assert stats.kstest(_randomised_pit(left, width, w, box[0], box[2], wrong, rng),
                        'uniform').pvalue < 1e-4


@pytest.mark.parametrize('shape', [(375, 500), (500, 333), (64, 64)])
def test_size_law_matches_torchvision_with_full_box_and_alpha_1(shape):
    height, width = shape
    scale, ratio = (0.2, 1.0), (3 / 4, 4 / 3)
    ours = _draw(N_DRAWS, height, width, (0., 0., 1., 1.), scale, ratio, 1.0, seed=3)
    ref = _torchvision_draws(N_DRAWS, height, width, scale, ratio, seed=3)
    for a, b in ((ours[:, 2] * ours[:, 3], ref[:, 2] * ref[:, 3]),  # areas
                 (ours[:, 3] / ours[:, 2], ref[:, 3] / ref[:, 2]),  # aspect ratios w/h
                 (ours[:, 1] + ours[:, 3] / 2, ref[:, 1] + ref[:, 3] / 2)):  # centre x
        assert stats.ks_2samp(a, b).pvalue > 0.01
    # And the test can tell a different law apart.
    other = _torchvision_draws(N_DRAWS, height, width, (0.08, 1.0), ratio, seed=4)
    assert stats.ks_2samp(ours[:, 2] * ours[:, 3],
                          other[:, 2] * other[:, 3]).pvalue < 1e-6


def test_no_box_is_random_resized_crop_including_fallback():
    # A very wide image with large areas makes most tries fail, so the
    # torchvision fallback (central crop) is part of the distribution.
    height, width, scale, ratio = 40, 400, (0.5, 1.0), (3 / 4, 4 / 3)
    ours = _draw(N_DRAWS, height, width, None, scale, ratio, 0.6, seed=5)
    ref = _torchvision_draws(N_DRAWS, height, width, scale, ratio, seed=5)
    for col in range(4):
        assert stats.ks_2samp(ours[:, col], ref[:, col]).pvalue > 0.01
    fallback = (ours[:, 2] == 40) & (ours[:, 3] == round(40 * 4 / 3))
    assert fallback.mean() > 0.05


@pytest.mark.parametrize('shape', [(40, 400), (400, 40), (100, 120), (1, 1)])
def test_central_fallback_equals_torchvision(shape):
    height, width = shape
    ratio = (3 / 4, 4 / 3)
    img = torch.empty(3, height, width)
    # An impossible scale makes every try fail in both implementations.
    expected = TVRandomResizedCrop.get_params(img, [5.0, 6.0], list(ratio))
    assert central_crop(height, width, ratio) == tuple(expected)
    assert sample_crop_size(height, width, (5.0, 6.0), ratio) is None
    assert contrastive_crop_params(height, width, (0.1, 0.1, 0.2, 0.2), (5.0, 6.0),
                                   ratio, 0.5) == tuple(expected)


def test_place_in_box_clamps_to_the_image():
    # Box at the bottom edge: both bounds clamp to H - h, never low > high.
    assert place_in_box(100, 30, 0.9, 1.0, 0.0) == 70
    assert place_in_box(100, 30, 0.9, 1.0, 1.0) == 70
    # Box at the top: both clamp to 0.
    assert place_in_box(100, 30, 0.0, 0.1, 0.7) == 0
    # Interior: centre = H*lo + u*H*(hi-lo).
    assert place_in_box(100, 20, 0.3, 0.7, 0.0) == 20
    assert place_in_box(100, 20, 0.3, 0.7, 1.0) == 60
    assert place_in_box(100, 20, 0.3, 0.7, 0.5) == 40


def test_seeding_is_reproducible_for_every_generator_kind():
    box = (0.1, 0.2, 0.8, 0.9)
    for make in (np.random.default_rng, np.random.RandomState, random.Random):
        a = [contrastive_crop_params(300, 400, box, rng=r) for r in [make(7)] for _ in range(50)]
        b = [contrastive_crop_params(300, 400, box, rng=r) for r in [make(7)] for _ in range(50)]
        c = [contrastive_crop_params(300, 400, box, rng=r) for r in [make(8)] for _ in range(50)]
        assert a == b
        assert a != c
    np.random.seed(11)
    a = [random_resized_crop_params(300, 400) for _ in range(20)]
    np.random.seed(11)
    assert a == [random_resized_crop_params(300, 400) for _ in range(20)]


@pytest.mark.parametrize('alpha', [0, -0.5, float('nan'), float('inf'), 'x'])
def test_bad_alpha_raises_naming_alpha(alpha):
    with pytest.raises(ValueError, match='alpha'):
        check_alpha(alpha)


@pytest.mark.parametrize('scale', [(0.9, 0.2), (0.0, 1.0), (-0.1, 0.5), (0.5,), 'ab'])
def test_bad_scale_raises_naming_scale(scale):
    with pytest.raises(ValueError, match='scale'):
        check_range(scale, 'scale')


@pytest.mark.parametrize('box', [(0., 0., 1.2, 1.), (-0.1, 0., 0.5, 0.5), (0.6, 0., 0.4, 1.),
                                 (0., 0.8, 1., 0.2), (0., 0., 1.), (0., float('nan'), 1., 1.)])
def test_bad_box_raises_naming_box(box):
    with pytest.raises(ValueError, match='box'):
        check_box(box)
    with pytest.raises(ValueError, match='box'):
        contrastive_crop_params(100, 100, box)


@pytest.mark.parametrize('size', [0, -3, (0, 10), (10, -1), (1.5, 2), 'a', (1, 2, 3), True,
                                  (8, True), (False, 8)])
def test_bad_size_raises_naming_size(size):
    with pytest.raises(ValueError, match='size'):
        check_size(size)


def test_good_arguments_and_box_conversion():
    assert check_size(32) == (32, 32)
    assert check_size((24, np.int64(48))) == (24, 48)
    assert check_box(np.array([0.1, 0.2, 0.1, 0.9], dtype=np.float32)) == pytest.approx(
        (0.1, 0.2, 0.1, 0.9))
    assert check_box(torch.tensor([0., 0., 1., 1.])) == (0., 0., 1., 1.)
    # The authors' (y0, x0, y1, x1) -> our (x0, y0, x1, y1).
    assert yxyx_to_xyxy((0.1, 0.2, 0.7, 0.9)) == (0.2, 0.1, 0.9, 0.7)
    assert math.isclose(check_alpha(np.float32(0.6)), 0.6, rel_tol=1e-6)
