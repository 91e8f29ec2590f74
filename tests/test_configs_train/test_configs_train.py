"""Every shipped pretraining and classification config runs, saves and resumes.

Each config under ``configs/selfsup`` (not ``_base_``) and
``configs/benchmarks/classification`` is found by glob and run through the
code path of ``tools/train.py`` (kNN configs: ``tools/test.py``) on tiny
datasets fabricated in its real format (``tests/_data_formats.py``), with only
paths, image sizes, batch, workers and epoch counts overridden (see
``_tiny_run.py``; a test asserts nothing else changed).  Pretraining and
linear-probe configs train 2 iterations (3 for the CIFAR-10 linear probe,
whose last batch is kept), save ``epoch_1.pth``, and a second Runner resumes
from it with ``--resume``: the iteration count, every tensor of the model,
the optimizer state and, for ccrop configs, the box store come back.

A separate test takes a few ccrop configs (together: every algorithm and
every dataset format that refreshes boxes) through one box refresh.
"""
import copy
import math
import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.registry import MODELS

from . import _tiny_run as tr

CONFIGS = tr.discover()

#: Configs that cannot train on their real format today: config -> the error.
#: Strict xfails: fixing the config makes the test XPASS and fail, so the
#: entry goes.
BROKEN = {}


def _params(paths):
    return [pytest.param(p, id=_name(p), marks=pytest.mark.xfail(strict=True, reason=BROKEN[p]))
            if p in BROKEN else pytest.param(p, id=_name(p)) for p in paths]


@pytest.fixture
def work_dir(tmp_path):
    """A work dir removed after the test: the checkpoints of all configs add up
    to gigabytes, and pytest keeps the last three sessions' tmp_path."""
    path = tmp_path / 'work'
    yield str(path)
    shutil.rmtree(path, ignore_errors=True)


def _name(rel):
    return osp.splitext(osp.basename(rel))[0]


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def _assert_tensors_equal(actual: dict, expected: dict, what: str):
    assert set(actual) == set(expected), f'{what}: keys differ: {set(actual) ^ set(expected)}'
    for key, value in expected.items():
        assert torch.equal(actual[key].cpu(), value.cpu()), f'{what}: {key} differs'


def _assert_same_tree(actual, expected, where):
    if isinstance(expected, torch.Tensor):
        assert torch.equal(actual.cpu(), expected.cpu()), where
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), (where, set(actual) ^ set(expected))
        for key in expected:
            _assert_same_tree(actual[key], expected[key], f'{where}.{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_same_tree(a, e, f'{where}[{i}]')
    else:
        assert actual == expected, (where, actual, expected)


def _boxed(runner):
    dataset = runner.train_dataloader.dataset
    return dataset if isinstance(dataset, BoxedDataset) else None


def _shrunk(cfg, roots, pretrained=None, size=tr.SIZE):
    changes = tr.shrink(cfg, roots, pretrained=pretrained, size=size)
    extra = tr.disallowed(changes)
    assert not extra, f'overrides beyond the allowed ones: {extra}'
    return cfg


def _pretrained_checkpoint(backbone_cfg: dict, path: str) -> dict:
    """A pretraining-style checkpoint of this backbone: ``backbone.*`` with random
    weights and BN statistics, plus neck and momentum-encoder keys to ignore."""
    cfg = {k: v for k, v in backbone_cfg.items() if k != 'init_cfg'}
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.manual_seed(0)
    backbone = MODELS.build(cfg)
    state = {}
    for key, value in backbone.state_dict().items():
        if value.is_floating_point():
            value = torch.rand_like(value) + 0.5 if 'running_var' in key else \
                torch.randn_like(value) * 0.05
        state[f'backbone.{key}'] = value
    extra = {'neck.mlp.0.weight': torch.randn(8, 4),
             'momentum_encoder.backbone.conv1.weight': torch.randn(2, 3, 3, 3)}
    torch.save(dict(state_dict={**state, **extra}, meta=dict(epoch=5, iter=10)), path)
    return {k[len('backbone.'):]: v for k, v in state.items()}


class _Snapshot(Hook):
    """Copies the trainable parameters as training starts (after their init) and
    keeps the validation metrics."""

    priority = 'VERY_LOW'
    metrics = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics = metrics

    def before_train(self, runner) -> None:
        self.params = {k: p.detach().clone() for k, p in runner.model.named_parameters()
                       if p.requires_grad}


class _Restored(Hook):
    """Copies the optimizer state as the resumed run starts, before other hooks
    (e.g. ``FixedLrHook``) rewrite learning rates."""

    priority = 'HIGHEST'

    def before_train(self, runner) -> None:
        state = runner.optim_wrapper.state_dict()  # hooks rewrite the groups, not the state
        self.optimizer = dict(state, param_groups=copy.deepcopy(state['param_groups']))


def _train_save_resume(rel, roots, work_dir, pretrained=None):
    """Train the shrunk config, check its checkpoint, resume from it.

    Returns the checkpoint and the validation metrics of the training run.
    """
    cfg = _shrunk(tr.train_config(rel, work_dir), roots, pretrained)
    runner = tr.build_runner(cfg)
    snapshot = _Snapshot()
    runner.register_hook(snapshot)
    runner.train()
    # Not distributed: mmengine's Runner reverted every SyncBN to BN (relied on here).
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in runner.model.modules())
    if 'SyncBN' in str(cfg.model):
        assert any(type(m).__name__ == '_BatchNormXd' for m in runner.model.modules())
    moved = [k for k, p in runner.model.named_parameters()
             if k in snapshot.params and not torch.equal(p, snapshot.params[k])]
    assert moved, f'{rel}: no trainable parameter changed in training'
    iters = len(runner.train_dataloader)
    assert iters >= 2 and runner.iter == iters and runner.epoch == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss), f'{rel}: loss {loss}'

    path = osp.join(work_dir, 'epoch_1.pth')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == path
    ckpt = _load(path)
    assert ckpt['meta']['iter'] == iters and ckpt['meta']['epoch'] == 1
    model_state = runner.model.state_dict()  # no copy: this runner trains no more
    _assert_tensors_equal(ckpt['state_dict'], model_state, f'{rel}: saved model')
    assert ckpt['optimizer']['state'], f'{rel}: no optimizer state was saved'
    boxed = _boxed(runner)
    if boxed is not None:
        _assert_same_tree(ckpt['ccrop_boxes'], boxed.state_dict(), 'ccrop_boxes')
    del runner

    cfg = _shrunk(tr.train_config(rel, work_dir, resume=path), roots, pretrained)
    resumed = tr.build_runner(cfg)
    restored = _Restored()
    resumed.register_hook(restored)
    resumed.train()  # resumes at the end of epoch 1 of 1: nothing left to train
    assert resumed.iter == iters and resumed.epoch == 1
    _assert_tensors_equal(resumed.model.state_dict(), model_state, f'{rel}: resumed model')
    _assert_same_tree(restored.optimizer, ckpt['optimizer'], 'optimizer')
    if boxed is not None:
        _assert_same_tree(_boxed(resumed).state_dict(), ckpt['ccrop_boxes'], 'resumed boxes')
    return ckpt, snapshot.metrics


@pytest.mark.slow
@pytest.mark.parametrize('rel', _params(CONFIGS['pretrain']))
def test_pretrain_config_trains_saves_and_resumes(rel, fake_roots, work_dir):
    _train_save_resume(rel, fake_roots, work_dir)


@pytest.mark.slow
@pytest.mark.parametrize('rel', _params(CONFIGS['linear']))
def test_linear_config_trains_saves_and_resumes(rel, fake_roots, work_dir):
    pretrained_path = osp.join(work_dir, 'pretrained.pth')
    config = _shrunk(tr.train_config(rel, work_dir), fake_roots)  # the test-size backbone
    pretrained = _pretrained_checkpoint(config.model.backbone, pretrained_path)
    ckpt, metrics = _train_save_resume(rel, fake_roots, work_dir, pretrained=pretrained_path)
    # The frozen backbone is the pretrained one, BN statistics included, after training.
    backbone = {k[len('backbone.'):]: v for k, v in ckpt['state_dict'].items()
                if k.startswith('backbone.')}
    _assert_tensors_equal(backbone, pretrained, f'{rel}: trained backbone vs pretrained')
    # The validation split was scored at the end of the epoch.
    assert metrics is not None, f'{rel}: the validation split was not scored'
    assert 0 <= metrics['accuracy/top1'] <= metrics['accuracy/top5'] <= 100


@pytest.mark.slow
@pytest.mark.parametrize('rel', _params(CONFIGS['knn']))
def test_knn_config_scores_a_pretraining_checkpoint(rel, fake_roots, work_dir):
    ckpt_path = osp.join(work_dir, 'pretrained.pth')
    cfg = _shrunk(tr.test_config(rel, work_dir, ckpt_path), fake_roots)
    pretrained = _pretrained_checkpoint(cfg.model.backbone, ckpt_path)
    runner = tr.build_runner(cfg)
    metrics = runner.test()
    assert {'accuracy/top1', 'accuracy/top5'} <= set(metrics), metrics
    assert 0 <= metrics['accuracy/top1'] <= metrics['accuracy/top5'] <= 100
    _assert_tensors_equal(runner.model.backbone.state_dict(), pretrained, f'{rel}: backbone')


def _refresh_cover(paths):
    """ccrop configs whose boxes refresh, few enough to cover every algorithm and
    every dataset type among them at least once (greedy, in path order)."""
    keys = {}
    for path in (p for p in paths if 'ccrop' in osp.basename(p)):  # parsing takes time
        cfg = Config.fromfile(osp.join(tr.ROOT, path))
        hooks = [h for h in cfg.get('custom_hooks', []) if h.type == 'BoxRefreshHook']
        if hooks and hooks[0].get('interval', 20) is not None:
            dataset = cfg.train_dataloader.dataset.dataset
            keys[path] = {('model', cfg.model.type), ('data', dataset.type)}
    chosen, covered = [], set()
    while keys and not set().union(*keys.values()) <= covered:
        best = max(keys, key=lambda p: len(keys[p] - covered))
        chosen.append(best)
        covered |= keys.pop(best)
    return sorted(chosen)


@pytest.mark.slow
@pytest.mark.parametrize('rel', _params(_refresh_cover(CONFIGS['pretrain'])))
def test_ccrop_config_refreshes_boxes_and_resumes_them(rel, fake_roots, work_dir):
    """Schedule keys changed on purpose: warm-up 1, interval 1, 2 epochs, so the boxes
    are localised after epoch 1 and crop epoch 2.

    ImageNet-format configs run at 64 px, so that a ResNet-50's last map is 2x2
    (at 32 px it is 1x1: a constant heatmap, which gives the full box flagged
    degenerate).  On an untrained network the k = 0.1 boxes are the full image;
    what is checked is that the refresh runs, logs, is checkpointed and comes back.
    """
    size = 64 if 'ImageFolder' in str(Config.fromfile(osp.join(tr.ROOT, rel)).train_dataloader) \
        else tr.SIZE
    cfg = _shrunk(tr.train_config(rel, work_dir), fake_roots, size=size)
    hook = next(h for h in cfg.custom_hooks if h.type == 'BoxRefreshHook')
    hook.update(warmup_epochs=1, interval=1)
    cfg.train_cfg.max_epochs = 2
    runner = tr.build_runner(cfg)
    runner.train()
    refresh = next(h for h in runner.hooks if type(h).__name__ == 'BoxRefreshHook')
    stats = refresh.last_stats
    assert {'box_mean_area', 'box_full_frac', 'box_degenerate'} <= set(stats)
    assert stats['box_degenerate'] == 0, stats
    dataset = _boxed(runner)
    boxes = dataset.boxes
    assert dataset.active and boxes.shape == (len(dataset), 4)
    assert bool(((boxes >= 0) & (boxes <= 1)).all()) and bool((boxes[:, :2] < boxes[:, 2:]).all())
    path = osp.join(work_dir, 'epoch_2.pth')
    _assert_same_tree(_load(path)['ccrop_boxes'], dataset.state_dict(), 'ccrop_boxes')
    cfg = _shrunk(tr.train_config(rel, work_dir, resume=path), fake_roots, size=size)
    next(h for h in cfg.custom_hooks if h.type == 'BoxRefreshHook').update(
        warmup_epochs=1, interval=1)
    cfg.train_cfg.max_epochs = 2
    resumed = tr.build_runner(cfg)
    resumed.train()
    assert torch.equal(_boxed(resumed).boxes, boxes) and _boxed(resumed).active


def test_discovery_finds_every_kind():
    assert len(CONFIGS['pretrain']) >= 30 and CONFIGS['linear'] and CONFIGS['knn']
    assert not any('/_base_/' in p for kind in CONFIGS.values() for p in kind)
