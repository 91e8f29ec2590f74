"""Bad inputs: each gets a clear error naming the culprit (or a documented skip),
and nothing is lost or half-written.

Cases and what the user sees:

- corrupt JPEG / zero-byte / missing image (ImageFolder): ``OSError`` naming the
  file and the sample, suggesting ``skip_corrupt=True``; with it, a documented
  skip: logged, counted (``num_skipped``), another sample served.
- the same files in a box refresh: ``OSError`` / ``FileNotFoundError`` naming the file.
- grayscale, RGBA, 16-bit PNG: converted to 3-channel uint8 BGR (training
  pipeline and box refresh).
- an image smaller than the crop: upsampled to the crop size.
- a box outside [0, 1] or inverted: ``ValueError`` naming ``ccrop_box`` /
  ``init_box`` / the row; the box store is left unchanged.
- NaN (or constant) heatmap: the full-image box, flagged degenerate.
- ``alpha <= 0``, threshold outside (0, 1): ``ValueError`` naming the argument.
- resume from another algorithm's checkpoint: ``RuntimeError`` listing the
  missing / unexpected keys, before anything is loaded.
- truncated checkpoint: ``RuntimeError`` naming the file.
- a pickle carrying code: ``UnpicklingError`` naming the file; the code never runs.
- a typo'd hook / transform key: mmengine's ``TypeError`` naming the key.
"""
import os
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.hooks.box_refresh_hook import read_image
from mmccrop.functional.localization import heatmap_to_boxes
from mmccrop.registry import DATASETS, HOOKS, TRANSFORMS

from ._common import write_config

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[[
        dict(type='ContrastiveCrop', size=32, scale=(0.2, 1.0), alpha=0.6)]]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]


def _folder(tmp_path, files):
    """An ImageNet-layout folder with one class and the given {name: bytes}."""
    cls = tmp_path / 'train' / 'c0'
    cls.mkdir(parents=True)
    ok, buf = cv2.imencode('.jpg', np.full((40, 48, 3), 127, np.uint8))
    (cls / 'good.jpg').write_bytes(buf.tobytes())
    for name, data in files.items():
        (cls / name).write_bytes(data)
    return str(tmp_path)


def _dataset(root, **kw):
    return DATASETS.build(dict(type='ImageFolder', data_root=root, data_prefix='train',
                               pipeline=PIPELINE, **kw))


def _jpeg_bytes():
    ok, buf = cv2.imencode('.jpg', np.random.default_rng(0).integers(0, 255, (40, 40, 3),
                                                                     dtype=np.uint8))
    return buf.tobytes()


CORRUPT = {
    'corrupt': b'\xff\xd8\xff\xe0' + b'not a jpeg at all' * 8,  # JPEG magic, garbage body
    'zero_byte': b'',
}


@pytest.mark.parametrize('kind', sorted(CORRUPT))
def test_unreadable_image_names_the_file_or_is_skipped(tmp_path, kind):
    root = _folder(tmp_path, {'bad.jpg': CORRUPT[kind]})
    ds = _dataset(root)
    bad = next(i for i in range(len(ds)) if ds.get_data_info(i)['img_path'].endswith('bad.jpg'))
    with pytest.raises(OSError, match=r'(?s)bad\.jpg.*skip_corrupt=True'):
        ds[bad]
    skipping = _dataset(root, skip_corrupt=True)
    out = skipping[bad]  # documented skip: another (readable) sample is served
    assert out['data_samples'].img_path.endswith('good.jpg')
    assert skipping.num_skipped >= 1
    # The box refresh reads whole images itself: same file, named.
    with pytest.raises(OSError, match='bad.jpg'):
        read_image(dict(img_path=ds.get_data_info(bad)['img_path']))


def test_missing_image_names_the_file(tmp_path):
    root = _folder(tmp_path, {})
    (tmp_path / 'list.txt').write_text('c0/good.jpg 0\nc0/gone.jpg 0\n')
    ds = _dataset(root, ann_file='list.txt')
    with pytest.raises(OSError, match='gone.jpg'):
        ds[1]
    with pytest.raises(FileNotFoundError, match='gone.jpg'):
        read_image(ds.get_data_info(1))
    assert _dataset(root, ann_file='list.txt', skip_corrupt=True)[1] is not None


def _png(img):
    ok, buf = cv2.imencode('.png', img)
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize('name,img', [
    ('gray.png', np.arange(40 * 48, dtype=np.uint16).reshape(40, 48).astype(np.uint8)),
    ('rgba.png', np.dstack([np.full((40, 48, 3), 90, np.uint8),
                            np.full((40, 48), 128, np.uint8)])),
    ('deep.png', (np.arange(40 * 48 * 3).reshape(40, 48, 3) * 17 % 65536).astype(np.uint16)),
])
def test_gray_rgba_16bit_png_are_converted(tmp_path, name, img):
    root = _folder(tmp_path, {name: _png(img)})
    ds = _dataset(root)
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)['img_path'].endswith(name))
    views = ds[idx]['inputs']
    assert [tuple(v.shape) for v in views] == [(3, 32, 32)] * 2
    assert all(v.dtype == torch.uint8 for v in views)
    whole = read_image(ds.get_data_info(idx))
    assert whole.shape == (40, 48, 3) and whole.dtype == np.uint8
    if name == 'deep.png':  # scaled to 8 bit, not clipped or wrapped
        assert whole.max() > 128


def test_image_smaller_than_the_crop_is_upsampled():
    crop = TRANSFORMS.build(dict(type='ContrastiveCrop', size=32, alpha=0.6))
    for box in (None, (0.25, 0.25, 0.75, 0.75)):
        out = crop(dict(img=np.full((5, 7, 3), 200, np.uint8), ccrop_box=box))
        assert out['img'].shape == (32, 32, 3)
        x0, y0, x1, y1 = out['crop_bbox']
        assert 0 <= x0 < x1 <= 7 and 0 <= y0 < y1 <= 5


@pytest.mark.parametrize('box', [(-0.1, 0., 1., 1.), (0., 0., 1.2, 1.), (0.6, 0., 0.4, 1.),
                                 (0., 0.5, 1., 0.5), (0., 0., float('nan'), 1.)])
def test_bad_boxes_are_refused_and_nothing_is_overwritten(box):
    crop = TRANSFORMS.build(dict(type='ContrastiveCrop', size=16, alpha=0.6))
    results = dict(img=np.zeros((32, 32, 3), np.uint8), ccrop_box=box)
    if box[1] == box[3]:  # documented: a zero-height box pins the crop centre to a line
        assert crop(results)['img'].shape == (16, 16, 3)
    else:
        with pytest.raises(ValueError, match='ccrop_box'):
            crop(results)
    # The box store refuses empty boxes too (a refresh never produces one).
    with pytest.raises(ValueError, match='init_box'):
        BoxedDataset(dataset=DATASETS.build(dict(type='SyntheticObjects', num_images=4,
                                                 img_size=32)), init_box=box)
    ds = BoxedDataset(dataset=DATASETS.build(dict(type='SyntheticObjects', num_images=4,
                                                  img_size=32)))
    good = torch.tensor([[0.1, 0.1, 0.9, 0.9]] * 4)
    ds.update_boxes(good)
    bad = good.clone()
    bad[2] = torch.tensor(box)
    with pytest.raises(ValueError, match='row 2'):
        ds.update_boxes(bad)
    with pytest.raises(ValueError, match='row 2'):
        ds.load_state_dict(dict(boxes=bad, active=True))
    assert torch.equal(ds.boxes, good) and not ds.active  # nothing half-applied


def test_nan_heatmap_gives_the_full_box_flagged_degenerate():
    feats = torch.rand(3, 4, 4, 4)
    feats[1, 2, 1, 1] = float('nan')
    feats[2] = 0.5  # constant: 0/0 after min-max
    boxes, degenerate = heatmap_to_boxes(feats, 0.1, 32, return_degenerate=True)
    assert degenerate.tolist() == [False, True, True]
    assert boxes[1:].tolist() == [[0., 0., 1., 1.]] * 2
    assert torch.isfinite(boxes).all()


@pytest.mark.parametrize('alpha', [0, -0.5, float('nan'), 'x'])
def test_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match='alpha'):
        TRANSFORMS.build(dict(type='ContrastiveCrop', size=32, alpha=alpha))


@pytest.mark.parametrize('threshold', [0.0, 1.0, -0.1, 1.5, float('nan')])
def test_threshold_must_lie_in_0_1(threshold):
    with pytest.raises(ValueError, match='threshold'):
        heatmap_to_boxes(torch.rand(1, 2, 4, 4), threshold, 32)
    with pytest.raises(ValueError, match='threshold'):
        HOOKS.build(dict(type='BoxRefreshHook', threshold=threshold))


def test_typo_in_hook_or_transform_key_reaches_the_user(tmp_path):
    with pytest.raises(TypeError, match='treshold'):
        HOOKS.build(dict(type='BoxRefreshHook', treshold=0.2))
    with pytest.raises(TypeError, match='alpah'):
        TRANSFORMS.build(dict(type='ContrastiveCrop', size=32, alpah=0.1))
    # Through a whole config and the Runner, too.
    cfg = Config.fromfile(write_config(tmp_path / 'typo.py', 'moco', max_epochs=1))
    cfg.custom_hooks = [dict(type='BoxRefreshHook', treshold=0.2)]
    cfg.work_dir = str(tmp_path / 'w')
    with pytest.raises(TypeError, match='treshold'):
        Runner.from_cfg(cfg)


# ------------------------------------------------------------- checkpoints
@pytest.fixture(scope='module')
def moco_checkpoint(tmp_path_factory):
    """A real 1-epoch MoCo v2 + ccrop checkpoint (8 images, 2 iterations)."""
    tmp = tmp_path_factory.mktemp('moco_ckpt')
    cfg = Config.fromfile(write_config(tmp / 'moco.py', 'moco', max_epochs=1, num_images=8))
    cfg.work_dir = str(tmp / 'w')
    cfg.log_level = 'WARNING'
    Runner.from_cfg(cfg).train()
    return tmp / 'w' / 'epoch_1.pth'


def _snclr_runner(tmp_path, load_from, resume=True):
    cfg = Config.fromfile(write_config(tmp_path / 'snclr.py', 'snclr', max_epochs=2,
                                       num_images=8))
    cfg.work_dir = str(tmp_path / 'snclr')
    cfg.load_from, cfg.resume, cfg.log_level = str(load_from), resume, 'WARNING'
    return Runner.from_cfg(cfg)


def test_resume_from_another_algorithm_names_the_keys(tmp_path, moco_checkpoint):
    runner = _snclr_runner(tmp_path, moco_checkpoint)
    with pytest.raises(RuntimeError) as info:
        runner.train()
    msg = str(info.value)
    assert 'Cannot resume SNCLR' in msg
    assert 'missing keys' in msg and 'bank.bank' in msg and 'bank.ptr' in msg
    assert 'unexpected keys' in msg and 'queue' in msg and 'queue_ptr' in msg
    # Refused before anything was loaded (mmengine would have loaded the backbone).
    moco = torch.load(moco_checkpoint, map_location='cpu', weights_only=True)['state_dict']
    mine = runner.model.state_dict()
    assert not torch.equal(mine['backbone.conv1.weight'], moco['backbone.conv1.weight'])
    assert runner.iter == 0


def test_truncated_checkpoint_names_the_file(tmp_path, moco_checkpoint):
    data = moco_checkpoint.read_bytes()
    bad = tmp_path / 'half_written.pth'
    bad.write_bytes(data[:len(data) // 2])
    cfg = Config.fromfile(write_config(tmp_path / 'moco.py', 'moco', max_epochs=2, num_images=8))
    cfg.work_dir, cfg.load_from, cfg.resume = str(tmp_path / 'w'), str(bad), True
    with pytest.raises(RuntimeError, match='half_written.pth'):
        Runner.from_cfg(cfg).train()


class _Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_checkpoint_carrying_code_is_refused(tmp_path, moco_checkpoint):
    ckpt = torch.load(moco_checkpoint, map_location='cpu', weights_only=True)
    marker = tmp_path / 'code_ran'
    ckpt['meta']['payload'] = _Payload(marker)
    evil = tmp_path / 'evil.pth'
    torch.save(ckpt, evil)
    cfg = Config.fromfile(write_config(tmp_path / 'moco.py', 'moco', max_epochs=2, num_images=8))
    cfg.work_dir, cfg.load_from, cfg.resume = str(tmp_path / 'w'), str(evil), True
    with pytest.raises(pickle.UnpicklingError, match='evil.pth'):
        Runner.from_cfg(cfg).train()
    assert not marker.exists()


@pytest.mark.slow
def test_good_checkpoint_still_resumes(tmp_path, moco_checkpoint):
    """The guards above do not get in the way of a matching checkpoint."""
    cfg = Config.fromfile(write_config(tmp_path / 'moco.py', 'moco', max_epochs=2, num_images=8))
    cfg.work_dir, cfg.load_from, cfg.resume = str(tmp_path / 'w'), str(moco_checkpoint), True
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 4 and runner.epoch == 2



@pytest.mark.slow
def test_load_from_another_algorithm_stays_partial_not_an_error(tmp_path, moco_checkpoint):
    """Only resume is strict; ``load_from`` initialisation may load a subset."""
    runner = _snclr_runner(tmp_path, moco_checkpoint, resume=False)
    runner.train()
    assert runner.iter == 4
