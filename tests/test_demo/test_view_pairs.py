"""Coverage of an object box by crops and the false-positive pair rate, on built cases."""
import numpy as np
import pytest

from mmccrop.functional.view_pairs import (
    box_coverage,
    false_positive_pair_rate,
    normalize_pixel_boxes,
)

BOX = (0.2, 0.2, 0.6, 0.6)  # area 0.16


@pytest.mark.parametrize('crop, held', [
    ((0.0, 0.0, 1.0, 1.0), 1.0),      # the crop contains the box
    ((0.2, 0.2, 0.6, 0.6), 1.0),      # the crop is the box
    ((0.7, 0.7, 1.0, 1.0), 0.0),      # disjoint
    ((0.6, 0.0, 1.0, 1.0), 0.0),      # touching edges hold nothing
    ((0.0, 0.0, 0.4, 1.0), 0.5),      # the left half
    ((0.0, 0.0, 0.4, 0.4), 0.25),     # the top-left quarter
    ((0.3, 0.3, 0.5, 0.5), 0.25),     # a crop inside the box: its own area / the box's
])
def test_coverage_is_the_share_of_the_box_inside_the_crop(crop, held):
    assert box_coverage(BOX, crop) == pytest.approx(held)


def test_coverage_broadcasts_over_pairs_and_views():
    boxes = np.array([BOX, (0.0, 0.0, 0.5, 0.5)])                         # (2, 4)
    crops = np.array([[(0, 0, 1, 1), (0, 0, 0.4, 1)],                     # (2, 2, 4)
                      [(0.5, 0.5, 1, 1), (0, 0, 0.25, 0.5)]])
    cov = box_coverage(boxes[:, None], crops)
    assert cov.shape == (2, 2)
    np.testing.assert_allclose(cov, [[1.0, 0.5], [0.0, 0.5]])


def test_coverage_works_in_pixels_too():
    assert box_coverage((10, 10, 30, 50), (0, 0, 20, 64)) == pytest.approx(0.5)


@pytest.mark.parametrize('boxes, crops, match', [
    ((0.2, 0.2, 0.2, 0.6), (0, 0, 1, 1), 'positive area'),
    ((0.6, 0.2, 0.2, 0.6), (0, 0, 1, 1), '`boxes` has inverted'),
    (BOX, (0, 0, 1), r'`crops` must have shape \(\.\.\., 4\)'),
    (BOX, (0, np.nan, 1, 1), '`crops` must be finite'),
])
def test_bad_boxes_are_named(boxes, crops, match):
    with pytest.raises(ValueError, match=match):
        box_coverage(boxes, crops)


def test_pair_rate_counts_pairs_with_one_view_below_the_threshold():
    cov = [[1.0, 0.4],    # one view holds less than half: false positive
           [0.6, 0.7],
           [0.5, 0.5],    # exactly half holds the object
           [0.0, 0.0]]    # false positive
    assert false_positive_pair_rate(cov) == pytest.approx(0.5)
    assert false_positive_pair_rate(cov, threshold=0.55) == pytest.approx(0.75)
    assert false_positive_pair_rate([[0.9, 0.8, 0.1]]) == 1.0  # any of V views


@pytest.mark.parametrize('cov, threshold, match', [
    (np.zeros((0, 2)), 0.5, 'shape'),
    ([0.5, 0.5], 0.5, 'shape'),
    ([[0.5, 1.2]], 0.5, r'\[0, 1\]'),
    ([[0.5, np.nan]], 0.5, r'\[0, 1\]'),
    ([[0.5, 0.5]], 0.0, 'threshold'),
])
def test_pair_rate_rejects_bad_input(cov, threshold, match):
    with pytest.raises(ValueError, match=match):
        false_positive_pair_rate(cov, threshold)


def test_pixel_boxes_normalise_by_width_and_height():
    np.testing.assert_allclose(normalize_pixel_boxes([[0, 16, 32, 64]], 64, 32),
                               [[0, 0.25, 1, 1]])
    with pytest.raises(ValueError, match='inside the 32x64 image'):
        normalize_pixel_boxes([[0, 0, 40, 64]], 64, 32)
    with pytest.raises(ValueError, match='image size must be positive'):
        normalize_pixel_boxes([[0, 0, 1, 1]], 0, 32)
