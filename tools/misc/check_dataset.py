"""Check that a config finds its data: build its datasets and load one sample of each.

For every split the config has (``train``, ``val``, ``test`` dataloaders), it builds
the dataset in the config's own scope (mmccrop, mmdet or mmseg), prints its type, its
number of samples and classes and its first sample's file, and runs that sample
through the pipeline. A missing or misplaced dataset fails here with the path it
looked for, before any training starts. See docs/datasets.md for the expected counts.

Examples::

    python tools/misc/check_dataset.py \\
        configs/selfsup/mocov2/mocov2_resnet18_4xb128-coslr-500e_cifar10-ccrop.py
    python tools/misc/check_dataset.py \\
        configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction  # noqa: E402

SPLITS = ('train', 'val', 'test')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='any training or benchmark config')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=list(SPLITS),
                        help='the dataloaders to check (those the config has)')
    parser.add_argument('--no-load', action='store_true',
                        help='only build the datasets; do not load a sample')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=...')
    return parser.parse_args(argv)


def first_file(dataset) -> str:
    """The first sample's image path, if the dataset has files."""
    try:
        info = dataset.get_data_info(0)
    except Exception:  # noqa: BLE001  (a dataset without data infos: nothing to show)
        return '-'
    for key in ('img_path', 'filename'):
        if info.get(key):
            return str(info[key])
    return '(in memory)'


def num_classes(dataset) -> str:
    meta = getattr(dataset, 'metainfo', None) or {}
    classes = meta.get('classes') or getattr(dataset, 'CLASSES', None)
    return str(len(classes)) if classes else '-'


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope

    from mmccrop.utils import register_all_modules
    from mmccrop.utils.config import load_config
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options)
    scope = cfg.get('default_scope', 'mmccrop')
    init_default_scope(scope)
    checked = 0
    for split in args.splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        start = time.time()
        dataset = DATASETS.build(Config(dict(loader['dataset'])))
        print(f'{split}: {type(dataset).__name__}, {len(dataset)} samples, '
              f'{num_classes(dataset)} classes, first file {first_file(dataset)} '
              f'({time.time() - start:.1f} s)')
        if not args.no_load:
            sample = dataset[0]
            keys = sorted(sample) if isinstance(sample, dict) else type(sample).__name__
            print(f'{split}: sample 0 loads through the pipeline ({keys})')
        checked += 1
    if not checked:
        print(f'{args.config}: no {"/".join(args.splits)} dataloader to check', file=sys.stderr)
        return 1
    print(f'{args.config}: {checked} dataset(s) OK (scope {scope})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
