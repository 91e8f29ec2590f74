#!/usr/bin/env python
"""Extract the online ResNet backbone of a self-supervised checkpoint.

Examples::

    # our Runner checkpoint -> backbone for mmdet / mmseg (init_cfg.checkpoint)
    python tools/model_converters/extract_backbone.py \
        work_dirs/mocov2/epoch_200.pth work_dirs/mocov2/backbone.pth
    # the authors' ContrastiveCrop checkpoint -> detectron2 (MoCo protocol)
    python tools/model_converters/extract_backbone.py last.pth r50.pkl \
        --source ccrop-official --to detectron2

Supported sources and the key layouts are described in
``mmccrop/functional/convert_keys.py``.  Files are loaded with
``weights_only=True``; a file that needs arbitrary unpickling is refused
unless ``--unsafe-load`` is given.  The output is written atomically.

Exit status: 0 on success, 1 for an unreadable/unsafe input or a failed
write, 2 for an unknown checkpoint format.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import pickle
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Optional, Sequence

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
from mmccrop.utils import safe_torch_load


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract a backbone-only ResNet checkpoint for transfer.')
    parser.add_argument('input', help='checkpoint to read')
    parser.add_argument('output', help='file to write (.pth; .pkl for detectron2)')
    parser.add_argument('--source', default='auto', choices=('auto', ) + SOURCES,
                        help='input layout (default: detect it from the keys)')
    parser.add_argument('--to', dest='target', default='mmdet', choices=TARGETS,
                        help='output layout: mmdet (also for mmseg), torchvision, '
                        'or detectron2 (pickle, MoCo protocol). Default: mmdet')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='allow arbitrary unpickling of the input. Only for files '
                        'you trust')
    return parser.parse_args(argv)


def _own_storage(value: Any) -> Any:
    """A tensor that views a larger storage would drag it all into the file."""
    if isinstance(value, torch.Tensor):
        if value.untyped_storage().nbytes() != value.numel() * value.element_size():
            return value.clone()
    return value


def atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Call ``write(fileobj)`` on a temporary file next to ``path``, then
    rename it over ``path``; on any failure no partial file is left."""
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp',
                               dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


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
    meta = dict(source=conv.source, prefix=conv.prefix, converted_from=osp.basename(input_path),
                tool='mmccrop/tools/model_converters/extract_backbone.py')
    return {'state_dict': weights, 'meta': meta}


def report(conv: Conversion, container: Optional[str], args: argparse.Namespace,
           seconds: float) -> str:
    where = f"['{container}']" if container else '(bare state dict)'
    lines = [
        f'input : {args.input} {where}',
        f'source: {conv.source} (backbone prefix {conv.prefix!r})',
        f'output: {args.output} (--to {args.target})',
        f'kept {len(conv.kept)}, renamed {len(conv.renamed)}, dropped {len(conv.dropped)} '
        f'keys; {seconds:.2f} s (load + convert + write)',
    ]
    if conv.renamed:
        old, new = conv.renamed[0]
        lines.append(f'  renamed e.g. {old} -> {new}')
    if conv.dropped:
        lines.append('  dropped:')
        lines += [f'    {name}' for name in summarize_names(conv.dropped)]
    names = conv.state_dict
    stages = [s for s in ('layer1', 'layer2', 'layer3', 'layer4', 'res2', 'res3', 'res4', 'res5')
              if any(k.startswith(s + '.') for k in names)]
    if len(stages) != 4:
        lines.append(f'  WARNING: only stages {stages} found; a ResNet has four.')
    stem = names.get('conv1.weight', names.get('stem.conv1.weight'))
    if stem is not None and tuple(stem.shape[-2:]) != (7, 7):
        lines.append(f'  WARNING: conv1 is {tuple(stem.shape[-2:])}, not 7x7 (a CIFAR-style '
                     'stem?); it will not load into a standard-stem ResNet.')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        ckpt = safe_torch_load(args.input, map_location='cpu', unsafe=args.unsafe_load)
    except (FileNotFoundError, RuntimeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    try:
        state_dict, container = unwrap_checkpoint(ckpt)
        conv = convert_state_dict(state_dict, args.source, args.target, container)
    except UnknownCheckpointFormat as e:
        print(f'error: {args.input}: {e}', file=sys.stderr)
        return 2
    output = build_output(conv, args.target, args.input)
    if args.target == 'detectron2':
        atomic_write(args.output, lambda f: pickle.dump(output, f))
    else:
        atomic_write(args.output, lambda f: torch.save(output, f))
    print(report(conv, container, args, time.perf_counter() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())
