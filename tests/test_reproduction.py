"""docs/reproduction.md cannot drift from the configs.

Every table of the page is preceded by ``<!-- pin: GLOB ... -->``, the configs
it describes.  Each row gives, in backticks, the value in "this config" (a
Python literal) and, in "pinned by", where it comes from: a dotted config
path (``optim_wrapper.optimizer.lr``, ``param_scheduler[0].type``) or a probe
``@name`` defined below (derived values: the total batch, the crop of the
first view, the projector as built).  Every row of every table is checked
against every config it pins, and every pretraining and classification
benchmark config must be pinned by at least one table.
"""
import ast
import fnmatch
import glob
import inspect
import math
import os
import re
from functools import cache

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from torch.nn.modules.batchnorm import _BatchNorm

from mmccrop.registry import HOOKS, MODELS, TRANSFORMS
from mmccrop.utils import register_all_modules

register_all_modules()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, 'docs', 'reproduction.md')
CONFIGS = sorted(
    os.path.relpath(p, ROOT)
    for pattern in ('configs/selfsup/**/*.py', 'configs/benchmarks/classification/**/*.py')
    for p in glob.glob(os.path.join(ROOT, pattern), recursive=True) if '/_base_/' not in p)

MISSING = object()


# ----------------------------------------------------------------------------- doc
def parse_doc(path=DOC):
    """``[(globs, [(setting, value, key), ...]), ...]`` from the pinned tables."""
    tables, lines = [], open(path, encoding='utf-8').read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r'<!-- pin: (.+?) -->', lines[i].strip())
        i += 1
        if not m:
            continue
        while i < len(lines) and not lines[i].startswith('|'):
            i += 1
        header = [c.strip() for c in lines[i].strip('|').split('|')]
        col_val, col_key = header.index('this config'), header.index('pinned by')
        rows, i = [], i + 2
        while i < len(lines) and lines[i].startswith('|'):
            cells = [c.strip() for c in lines[i].strip().strip('|').split('|')]
            value = re.match(r'`(.+?)`', cells[col_val])
            key = re.match(r'`(.+?)`', cells[col_key])
            assert value and key, f'{path}: row without a pinned value and key: {lines[i]}'
            rows.append((cells[0], ast.literal_eval(value.group(1)), key.group(1)))
            i += 1
        tables.append((m.group(1).split(), rows))
    return tables


def configs_of(globs):
    return [c for c in CONFIGS if any(fnmatch.fnmatch(c, g) for g in globs)]


# --------------------------------------------------------------------------- probes
@cache
def load(path):
    return Config.fromfile(os.path.join(ROOT, path))


def resolve(cfg, key):
    obj = cfg
    for part in key.split('.'):
        m = re.fullmatch(r'(\w+)((?:\[\d+\])*)', part)
        obj = obj.get(m.group(1), MISSING) if isinstance(obj, (dict, Config)) else MISSING
        for idx in re.findall(r'\[(\d+)\]', m.group(2)):
            obj = obj[int(idx)] if isinstance(obj, (list, tuple)) else MISSING
        if obj is MISSING:
            return MISSING
    return obj


def _defaults(registry, cfg):
    """The transform/hook's constructor defaults, updated by ``cfg``."""
    sig = inspect.signature(registry.get(cfg['type']).__init__)
    out = {k: p.default for k, p in sig.parameters.items() if p.default is not p.empty}
    out.update(cfg)
    return out


def _dataset(cfg, loader='train_dataloader'):
    ds = cfg[loader]['dataset']
    return ds['dataset'] if ds['type'] == 'BoxedDataset' else ds


def _views(cfg):
    """Transform configs of each view (or of the plain pipeline), in order."""
    for t in _dataset(cfg)['pipeline']:
        if t['type'] == 'MultiView':
            return [list(v) for v in t['transforms']]
    return [list(_dataset(cfg)['pipeline'])]


def _view_op(cfg, type_, key, default=0.):
    """``key`` of transform ``type_`` in each view; one value when the views agree."""
    vals = []
    for view in _views(cfg):
        found = [t for t in view if t['type'] == type_]
        vals.append(_defaults(TRANSFORMS, found[0])[key] if found else default)
    return vals[0] if len(set(map(repr, vals))) == 1 else tuple(vals)


def _crop(cfg):
    view = _views(cfg)[0]
    crop = next(t for t in view if t['type'] in ('RandomResizedCrop', 'ContrastiveCrop'))
    return _defaults(TRANSFORMS, crop)


def _hook(cfg, type_):
    return _defaults(HOOKS, next(h for h in cfg.get('custom_hooks', []) if h['type'] == type_))


def _norm(m):
    name = 'SyncBN' if isinstance(m, nn.SyncBatchNorm) else 'BN'
    return name if m.affine else f'{name}(no affine)'


def _render(cfg_dict):
    """The MLP as built: ``Linear(512, 512) - BN - ReLU - ...``."""
    parts = []
    for m in MODELS.build(cfg_dict).mlp:
        if isinstance(m, nn.Linear):
            bias = '' if m.bias is not None else ', no bias'
            parts.append(f'Linear({m.in_features}, {m.out_features}{bias})')
        elif isinstance(m, _BatchNorm):
            parts.append(_norm(m))
        else:
            parts.append(type(m).__name__)
    return ' - '.join(parts)


def _gpus(path):
    return int(re.search(r'_(\d+)xb(\d+)', os.path.basename(path)).group(1))


def _momentum_schedule(cfg):
    model = cfg.model
    if model.type in ('MoCoV2', 'SNCLR'):  # fixed by the class: constant / cosine to 1
        return dict(MoCoV2='constant', SNCLR='cosine')[model.type]
    sig = inspect.signature(MODELS.get(model.type).__init__)
    return model.get('momentum_schedule', sig.parameters['momentum_schedule'].default)


def _resize(t):
    if t.get('antialias', False) or t.get('backend', 'cv2') == 'pillow':
        return 'antialiased (see interpolation)'
    return f"{t.get('interpolation', 'bilinear')}, cv2"


def _test_pipeline(cfg):
    out = []
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'Resize':
            kind = 'antialiased' if t.get('backend', 'cv2') == 'pillow' else 'cv2'
            out.append(f"Resize(short side {min(t['scale'])}, {kind})")
        elif t['type'] == 'CenterCrop':
            out.append(f"CenterCrop({t['crop_size']})")
    return ' - '.join(out) or 'none'


PROBES = {
    'vit_warmup': lambda c, p: [c.param_scheduler[0]['start_factor'],
                                c.param_scheduler[0]['end'] - c.param_scheduler[0]['begin']],
    'mixing': lambda c, p: [a['alpha'] for a in c.model.train_cfg['augments']],
    'gpus_x_batch': lambda c, p: f'{_gpus(p)}x{c.train_dataloader.batch_size}',
    'total_batch': lambda c, p: _gpus(p) * c.train_dataloader.batch_size,
    'warmup_epochs': lambda c, p: sum(s['end'] - s.get('begin', 0) for s in c.param_scheduler
                                      if s['type'] == 'LinearLR'),
    'schedule': lambda c, p: [s['type'] for s in c.param_scheduler],
    'crop': lambda c, p: _crop(c)['type'],
    'crop.scale': lambda c, p: tuple(_crop(c)['scale']),
    'crop.ratio': lambda c, p: tuple(round(r, 4) for r in _crop(c)['ratio']),
    'crop.size': lambda c, p: _crop(c)['size'],
    'crop.alpha': lambda c, p: _crop(c)['alpha'],
    'crop.interpolation': lambda c, p: _crop(c)['interpolation'],
    'resize': lambda c, p: _resize(_crop(c)),
    'flip': lambda c, p: _view_op(c, 'RandomFlip', 'prob'),
    'gray': lambda c, p: _view_op(c, 'RandomGrayscale', 'prob'),
    'blur': lambda c, p: _view_op(c, 'GaussianBlur', 'prob'),
    'solarize': lambda c, p: _view_op(c, 'Solarize', 'prob'),
    'jitter': lambda c, p: tuple(_view_op(c, 'ColorJitter', k) for k in (
        'brightness', 'contrast', 'saturation', 'hue', 'prob')),
    'dataset': lambda c, p: _dataset(c)['type'],
    'split': lambda c, p: _dataset(c).get('split', _dataset(c).get('data_prefix', MISSING)),
    'ann_file': lambda c, p: _dataset(c).get('ann_file', ''),
    'test_split': lambda c, p: c.test_dataloader.dataset.get(
        'split', c.test_dataloader.dataset.get('data_prefix', MISSING)),
    'test_pipeline': lambda c, p: _test_pipeline(c),
    'refresh.warmup_epochs': lambda c, p: _hook(c, 'BoxRefreshHook')['warmup_epochs'],
    'refresh.interval': lambda c, p: _hook(c, 'BoxRefreshHook')['interval'],
    'refresh.threshold': lambda c, p: _hook(c, 'BoxRefreshHook')['threshold'],
    'refresh.eval_size': lambda c, p: _hook(c, 'BoxRefreshHook')['eval_size'],
    'fixed_lr': lambda c, p: tuple(_hook(c, 'FixedLrHook')['keys']),
    'bn': lambda c, p: c.model.backbone.get('norm_cfg', dict(type='BN'))['type'],
    'projector': lambda c, p: _render(c.model.neck),
    'predictor': lambda c, p: _render(c.model.predictor if 'predictor' in c.model
                                      else c.model.head.predictor),
    'momentum_schedule': lambda c, p: _momentum_schedule(c),
}


def evaluate(path, key):
    cfg = load(path)
    if key.startswith('@'):
        return PROBES[key[1:]](cfg, path)
    return resolve(cfg, key)


def _same(a, b):
    if isinstance(a, ConfigDict):
        a = a.to_dict()
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and math.isclose(a, b, rel_tol=1e-9)
    return type(a) is type(b) and a == b


def _check():
    """Every (config, row) pair: count, mismatches."""
    mismatches, checked = [], 0
    for globs, rows in parse_doc():
        paths = configs_of(globs)
        assert paths, f'docs/reproduction.md: {globs} pins no config'
        for path in paths:
            for setting, value, key in rows:
                checked += 1
                got = evaluate(path, key)
                if not _same(got, value):
                    got = 'missing' if got is MISSING else repr(got)
                    mismatches.append(f'{path}: {setting} ({key}) is {got}, the doc says '
                                      f'{value!r}')
    return checked, mismatches


# ---------------------------------------------------------------------------- tests
def test_every_row_matches_every_config_it_pins():
    checked, mismatches = _check()
    assert checked > 500, checked
    assert not mismatches, '\n'.join(mismatches)


def test_every_config_is_pinned_and_every_pin_is_a_config():
    pinned = set()
    for globs, rows in parse_doc():
        assert rows, globs
        for g in globs:
            assert configs_of([g]), f'docs/reproduction.md: {g} matches no config'
        pinned.update(configs_of(globs))
    assert len(CONFIGS) > 40
    assert pinned == set(CONFIGS), sorted(set(CONFIGS) - pinned)


def test_probes_and_parser_catch_a_wrong_row(tmp_path):
    doc = tmp_path / 'doc.md'
    doc.write_text('<!-- pin: configs/selfsup/simclr/*cifar10-rcrop.py -->\n'
                   '| setting | this config | pinned by |\n|---|---|---|\n'
                   '| lr | `0.3` | `optim_wrapper.optimizer.lr` |\n'
                   '| T | `0.5` | `model.head.loss.temperature` |\n')
    (globs, rows), = parse_doc(str(doc))
    path, = configs_of(globs)
    values = {s: (v, evaluate(path, k)) for s, v, k in rows}
    assert values['lr'] == (0.3, 0.5) and not _same(0.5, 0.3)
    assert _same(values['T'][1], 0.5) and not _same(1, True) and not _same(1, 1.5)
    assert evaluate(path, 'model.no.such.key') is MISSING
    assert evaluate(path, '@projector') == 'Linear(512, 512) - ReLU - Linear(512, 128)'
