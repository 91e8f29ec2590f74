"""The device path against the CPU pipeline: same pixels, same parameter law."""
import copy
import io
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image
from scipy import stats

from mmccrop.engine.runner.device_augment_runner import rewrite_pipeline
from mmccrop.functional.batch_augment import crop_slots
from mmccrop.registry import MODELS, TRANSFORMS

from ._fixtures import ROOT, textured

pytestmark = pytest.mark.usefixtures('one_thread')

CIFAR = 'configs/selfsup/_base_/datasets/cifar10_ccrop.py'
IMAGENET = 'configs/selfsup/_base_/datasets/imagenet_ccrop.py'
VIT = 'configs/selfsup/snclr/snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k.py'
BOX = (0.2, 0.25, 0.75, 0.8)


def _items(tmp_path, n, sizes):
    rng = np.random.default_rng(0)
    items = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(*sizes, 2))
        img = textured(rng, h, w)
        path = str(tmp_path / f'{i}.jpg')
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        items.append(dict(img_path=path, img=img, ccrop_box=BOX if i % 2 else None,
                          sample_idx=i))
    return items


def _run(transforms, items, seed):
    loads = any('LoadImage' in type(t).__name__ for t in transforms)
    np.random.seed(seed)
    out = []
    for item in items:
        r = copy.deepcopy(item)
        if loads:
            r.pop('img')
        for t in transforms:
            r = t(r)
        out.append(r)
    return out


@pytest.mark.parametrize('config,decode,sizes', [
    (CIFAR, 'loader', (32, 33)),
    (IMAGENET, 'loader', (120, 300)),
    (IMAGENET, 'device', (120, 300)),
    (VIT, 'loader', (120, 300)),
])
def test_same_seed_gives_the_cpu_pipelines_views(tmp_path, config, decode, sizes):
    cfg = Config.fromfile(os.path.join(ROOT, config))
    cpu = [TRANSFORMS.build(t) for t in cfg.train_pipeline]
    dev = [TRANSFORMS.build(t) for t in rewrite_pipeline(cfg.train_pipeline, decode)]
    items = _items(tmp_path, 6, sizes)
    pre = dict(cfg.data_preprocessor)
    ref = MODELS.build(pre)(pseudo_collate(_run(cpu, items, 1)), True)['inputs']
    batch = pseudo_collate(_run(dev, items, 1))
    if decode == 'device':
        assert all(img.dim() == 1 for img in batch['inputs']['img'])  # JPEG bytes
    for method in ('loop', 'batched'):
        device = MODELS.build(dict(pre, type='DeviceAugmentPreprocessor', crop_method=method))
        out = device(copy.deepcopy(batch), True)['inputs']
        assert len(out) == len(ref) == 2
        for x, y in zip(out, ref):
            assert x.shape == y.shape
            grey = ((x - y) * device.std).abs()
            # Bit-exact but for the hue's rare 1-level rounding, which a later
            # contrast or saturation (factor <= 1.4) can turn into 2.
            assert float(grey.max()) <= 2.0 + 1e-3
            assert float((grey > 0.5).float().mean()) < 1e-4


def test_parameter_law_matches_the_cpu_transforms(tmp_path):
    """Independent seeds: the packed parameters follow the CPU transforms' laws (KS)."""
    cfg = Config.fromfile(os.path.join(ROOT, IMAGENET))
    view = cfg.view_pipeline
    dev = TRANSFORMS.build(dict(type='MultiViewParams', num_views=1, transforms=[view]))
    img = np.zeros((300, 400, 3), np.uint8)
    n = 1500
    np.random.seed(10)
    p = np.stack([dev(dict(img=img, ccrop_box=BOX))['aug_params'][0] for _ in range(n)])
    crop, flip = TRANSFORMS.build(view[0]), TRANSFORMS.build(view[1])
    jitter, gray, blur = (TRANSFORMS.build(t) for t in view[2:])
    np.random.seed(11)
    ref = dict(crop=[], flip=[], factors=[], applied=[], gray=[], sigma=[])
    for _ in range(n):
        ref['crop'].append(crop.sample_params(300, 400, dict(ccrop_box=BOX)))
        ref['flip'].append(flip._choose_direction() is not None)
        j = jitter.sample_params()
        ref['applied'].append(j is not None)
        if j is not None:
            ref['factors'].append(j[1])
        ref['gray'].append(gray.do_gray())
        s = blur.sample_sigma()
        ref['sigma'].append(np.nan if s is None else s)
    rc = np.array(ref['crop'], float)
    for k in range(4):  # top, left, h, w: ContrastiveCrop's box placement and size law
        assert stats.ks_2samp(p[:, k], rc[:, k]).pvalue > 1e-3
    applied = p[:, 5] > 0.5
    factors = np.array(ref['factors'], float)
    for k in range(4):  # brightness, contrast, saturation, hue factors
        assert stats.ks_2samp(p[applied, 10 + k], factors[:, k]).pvalue > 1e-3
    orders = p[applied, 6:10]
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders)
    assert stats.chisquare(np.bincount(orders[:, 0].astype(int), minlength=4)).pvalue > 1e-3
    for ours, theirs in ((p[:, 4] > 0.5, ref['flip']), (applied, ref['applied']),
                         (p[:, 14] > 0.5, ref['gray']), (~np.isnan(p[:, 15]),
                                                         ~np.isnan(ref['sigma']))):
        table = [[ours.sum(), n - ours.sum()], [np.sum(theirs), n - np.sum(theirs)]]
        assert stats.chi2_contingency(table).pvalue > 1e-3
    sig = p[~np.isnan(p[:, 15]), 15]
    assert stats.ks_2samp(sig, np.array(ref['sigma'])[~np.isnan(ref['sigma'])]).pvalue > 1e-3


def test_each_view_vector_starts_with_the_crop_slots():
    assert crop_slots(3, 4, 10, 12, True) == [3, 4, 10, 12, 1.0]
    for prob, flip in ((1.0, 1.0), (0.0, 0.0)):
        dev = TRANSFORMS.build(dict(type='MultiViewParams', num_views=1, transforms=[[
            dict(type='RandomResizedCrop', size=32), dict(type='RandomFlip', prob=prob)]]))
        out = dev(dict(img=np.zeros((40, 50, 3), np.uint8)))
        x0, y0, x1, y1 = (int(v) for v in out['crop_bbox'][0])
        assert out['aug_params'][0].tolist() == crop_slots(y0, x0, y1 - y0, x1 - x0, flip)


@pytest.mark.parametrize('view,match', [
    ([dict(type='RandomFlip', prob=0.5)], 'start with'),
    ([dict(type='RandomResizedCrop', size=32), dict(type='RandomFlip', prob=0.5,
                                                    direction='vertical')], 'horizontally'),
    ([dict(type='RandomResizedCrop', size=32, interpolation='area')], 'antialiased'),
    ([dict(type='RandomResizedCrop', size=32), dict(type='PackSelfSupInputs')],
     'no device version'),
])
def test_views_without_a_device_version_are_rejected(view, match):
    with pytest.raises(ValueError, match=match):
        TRANSFORMS.build(dict(type='MultiViewParams', num_views=2, transforms=[view]))


def _jpeg(arr, orientation=1):
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(arr).save(buf, 'JPEG', quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_load_image_bytes_and_device_decode_match_cv2(tmp_path):
    rng = np.random.default_rng(5)
    arr = textured(rng, 30, 50)
    paths = []
    for k, o in enumerate((1, 6, 8)):
        paths.append(tmp_path / f'{k}.jpg')
        paths[-1].write_bytes(_jpeg(arr, o))
    paths.append(tmp_path / 'x.png')
    cv2.imwrite(str(paths[-1]), arr)
    load = TRANSFORMS.build(dict(type='LoadImageBytes'))
    pre = MODELS.build(dict(type='DeviceAugmentPreprocessor'))
    out = [load(dict(img_path=str(p))) for p in paths]
    assert [r['ori_shape'] for r in out] == [(30, 50), (50, 30), (50, 30), (30, 50)]
    # Rotated JPEGs and the PNG are decoded in the loader (the GPU decoder ignores EXIF).
    assert ['img_bytes' in r for r in out] == [True, False, False, False]
    imgs = [torch.from_numpy(r['img_bytes'].copy()) if 'img_bytes' in r
            else torch.from_numpy(r['img']).permute(2, 0, 1) for r in out]
    for p, img in zip(paths, pre.decode(imgs)):
        np.testing.assert_array_equal(img.permute(1, 2, 0).numpy(), cv2.imread(str(p)))
    with pytest.raises(OSError, match='cannot read'):
        load(dict(img_path=str(tmp_path / 'missing.jpg')))


def test_preprocessor_passes_ordinary_batches_and_rejects_mixed_plans():
    pre_cfg = dict(mean=[1., 2., 3.], std=[2., 2., 2.], bgr_to_rgb=True)
    device = MODELS.build(dict(type='DeviceAugmentPreprocessor', **pre_cfg))
    plain = MODELS.build(dict(type='SelfSupDataPreprocessor', **pre_cfg))
    views = [[torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8) for _ in range(2)]]
    torch.testing.assert_close(device(dict(inputs=views))['inputs'],
                               plain(dict(inputs=views))['inputs'])
    t = TRANSFORMS.build(dict(type='MultiViewParams', num_views=1,
                              transforms=[[dict(type='RandomResizedCrop', size=8)]]))
    t2 = TRANSFORMS.build(dict(type='MultiViewParams', num_views=1,
                               transforms=[[dict(type='RandomResizedCrop', size=4)]]))
    pack = TRANSFORMS.build(dict(type='PackViewParams'))
    img = np.zeros((10, 10, 3), np.uint8)
    batch = pseudo_collate([pack(t(dict(img=img))), pack(t2(dict(img=img)))])
    with pytest.raises(ValueError, match='another view plan'):
        device(batch, True)
