"""The base dataset configs build and run; the crop picture tool writes a PNG."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmccrop.registry import TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/selfsup/_base_/datasets/*.py')))


def test_every_dataset_has_rcrop_and_ccrop_configs():
    names = {osp.basename(p)[:-3] for p in CONFIGS}
    for ds in ('cifar10', 'cifar100', 'stl10', 'tiny200', 'imagenet'):
        assert {f'{ds}_rcrop', f'{ds}_ccrop'} <= names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.basename(p)[:-3])
def test_dataset_config_pipeline_runs(path, tmp_path):
    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    if path.endswith('_ccrop.py'):
        assert dataset.type == 'BoxedDataset' and tuple(dataset.init_box) == (0., 0., 1., 1.)
        dataset = dataset.dataset
        crop = cfg.view_pipeline[0]
        assert crop.type == 'ContrastiveCrop'
        assert crop.alpha == (0.6 if 'imagenet' in path else 0.1)
    else:
        assert cfg.view_pipeline[0].type == 'RandomResizedCrop'
    assert cfg.data_preprocessor.type == 'SelfSupDataPreprocessor'
    size = cfg.view_pipeline[0].size
    assert size == {'cifar10': 32, 'cifar100': 32, 'stl10': 96, 'tiny200': 64,
                    'imagenet': 224}[osp.basename(path).rsplit('_', 1)[0]]
    transforms = [TRANSFORMS.build(t) for t in dataset.pipeline]
    img = np.random.default_rng(0).integers(0, 256, (70, 90, 3), dtype=np.uint8)
    results = dict(img=img, sample_idx=3, gt_label=1, ccrop_box=(0.2, 0.2, 0.9, 0.9))
    if dataset.pipeline[0].type == 'LoadImageFromFile':
        path_img = str(tmp_path / 'x.jpg')
        cv2.imwrite(path_img, img)
        results = dict(img_path=path_img, sample_idx=3, gt_label=1, ccrop_box=None)
    for t in transforms:
        results = t(results)
    assert [tuple(x.shape) for x in results['inputs']] == [(3, size, size)] * 2
    assert results['data_samples'].sample_idx == 3


def test_visualize_crops_writes_a_png(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'visualize_crops', osp.join(ROOT, 'tools/analysis/visualize_crops.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'crops.png'
    tool.main(['demo', '--out', str(out), '--num-pairs', '3', '--num-centres', '50',
               '--dpi', '40'])
    png = cv2.imread(str(out))
    assert png is not None and png.shape[0] > 100 and png.shape[1] > 200
    img = tmp_path / 'in.jpg'
    cv2.imwrite(str(img), np.full((50, 60, 3), 128, np.uint8))
    tool.main([str(img), '--box', '0.1', '0.2', '0.5', '0.9', '--yxyx', '--out',
               str(tmp_path / 'b.png'), '--num-pairs', '1', '--num-centres', '10', '--dpi', '30'])
    assert (tmp_path / 'b.png').exists()
    with pytest.raises(ValueError, match='--box'):
        tool.main([str(img), '--box', '0.5', '0', '0.2', '1', '--out', str(tmp_path / 'c.png')])
    assert not (tmp_path / 'c.png').exists()


def test_visualize_crops_png_gets_a_plain_file_mode(tmp_path):
    """Written through a temporary file, but readable as a plain open() leaves it (not 0600)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'visualize_crops', osp.join(ROOT, 'tools/analysis/visualize_crops.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'crops.png'
    tool.main(['demo', '--out', str(out), '--num-pairs', '1', '--num-centres', '10',
               '--dpi', '30'])
    plain = tmp_path / 'plain'
    plain.write_bytes(b'')
    assert (out.stat().st_mode & 0o777) == (plain.stat().st_mode & 0o777)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith('.tmp')] == []
