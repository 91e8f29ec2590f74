"""Map self-supervised checkpoints to backbone-only ResNet state dicts.

Pure key mapping with no mmengine/mmcv import, used by
``tools/model_converters/extract_backbone.py`` and the transfer tests.

Source formats (``detect_source`` tells them apart by their keys):

* ``mmccrop``: our Runner checkpoints (``state_dict`` with the online/query
  ResNet under ``backbone.``; momentum copies such as ``momentum_encoder.``,
  ``target_net.`` or ``key_encoder.`` and all necks/heads are dropped).
* ``ccrop-official``: the ContrastiveCrop authors' checkpoints, whose weights
  sit in ``moco_state`` / ``byol_state`` (query encoder under
  ``module.encoder_q.``), ``simsiam_state`` (``module.encoder.``),
  ``simclr_state`` or a linear-eval ``model_state`` (``module.``).
* ``moco``: MoCo v1/v2 (``state_dict`` with ``module.encoder_q.``).
* ``snclr``: SNCLR / MoCo v3 ResNet (``module.base_encoder.``).
* ``torchvision``: a plain torchvision/mmdet ResNet state dict (also what
  this module writes, so converting a converted file is a no-op).

Targets: ``mmdet`` and ``torchvision`` keep torchvision naming (``conv1``,
``bn1``, ``layerN.i.convK``, ``downsample.0/1``), which mmdet's and mmseg's
standard-stem ``ResNet`` share; ``fc`` is dropped.  ``detectron2`` renames to
the layout of MoCo's detectron2 converter (``stem.conv1.norm``,
``res2``..``res5``, ``convK.norm``, ``shortcut``).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

SOURCES = ('mmccrop', 'ccrop-official', 'moco', 'snclr', 'torchvision')
TARGETS = ('mmdet', 'torchvision', 'detectron2')

# Containers that hold the weights inside a checkpoint dict, per format.
CCROP_CONTAINERS = ('moco_state', 'byol_state', 'simsiam_state', 'simclr_state', 'model_state')
GENERIC_CONTAINERS = ('state_dict', 'model')

# Where the online/query ResNet lives, per source, most specific first.  The
# momentum/target copies (``encoder_k``, ``momentum_encoder``, ...) are never
# listed, so they always end up dropped.
BACKBONE_PREFIXES: Dict[str, Tuple[str, ...]] = {
    'mmccrop': ('backbone.', 'module.backbone.'),
    'ccrop-official': ('module.encoder_q.', 'module.encoder.', 'module.', ''),
    'moco': ('module.encoder_q.', 'encoder_q.'),
    'snclr': ('module.base_encoder.', 'base_encoder.'),
    'torchvision': ('', 'module.'),
}

# The marker keys a torchvision-style ResNet always has.
_STEM_KEY = 'conv1.weight'
_FIRST_BLOCK_KEY = 'layer1.0.conv1.weight'
_BACKBONE_KEY = re.compile(r'^(conv1\.|bn1\.|layer[1-4]\.)')


class UnknownCheckpointFormat(ValueError):
    """Raised when no known ResNet layout is found; the message lists keys seen."""


@dataclass
class Conversion:
    """Outcome of :func:`convert_state_dict`.

    Attributes:
        state_dict: Output weights in the target naming (values untouched).
        source: The source format that was used.
        prefix: The prefix stripped from the kept keys.
        kept: Output keys whose name did not change.
        renamed: ``(old, new)`` pairs for keys whose name changed.
        dropped: Input keys that are not in the output.
    """

    state_dict: OrderedDict[str, Any]
    source: str
    prefix: str
    kept: List[str] = field(default_factory=list)
    renamed: List[Tuple[str, str]] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)


def _is_tensor_like(value: Any) -> bool:
    return hasattr(value, 'shape') and hasattr(value, 'dtype')


def _is_state_dict(obj: Any) -> bool:
    return (isinstance(obj, Mapping) and len(obj) > 0
            and all(isinstance(k, str) for k in obj)
            and sum(_is_tensor_like(v) for v in obj.values()) >= len(obj) / 2)


def unwrap_checkpoint(ckpt: Any) -> Tuple[Mapping[str, Any], Optional[str]]:
    """Return ``(state_dict, container_key)`` from a loaded checkpoint.

    ``container_key`` is the top-level key that held the weights (e.g.
    ``'state_dict'`` or ``'moco_state'``), or None for a bare state dict.

    Raises:
        UnknownCheckpointFormat: If no tensor dict is found.
    """
    if not isinstance(ckpt, Mapping):
        raise UnknownCheckpointFormat(
            f'expected a dict checkpoint, got {type(ckpt).__name__}')
    for key in CCROP_CONTAINERS + GENERIC_CONTAINERS:
        if key in ckpt and _is_state_dict(ckpt[key]):
            return ckpt[key], key
    if _is_state_dict(ckpt):
        return ckpt, None
    raise UnknownCheckpointFormat(
        'no state dict found; top-level keys: ' + describe_keys(list(ckpt)))


def describe_keys(keys: Sequence[str], limit: int = 12) -> str:
    """Short, readable listing of (at most ``limit``) key names."""
    keys = list(keys)
    shown = ', '.join(repr(k) for k in keys[:limit])
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'[{shown}{more}]'


def find_prefix(keys: Sequence[str], candidates: Sequence[str]) -> Optional[str]:
    """First candidate ``p`` such that ``p + 'conv1.weight'`` and
    ``p + 'layer1.0.conv1.weight'`` are both keys (None if there is none)."""
    keyset = set(keys)
    for prefix in candidates:
        if prefix + _STEM_KEY in keyset and prefix + _FIRST_BLOCK_KEY in keyset:
            return prefix
    return None


def detect_source(state_dict: Mapping[str, Any], container: Optional[str] = None) -> str:
    """Guess the source format of ``state_dict`` (see the module docstring).

    Args:
        state_dict: The weights, as returned by :func:`unwrap_checkpoint`.
        container: The top-level key that held them, if any.

    Raises:
        UnknownCheckpointFormat: Naming the keys seen, if nothing matches.
    """
    keys = list(state_dict)
    if container in CCROP_CONTAINERS:
        if find_prefix(keys, BACKBONE_PREFIXES['ccrop-official']) is not None:
            return 'ccrop-official'
    # The order matters: an authors' SimCLR file is also a DDP torchvision
    # file, and plain torchvision matches last.
    for source in ('snclr', 'moco', 'mmccrop', 'torchvision'):
        if find_prefix(keys, BACKBONE_PREFIXES[source]) is not None:
            return source
    where = f" (in '{container}')" if container else ''
    raise UnknownCheckpointFormat(
        f'unknown checkpoint format: no ResNet backbone found{where}. Expected '
        f"'conv1.weight' and 'layer1.0.conv1.weight' under one of the prefixes "
        f'{sorted({p for ps in BACKBONE_PREFIXES.values() for p in ps if p})} or none. '
        f'Keys seen ({len(keys)}): {describe_keys(keys)}')


def _to_detectron2(name: str) -> str:
    """torchvision ResNet key -> MoCo-detectron2 key (``layer1.0.bn1.weight``
    -> ``res2.0.conv1.norm.weight``; ``conv1.weight`` -> ``stem.conv1.weight``)."""
    if not name.startswith('layer'):
        name = 'stem.' + name
    name = re.sub(r'layer([1-4])', lambda m: f'res{int(m.group(1)) + 1}', name)
    name = re.sub(r'\bbn([1-3])\b', r'conv\1.norm', name)
    name = name.replace('downsample.0', 'shortcut').replace('downsample.1', 'shortcut.norm')
    return name


def convert_state_dict(state_dict: Mapping[str, Any], source: str = 'auto',
                       target: str = 'mmdet',
                       container: Optional[str] = None) -> Conversion:
    """Extract the online ResNet backbone and rename it for ``target``.

    Args:
        state_dict: Input weights (see :func:`unwrap_checkpoint`).
        source: One of :data:`SOURCES` or ``'auto'``.
        target: One of :data:`TARGETS`.
        container: Top-level key that held ``state_dict`` (helps ``auto``).

    Returns:
        Conversion: the output state dict plus kept/renamed/dropped names.

    Raises:
        ValueError: For an unknown ``source``/``target`` name.
        UnknownCheckpointFormat: If the backbone is not found under the
            prefixes of ``source``.
    """
    if source != 'auto' and source not in SOURCES:
        raise ValueError(f'source must be auto or one of {SOURCES}, got {source!r}')
    if target not in TARGETS:
        raise ValueError(f'target must be one of {TARGETS}, got {target!r}')
    if source == 'auto':
        source = detect_source(state_dict, container)
    keys = list(state_dict)
    prefix = find_prefix(keys, BACKBONE_PREFIXES[source])
    if prefix is None:
        raise UnknownCheckpointFormat(
            f"--source {source}: no ResNet backbone under "
            f'{list(BACKBONE_PREFIXES[source])}. Keys seen ({len(keys)}): '
            f'{describe_keys(keys)}')

    out: OrderedDict[str, Any] = OrderedDict()
    result = Conversion(state_dict=out, source=source, prefix=prefix)
    for key in keys:
        if not key.startswith(prefix):
            result.dropped.append(key)
            continue
        name = key[len(prefix):]
        # fc / projection MLPs replacing fc, and anything outside the ResNet.
        if not _BACKBONE_KEY.match(name):
            result.dropped.append(key)
            continue
        if target == 'detectron2':
            # BN step counters carry no weights; detectron2 has no use for them.
            if name.endswith('num_batches_tracked'):
                result.dropped.append(key)
                continue
            name = _to_detectron2(name)
        out[name] = state_dict[key]
        if name == key:
            result.kept.append(name)
        else:
            result.renamed.append((key, name))
    return result


def summarize_names(names: Sequence[str], limit: int = 8, depth: int = 2) -> List[str]:
    """Names as given when there are at most ``limit``; otherwise grouped by
    their first ``depth`` dotted components, each group shown by its longest
    common dotted prefix (``'module.encoder_k.*: 320'``,
    ``'module.encoder_q.fc.*: 4'``)."""
    names = list(names)
    if len(names) <= limit:
        return names
    groups: OrderedDict[str, List[List[str]]] = OrderedDict()
    for name in names:
        parts = name.split('.')
        groups.setdefault('.'.join(parts[:depth]), []).append(parts)
    if len(groups) > 2 * limit and depth > 1:
        return summarize_names(names, limit, depth - 1)
    lines = []
    for members in groups.values():
        if len(members) == 1:
            lines.append('.'.join(members[0]))
            continue
        common = []
        for column in zip(*members):
            if any(c != column[0] for c in column):
                break
            common.append(column[0])
        lines.append('.'.join(common) + f'.*: {len(members)}')
    return lines
