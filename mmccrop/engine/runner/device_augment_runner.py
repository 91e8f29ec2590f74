"""Switch a training config to the device augmentation path, and a Runner that does it.

Any self-supervised config of mmccrop switches with one override (see
``docs/speed.md``)::

    python tools/train.py CONFIG --cfg-options runner_type=DeviceAugmentRunner

or, in a config, ``_base_ = [CONFIG, 'mmccrop::selfsup/_base_/device_augment.py']``.
:class:`DeviceAugmentRunner` rewrites the config with :func:`to_device_augment`
before building anything, so the work dir's dumped config shows the
pipeline that ran.
"""
import copy
from typing import Iterator, List, Optional

from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner

from mmccrop.registry import RUNNERS

#: Options of the switch (the config's ``device_augment`` dict).
DEFAULTS = dict(decode='loader', crop_method='auto')
_PREPROCESSORS = ('SelfSupDataPreprocessor', 'mmccrop.SelfSupDataPreprocessor')
_LOAD_DEFAULTS = dict(to_float32=False, color_type='color', imdecode_backend='cv2')


def _pipelines(dataset: dict, where: str) -> Iterator[tuple]:
    """``(pipeline list, where)`` of a dataset config and of every dataset it wraps."""
    if not isinstance(dataset, dict):
        return
    if isinstance(dataset.get('pipeline'), list):
        yield dataset['pipeline'], where
    if isinstance(dataset.get('dataset'), dict):
        yield from _pipelines(dataset['dataset'], where + '.dataset')
    for i, child in enumerate(dataset.get('datasets') or []):
        yield from _pipelines(child, f'{where}.datasets.{i}')


def _type(t) -> str:
    name = t.get('type', '') if isinstance(t, dict) else ''
    return name.split('.', 1)[-1] if isinstance(name, str) else ''


def rewrite_pipeline(pipeline: List[dict], decode: str = 'loader',
                     where: str = 'pipeline') -> List[dict]:
    """The device-path version of a ``[LoadImageFromFile,] MultiView, PackSelfSupInputs`` pipeline.

    ``MultiView`` becomes :class:`MultiViewParams` (same arguments),
    ``PackSelfSupInputs`` becomes :class:`PackViewParams` (same
    ``meta_keys``); with ``decode='device'``, ``LoadImageFromFile`` (with its
    default colour, BGR, cv2 settings) becomes :class:`LoadImageBytes`.
    Other transforms before ``MultiView`` stay (they need the decoded image,
    so not with ``decode='device'``).
    """
    if decode not in ('loader', 'device'):
        raise ValueError(f"device_augment.decode must be 'loader' or 'device', got {decode!r}")
    types = [_type(t) for t in pipeline]
    if types.count('MultiView') != 1 or types.count('PackSelfSupInputs') != 1 \
            or types.index('PackSelfSupInputs') != types.index('MultiView') + 1:
        raise ValueError(f'{where}: the device path needs one MultiView followed by '
                         f'PackSelfSupInputs, got {types}')
    out = []
    for t, name in zip(pipeline, types):
        t = copy.deepcopy(t)
        if name == 'MultiView':
            extra = set(t) - {'type', 'transforms', 'num_views', 'collect_keys'}
            if extra:
                raise ValueError(f'{where}: MultiView options {sorted(extra)} have no device '
                                 'version')
            t = dict(type='MultiViewParams', transforms=t['transforms'],
                     num_views=t['num_views'])
        elif name == 'PackSelfSupInputs':
            t = dict(type='PackViewParams', **{k: v for k, v in t.items() if k != 'type'})
        elif name == 'LoadImageFromFile' and decode == 'device':
            odd = {k: t[k] for k, v in _LOAD_DEFAULTS.items() if k in t and t[k] != v}
            if odd or t.get('channel_order', 'bgr') != 'bgr':
                raise ValueError(f"{where}: decode='device' decodes colour BGR images like "
                                 f'LoadImageFromFile\'s defaults, got {t}')
            t = dict(type='LoadImageBytes', ignore_empty=t.get('ignore_empty', False),
                     backend_args=t.get('backend_args'))
        elif decode == 'device' and name not in ('MultiViewParams', 'PackViewParams') \
                and out and _type(out[-1]) == 'LoadImageBytes':
            raise ValueError(f"{where}: {name} needs the decoded image; use decode='loader'")
        out.append(t)
    return out


def to_device_augment(cfg: Config, decode: Optional[str] = None,
                      crop_method: Optional[str] = None) -> Config:
    """A copy of ``cfg`` whose training batches are augmented on the model's device.

    The train dataloader's pipelines (through dataset wrappers such as
    ``BoxedDataset``) go through :func:`rewrite_pipeline`, and the model's
    ``SelfSupDataPreprocessor`` becomes :class:`DeviceAugmentPreprocessor`
    with the same mean, std and channel options.  Options come from the
    arguments, else from ``cfg.device_augment``, else :data:`DEFAULTS`.
    Validation and test loaders are left alone.

    Raises:
        ValueError: naming the config key, for a train pipeline or
            preprocessor the device path cannot run.
    """
    cfg = copy.deepcopy(cfg)
    opts = dict(DEFAULTS)
    opts.update(cfg.get('device_augment') or {})
    opts.update({k: v for k, v in dict(decode=decode, crop_method=crop_method).items()
                 if v is not None})
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise ValueError(f'device_augment: unknown options {sorted(unknown)}; known: '
                         f'{sorted(DEFAULTS)}')
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError('to_device_augment: the config has no train_dataloader.dataset')
    found = list(_pipelines(loader['dataset'], 'train_dataloader.dataset'))
    if not found:
        raise ValueError('to_device_augment: no pipeline under train_dataloader.dataset')
    for pipeline, where in found:
        pipeline[:] = [ConfigDict(t) for t in rewrite_pipeline(
            pipeline, opts['decode'], where + '.pipeline')]
    model = cfg.get('model')
    if not isinstance(model, dict):
        raise ValueError('to_device_augment: the config has no model dict')
    pre = dict(model.get('data_preprocessor') or dict(type='SelfSupDataPreprocessor'))
    if pre.get('type') not in _PREPROCESSORS:
        raise ValueError(f"model.data_preprocessor: the device path replaces "
                         f"SelfSupDataPreprocessor, got type {pre.get('type')!r}")
    pre.update(type='DeviceAugmentPreprocessor', crop_method=opts['crop_method'])
    model['data_preprocessor'] = ConfigDict(pre)
    cfg['device_augment'] = opts
    return cfg


@RUNNERS.register_module()
class DeviceAugmentRunner(Runner):
    """mmengine's Runner, on a config switched by :func:`to_device_augment`.

    Selected with ``runner_type='DeviceAugmentRunner'`` (``tools/train.py``
    builds it from ``RUNNERS``); options in the config's ``device_augment``
    dict (``decode``: ``'loader'`` or ``'device'``; ``crop_method``:
    ``'auto'``, ``'batched'`` or ``'loop'``).
    """

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'Runner':
        if not isinstance(cfg, Config):
            cfg = Config(cfg)
        return super().from_cfg(to_device_augment(cfg))
