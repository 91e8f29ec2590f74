"""Antialiased resizing: agreement with torchvision on PIL images, layouts, errors,
the ImageNet configs' crops and the box refresh's squash."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TVF

import mmccrop.functional.resize as resize_module
from mmccrop.datasets.transforms.random_resized_crop import crop_and_resize
from mmccrop.engine.localization import EvalImages
from mmccrop.functional.resize import resize
from mmccrop.registry import TRANSFORMS

PIL_MODES = {'bilinear': InterpolationMode.BILINEAR, 'bicubic': InterpolationMode.BICUBIC}

# (image h, w), crop (top, left, h, w) -> 224 x 224
CASES = {
    'shrink 2x': ((470, 460), (10, 7, 448, 448)),
    'shrink 2.9x': ((660, 650), (5, 7, 650, 640)),
    'shrink 1.3x': ((320, 310), (10, 20, 300, 290)),
    'enlarge 1.5x': ((200, 190), (30, 20, 150, 150)),
    'y down, x up': ((340, 200), (10, 30, 320, 160)),
    'x down, y up': ((200, 340), (30, 10, 160, 320)),
}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def natural(rng, h, w):
    """A smooth colour field plus +-25 noise."""
    base = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += rng.integers(-25, 26, (h, w, 3)).astype(np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def torchvision_crop(img, params, mode, size=(224, 224)):
    out = TVF.resized_crop(Image.fromarray(img), *params, list(size),
                           interpolation=PIL_MODES[mode])
    return np.asarray(out).astype(np.float64)


@pytest.mark.parametrize('mode', ['bilinear', 'bicubic'])
@pytest.mark.parametrize('case', list(CASES))
def test_antialias_matches_torchvision_on_pil(case, mode):
    shape, params = CASES[case]
    rng = np.random.default_rng(0)
    for image in (natural(rng, *shape), rng.integers(0, 256, (*shape, 3), dtype=np.uint8)):
        ref = torchvision_crop(image, params, mode)
        diff = np.abs(crop_and_resize(image, params, (224, 224), mode, antialias=True) - ref)
        # Rounding only: measured <= 0.31 mean, 1 (bilinear) / 18 (bicubic, noise) max.
        assert diff.mean() < 0.35
        assert diff.max() <= (1 if mode == 'bilinear' else 20)
        old = np.abs(crop_and_resize(image, params, (224, 224), mode, antialias=False) - ref)
        if 'shrink' in case:  # cv2's kernels alias when they shrink: 2-46 grey levels
            assert old.mean() > 2.0
        elif case == 'enlarge 1.5x':  # growing both ways nothing aliases
            assert old.mean() < (0.3 if mode == 'bilinear' else 4.0)


def test_transform_crops_match_torchvision_over_random_draws():
    """The ImageNet view's crop, end to end: 40 draws on 300-500 px images."""
    rng = np.random.default_rng(1)
    np.random.seed(1)
    t = TRANSFORMS.build(dict(type='RandomResizedCrop', size=224, scale=(0.2, 1.0),
                              antialias=True))
    plain = TRANSFORMS.build(dict(type='RandomResizedCrop', size=224, scale=(0.2, 1.0)))
    ours, old = [], []
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(300, 501, 2))
        img = natural(rng, h, w)
        out = t(dict(img=img))
        x0, y0, x1, y1 = (int(v) for v in out['crop_bbox'])
        params = (y0, x0, y1 - y0, x1 - x0)
        ref = torchvision_crop(img, params, 'bilinear')
        ours.append(np.abs(out['img'] - ref).mean())
        old.append(np.abs(crop_and_resize(img, params, (224, 224)) - ref).mean())
    # Measured over 150 draws: 0.05 mean, 0.25 worst (cv2 bilinear: 2.2, 5.1).
    assert np.mean(ours) < 0.1 and max(ours) < 0.3
    assert np.mean(old) > 1.0
    assert repr(t).endswith('antialias=True)') and repr(plain).endswith('antialias=None)')


@pytest.mark.parametrize('mode', ['bilinear', 'bicubic', 'lanczos', 'area', 'nearest'])
def test_pillow_backend_is_torchvision_exactly(mode):
    rng = np.random.default_rng(2)
    img = natural(rng, 300, 280)
    pil_mode = {'lanczos': InterpolationMode.LANCZOS, 'area': InterpolationMode.BOX,
                'nearest': InterpolationMode.NEAREST}.get(mode) or PIL_MODES[mode]
    for params in ((5, 9, 250, 200), (40, 30, 100, 150)):
        ref = np.asarray(TVF.resized_crop(Image.fromarray(img), *params, [64, 80],
                                          interpolation=pil_mode))
        out = crop_and_resize(img, params, (64, 80), mode, backend='pillow')
        np.testing.assert_array_equal(out, ref)


def test_float_fallback_for_old_torch_is_close(monkeypatch):
    """torch < 2.1 has no uint8 antialiased kernel; the float32 path stands in."""
    monkeypatch.setattr(resize_module, '_NO_UINT8_KERNEL', {'bilinear', 'bicubic'})
    rng = np.random.default_rng(3)
    img = natural(rng, 470, 460)
    for mode in ('bilinear', 'bicubic'):
        ref = torchvision_crop(img, (10, 7, 448, 448), mode)
        out = crop_and_resize(img, (10, 7, 448, 448), (224, 224), mode, antialias=True)
        assert out.dtype == np.uint8 and np.abs(out - ref).mean() < 0.3


def test_uint8_kernel_failure_is_detected_once(monkeypatch):
    calls = []
    real = resize_module.F.interpolate

    def no_uint8(x, **kw):
        calls.append(x.dtype)
        if x.dtype == torch.uint8:
            raise RuntimeError('"upsample_bilinear2d_aa" not implemented for \'Byte\'')
        return real(x, **kw)

    monkeypatch.setattr(resize_module, '_NO_UINT8_KERNEL', set())
    monkeypatch.setattr(resize_module.F, 'interpolate', no_uint8)
    img = np.full((40, 30, 3), 77, np.uint8)
    for _ in range(2):
        out = resize(img, (20, 15), 'bilinear', antialias=True)
        assert out.shape == (20, 15, 3) and (out == 77).all()
    assert calls == [torch.uint8, torch.float32, torch.float32]


@pytest.mark.parametrize('antialias', [False, True])
def test_layouts_and_dtypes_are_kept(antialias):
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (60, 50, 3), dtype=np.uint8)
    cases = [rgb[..., 0], rgb[..., :1], np.concatenate([rgb, rgb[..., :1]], axis=2),
             rgb[::-1, ::-1], (rgb.astype(np.uint16) * 200), rgb.astype(np.float32) / 255]
    for img in cases:
        out = resize(img, (20, 30), 'bilinear', antialias=antialias)
        assert out.shape == (20, 30) + img.shape[2:] and out.dtype == img.dtype
        assert out.flags.c_contiguous
        ref = resize(np.ascontiguousarray(img).astype(np.float32), (20, 30), 'bilinear',
                     antialias=antialias)
        # uint8 rounds between the two passes (<= 1), the others only at the end.
        tol = 1.0 if img.dtype == np.uint8 else 0.5 + 1e-5 * float(ref.max())
        assert np.abs(out.astype(np.float32) - ref).max() <= tol
    same = resize(rgb, (60, 50), 'bicubic', antialias=antialias)
    np.testing.assert_array_equal(same, rgb)


def test_small_dataset_crops_only_grow_so_antialias_changes_rounding_only():
    """CIFAR-style 32 px crops to 32 px never shrink: both paths are plain bilinear."""
    rng = np.random.default_rng(5)
    np.random.seed(5)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    t = TRANSFORMS.build(dict(type='RandomResizedCrop', size=32, scale=(0.08, 1.0)))
    for _ in range(50):
        params = t.sample_params(32, 32, {})
        a = crop_and_resize(img, params, (32, 32), antialias=True).astype(int)
        b = crop_and_resize(img, params, (32, 32), antialias=False).astype(int)
        assert np.abs(a - b).max() <= 1


@pytest.mark.parametrize('kwargs, match', [
    (dict(interpolation='nearest', antialias=True), 'antialias=True'),
    (dict(interpolation='area', antialias=True), 'antialias=True'),
    (dict(backend='pillow', antialias=False), 'pillow'),
    (dict(antialias='yes'), 'antialias'),
    (dict(antialias=1), 'antialias'),
])
def test_bad_antialias_settings_raise(kwargs, match):
    for type_ in ('RandomResizedCrop', 'ContrastiveCrop'):
        with pytest.raises(ValueError, match=match):
            TRANSFORMS.build(dict(type=type_, size=32, **kwargs))


def test_resize_argument_errors():
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='size'):
        resize(img, (0, 4), antialias=True)
    with pytest.raises(ValueError, match='interpolation'):
        resize(img, (4, 4), 'cubic-ish')
    with pytest.raises(ValueError, match='img'):
        resize(np.zeros((2, 8, 8, 3), np.uint8), (4, 4))


# --------------------------------------------------------------------- configs
def imagenet_pretraining_configs(root):
    paths = glob.glob(osp.join(root, 'configs/selfsup/_base_/datasets/imagenet_*.py'))
    paths += [p for p in glob.glob(osp.join(root, 'configs/selfsup/*/*.py'))
              if '_in1k' in p or '_in200' in p]
    return sorted(paths)


def crop_transforms(node):
    if isinstance(node, dict):
        if node.get('type') in ('RandomResizedCrop', 'ContrastiveCrop'):
            yield node
        for v in node.values():
            yield from crop_transforms(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from crop_transforms(v)


def test_imagenet_configs_crop_with_antialiasing(repo_root):
    paths = imagenet_pretraining_configs(repo_root)
    assert len(paths) >= 10, paths
    for path in paths:
        cfg = Config.fromfile(path)
        crops = list(crop_transforms(cfg.to_dict().get('train_dataloader', cfg.to_dict())))
        assert crops, f'{path}: no crop transform in the training pipeline'
        for crop in crops:
            assert crop.get('antialias') is True, f'{path}: {crop}'
            # torchvision's default, which the authors (MoCo v3's crops too) use
            assert crop.get('interpolation', 'bilinear') == 'bilinear', f'{path}: {crop}'
            TRANSFORMS.build(crop)  # a valid combination


# ---------------------------------------------------------------------- squash
class _InMemory:
    """The part of BoxedDataset that EvalImages reads."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def resolve(self, idx):
        return self, idx

    def raw_data_info(self, idx):
        return dict(img=self.images[idx])


def stripes(period, height, width):
    """Vertical stripes: 1-px black / white (period 2) or a cosine of ``period`` px."""
    x = np.arange(width)
    if period == 2:
        row = (x % 2) * 255.0
    else:
        row = 127.5 + 127.5 * np.cos(2 * np.pi * (x + 0.5) / period)
    row = np.round(row).clip(0, 255).astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], height, 0), 3, 2)


@pytest.mark.parametrize('period', [2, 2.5])
@pytest.mark.parametrize('width', [672, 700])
def test_refresh_squash_antialiases_stripes(period, width):
    """Stripes squashed 3-3.1x keep their mean and leave (almost) no moire.

    cv2's bilinear samples the stripes and keeps 57-100% of their contrast as
    a false pattern; PIL's triangle filter leaves 3.5-4.5% of the cosine's and
    5.6% / 11.3% of the 1-px stripes' (at 3.125x / 3x).
    """
    img = stripes(period, 672, width)
    data = _InMemory([img])
    out, idx = EvalImages(data, [0], (224, 224))[0]
    assert idx == 0 and out.shape == (3, 224, 224) and out.dtype == torch.uint8
    out = out.permute(1, 2, 0).numpy().astype(np.float64)
    assert abs(out.mean() - img.mean()) < 1.0
    assert out.std() < 0.12 * img.std()
    ref = np.asarray(TVF.resize(Image.fromarray(img), [224, 224],
                                interpolation=InterpolationMode.BILINEAR))
    assert np.abs(out - ref).mean() < 0.3
    old, _ = EvalImages(data, [0], (224, 224), antialias=False)[0]
    old = old.permute(1, 2, 0).numpy()
    assert old.astype(np.float64).std() > 0.4 * img.std()
    np.testing.assert_array_equal(old, cv2.resize(img, (224, 224),
                                                  interpolation=cv2.INTER_LINEAR))


def test_refresh_squash_matches_torchvision_resize():
    rng = np.random.default_rng(6)
    img = natural(rng, 375, 500)
    out, _ = EvalImages(_InMemory([img]), [0], (224, 224))[0]
    ref = np.asarray(TVF.resize(Image.fromarray(img), [224, 224],
                                interpolation=InterpolationMode.BILINEAR))
    assert np.abs(out.permute(1, 2, 0).numpy().astype(int) - ref).mean() < 0.3
    same, _ = EvalImages(_InMemory([img[:224, :224]]), [0], (224, 224))[0]
    np.testing.assert_array_equal(same.permute(1, 2, 0).numpy(), img[:224, :224])
