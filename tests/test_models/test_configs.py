"""Every Siamese pretraining config and every classification benchmark config
parses and builds its model (default scope mmccrop)."""
import glob
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmccrop.registry import HOOKS, MODELS
from mmccrop.utils import register_all_modules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METHODS = ('simclr', 'mocov2', 'byol', 'simsiam')
SELFSUP = sorted(p for m in METHODS
                 for p in glob.glob(os.path.join(ROOT, 'configs/selfsup', m, '*.py')))
BENCH = sorted(glob.glob(os.path.join(ROOT, 'configs/benchmarks/classification/**/*.py'),
                         recursive=True))
# The mmpretrain-scope ViT probe and fine-tuning configs build in mmpretrain's scope
# (tests/test_vit_eval builds and trains them).
BENCH = [p for p in BENCH if '/_base_/' not in p and not os.path.basename(p).startswith(
    'vit-small-p16_8xb128-')]


def _rel(p):
    return os.path.relpath(p, ROOT)


def test_configs_exist():
    names = {os.path.basename(p) for p in SELFSUP}
    for method in METHODS:
        for data in ('cifar10', 'cifar100'):
            for crop in ('rcrop', 'ccrop'):
                assert any(n.startswith(method + '_resnet18_') and n.endswith(
                    f'_{data}-{crop}.py') for n in names), (method, data, crop)
    for crop in ('rcrop', 'ccrop'):
        for epochs in (100, 200):
            assert f'mocov2_resnet50_8xb32-coslr-{epochs}e_in1k-{crop}.py' in names
        for data in ('stl10', 'tinyimagenet'):
            assert any(n.startswith('simclr_') and n.endswith(f'_{data}-{crop}.py')
                       for n in names), (data, crop)
    assert any('_in200-' in n for n in names)
    assert BENCH, 'no classification benchmark configs'


def _build(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmccrop', _rel(path)
    with DefaultScope.overwrite_default_scope('mmccrop'):
        model = MODELS.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
    return cfg, model


@pytest.mark.parametrize('path', SELFSUP, ids=_rel)
def test_selfsup_config_builds(path):
    cfg, model = _build(path)
    name = os.path.basename(path)
    assert name.startswith(type(model).__name__.lower()), name
    ds = cfg.train_dataloader.dataset
    hooks = [h['type'] for h in cfg.get('custom_hooks', [])]
    if name.endswith('-ccrop.py'):
        assert ds.type == 'BoxedDataset', name
        hook = next(h for h in cfg.custom_hooks if h['type'] == 'BoxRefreshHook')
        assert hook['threshold'] == 0.1
        small = '_in1k' not in name and '_in200' not in name
        assert (hook['warmup_epochs'], hook['interval']) == ((100, 100) if small else (20, 20))
        assert 'ContrastiveCrop' in str(cfg.train_dataloader), name
    else:
        assert ds.type != 'BoxedDataset' and 'BoxRefreshHook' not in hooks, name
        assert 'ContrastiveCrop' not in str(cfg.train_dataloader), name
    if name.startswith('simsiam'):
        assert 'FixedLrHook' in hooks
    for hook in cfg.get('custom_hooks', []):
        with DefaultScope.overwrite_default_scope('mmccrop'):
            HOOKS.build(hook)  # the arguments are accepted
    # The model normalises like the dataset config says.
    assert cfg.model.data_preprocessor == cfg.data_preprocessor, name
    assert cfg.train_dataloader.get('drop_last', False), 'ranks need equal batches'


@pytest.mark.parametrize('path', BENCH, ids=_rel)
def test_benchmark_config_builds(path):
    cfg, model = _build(path)
    if 'linear' in os.path.basename(path):
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        assert trainable and all(n.startswith('head.') for n in trainable), trainable
