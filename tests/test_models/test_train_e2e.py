"""Real configs through mmengine's Runner on a fabricated CIFAR-10 (CPU, tiny)."""
import os

import numpy as np
import pytest
import torch
from _data_formats import write_cifar10
from mmengine.config import Config
from mmengine.runner import Runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fake_cifar10(root):
    return write_cifar10(root, per_batch=4, n_test=4).root


def _cfg(name, tmp_path):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs/selfsup', name))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset.data_root = _fake_cifar10(tmp_path / 'data')
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.model.backbone.base_channels = 16  # small width: a cheap CPU run
    cfg.model.neck.in_channels = 128
    cfg.launcher = 'none'
    return cfg


@pytest.mark.slow
def test_mocov2_config_trains_and_checkpoints_queue(tmp_path):
    cfg = _cfg('mocov2/mocov2_resnet18_4xb128-coslr-500e_cifar10-rcrop.py', tmp_path)
    cfg.model.queue_len = 7  # 5 iterations x 4 keys: wraps around, not a multiple of 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert model.queue_ptr.item() == (2 * 5 * 4) % 7
    ckpt = torch.load(os.path.join(cfg.work_dir, 'epoch_2.pth'), map_location='cpu',
                      weights_only=False)
    sd = ckpt['state_dict']
    assert sd['queue_ptr'].item() == model.queue_ptr.item()
    assert 'momentum_encoder.backbone.conv1.weight' in sd
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss)


@pytest.mark.slow
def test_simsiam_config_keeps_predictor_lr_fixed(tmp_path):
    cfg = _cfg('simsiam/simsiam_resnet18_4xb128-coslr-500e_cifar10-rcrop.py', tmp_path)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, eta_min_ratio=0.1,
                                by_epoch=True, begin=0, end=2)]
    # The multi-GPU config asks for SyncBN in the backbone, projector and predictor...
    assert {cfg.model.backbone.norm_cfg.type, cfg.model.neck.norm_cfg.type,
            cfg.model.head.predictor.norm_cfg.type} == {'SyncBN'}
    runner = Runner.from_cfg(cfg)
    model = runner.model
    # ...which mmengine's Runner reverts to BN in a single process, so it trains on a CPU.
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms and not any(isinstance(m, torch.nn.SyncBatchNorm) for m in norms)
    runner.train()
    pred = {id(p) for p in model.head.predictor.parameters()}
    groups = runner.optim_wrapper.optimizer.param_groups
    others = {round(g['lr'], 6) for g in groups if id(g['params'][0]) not in pred}
    # The scheduler ran last (after the final epoch); the hook rewrites before each iteration.
    runner.call_hook('before_train_iter', batch_idx=0, data_batch=None)
    fixed = {g['lr'] for g in groups if id(g['params'][0]) in pred}
    assert fixed == {0.5}
    # The rest follows the cosine: 0.05 + 0.45 * (1 + cos(pi / 2)) / 2 after epoch 1.
    assert others == {0.275}


@pytest.mark.slow
def test_linear_probe_config_loads_backbone_trains_and_scores(tmp_path):
    from mmccrop.registry import MODELS
    torch.manual_seed(0)
    pre = MODELS.build(dict(type='SimSiam', backbone=dict(
        type='CIFARResNet', depth=18, base_channels=16, out_indices=(3, ), norm_eval=False),
        neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=32, out_channels=32),
        head=dict(type='LatentPredictHead', predictor=dict(
            type='NonLinearNeck', in_channels=32, hid_channels=8, out_channels=32,
            with_avg_pool=False))))
    ckpt = str(tmp_path / 'pretrained.pth')
    torch.save(dict(state_dict=pre.state_dict()), ckpt)

    cfg = Config.fromfile(os.path.join(
        ROOT, 'configs/benchmarks/classification/cifar10',
        'resnet18-linear_1xb512-steplr-100e_cifar10.py'))
    cfg.work_dir = str(tmp_path / 'work')
    data_root = _fake_cifar10(tmp_path / 'data')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
        loader.dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.model.in_channels = 128
    cfg.model.backbone.base_channels = 16
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    runner.train()
    torch.testing.assert_close(runner.model.backbone.conv1.weight, pre.backbone.conv1.weight)
    # Tested every epoch, the best top-1 kept (the authors report the best of 100 epochs).
    assert os.path.isfile(os.path.join(cfg.work_dir, 'best_accuracy_top1_epoch_1.pth'))
    metrics = runner.val_loop.run()
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    assert 0 <= metrics['accuracy/top1'] <= metrics['accuracy/top5'] <= 100
