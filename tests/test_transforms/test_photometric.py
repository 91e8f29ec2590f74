"""Photometric ops against torchvision/PIL references on the same pixels."""
import numpy as np
import pytest
import torchvision.transforms.functional as TF
from PIL import Image, ImageOps
from scipy import ndimage, stats

from mmccrop.datasets.transforms import ColorJitter, GaussianBlur, RandomGrayscale, Solarize
from mmccrop.datasets.transforms.color_jitter import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
)
from mmccrop.registry import TRANSFORMS


@pytest.fixture(scope='module')
def bgr():
    rng = np.random.default_rng(0)
    # Smooth colour blobs plus noise: realistic saturation/hue content.
    base = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    img = np.asarray(Image.fromarray(base).resize((64, 48), Image.Resampling.BICUBIC))
    noise = rng.integers(-10, 11, img.shape)
    return np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)


def _pil(bgr_img):
    return Image.fromarray(np.ascontiguousarray(bgr_img[..., ::-1]))


def _bgr(pil):
    return np.asarray(pil)[..., ::-1]


def _close(a, b, mean_tol, max_tol):
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.mean() <= mean_tol and diff.max() <= max_tol, (diff.mean(), diff.max())


@pytest.mark.parametrize('factor', [0.6, 1.0, 1.4])
def test_adjustments_match_torchvision_on_pil(bgr, factor):
    pil = _pil(bgr)
    _close(adjust_brightness(bgr, factor), _bgr(TF.adjust_brightness(pil, factor)), 0.6, 1)
    _close(adjust_contrast(bgr, factor), _bgr(TF.adjust_contrast(pil, factor)), 0.6, 1)
    _close(adjust_saturation(bgr, factor), _bgr(TF.adjust_saturation(pil, factor)), 0.6, 2)


@pytest.mark.parametrize('factor', [-0.1, 0.05, 0.1, 0.5])
def test_hue_matches_torchvision_on_pil(bgr, factor):
    ours = adjust_hue(bgr, factor)
    ref = _bgr(TF.adjust_hue(_pil(bgr), factor))
    _close(ours, ref, 2.0, 12)  # 8-bit HSV round trips differ a little
    assert np.abs(ours.astype(int) - bgr).mean() > 1.0 or factor == 0


def test_rgb_channel_order(bgr):
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    np.testing.assert_array_equal(adjust_saturation(rgb, 0.3, 'rgb')[..., ::-1],
                                  adjust_saturation(bgr, 0.3, 'bgr'))


def test_color_jitter_law():
    t = ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8)
    assert t.brightness == (0.6, 1.4) and t.hue == (-0.1, 0.1)
    np.random.seed(0)
    draws = [t.sample_params() for _ in range(3000)]
    applied = [d for d in draws if d is not None]
    assert abs(len(applied) / 3000 - 0.8) < 0.03
    orders = {tuple(o) for o, _ in applied}
    assert len(orders) == 24  # all permutations of the four ops occur
    b = np.array([f[0] for _, f in applied])
    h = np.array([f[3] for _, f in applied])
    assert stats.kstest(b, stats.uniform(0.6, 0.8).cdf).pvalue > 0.01
    assert stats.kstest(h, stats.uniform(-0.1, 0.2).cdf).pvalue > 0.01


def test_color_jitter_applies_in_the_drawn_order(bgr, monkeypatch):
    t = ColorJitter(brightness=0.4, contrast=0.4)
    monkeypatch.setattr(t, 'sample_params', lambda: (np.array([1, 0, 2, 3]),
                                                     [1.3, 0.7, None, None]))
    expected = adjust_brightness(adjust_contrast(bgr, 0.7), 1.3)
    np.testing.assert_array_equal(t(dict(img=bgr))['img'], expected)
    assert ColorJitter().brightness is None  # zero jitter: op skipped
    out = ColorJitter(brightness=0.4, prob=0.0)(dict(img=bgr))
    assert out['img'] is bgr


@pytest.mark.parametrize('kwargs, name', [
    (dict(brightness=-0.1), 'brightness'), (dict(contrast=(1.5, 0.5)), 'contrast'),
    (dict(hue=0.7), 'hue'), (dict(saturation='x'), 'saturation'), (dict(prob=2), 'prob'),
    (dict(channel_order='hsv'), 'channel_order')])
def test_color_jitter_bad_args(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ColorJitter(**kwargs)


def test_grayscale_matches_pil_luma_and_probability(bgr):
    out = RandomGrayscale(prob=1.0)(dict(img=bgr))
    assert out['grayscale'] is True and out['img'].shape == bgr.shape
    ref = np.asarray(_pil(bgr).convert('L'))
    for c in range(3):
        _close(out['img'][..., c], ref, 0.2, 1)
    assert RandomGrayscale(prob=0.0)(dict(img=bgr))['img'] is bgr
    np.random.seed(0)
    t = RandomGrayscale(prob=0.2)
    hits = sum(t(dict(img=bgr))['grayscale'] for _ in range(2000))
    assert stats.binomtest(hits, 2000, 0.2).pvalue > 0.001
    # In the mmccrop scope the name resolves to this class, not mmcv's.
    assert type(TRANSFORMS.build(dict(type='RandomGrayscale', prob=0.2))) is RandomGrayscale


def test_gaussian_blur_matches_a_reference_filter(bgr):
    t = GaussianBlur(sigma=(1.5, 1.5), prob=1.0)
    out = t(dict(img=bgr))['img']
    ref = ndimage.gaussian_filter(bgr.astype(np.float64), sigma=(1.5, 1.5, 0), mode='mirror',
                                  truncate=3.0)
    _close(out, np.rint(ref), 0.6, 3)
    assert GaussianBlur(prob=0.0)(dict(img=bgr))['img'] is bgr
    np.random.seed(0)
    t = GaussianBlur(sigma=(0.1, 2.0), prob=0.5)
    sig = [t.sample_sigma() for _ in range(2000)]
    drawn = np.array([s for s in sig if s is not None])
    assert abs(len(drawn) / 2000 - 0.5) < 0.04
    assert drawn.min() >= 0.1 and drawn.max() <= 2.0
    with pytest.raises(ValueError, match='sigma'):
        GaussianBlur(sigma=(2.0, 0.1))
    with pytest.raises(ValueError, match='kernel_size'):
        GaussianBlur(kernel_size=4)


def test_solarize_matches_pil(bgr):
    out = Solarize(threshold=128, prob=1.0)(dict(img=bgr))['img']
    np.testing.assert_array_equal(out, _bgr(ImageOps.solarize(_pil(bgr), 128)))
    assert Solarize(prob=0.0)(dict(img=bgr))['img'] is bgr
    with pytest.raises(ValueError, match='threshold'):
        Solarize(threshold=300)


def test_mmcv_random_flip_is_reachable_and_flips(bgr):
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    out = flip(dict(img=bgr))
    np.testing.assert_array_equal(out['img'], bgr[:, ::-1])
    assert out['flip'] is True
    # Our cv2-based ops accept its negative-stride output.
    ops = [lambda x: adjust_brightness(x, 1.2), lambda x: adjust_contrast(x, 0.7),
           lambda x: adjust_saturation(x, 1.3), lambda x: adjust_hue(x, 0.1),
           lambda x: GaussianBlur(sigma=(1., 1.), prob=1.)(dict(img=x))['img'],
           lambda x: RandomGrayscale(prob=1.)(dict(img=x))['img'],
           lambda x: Solarize(prob=1.)(dict(img=x))['img']]
    for op in ops:
        np.testing.assert_array_equal(op(out['img']), op(bgr[:, ::-1].copy()))


def test_color_jitter_rejects_float_images(bgr):
    with pytest.raises(TypeError, match='uint8'):
        ColorJitter(brightness=0.4)(dict(img=bgr.astype(np.float32)))
