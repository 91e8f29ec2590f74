"""The SNCLR CIFAR-10 configs through mmengine's Runner on a fabricated CIFAR-10."""
import os

import numpy as np
import pytest
import torch
from _data_formats import write_cifar10
from mmengine.config import Config
from mmengine.runner import Runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N_PER_BATCH = 4  # 5 training batches: 20 images


def _fake_cifar10(root):
    return write_cifar10(root, per_batch=N_PER_BATCH, n_test=N_PER_BATCH).root


def _cfg(name, tmp_path):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs/selfsup/snclr', name))
    cfg.work_dir = str(tmp_path / 'work')
    loader = cfg.train_dataloader
    loader.batch_size, loader.num_workers, loader.persistent_workers = 4, 0, False
    ds = loader.dataset.dataset if loader.dataset.type == 'BoxedDataset' else loader.dataset
    ds.data_root = _fake_cifar10(tmp_path / 'data')
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    # Narrow and small: a cheap CPU run of the real pipeline, model and loss.
    cfg.model.backbone.base_channels = 8
    cfg.model.neck.in_channels = 64
    cfg.model.neck.hid_channels = cfg.model.predictor.hid_channels = 64
    cfg.model.bank_size = 16
    cfg.launcher = 'none'
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('name', ['snclr_resnet18_1xb512-coslr-500e_cifar10-rcrop.py',
                                  'snclr_resnet18_1xb512-coslr-500e_cifar10-ccrop.py'])
def test_cifar10_config_trains_and_checkpoints_bank(name, tmp_path):
    cfg = _cfg(name, tmp_path)
    if 'ccrop' in name:  # boxes after epoch 1, used in epoch 2
        # A high threshold: on noise images an untrained net's k=0.1 boxes are full.
        cfg.custom_hooks[0].update(warmup_epochs=1, interval=1, batch_size=8, num_workers=0,
                                   threshold=0.6)
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    # 2 epochs x 5 iterations x 4 view-2 keys through a 16-entry bank.
    assert int(model.bank.ptr) == (2 * 5 * 4) % 16
    ids = model.bank.ids
    assert bool((ids >= 0).all()) and int(ids.max()) < 5 * N_PER_BATCH  # dataset indices
    assert np.isfinite(runner.message_hub.get_scalar('train/loss').current())
    ckpt = torch.load(os.path.join(cfg.work_dir, 'epoch_2.pth'), map_location='cpu',
                      weights_only=False)
    assert torch.equal(ckpt['state_dict']['bank.bank'], model.bank.bank)
    if 'ccrop' in name:
        dataset = runner.train_dataloader.dataset
        assert dataset.active
        full = torch.tensor([0., 0., 1., 1.])
        # SNCLR's extract_feat gave the heatmaps: some boxes are no longer full.
        assert bool((dataset.boxes != full).any(dim=1).any())
