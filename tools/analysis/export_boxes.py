"""Write the ContrastiveCrop boxes a checkpoint holds to a JSON, CSV or .npz file.

The boxes (``checkpoint['ccrop_boxes']``) are one row per sample of the
training dataset; to key them by image, the dataset is built from the
training config exactly as training built it: ``--config``, or by default
the ``*.py`` config the Runner dumped next to the checkpoint in its work dir.
Keys are image paths relative to the dataset's ``data_root`` (sample
indices for datasets without image files, such as CIFAR); boxes are
normalised ``(x0, y0, x1, y1)``.  The file is written atomically, and
``dict(type='FileBoxes', file=OUT)`` reads it back (see
docs/contrastivecrop.md).

Examples::

    python tools/analysis/export_boxes.py work_dirs/ccrop/epoch_100.pth boxes.csv
    python tools/analysis/export_boxes.py CKPT boxes.npz --config CONFIG.py
"""
import argparse
import glob
import os
import os.path as osp
import sys
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction

from mmccrop.datasets.box_sources import sample_keys, save_boxes
from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.hooks.box_refresh_hook import CKPT_KEY
from mmccrop.functional.box_sources import format_of
from mmccrop.registry import DATASETS
from mmccrop.utils import register_all_modules, safe_torch_load
from mmccrop.utils.config import load_config


class ToolError(Exception):
    """A problem with the inputs, reported as one line (exit status 1)."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='checkpoint of a ContrastiveCrop run (.pth)')
    parser.add_argument('out', help='output file: .json, .csv or .npz')
    parser.add_argument('--config', default=None,
                        help='training config (default: the *.py next to the checkpoint)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_dataloader.dataset.'
                             'dataset.data_root=/data/imagenet')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='allow full unpickling of the checkpoint (trusted files only)')
    return parser.parse_args(argv)


def find_config(checkpoint: str) -> str:
    """The training config the Runner dumped next to ``checkpoint``."""
    folder = osp.dirname(osp.abspath(checkpoint))
    found = sorted(glob.glob(osp.join(folder, '*.py')))
    if len(found) == 1:
        return found[0]
    what = 'no *.py config' if not found else f'{len(found)} configs ({", ".join(found)})'
    raise ToolError(f'{folder} holds {what} next to the checkpoint; pass the training config '
                    'with --config')


def checkpoint_boxes(path: str, unsafe: bool = False) -> Tuple[np.ndarray, bool, Optional[int]]:
    """``(boxes (N, 4) float32, active flag, epoch)`` stored in a checkpoint."""
    try:
        ckpt = safe_torch_load(path, map_location='cpu', unsafe=unsafe)
    except (FileNotFoundError, RuntimeError) as error:
        raise ToolError(str(error)) from None
    state = ckpt.get(CKPT_KEY) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or 'boxes' not in state:
        raise ToolError(f'{path} holds no ContrastiveCrop boxes (no "{CKPT_KEY}" entry): it was '
                        'not saved by a run with BoxRefreshHook')
    boxes = torch.as_tensor(state['boxes']).to(torch.float32)
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ToolError(f'{path}: "{CKPT_KEY}.boxes" has shape {tuple(boxes.shape)}, not (N, 4)')
    meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), dict) else {}
    return boxes.numpy(), bool(state.get('active', False)), meta.get('epoch')


def training_dataset(cfg: Config) -> BoxedDataset:
    """The config's training BoxedDataset, built as training built it.

    Its ``box_source`` is left out: only the samples' order and image paths
    matter here, and the source's file need not exist on this machine.
    """
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise ToolError(f'{cfg.filename}: no train_dataloader.dataset in the config')
    ds_cfg = dict(loader['dataset'])
    if str(ds_cfg.get('type', '')).split('.')[-1] != 'BoxedDataset':
        raise ToolError(f'{cfg.filename}: the training dataset is {ds_cfg.get("type")!r}, not a '
                        'BoxedDataset, so this config did not train with ContrastiveCrop boxes')
    ds_cfg.pop('box_source', None)
    return DATASETS.build(ds_cfg)


def unique_rows(keys: List[str], boxes: np.ndarray) -> Tuple[List[str], np.ndarray]:
    """One row per key.  Samples sharing an image (a RepeatDataset) share a
    key; their boxes must agree (they do after a refresh, which localises
    the same image the same way)."""
    first, rows = {}, []
    for i, key in enumerate(keys):
        j = first.setdefault(key, i)
        if j == i:
            rows.append(i)
        elif not np.array_equal(boxes[i], boxes[j]):
            raise ToolError(f'samples {j} and {i} are the same image {key!r} but hold different '
                            f'boxes ({boxes[j].tolist()} and {boxes[i].tolist()}); a box file '
                            'holds one box per image')
    return [keys[i] for i in rows], boxes[rows]


def key_kind(dataset: BoxedDataset, keys: List[str]) -> str:
    leaf = dataset.resolve(0)[0] if len(dataset) else None
    if keys and not dataset.raw_data_info(0).get('img_path'):
        return 'keyed by sample index (the dataset has no image files)'
    return f"keyed by image path relative to data_root {getattr(leaf, 'data_root', '')!r}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        format_of(args.out)  # before the long steps
        boxes, active, epoch = checkpoint_boxes(args.checkpoint, args.unsafe_load)
        print(f'[1/3] {args.checkpoint}: {len(boxes)} boxes'
              + (f' (epoch {epoch})' if epoch is not None else ''))
        if not active:
            print('      note: saved before the boxes were first used (during the warm-up): '
                  'they are the initial boxes')
        config = args.config or find_config(args.checkpoint)
        register_all_modules(init_default_scope=True)
        cfg = load_config(config, args.cfg_options)
        dataset = training_dataset(cfg)
        if len(dataset) != len(boxes):
            raise ToolError(f'{args.checkpoint} holds {len(boxes)} boxes, but the training '
                            f'dataset of {config} has {len(dataset)} samples (another dataset, or '
                            'images added or removed since?)')
        keys = sample_keys(dataset, 'export_boxes')
        print(f'[2/3] {config}: {type(dataset.dataset).__name__}, {len(dataset)} samples, '
              f'{key_kind(dataset, keys)}')
        keys, rows = unique_rows(keys, boxes)
        save_boxes(args.out, keys, rows)
    except (ToolError, ValueError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    except OSError as error:
        print(f'error: {args.out}: could not write it ({error}); nothing was written',
              file=sys.stderr)
        return 1
    area = float(((rows[:, 2] - rows[:, 0]) * (rows[:, 3] - rows[:, 1])).mean()) if len(rows) \
        else 0.
    print(f'[3/3] wrote {args.out}: {len(rows)} boxes, mean area {area:.3f}, '
          f'{os.path.getsize(args.out) / 1024:.1f} KiB, in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
