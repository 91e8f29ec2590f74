"""Switching configs to the device path: every config, and two trained end to end."""
import glob
import os

import numpy as np
import pytest
from mmengine.config import Config

from mmccrop.engine.runner.device_augment_runner import (
    DeviceAugmentRunner,
    to_device_augment,
)
from mmccrop.registry import RUNNERS, TRANSFORMS

from ._fixtures import ROOT, fake_cifar10, fake_imagenet

pytestmark = pytest.mark.usefixtures('one_thread')

CONFIGS = sorted(p for p in glob.glob(os.path.join(ROOT, 'configs/selfsup/**/*.py'),
                                      recursive=True) if '_base_' not in p)
CONFIGS += sorted(glob.glob(os.path.join(ROOT, 'configs/demo/mocov2_*.py')))


def _pipelines(dataset):
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset['pipeline']


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: os.path.basename(p)[:-3])
def test_every_pretraining_config_switches(path):
    cfg = to_device_augment(Config.fromfile(path), decode='device')
    pipeline = _pipelines(cfg.train_dataloader.dataset)
    types = [t['type'] for t in pipeline]
    assert 'MultiView' not in types and types[-2:] == ['MultiViewParams', 'PackViewParams']
    assert 'LoadImageFromFile' not in types
    for t in pipeline:
        TRANSFORMS.build(t)  # every view has a device version
    pre = cfg.model.data_preprocessor
    assert pre.type == 'DeviceAugmentPreprocessor' and pre.crop_method == 'auto'
    original = Config.fromfile(path).model.get('data_preprocessor') or {}
    assert pre.get('mean') == original.get('mean') and pre.get('std') == original.get('std')


def test_switch_rejects_what_it_cannot_run():
    cfg = Config.fromfile(os.path.join(ROOT, CONFIGS[0]))
    with pytest.raises(ValueError, match='unknown options'):
        to_device_augment(Config(dict(cfg.to_dict(), device_augment=dict(decoder='x'))))
    bad = Config(cfg.to_dict())
    bad.model.data_preprocessor = dict(type='ImgDataPreprocessor')
    with pytest.raises(ValueError, match='model.data_preprocessor'):
        to_device_augment(bad)
    bad = Config(cfg.to_dict())
    _pipelines(bad.train_dataloader.dataset).pop()  # drop PackSelfSupInputs
    with pytest.raises(ValueError, match='followed by'):
        to_device_augment(bad)


def _tiny(cfg, tmp_path, work):
    cfg.work_dir = str(tmp_path / work)
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.param_scheduler = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10 ** 6)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    # mmengine hands a Runner the existing visualizer of the same name (and its save
    # dir): a name of its own keeps this run's vis_data in its own work dir.
    cfg.visualizer.name = cfg.experiment_name = f'device_{work}_{tmp_path.name}'
    cfg.launcher = 'none'
    cfg.model.queue_len = 16
    return cfg


@pytest.mark.slow
def test_cifar_ccrop_config_trains_on_the_device_path(tmp_path):
    cfg = Config.fromfile(os.path.join(
        ROOT, 'configs/selfsup/mocov2/mocov2_resnet18_4xb128-coslr-500e_cifar10-ccrop.py'))
    cfg = _tiny(cfg, tmp_path, 'cifar')
    cfg.runner_type = 'DeviceAugmentRunner'  # the documented one-line switch
    cfg.train_dataloader.dataset.dataset.data_root = fake_cifar10(tmp_path / 'c', per_batch=2)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2)  # 2 iterations per epoch
    cfg.model.backbone.base_channels = 16
    cfg.model.neck.in_channels = 128
    # Boxes after epoch 1: epoch 2 draws ContrastiveCrop placements on the device path.
    cfg.custom_hooks = [dict(type='BoxRefreshHook', warmup_epochs=1, interval=1,
                             threshold=0.1, eval_size=32, batch_size=4, num_workers=0)]
    runner = RUNNERS.build(cfg)
    assert isinstance(runner, DeviceAugmentRunner)
    runner.train()
    assert type(runner.model.data_preprocessor).__name__ == 'DeviceAugmentPreprocessor'
    assert runner.iter == 4
    assert bool(runner.train_dataloader.dataset.active)
    assert np.isfinite(runner.message_hub.get_scalar('train/loss').current())
    dumped = Config.fromfile(glob.glob(os.path.join(cfg.work_dir, '*', 'vis_data',
                                                    'config.py'))[0])
    assert dumped.device_augment == dict(decode='loader', crop_method='auto')


@pytest.mark.slow
def test_imagenet_ccrop_config_trains_with_device_decoding(tmp_path):
    cfg = Config.fromfile(os.path.join(
        ROOT, 'configs/selfsup/mocov2/mocov2_resnet50_8xb32-coslr-100e_in1k-ccrop.py'))
    cfg = Config(dict(cfg.to_dict(), _base_=None))
    cfg.merge_from_dict(Config.fromfile(os.path.join(
        ROOT, 'configs/selfsup/_base_/device_augment.py')).to_dict())  # the mixin
    cfg.device_augment.decode = 'device'
    cfg = _tiny(cfg, tmp_path, 'in1k')
    cfg.train_dataloader.dataset.dataset.data_root = fake_imagenet(tmp_path / 'i', num=8)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)  # 8 images / 4 = 2 iterations
    cfg.model.backbone.update(base_channels=8, stem_channels=8)
    cfg.model.neck.update(in_channels=256, hid_channels=64)
    cfg.custom_hooks = []
    runner = RUNNERS.build(cfg)
    runner.train()
    assert runner.iter == 2
    pipeline = _pipelines(runner.cfg.train_dataloader.dataset)
    assert pipeline[0]['type'] == 'LoadImageBytes'
    assert np.isfinite(runner.message_hub.get_scalar('train/loss').current())
