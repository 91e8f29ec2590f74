"""Run a shipped config as a user would, on fabricated data, at test size.

The config goes through ``tools/train.py``'s own ``build_config`` (or
``tools/test.py``'s steps for the kNN configs) and mmengine's Runner; then
:func:`shrink` changes only what does not alter the method:

- paths: every dataset's ``data_root`` (to a fabricated copy of its real
  format), the ``Pretrained`` checkpoint of the linear probes, ``work_dir``;
- image sizes: crop sizes (``size`` of any ``*Crop`` transform,
  ``crop_size``), the short side of eval ``Resize`` (so that the centre
  crop still crops), ``BoxRefreshHook.eval_size`` and a backbone's
  ``img_size``, all to ``size`` (default :data:`SIZE`; 256 -> ``9 * size / 8``);
- batch and workers: every loader's (and ``BoxRefreshHook``'s)
  ``batch_size`` to :data:`BATCH`, ``num_workers`` to 0,
  ``persistent_workers`` off;
- counts: ``max_epochs`` 1 (the fabricated training splits hold 2 batches),
  ``max_iters`` 2, ``val_interval`` 1.

Two things change because there is no GPU, as they would for a user on a
CPU: mmengine's Runner turns SyncBN into BN when not distributed (it logs
"Distributed training is not used, all SyncBatchNorm (SyncBN) layers in the
model will be automatically reverted"), and ``AmpOptimWrapper``, which
mmengine refuses to build without CUDA, becomes ``OptimWrapper``.

Every change is recorded (``(key path, old, new)``), and
:data:`ALLOWED_KEYS` is what the test lets it touch.
"""
import argparse
import glob
import importlib.util
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.visualization import Visualizer

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIZE = 32
BATCH = 2

#: dataset type -> the fabricated format it reads (a key of the session's roots).
FORMATS = {'CIFAR10': 'cifar10', 'CIFAR100': 'cifar100', 'STL10': 'stl10',
           'TinyImageNet200': 'tinyimagenet', 'ImageFolder': 'imagenet'}
#: The last component of every key :func:`shrink` may change.
ALLOWED_KEYS = {'data_root', 'checkpoint', 'work_dir', 'size', 'crop_size', 'scale', 'eval_size',
                'img_size', 'batch_size', 'num_workers', 'persistent_workers', 'max_epochs',
                'max_iters', 'val_interval',
                # CPU only: AmpOptimWrapper -> OptimWrapper.
                'optim_wrapper.type', 'optim_wrapper.loss_scale', 'optim_wrapper.dtype'}

Change = Tuple[str, object, object]


def discover() -> Dict[str, List[str]]:
    """Config paths (relative to the repository) by kind: ``'pretrain'``
    (``configs/selfsup``), ``'linear'`` and ``'knn'`` (classification benchmarks
    of scope mmccrop)."""
    def rel(pattern):
        paths = glob.glob(osp.join(ROOT, pattern), recursive=True)
        return sorted(osp.relpath(p, ROOT) for p in paths if '/_base_/' not in p)

    # mmpretrain-scope configs (the ViT linear probe and fine-tuning) run through
    # `mim train mmpretrain` with mmpretrain's datasets: tests/test_vit_eval trains them.
    bench = [p for p in rel('configs/benchmarks/classification/**/*.py')
             if Config.fromfile(osp.join(ROOT, p)).get('default_scope') != 'mmpretrain']
    return dict(pretrain=rel('configs/selfsup/**/*.py'),
                knn=[p for p in bench if Config.fromfile(osp.join(ROOT, p)).get(
                    'test_cfg', {}).get('type') == 'KNNTestLoop'],
                linear=[p for p in bench if Config.fromfile(osp.join(ROOT, p)).get(
                    'test_cfg', {}).get('type') != 'KNNTestLoop'])


def load_tool(name: str):
    """``tools/<name>.py`` as a module (its functions, not its ``main``)."""
    spec = importlib.util.spec_from_file_location(f'_tool_{name}',
                                                  osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_config(rel_path: str, work_dir: str, resume: Optional[str] = None) -> Config:
    """The config as ``python tools/train.py CONFIG --work-dir W [--resume R]`` builds it."""
    args = argparse.Namespace(config=osp.join(ROOT, rel_path), work_dir=work_dir, resume=resume,
                              amp=False, cfg_options=None, launcher='none', local_rank=0)
    return load_tool('train').build_config(args)


def test_config(rel_path: str, work_dir: str, checkpoint: str) -> Config:
    """The config as ``python tools/test.py CONFIG CHECKPOINT --work-dir W`` builds it."""
    cfg = Config.fromfile(osp.join(ROOT, rel_path))
    cfg.launcher = 'none'
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The runner both tools build: the config's ``runner_type`` or mmengine's.

    The configs name their visualizer (``name='visualizer'``), and mmengine
    keeps one instance per name per process: a second Runner would log into
    the first one's directory.  Each tool run is a process of its own, so
    the instance is dropped first.
    """
    name = cfg.get('visualizer', {}).get('name')
    if name is not None:
        Visualizer._instance_dict.pop(name, None)
    if 'runner_type' in cfg:
        from mmccrop.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def _small_scale(scale, size):
    ints = scale if isinstance(scale, (list, tuple)) else (scale, )
    if not all(isinstance(v, int) for v in ints):
        return scale
    new = tuple(v if v >= 1 << 16 else size * 9 // 8 for v in ints)
    return new if isinstance(scale, (list, tuple)) else new[0]


def _square(value, size):
    return (size, size) if isinstance(value, (list, tuple)) else size


def shrink(cfg: Config, roots: Dict[str, str], pretrained: Optional[str] = None,
           size: int = SIZE) -> List[Change]:
    """Apply the test-size overrides listed in the module docstring, in place.

    Args:
        cfg: A config from :func:`train_config` or :func:`test_config`.
        roots: Fabricated ``data_root`` by format (see :data:`FORMATS`).
        pretrained: Checkpoint for ``init_cfg=dict(type='Pretrained', ...)``.
        size: The crop / eval size (default :data:`SIZE`).

    Returns:
        The changes made, ``(dotted key, old value, new value)``.
    """
    changes: List[Change] = []

    def put(node, key, value, path):
        if node.get(key) != value:
            changes.append((f'{path}.{key}'.lstrip('.'), node.get(key), value))
            node[key] = value

    def visit(node, path):
        if isinstance(node, (list, tuple)):
            for i, child in enumerate(node):
                visit(child, f'{path}.{i}')
            return
        if not isinstance(node, dict):
            return
        kind = node.get('type')
        kind = kind if isinstance(kind, str) else ''
        if 'dataset' in node and 'batch_size' in node:  # a dataloader
            put(node, 'batch_size', BATCH, path)
            put(node, 'num_workers', 0, path)
            put(node, 'persistent_workers', False, path)
        if 'data_root' in node and kind:  # a dataset (not a top-level variable)
            if kind not in FORMATS:
                raise AssertionError(f'{path}: dataset type {kind!r} has no fabricated format; '
                                     'add a writer to tests/_data_formats.py and FORMATS')
            put(node, 'data_root', roots[FORMATS[kind]], path)
        if kind == 'Pretrained' and pretrained is not None:
            put(node, 'checkpoint', pretrained, path)
        if kind.endswith('Crop') and isinstance(node.get('size'), (int, list, tuple)):
            put(node, 'size', _square(node['size'], size), path)
        if 'crop_size' in node:
            put(node, 'crop_size', _square(node['crop_size'], size), path)
        if 'Resize' in kind and 'Crop' not in kind and 'scale' in node:
            put(node, 'scale', _small_scale(node['scale'], size), path)
        if 'img_size' in node:
            put(node, 'img_size', _square(node['img_size'], size), path)
        if kind.endswith('Hook'):
            if 'eval_size' in node:
                put(node, 'eval_size', _square(node['eval_size'], size), path)
            for key, value in (('batch_size', BATCH), ('num_workers', 0)):
                if node.get(key) is not None:
                    put(node, key, value, path)
        for key, child in list(node.items()):
            visit(child, f'{path}.{key}')

    visit(cfg._cfg_dict, '')
    for key, value in (('max_epochs', 1), ('max_iters', 2), ('val_interval', 1)):
        if key in cfg.get('train_cfg', {}):
            put(cfg.train_cfg, key, value, 'train_cfg')
    wrapper = cfg.get('optim_wrapper')
    if wrapper is not None and wrapper.get('type') == 'AmpOptimWrapper' \
            and not torch.cuda.is_available():
        put(wrapper, 'type', 'OptimWrapper', 'optim_wrapper')
        for key in ('loss_scale', 'dtype'):
            if key in wrapper:
                changes.append((f'optim_wrapper.{key}', wrapper.pop(key), None))
    return changes


def disallowed(changes: List[Change]) -> List[Change]:
    """The changes whose key :data:`ALLOWED_KEYS` does not cover."""
    return [c for c in changes if c[0].rsplit('.', 1)[-1] not in ALLOWED_KEYS
            and c[0] not in ALLOWED_KEYS]

