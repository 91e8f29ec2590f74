"""Each batched device op against the CPU op it emulates, with fixed parameters."""
import cv2
import numpy as np
import pytest
import torch

from mmccrop.datasets.transforms.color_jitter import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
)
from mmccrop.functional import batch_augment_color as C
from mmccrop.functional.batch_augment_blur import fixed_point_kernel, gaussian_blur, kernels_for
from mmccrop.functional.batch_augment_resize import (
    crop_resize_flip,
    crop_resize_flip_loop,
    pack_images,
)
from mmccrop.functional.crop import random_resized_crop_params
from mmccrop.functional.resize import resize

from ._fixtures import textured

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(autouse=True)
def _cv2_one_thread():
    before = cv2.getNumThreads()
    cv2.setNumThreads(0)
    yield
    cv2.setNumThreads(before)


def _batch(rng, n, size):
    imgs = [textured(rng, size, size) for _ in range(n)]
    return imgs, torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous()


def _to_hwc(x):
    return x.permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize('mode,interp,aa,out,sizes,scale', [
    ('pil_bilinear', 'bilinear', True, (48, 40), (40, 150), (0.08, 1.0)),
    ('pil_bicubic', 'bicubic', True, (48, 48), (40, 150), (0.08, 1.0)),
    ('cv2_bilinear', 'bilinear', False, (32, 32), (32, 33), (0.2, 1.0)),
    ('cv2_bilinear', 'bilinear', False, (40, 36), (30, 120), (0.2, 1.0)),
])
def test_crop_resize_flip_is_bit_exact_with_the_cpu_crop(mode, interp, aa, out, sizes, scale):
    rng = np.random.default_rng(0)
    imgs, boxes, flips, refs = [], [], [], []
    for _ in range(10):
        h, w = (int(v) for v in rng.integers(*sizes, 2))
        img = textured(rng, h, w)
        box = random_resized_crop_params(h, w, scale, (3 / 4, 4 / 3), rng)
        top, left, ch, cw = box
        flip = bool(rng.integers(2))
        ref = resize(img[top:top + ch, left:left + cw], out, interp, antialias=aa)
        refs.append(ref[:, ::-1] if flip else ref)
        imgs.append(torch.from_numpy(img).permute(2, 0, 1).contiguous())
        boxes.append(box)
        flips.append(flip)
    boxes, flips = torch.tensor(boxes), torch.tensor(flips)
    ref = np.stack(refs)
    batched = crop_resize_flip(*pack_images(imgs), boxes, flips, out, mode)
    chunked = crop_resize_flip(*pack_images(imgs), boxes, flips, out, mode, max_elements=1)
    looped = crop_resize_flip_loop(imgs, boxes, flips, out, mode)
    assert batched.shape == (10, 3) + out and batched.dtype == torch.uint8
    np.testing.assert_array_equal(_to_hwc(batched), ref)
    np.testing.assert_array_equal(_to_hwc(looped), ref)
    np.testing.assert_array_equal(_to_hwc(chunked), ref)  # one sample per chunk


def test_crop_resize_rejects_a_box_outside_its_image():
    img = torch.zeros(3, 10, 10, dtype=torch.uint8)
    with pytest.raises(ValueError, match='inside their images'):
        crop_resize_flip(*pack_images([img]), torch.tensor([[5, 0, 6, 4]]),
                         torch.tensor([False]), (4, 4), 'pil_bilinear')
    with pytest.raises(ValueError, match='mode'):
        crop_resize_flip(*pack_images([img]), torch.tensor([[0, 0, 4, 4]]),
                         torch.tensor([False]), (4, 4), 'lanczos')


@pytest.mark.parametrize('order', ['bgr', 'rgb'])
def test_colour_ops_match_the_cpu_jitter(order):
    rng = np.random.default_rng(1)
    imgs, x = _batch(rng, 12, 32)
    f = rng.uniform(0.6, 1.4, 12)
    hue = rng.uniform(-0.5, 0.5, 12)
    cases = [
        (lambda im, v: adjust_brightness(im, v), lambda v: C.adjust_brightness(x, v), f),
        (lambda im, v: adjust_contrast(im, v, order), lambda v: C.adjust_contrast(x, v, order),
         f),
        (lambda im, v: adjust_saturation(im, v, order),
         lambda v: C.adjust_saturation(x, v, order), f),
    ]
    for cpu, dev, fac in cases:
        ref = np.stack([cpu(im, v) for im, v in zip(imgs, fac)])
        np.testing.assert_array_equal(_to_hwc(dev(torch.from_numpy(fac))), ref)
    ref = np.stack([adjust_hue(im, v, order) for im, v in zip(imgs, hue)]).astype(int)
    diff = np.abs(_to_hwc(C.adjust_hue(x, torch.from_numpy(hue), order)).astype(int) - ref)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    code = cv2.COLOR_BGR2GRAY if order == 'bgr' else cv2.COLOR_RGB2GRAY
    ref = np.stack([cv2.cvtColor(cv2.cvtColor(im, code), cv2.COLOR_GRAY2BGR) for im in imgs])
    np.testing.assert_array_equal(_to_hwc(C.grayscale(x, order)), ref)


def test_hsv_round_trip_over_a_sample_of_all_colours():
    # The integer forward conversion is exact; the float inverse is 1 level off
    # on 88 of the 2**24 triples (measured exhaustively).
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (1, 512, 512, 3), dtype=np.uint8)
    x = torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous()
    v = x.to(torch.int32)
    h, s, val = C._rgb_to_hsv_full(v[:, 2], v[:, 1], v[:, 0])
    ref = cv2.cvtColor(rgb[0], cv2.COLOR_BGR2HSV_FULL)
    np.testing.assert_array_equal(torch.stack([h, s, val], -1)[0].numpy(), ref)
    hsv = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    t = torch.from_numpy(hsv).to(torch.int32)
    r, g, b = C._hsv_full_to_rgb(t[..., 0], t[..., 1], t[..., 2])
    diff = np.abs(torch.stack([b, g, r], -1).numpy().astype(int)
                  - cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(int))
    assert diff.max() <= 1 and (diff > 0).sum() <= 10


def test_colour_jitter_applies_each_samples_order_and_skips():
    rng = np.random.default_rng(3)
    imgs, x = _batch(rng, 6, 24)
    order = np.stack([rng.permutation(4) for _ in range(6)])
    factors = np.stack([rng.uniform(0.6, 1.4, 4) for _ in range(6)])
    factors[:, 3] = rng.uniform(-0.1, 0.1, 6)
    factors[1, 2] = np.nan  # left out, as ColorJitter's None
    apply = np.array([True, True, False, True, True, True])
    fns = [lambda im, v: adjust_brightness(im, v), adjust_contrast, adjust_saturation,
           adjust_hue]
    out = _to_hwc(C.color_jitter(x, order, factors, apply))
    for i, im in enumerate(imgs):
        ref = im
        for op in (order[i] if apply[i] else []):
            if not np.isnan(factors[i, op]):
                ref = fns[op](ref, factors[i, op])
        assert np.abs(out[i].astype(int) - ref.astype(int)).max() <= 1
    np.testing.assert_array_equal(out[2], imgs[2])


def test_solarize_and_blur_match_the_cpu_transforms():
    rng = np.random.default_rng(4)
    imgs, x = _batch(rng, 8, 40)
    lut = np.where(np.arange(256) >= 128, 255 - np.arange(256), np.arange(256)).astype(np.uint8)
    np.testing.assert_array_equal(_to_hwc(C.solarize(x, 128)),
                                  np.stack([cv2.LUT(im, lut) for im in imgs]))
    sigmas = np.concatenate([rng.uniform(0.1, 2.0, 6), [np.nan, 2.0]])
    out = _to_hwc(gaussian_blur(x, kernels_for(sigmas)))
    for im, s, o in zip(imgs, sigmas, out):
        ref = im if np.isnan(s) else cv2.GaussianBlur(
            im, (0, 0), sigmaX=s, sigmaY=s, borderType=cv2.BORDER_REFLECT_101)
        np.testing.assert_array_equal(o, ref)
    # An explicit kernel size, as GaussianBlur(kernel_size=5).
    ref = cv2.GaussianBlur(imgs[0], (5, 5), 1.3, 1.3, borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(_to_hwc(gaussian_blur(x[:1], kernels_for([1.3], 5)))[0], ref)
    assert fixed_point_kernel(0.7).sum() == 256
    with pytest.raises(ValueError, match='sigma'):
        fixed_point_kernel(0.0)
