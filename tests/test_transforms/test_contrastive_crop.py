"""ContrastiveCrop / RandomResizedCrop transforms."""
import numpy as np
import pytest

from mmccrop.datasets.transforms import ContrastiveCrop, RandomResizedCrop
from mmccrop.registry import TRANSFORMS


def _coord_image(height=200, width=250):
    """Pixel (y, x) holds (x, y, 7): a crop's corners reveal where it came from."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs, ys, np.full_like(xs, 7)], axis=-1).astype(np.uint8)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_output_and_crop_bbox_describe_the_crop(backend):
    img = _coord_image()
    t = ContrastiveCrop(size=(24, 32), alpha=0.6, interpolation='nearest', backend=backend)
    np.random.seed(0)
    for _ in range(20):
        out = t(dict(img=img.copy(), ccrop_box=(0.2, 0.1, 0.7, 0.9)))
        x0, y0, x1, y1 = out['crop_bbox']
        assert out['img'].shape == (24, 32, 3) and out['img'].dtype == np.uint8
        assert out['img_shape'] == (24, 32)
        assert 0 <= x0 < x1 <= 250 and 0 <= y0 < y1 <= 200
        # Nearest neighbour: the first/last output pixels come from the crop's corners.
        step_x, step_y = (x1 - x0) / 32, (y1 - y0) / 24
        assert abs(out['img'][0, 0, 0] - x0) <= step_x and abs(out['img'][0, 0, 1] - y0) <= step_y
        assert abs(out['img'][-1, -1, 0] - (x1 - 1)) <= step_x + 1
        assert abs(out['img'][-1, -1, 1] - (y1 - 1)) <= step_y + 1
        assert np.all(out['img'][..., 2] == 7)


def test_no_box_is_exactly_random_resized_crop():
    img = _coord_image(300, 400)
    cc = ContrastiveCrop(size=32, scale=(0.2, 1.0), alpha=0.1)
    rrc = RandomResizedCrop(size=32, scale=(0.2, 1.0))
    for results in (dict(), dict(ccrop_box=None)):
        np.random.seed(3)
        a = [cc(dict(img=img, **results)) for _ in range(50)]
        np.random.seed(3)
        b = [rrc(dict(img=img)) for _ in range(50)]
        for ra, rb in zip(a, b):
            np.testing.assert_array_equal(ra['crop_bbox'], rb['crop_bbox'])
            np.testing.assert_array_equal(ra['img'], rb['img'])
    # RandomResizedCrop ignores a box.
    np.random.seed(3)
    c = [rrc(dict(img=img, ccrop_box=(0.9, 0.9, 1., 1.))) for _ in range(50)]
    assert all(np.array_equal(x['crop_bbox'], y['crop_bbox']) for x, y in zip(b, c))


def test_box_attracts_crops_at_transform_level():
    img = np.zeros((300, 400, 3), np.uint8)
    box = np.array([0.6, 0.5, 0.9, 0.8], dtype=np.float32)  # x0 y0 x1 y1
    t = TRANSFORMS.build(dict(type='ContrastiveCrop', size=16, scale=(0.02, 0.05), alpha=0.6))
    np.random.seed(1)
    boxes = np.array([t(dict(img=img, ccrop_box=box))['crop_bbox'] for _ in range(300)])
    cx = (boxes[:, 0] + boxes[:, 2]) / 2 / 400
    cy = (boxes[:, 1] + boxes[:, 3]) / 2 / 300
    assert np.all((cx >= 0.6 - 1 / 400) & (cx <= 0.9 + 1e-6))
    assert np.all((cy >= 0.5 - 1 / 300) & (cy <= 0.8 + 1e-6))


def test_same_seed_same_crops():
    img = _coord_image()
    t = ContrastiveCrop(size=16, alpha=0.6)

    def run(seed):
        np.random.seed(seed)
        return [t(dict(img=img, ccrop_box=(0.1, 0.1, 0.9, 0.9)))['crop_bbox'] for _ in range(10)]

    assert np.array_equal(run(5), run(5))
    assert not np.array_equal(run(5), run(6))


def test_backends_agree_on_the_crop():
    rng = np.random.default_rng(0)
    # A smooth image, so that the two resamplers give close pixels.
    img = np.clip(rng.normal(128, 5, (120, 160, 3)).cumsum(0) / 20 + 100, 0, 255).astype(np.uint8)
    cv = ContrastiveCrop(size=48, backend='cv2')
    pil = ContrastiveCrop(size=48, backend='pillow')
    np.random.seed(9)
    a = cv(dict(img=img, ccrop_box=(0.3, 0.3, 0.6, 0.6)))
    np.random.seed(9)
    b = pil(dict(img=img, ccrop_box=(0.3, 0.3, 0.6, 0.6)))
    np.testing.assert_array_equal(a['crop_bbox'], b['crop_bbox'])
    assert np.abs(a['img'].astype(int) - b['img'].astype(int)).mean() < 3


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_gray_images_keep_their_layout(backend):
    t = ContrastiveCrop(size=8, backend=backend)
    assert t(dict(img=np.zeros((40, 50), np.uint8)))['img'].shape == (8, 8)
    assert t(dict(img=np.zeros((40, 50, 1), np.uint8)))['img'].shape == (8, 8, 1)


@pytest.mark.parametrize('kwargs, name', [
    (dict(size=0), 'size'), (dict(size=(32, -1)), 'size'),
    (dict(size=32, scale=(0.9, 0.2)), 'scale'), (dict(size=32, scale=(0., 1.)), 'scale'),
    (dict(size=32, ratio=(2., 1.)), 'ratio'),
    (dict(size=32, alpha=0.), 'alpha'), (dict(size=32, alpha=-1), 'alpha'),
    (dict(size=32, backend='turbo'), 'backend'),
    (dict(size=32, interpolation='cubic-ish'), 'interpolation'),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ContrastiveCrop(**kwargs)


@pytest.mark.parametrize('box', [(0., 0., 1.5, 1.), (0.5, 0., 0.2, 1.), (0., -0.1, 1., 1.),
                                 (0., 0., 1.)])
def test_bad_box_raises_value_error_naming_ccrop_box(box):
    t = ContrastiveCrop(size=8)
    with pytest.raises(ValueError, match='ccrop_box'):
        t(dict(img=np.zeros((20, 20, 3), np.uint8), ccrop_box=box))


def test_repr_names_the_arguments():
    r = repr(ContrastiveCrop(size=32, alpha=0.1))
    assert r.startswith('ContrastiveCrop(size=(32, 32)') and 'alpha=0.1' in r
