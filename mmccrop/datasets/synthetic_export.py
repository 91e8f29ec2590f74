"""Write SyntheticObjects to disk in real dataset formats.

* ImageNet-style folders: ``imagenet/{train,val}/<class>/<n>.png`` plus
  ``imagenet/meta/{train,val}.txt`` (``path label`` lines);
* COCO instances: ``coco/{train2017,val2017}/<n>.jpg`` and
  ``coco/annotations/instances_{train2017,val2017}.json`` with boxes and RLE masks;
* VOC segmentation: ``VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,
  ImageSets/Segmentation}`` with palette PNG label maps (0 = background,
  c + 1 = class c).

Every file is written through a temporary file and renamed, so an interrupted
export never leaves a half-written image or annotation behind.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import cv2
import numpy as np

from mmccrop.functional.synthetic import SyntheticSpec, class_style, render
from mmccrop.utils.fileio import atomic_write, atomic_write_bytes, atomic_write_text

FORMATS = ('imagenet', 'coco', 'voc')
_COCO_SPLITS = {'train': 'train2017', 'val': 'val2017'}


def class_names(spec: SyntheticSpec) -> List[str]:
    """Folder-safe class names, e.g. ``circle-solid``."""
    return ['{}-{}'.format(*class_style(c)[:2]) for c in range(spec.num_classes)]


def _write_image(path: str, img: np.ndarray, params: Sequence[int] = ()) -> None:
    """Encode ``img`` as the suffix of ``path`` says, then write it atomically."""
    ok, buf = cv2.imencode(osp.splitext(path)[1], img, list(params))
    if not ok:
        raise OSError(f'cannot encode image for {path}')
    atomic_write_bytes(path, buf.tobytes())


def _write_json(path: str, obj: dict) -> None:
    atomic_write_text(path, json.dumps(obj))


def _palette_png(path: str, label_map: np.ndarray) -> None:
    """Indexed-colour PNG, like VOC's SegmentationClass (read back as indices)."""
    from PIL import Image
    palette = np.zeros((256, 3), np.uint8)
    for i in range(256):  # the VOC colour map
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    im = Image.fromarray(label_map.astype(np.uint8), mode='P')
    im.putpalette(palette.flatten().tolist())

    def write(tmp: str) -> None:
        im.save(tmp, format='PNG')
    atomic_write(path, write)


def _rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def export(out_dir: str,
           spec: SyntheticSpec,
           num_images: Dict[str, int],
           formats: Iterable[str] = FORMATS,
           progress: Optional[Callable[[int], None]] = None) -> Dict[str, str]:
    """Render and write the splits in ``num_images`` (e.g. ``{'train': 200, 'val': 50}``).

    Args:
        out_dir: Root folder; one sub-folder per format.
        spec: Generator parameters.
        num_images: Images per split ('train', 'val' or 'test').
        formats: Any of 'imagenet', 'coco', 'voc'.
        progress: Called with 1 after each rendered image.

    Returns:
        The root folder of each written format.
    """
    formats = list(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f'formats: unknown {bad}; choose from {list(FORMATS)}')
    for split, n in num_images.items():
        if split not in ('train', 'val', 'test'):
            raise ValueError(f"num_images: unknown split {split!r} (use 'train', 'val', 'test')")
        if n < 1:
            raise ValueError(f'num_images[{split!r}] must be >= 1, got {n}')
    names = class_names(spec)
    roots = {'imagenet': osp.join(out_dir, 'imagenet'), 'coco': osp.join(out_dir, 'coco'),
             'voc': osp.join(out_dir, 'VOCdevkit', 'VOC2012')}
    categories = [dict(id=c + 1, name=name, supercategory='shape')
                  for c, name in enumerate(names)]
    for split, n in num_images.items():
        coco_images, coco_anns, voc_ids, folder_lines = [], [], [], []
        for i in range(n):
            img, label, box, mask = render(spec, i, split)
            h, w = mask.shape
            stem = f'{split}_{i:06d}'
            if 'imagenet' in formats:
                rel = osp.join(names[label], f'{stem}.png')
                _write_image(osp.join(roots['imagenet'], split, rel), img)
                folder_lines.append(f'{rel} {label}')
            if 'coco' in formats:
                coco_split = _COCO_SPLITS.get(split, split)
                _write_image(osp.join(roots['coco'], coco_split, f'{stem}.jpg'), img,
                             [cv2.IMWRITE_JPEG_QUALITY, 95])
                x0, y0, x1, y1 = (float(v) for v in box * np.array([w, h, w, h]))
                coco_images.append(dict(id=i + 1, file_name=f'{stem}.jpg', height=h, width=w))
                coco_anns.append(dict(id=i + 1, image_id=i + 1, category_id=label + 1,
                                      bbox=[x0, y0, x1 - x0, y1 - y0],
                                      area=float(mask.sum()), iscrowd=0,
                                      segmentation=_rle(mask)))
            if 'voc' in formats:
                _write_image(osp.join(roots['voc'], 'JPEGImages', f'{stem}.jpg'), img,
                             [cv2.IMWRITE_JPEG_QUALITY, 95])
                _palette_png(osp.join(roots['voc'], 'SegmentationClass', f'{stem}.png'),
                             mask.astype(np.uint8) * (label + 1))
                voc_ids.append(stem)
            if progress is not None:
                progress(1)
        if 'imagenet' in formats:
            atomic_write_text(osp.join(roots['imagenet'], 'meta', f'{split}.txt'),
                              '\n'.join(folder_lines) + '\n')
        if 'coco' in formats:
            coco_split = _COCO_SPLITS.get(split, split)
            _write_json(osp.join(roots['coco'], 'annotations', f'instances_{coco_split}.json'),
                        dict(images=coco_images, annotations=coco_anns, categories=categories,
                             info=dict(description=f'mmccrop SyntheticObjects {split}',
                                       spec=str(spec))))
        if 'voc' in formats:
            atomic_write_text(osp.join(roots['voc'], 'ImageSets', 'Segmentation', f'{split}.txt'),
                              '\n'.join(voc_ids) + '\n')
    if 'voc' in formats:
        _write_json(osp.join(roots['voc'], 'classes.json'),
                    dict(classes=['background'] + names))
    os.makedirs(out_dir, exist_ok=True)
    return {f: roots[f] for f in formats}
