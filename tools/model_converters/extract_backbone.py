#!/usr/bin/env python
"""Extract the online backbone (ResNet or ViT) of a self-supervised checkpoint.

Examples::

    # our Runner checkpoint -> ResNet backbone for mmdet / mmseg (init_cfg.checkpoint)
    python tools/model_converters/extract_backbone.py \
        work_dirs/mocov2/epoch_200.pth work_dirs/mocov2/backbone.pth
    # the authors' ContrastiveCrop checkpoint -> detectron2 (MoCo protocol)
    python tools/model_converters/extract_backbone.py last.pth r50.pkl \
        --source ccrop-official --to detectron2
    # the SNCLR authors' ViT-S -> our ViT evaluation configs, and -> DeiT / timm
    python tools/model_converters/extract_backbone.py checkpoint_0299.pth.tar vit-s.pth
    python tools/model_converters/extract_backbone.py checkpoint_0299.pth.tar deit.pth --to timm
    # ... with the position embedding resized for 512x512 segmentation crops
    python tools/model_converters/extract_backbone.py epoch_300.pth vit-s_512.pth --img-size 512

Supported sources and key layouts: ``mmccrop/functional/convert_keys.py``
(ResNets) and ``mmccrop/functional/convert_vit_keys.py`` (ViTs).  Files are
loaded with ``weights_only=True``; a file that needs arbitrary unpickling is
refused unless ``--unsafe-load`` is given.  The output is written atomically,
never over the input, and over an existing file only with ``--force``.

Exit status: 0 on success, 1 for an unreadable/unsafe input, a refused
output path or a failed write, 2 for an unknown checkpoint format or a
target that does not fit the backbone.
"""
from __future__ import annotations

import argparse
import os.path as osp
import pickle
import sys
import time
from typing import Any, Dict, Optional, Sequence, Tuple

import torch

from mmccrop.functional.convert_keys import (
    SOURCES,
    TARGETS,
    Conversion,
    UnknownCheckpointFormat,
    convert_state_dict,
    summarize_names,
    unwrap_checkpoint,
)
from mmccrop.functional.convert_vit_keys import (
    VIT_PREFIXES,
    VIT_SOURCES,
    VIT_TARGETS,
    ViTConversion,
    convert_vit_state_dict,
    describe_vit_markers,
    find_vit,
)
from mmccrop.utils import atomic_write, safe_torch_load

ALL_SOURCES = tuple(dict.fromkeys(SOURCES + VIT_SOURCES))


class ToolError(Exception):
    """A clear, user-facing error: ``str(e)`` names the file; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract a backbone-only ResNet or ViT checkpoint for transfer.')
    parser.add_argument('input', help='checkpoint to read')
    parser.add_argument('output', help='file to write (.pth; .pkl for detectron2)')
    parser.add_argument('--source', default='auto', choices=('auto', ) + ALL_SOURCES,
                        help='input layout (default: detect it from the keys)')
    parser.add_argument(
        '--to', dest='target', default='auto', choices=('auto', ) + TARGETS + VIT_TARGETS,
        help='output layout. ResNets: mmdet (default; also for mmseg), torchvision (the bare '
        'state dict WITHOUT fc.*, so load it with strict=False), or detectron2 (the pickle '
        "of the MoCo protocol; detectron2 reads it only from a *.pkl file, so '.pkl' is "
        "appended to any other name). ViTs: mmpretrain (default; keys 'backbone.*', what "
        "our ViT evaluation configs load) or timm ({'model': ...} in timm/DeiT naming)")
    parser.add_argument('--img-size', type=int, default=None,
                        help='ViTs: resize the position embedding for this input size '
                        '(e.g. 512 for 512x512 segmentation crops). Default: keep it')
    parser.add_argument('--force', action='store_true',
                        help='overwrite an existing output file (never the input)')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='allow arbitrary unpickling of the input. Only for files '
                        'you trust')
    return parser.parse_args(argv)


def check_output_path(input_path: str, output: str, force: bool) -> None:
    """Refuse to write over the input (whatever the spelling) or, without
    ``force``, over any existing file."""
    if osp.isdir(output):
        raise ToolError(f'{output}: is a folder; give the output file name')
    same = osp.realpath(input_path) == osp.realpath(output)
    if not same and osp.exists(input_path) and osp.exists(output):
        same = osp.samefile(input_path, output)  # hard links
    if same:
        raise ToolError(
            f'{output}: is the input file {input_path}. Writing the backbone there would '
            'replace the full checkpoint (optimizer, momentum encoder, queue, boxes) with '
            'backbone-only weights; choose another output file')
    if osp.lexists(output) and not force:
        raise ToolError(f'{output}: exists; pass --force to overwrite it')


def load_checkpoint(path: str, unsafe: bool) -> Any:
    """Load ``path`` (``weights_only`` unless ``unsafe``); any failure is a ToolError."""
    try:
        return safe_torch_load(path, map_location='cpu', unsafe=unsafe)
    except (FileNotFoundError, RuntimeError) as e:
        raise ToolError(str(e)) from e


def convert(state_dict, container: Optional[str],
            args: argparse.Namespace) -> Tuple[Conversion, str]:
    """Convert with the ResNet or the ViT mapping; returns ``(conversion, target)``."""
    if args.source in ('auto', ) + VIT_SOURCES and find_vit(list(state_dict), args.source):
        target = 'mmpretrain' if args.target == 'auto' else args.target
        if target not in VIT_TARGETS:
            raise UnknownCheckpointFormat(
                f'this is a ViT checkpoint: --to {target} is for ResNets; use --to mmpretrain '
                '(our ViT evaluation and UperNet configs) or --to timm')
        return convert_vit_state_dict(state_dict, args.source, target, args.img_size), target
    if args.source == 'timm':
        raise UnknownCheckpointFormat(
            f'--source timm: no timm ViT found. Keys seen: {list(state_dict)[:12]}')
    target = 'mmdet' if args.target == 'auto' else args.target
    if target in VIT_TARGETS:
        raise UnknownCheckpointFormat(
            f'--to {target} is for ViTs, and no ViT was found; for ResNets use mmdet, '
            'torchvision or detectron2')
    if args.img_size is not None:
        raise UnknownCheckpointFormat('--img-size is for ViT checkpoints only')
    try:
        return convert_state_dict(state_dict, args.source, target, container), target
    except UnknownCheckpointFormat as e:
        if args.source != 'auto':
            raise
        raise UnknownCheckpointFormat(
            f'{e}. Nor is it a ViT: expected {describe_vit_markers()} under one of '
            f'{sorted({p for ps in VIT_PREFIXES.values() for p in ps if p})} or none') from None


def _own_storage(value: Any) -> Any:
    """A tensor that views a larger storage would drag it all into the file."""
    if isinstance(value, torch.Tensor):
        if value.untyped_storage().nbytes() != value.numel() * value.element_size():
            return value.clone()
    return value


def build_output(conv: Conversion, target: str, input_path: str) -> Dict[str, Any]:
    """The object to save for ``target`` (see ``--to``)."""
    weights = {k: _own_storage(v) for k, v in conv.state_dict.items()}
    if target == 'detectron2':
        # The layout of MoCo's convert-pretrain-to-detectron2.py: numpy arrays,
        # torchvision-RGB weights that detectron2 matches heuristically.
        return {
            'model': {k: v.detach().cpu().numpy() for k, v in weights.items()},
            '__author__': 'mmccrop',
            'matching_heuristics': True,
        }
    if target == 'torchvision':
        return weights
    if target == 'timm':
        return {'model': weights}  # the layout of MoCo v3's convert_to_deit.py
    meta = dict(source=conv.source, prefix=conv.prefix, converted_from=osp.basename(input_path),
                tool='mmccrop/tools/model_converters/extract_backbone.py')
    if isinstance(conv, ViTConversion):
        meta['arch'] = dict(conv.arch)
    return {'state_dict': weights, 'meta': meta}


def _resnet_lines(names) -> list:
    lines = []
    stages = [s for s in ('layer1', 'layer2', 'layer3', 'layer4', 'res2', 'res3', 'res4', 'res5')
              if any(k.startswith(s + '.') for k in names)]
    if len(stages) != 4:
        lines.append(f'  WARNING: only stages {stages} found; a ResNet has four.')
    stem = names.get('conv1.weight', names.get('stem.conv1.weight'))
    if stem is not None and tuple(stem.shape[-2:]) != (7, 7):
        lines.append(f'  WARNING: conv1 is {tuple(stem.shape[-2:])}, not 7x7 (a CIFAR-style '
                     'stem?); it will not load into a standard-stem ResNet.')
    return lines


def _vit_lines(conv: ViTConversion) -> list:
    a = conv.arch
    g = a['out_grid']
    lines = [f"ViT   : {a['num_layers']} blocks, {a['embed_dims']} dims, MLP {a['mlp_dims']}, "
             f"patch {a['patch_size']}, {g[0]}x{g[1]} position grid "
             f"({g[0] * a['patch_size']} px) + class token"]
    lines += [f'  note: {note}' for note in conv.notes]
    lines.append('  note: checkpoints do not record num_heads; set it in the config '
                 '(MoCo v3 / SNCLR ViT-S: 12 heads, as our vit-small configs; DeiT-S: 6)')
    return lines


def report(conv: Conversion, container: Optional[str], args: argparse.Namespace,
           target: str, seconds: float, output_note: Optional[str]) -> str:
    where = f"['{container}']" if container else '(bare state dict)'
    family = f'ViT, {conv.naming} naming, ' if isinstance(conv, ViTConversion) else ''
    lines = [
        f'input : {args.input} {where}',
        f'source: {conv.source} ({family}backbone prefix {conv.prefix!r})',
        f'output: {args.output} (--to {target})',
    ]
    if output_note:
        lines.append(f'  note: {output_note}')
    if target == 'torchvision':
        lines.append('  note: fc.* is not included: load it with strict=False')
    if isinstance(conv, ViTConversion):
        lines += _vit_lines(conv)
    lines.append(f'kept {len(conv.kept)}, renamed {len(conv.renamed)}, dropped '
                 f'{len(conv.dropped)} keys; {seconds:.2f} s (load + convert + write)')
    if conv.renamed:
        old, new = conv.renamed[0]
        lines.append(f'  renamed e.g. {old} -> {new}')
    if conv.dropped:
        lines.append('  dropped:')
        lines += [f'    {name}' for name in summarize_names(conv.dropped)]
    if not isinstance(conv, ViTConversion):
        lines += _resnet_lines(conv.state_dict)
    return '\n'.join(lines)


def _save(output: Dict[str, Any], path: str, target: str) -> None:
    def write_pickle(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            pickle.dump(output, f)

    if target == 'detectron2':
        atomic_write(path, write_pickle)
    else:
        atomic_write(path, lambda tmp: torch.save(output, tmp))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    output_note = None
    if args.target == 'detectron2' and not args.output.endswith('.pkl'):
        output_note = (f"detectron2 reads this pickle only from a *.pkl file: wrote "
                       f"{args.output}.pkl instead of {args.output}")
        args.output += '.pkl'
    try:
        if not osp.isfile(args.input):
            raise ToolError(f'checkpoint not found: {args.input}')
        check_output_path(args.input, args.output, args.force)  # before a long load
        ckpt = load_checkpoint(args.input, args.unsafe_load)
    except ToolError as e:
        print(f'error: {e}', file=sys.stderr)
        return e.code
    try:
        state_dict, container = unwrap_checkpoint(ckpt)
        conv, target = convert(state_dict, container, args)
    except (UnknownCheckpointFormat, ValueError) as e:
        print(f'error: {args.input}: {e}', file=sys.stderr)
        return 2
    try:
        _save(build_output(conv, target, args.input), args.output, target)
    except OSError as e:
        print(f'error: {args.output}: could not write it ({e}); nothing was written',
              file=sys.stderr)
        return 1
    print(report(conv, container, args, target, time.perf_counter() - start, output_note))
    return 0


if __name__ == '__main__':
    sys.exit(main())
