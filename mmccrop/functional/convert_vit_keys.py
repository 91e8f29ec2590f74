"""Map Vision Transformer checkpoints between the timm, mmpretrain and mmseg layouts.

Pure key mapping (torch only, no mmengine; position embeddings are resized
by ``pos_embed.py``), used by ``tools/model_converters/extract_backbone.py`` for ViT checkpoints;
``convert_keys.py`` does the same for ResNets.

One ViT block in each naming (``i`` the block index, ``p`` weight or bias)::

    timm / DeiT / MoCo v3 / SNCLR   mmpretrain VisionTransformer   mmseg VisionTransformer
    patch_embed.proj.p              patch_embed.projection.p       patch_embed.projection.weight
    blocks.i.norm1.p                layers.i.ln1.p                 layers.i.ln1.p
    blocks.i.attn.qkv.p             layers.i.attn.qkv.p            layers.i.attn.attn.in_proj_p
    blocks.i.attn.proj.p            layers.i.attn.proj.p           layers.i.attn.attn.out_proj.p
    blocks.i.norm2.p                layers.i.ln2.p                 layers.i.ln2.p
    blocks.i.mlp.fc1.p              layers.i.ffn.layers.0.0.p      layers.i.ffn.layers.0.0.p
    blocks.i.mlp.fc2.p              layers.i.ffn.layers.1.p        layers.i.ffn.layers.1.p
    norm.p (the final norm)         ln1.p                          ln1.p
    cls_token, pos_embed            the same                       the same

The tensors are the same in all three (``in_proj_weight`` is the stacked
q, k, v of timm's ``qkv``), so a conversion only renames, except that mmseg's
patch projection has no bias: reading it adds a zero bias, which computes the
same function.

Sources (where the online ViT sits; momentum copies, projectors, predictors
and banks are dropped):

* ``mmccrop``: our Runner checkpoints, ``backbone.*`` in mmpretrain naming
  (or mmseg naming, from configs that used mmseg's ViT); also a bare or
  ``backbone.``-prefixed mmpretrain state dict, i.e. this module's output.
* ``snclr``: the SNCLR authors' and MoCo v3's checkpoints,
  ``module.base_encoder.*`` in timm naming, whose ``head.*`` is the projector.
* ``timm``: a timm / DeiT state dict, bare, DDP-prefixed (``module.``) or in
  ``{'model': ...}`` as MoCo v3's ``convert_to_deit.py`` writes it.

Targets: ``mmpretrain`` (keys ``backbone.<mmpretrain name>``, what an
mmpretrain ``ImageClassifier``, our ``FeatureExtractor`` and a ``Pretrained``
init with ``prefix='backbone.'`` read) and ``timm`` (bare timm names, as
``convert_to_deit.py``).  Neither has a classifier head.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import torch

from .convert_keys import Conversion, UnknownCheckpointFormat, describe_keys
from .pos_embed import grid_of, resize_pos_embed

VIT_SOURCES = ('mmccrop', 'snclr', 'timm')
VIT_TARGETS = ('mmpretrain', 'timm')
NAMINGS = ('timm', 'mmpretrain', 'mmseg')

#: Key prefix of each target's output (its file layout).
OUTPUT_PREFIX = {'mmpretrain': 'backbone.', 'timm': ''}

# Where the online ViT sits per source, most specific first, and the namings
# each source may use.
VIT_PREFIXES: Dict[str, Tuple[str, ...]] = {
    'snclr': ('module.base_encoder.', 'base_encoder.'),
    'mmccrop': ('backbone.', 'module.backbone.', ''),
    'timm': ('', 'module.'),
}
SOURCE_NAMINGS: Dict[str, Tuple[str, ...]] = {
    'snclr': ('timm', ),
    'mmccrop': ('mmpretrain', 'mmseg'),
    'timm': ('timm', ),
}

# Two keys that identify a naming (both must be present under the prefix).
_MARKERS = {
    'timm': ('patch_embed.proj.weight', 'blocks.0.attn.qkv.weight'),
    'mmpretrain': ('patch_embed.projection.weight', 'layers.0.attn.qkv.weight'),
    'mmseg': ('patch_embed.projection.weight', 'layers.0.attn.attn.in_proj_weight'),
}

# (timm template, mmpretrain template, mmseg template); {i} a block index,
# {p} weight or bias.  None: the naming has no such tensor.
_TABLE = (
    ('cls_token', 'cls_token', 'cls_token'),
    ('pos_embed', 'pos_embed', 'pos_embed'),
    ('patch_embed.proj.weight', 'patch_embed.projection.weight', 'patch_embed.projection.weight'),
    ('patch_embed.proj.bias', 'patch_embed.projection.bias', None),
    ('blocks.{i}.norm1.{p}', 'layers.{i}.ln1.{p}', 'layers.{i}.ln1.{p}'),
    ('blocks.{i}.attn.qkv.{p}', 'layers.{i}.attn.qkv.{p}', 'layers.{i}.attn.attn.in_proj_{p}'),
    ('blocks.{i}.attn.proj.{p}', 'layers.{i}.attn.proj.{p}', 'layers.{i}.attn.attn.out_proj.{p}'),
    ('blocks.{i}.norm2.{p}', 'layers.{i}.ln2.{p}', 'layers.{i}.ln2.{p}'),
    ('blocks.{i}.mlp.fc1.{p}', 'layers.{i}.ffn.layers.0.0.{p}', 'layers.{i}.ffn.layers.0.0.{p}'),
    ('blocks.{i}.mlp.fc2.{p}', 'layers.{i}.ffn.layers.1.{p}', 'layers.{i}.ffn.layers.1.{p}'),
    ('norm.{p}', 'ln1.{p}', 'ln1.{p}'),
)

# Names under the backbone prefix that are not backbone tensors, per naming:
# classifier / projector heads, and the extra norm of mmpretrain's
# out_type='avg_featmap' (the evaluation configs read the class token).
_HEAD_NAMES = {
    'timm': re.compile(r'^(head|head_dist|pre_logits)\.'),
    'mmpretrain': re.compile(r'^(head\.|ln2\.)'),
    'mmseg': re.compile(r'^head\.'),
}


def _compile(template: str) -> re.Pattern:
    pattern = re.escape(template).replace(r'\{i\}', r'(?P<i>\d+)')
    return re.compile('^' + pattern.replace(r'\{p\}', r'(?P<p>weight|bias)') + '$')


_PATTERNS = {naming: [(_compile(row[col]), row) if row[col] else (None, row) for row in _TABLE]
             for col, naming in enumerate(NAMINGS)}


@dataclass
class ViTConversion(Conversion):
    """Outcome of :func:`convert_vit_state_dict` (see :class:`Conversion`).

    Attributes:
        naming: The input naming, one of :data:`NAMINGS`.
        arch: ``embed_dims``, ``num_layers``, ``mlp_dims``, ``patch_size``
            and the position grids ``grid`` (input) and ``out_grid``.
        notes: What the conversion did besides renaming (resizing, added
            tensors), for the report.
    """

    naming: str = 'timm'
    arch: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)


def to_timm_name(name: str, naming: str) -> Optional[str]:
    """The timm name of backbone tensor ``name`` in ``naming`` (None if unknown)."""
    for pattern, row in _PATTERNS[naming]:
        m = pattern.match(name) if pattern is not None else None
        if m:
            return row[0].format(**m.groupdict())
    return None


def find_vit(keys: Sequence[str], source: str = 'auto') -> Optional[Tuple[str, str, str]]:
    """``(source, prefix, naming)`` of the first ViT found in ``keys``, or None.

    Args:
        keys: State-dict keys.
        source: One of :data:`VIT_SOURCES`, or ``'auto'`` to try them all
            (``snclr``, ``mmccrop``, ``timm``, in that order).
    """
    keyset = set(keys)
    sources = ('snclr', 'mmccrop', 'timm') if source == 'auto' else (source, )
    for src in sources:
        if src not in VIT_PREFIXES:
            continue
        for prefix in VIT_PREFIXES[src]:
            for naming in SOURCE_NAMINGS[src]:
                if all(prefix + m in keyset for m in _MARKERS[naming]):
                    return src, prefix, naming
    return None


def vit_names(num_layers: int, naming: str) -> Iterator[Tuple[str, Optional[str]]]:
    """``(timm name, name in naming)`` of each ViT tensor, in module order.

    ``num_layers`` blocks; the second name is None where ``naming`` has no such tensor.
    """
    col = NAMINGS.index(naming)
    block = [row for row in _TABLE if '{i}' in row[0]]  # contiguous in _TABLE
    rows = [(row, None) for row in _TABLE[:_TABLE.index(block[0])]]
    rows += [(row, i) for i in range(num_layers) for row in block]
    rows += [(row, None) for row in _TABLE[_TABLE.index(block[-1]) + 1:]]
    for row, i in rows:
        for p in ('weight', 'bias') if '{p}' in row[0] else (None, ):
            yield tuple(t and t.format(i=i, p=p) for t in (row[0], row[col]))  # None stays


def _check_complete(timm_sd: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """Architecture figures of a timm-named ViT; raises if a tensor is missing."""
    for key in ('cls_token', 'pos_embed', 'norm.weight'):
        if key not in timm_sd:
            raise UnknownCheckpointFormat(
                f'{where}: incomplete ViT, no {key!r} (the evaluation configs need a class '
                f'token, a position embedding and the final norm). Backbone tensors seen '
                f'({len(timm_sd)}): {describe_keys(list(timm_sd))}')
    blocks = sorted({int(k.split('.')[1]) for k in timm_sd if k.startswith('blocks.')})
    if blocks != list(range(len(blocks))):
        raise UnknownCheckpointFormat(f'{where}: ViT blocks are not numbered 0..n-1: {blocks}')
    missing = [k for k, _ in vit_names(len(blocks), 'timm') if k not in timm_sd]
    if missing:
        raise UnknownCheckpointFormat(
            f'{where}: incomplete ViT, missing {describe_keys(missing)}')
    proj = timm_sd['patch_embed.proj.weight']
    if proj.dim() != 4 or proj.shape[-1] != proj.shape[-2]:
        raise UnknownCheckpointFormat(
            f'{where}: patch projection of shape {tuple(proj.shape)} is not a square conv')
    try:
        grid = grid_of(timm_sd['pos_embed'].shape[1])
    except (ValueError, IndexError) as e:
        raise UnknownCheckpointFormat(f'{where}: {e}') from None
    return dict(embed_dims=int(proj.shape[0]), num_layers=len(blocks),
                mlp_dims=int(timm_sd['blocks.0.mlp.fc1.weight'].shape[0]),
                patch_size=int(proj.shape[-1]), grid=grid, out_grid=grid)


def convert_vit_state_dict(state_dict: Mapping[str, Any], source: str = 'auto',
                           target: str = 'mmpretrain',
                           img_size: Optional[int] = None) -> ViTConversion:
    """Extract the online ViT backbone of ``state_dict`` and rename it for ``target``.

    Args:
        state_dict: Input weights (see ``convert_keys.unwrap_checkpoint``).
        source: One of :data:`VIT_SOURCES` or ``'auto'``.
        target: One of :data:`VIT_TARGETS`.
        img_size: Input size the output is for; the position embedding is
            resized to ``img_size // patch_size`` per side when it differs.
            None keeps it.

    Returns:
        ViTConversion: output keys carry :data:`OUTPUT_PREFIX` ``[target]``.

    Raises:
        ValueError: For an unknown ``source`` / ``target`` or a bad ``img_size``.
        UnknownCheckpointFormat: If no ViT is found, or it has tensors this
            mapping does not know (LayerScale, register or distillation
            tokens, ...) or lacks some.
    """
    if source != 'auto' and source not in VIT_SOURCES:
        raise ValueError(f'ViT source must be auto or one of {VIT_SOURCES}, got {source!r}')
    if target not in VIT_TARGETS:
        raise ValueError(f'ViT target must be one of {VIT_TARGETS}, got {target!r}')
    keys = list(state_dict)
    found = find_vit(keys, source)
    if found is None:
        raise UnknownCheckpointFormat(
            f'--source {source}: no ViT backbone under {list(VIT_PREFIXES.get(source, ()))}. '
            f'Keys seen ({len(keys)}): {describe_keys(keys)}')
    source, prefix, naming = found
    where = f'{source} ViT ({naming} naming) under {prefix!r}'

    timm_sd: OrderedDict[str, Any] = OrderedDict()
    origin: Dict[str, str] = {}
    dropped, unknown = [], []
    heads = _HEAD_NAMES[naming]
    for key in keys:
        if not key.startswith(prefix):
            dropped.append(key)
            continue
        name = key[len(prefix):]
        new = to_timm_name(name, naming)
        if new is not None:
            timm_sd[new], origin[new] = state_dict[key], key
        elif heads.match(name):
            dropped.append(key)
        else:
            unknown.append(key)
    if unknown:
        raise UnknownCheckpointFormat(
            f'{where}: tensors that a plain ViT does not have (LayerScale, extra tokens, '
            f'another architecture?): {describe_keys(unknown)}')

    notes: List[str] = []
    if naming == 'mmseg' and 'patch_embed.proj.bias' not in timm_sd:
        weight = timm_sd['patch_embed.proj.weight']
        timm_sd['patch_embed.proj.bias'] = torch.zeros(weight.shape[0], dtype=weight.dtype)
        notes.append('added a zero patch_embed bias (mmseg\'s ViT has none; same function)')
    arch = _check_complete(timm_sd, where)
    if img_size is not None:
        patch = arch['patch_size']
        if img_size <= 0 or img_size % patch:
            raise ValueError(f'--img-size {img_size} is not a positive multiple of the '
                             f'patch size {patch}')
        out_grid = (img_size // patch, img_size // patch)
        if out_grid != arch['grid']:
            timm_sd['pos_embed'] = resize_pos_embed(timm_sd['pos_embed'], out_grid)
            g = arch['grid']
            notes.append(f'pos_embed resized (bicubic) from {g[0]}x{g[1]} to '
                         f'{out_grid[0]}x{out_grid[1]} patches for {img_size} px inputs')
        arch['out_grid'] = out_grid

    out: OrderedDict[str, Any] = OrderedDict()
    result = ViTConversion(state_dict=out, source=source, prefix=prefix, naming=naming,
                           arch=arch, notes=notes, dropped=dropped)
    out_prefix = OUTPUT_PREFIX[target]
    for name, mmpretrain in vit_names(arch['num_layers'], 'mmpretrain'):
        new = out_prefix + (name if target == 'timm' else mmpretrain)
        out[new] = timm_sd[name]
        old = origin.get(name)
        if old is None:
            continue
        if old == new:
            result.kept.append(new)
        else:
            result.renamed.append((old, new))
    return result


def describe_vit_markers() -> str:
    """What :func:`find_vit` looks for, for error messages."""
    return '; '.join(f'{" + ".join(repr(m) for m in _MARKERS[n])} ({n})' for n in NAMINGS)

