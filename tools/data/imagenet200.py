"""Write the ImageNet-200 list files that the ``*_in200*`` configs read.

ImageNet-200 is ContrastiveCrop's 200-class subset of ImageNet-1K: the 200
WordNet ids of ``datasets/imagenet200.class`` in the authors' repository
(xyupeng/ContrastiveCrop), labelled 0..199 in sorted-id order, as their
``ImageFolderSubset`` does.  This tool fetches that list (pinned to a commit
and checked against its SHA-256), or reads ``--classes FILE``, scans
``DATA_ROOT/train/<wnid>/`` and ``DATA_ROOT/val/<wnid>/`` (the usual ImageNet
folders, validation images sorted into class folders) and writes::

    DATA_ROOT/meta/imagenet200_train.txt   train/<wnid>/<image> <label>
    DATA_ROOT/meta/imagenet200_val.txt     val/<wnid>/<image> <label>
    DATA_ROOT/meta/imagenet200.class       the class list used

Example:
    python tools/data/imagenet200.py data/imagenet
    python tools/data/imagenet200.py data/imagenet --classes imagenet200.class  # offline
"""
import argparse
import hashlib
import os.path as osp
import re
import sys
import urllib.request
from typing import List, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.utils import ProgressBar  # noqa: E402

from mmccrop.datasets.image_folder import IMG_EXTENSIONS, scan_images  # noqa: E402
from mmccrop.utils import atomic_write_text, read_text_lines  # noqa: E402

AUTHORS_URL = ('https://raw.githubusercontent.com/xyupeng/ContrastiveCrop/'
               '16ef506ebe7606ff70a966c366f04701059e21e6/datasets/imagenet200.class')
AUTHORS_SHA256 = 'be77590b16ec550069d91a782762fb0870d1d356205b48f45c80070e97052c0d'
WNID = re.compile(r'^n\d{8}$')
SPLITS = ('train', 'val')


def parse_classes(text: str, source: str) -> List[str]:
    """Sorted WordNet ids, one per non-empty line; errors name ``source``."""
    wnids = [line.strip() for line in text.splitlines() if line.strip()]
    bad = [w for w in wnids if not WNID.match(w)]
    if bad:
        raise ValueError(f'{source}: not WordNet ids (nXXXXXXXX): {bad[:5]}')
    dupes = sorted({w for w in wnids if wnids.count(w) > 1})
    if dupes:
        raise ValueError(f'{source}: repeated class ids {dupes[:5]}')
    if not wnids:
        raise ValueError(f'{source}: no class ids')
    return sorted(wnids)


def read_classes(source: str, timeout: float = 30.) -> str:
    """The class-list text from a file or a URL (the authors' list is checked)."""
    if '://' not in source:
        return '\n'.join(read_text_lines(source, 'class list'))
    try:
        with urllib.request.urlopen(source, timeout=timeout) as r:
            data = r.read()
    except OSError as e:
        raise OSError(f'cannot download the class list from {source} ({e}); download it '
                      'yourself and pass --classes FILE') from e
    if source == AUTHORS_URL and hashlib.sha256(data).hexdigest() != AUTHORS_SHA256:
        raise ValueError(f'{source}: the download differs from ContrastiveCrop\'s list '
                         f'(SHA-256 {hashlib.sha256(data).hexdigest()}, expected '
                         f'{AUTHORS_SHA256})')
    return data.decode('utf-8')


def list_split(data_root: str, split: str, wnids: Sequence[str]) -> List[str]:
    """``'<split>/<wnid>/<image> <label>'`` lines, labels in sorted-id order."""
    folder = osp.join(data_root, split)
    missing = [w for w in wnids if not osp.isdir(osp.join(folder, w))]
    if missing:
        raise FileNotFoundError(f'{folder}: {len(missing)} of the {len(wnids)} class folders '
                                f'are missing, e.g. {missing[:5]}')
    lines, bar = [], ProgressBar(len(wnids))
    for label, wnid in enumerate(wnids):
        images = scan_images(osp.join(folder, wnid), IMG_EXTENSIONS)
        if not images:
            raise ValueError(f'{osp.join(folder, wnid)}: no images')
        lines += [f'{split}/{wnid}/{name} {label}' for name in images]
        bar.update()
    print()
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root', help='ImageNet root holding train/ and val/ class folders')
    p.add_argument('--classes', default=AUTHORS_URL,
                   help='class-list file or URL (default: the authors\' list, pinned)')
    p.add_argument('--splits', nargs='+', default=list(SPLITS), choices=SPLITS)
    p.add_argument('--force', action='store_true', help='overwrite existing list files')
    args = p.parse_args(argv)

    meta = osp.join(args.data_root, 'meta')
    outputs = {s: osp.join(meta, f'imagenet200_{s}.txt') for s in args.splits}
    existing = [path for path in outputs.values() if osp.exists(path)]
    if existing and not args.force:
        print(f'error: {existing[0]} exists; pass --force to overwrite', file=sys.stderr)
        return 1
    print(f'[1/3] class list: {args.classes}')
    text = read_classes(args.classes)
    wnids = parse_classes(text, args.classes)
    print(f'      {len(wnids)} classes, {wnids[0]} .. {wnids[-1]}')
    if len(wnids) != 200:
        print(f'      warning: the in200 configs expect 200 classes, this list has '
              f'{len(wnids)}', file=sys.stderr)
    lines = {}
    for split in args.splits:
        print(f'[2/3] scanning {osp.join(args.data_root, split)}')
        lines[split] = list_split(args.data_root, split, wnids)
        print(f'      {len(lines[split])} images')
    print('[3/3] writing')
    # Through temporary files: no partial list on failure.
    atomic_write_text(osp.join(meta, 'imagenet200.class'), '\n'.join(wnids) + '\n')
    for split, path in outputs.items():
        atomic_write_text(path, '\n'.join(lines[split]) + '\n')
        print(f'      {path}: {len(lines[split])} lines')
    return 0


if __name__ == '__main__':
    sys.exit(main())
