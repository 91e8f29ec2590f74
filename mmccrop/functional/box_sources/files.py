"""Box files: one normalised xyxy box per image key, as JSON, CSV or ``.npz``.

No mmengine / mmcv imports: :func:`dump_boxes` returns the file's bytes and
:func:`load_boxes` reads them, so the caller chooses the storage (and writes
atomically).  Keys are described in :mod:`.keys`; boxes are
``(x0, y0, x1, y1)`` fractions of the image, ``0 <= x0 < x1 <= 1``,
``0 <= y0 < y1 <= 1``.  Numbers are written as the shortest decimal that
identifies the float32 value, so the boxes of the (float32) box store read
back bit for bit.

The three layouts::

    # .json: an object "boxes" mapping keys to boxes (the other fields are
    # documentation); a plain {key: box} object is read too.
    {"format": "mmccrop.boxes", "version": 1, ...,
     "boxes": {"train/n01/a.JPEG": [0.1, 0.2, 0.8, 0.9], ...}}

    # .csv: a header line, then one line per image (keys may be quoted).
    key,x0,y0,x1,y1
    train/n01/a.JPEG,0.1,0.2,0.8,0.9

    # .npz: arrays "keys" (N strings, or N integer sample indices) and
    # "boxes" (N, 4); read with allow_pickle=False.

Reading checks every row and raises ``ValueError`` naming the file and the
row (JSON entry, CSV line or npz row) for a key given twice, a box that is
not 4 finite numbers, outside ``[0, 1]``, or inverted / empty.
"""
import csv
import io
import json
import os
from typing import List, NamedTuple, Sequence

import numpy as np

from .keys import normalize_key
from .rules import box_problem

#: File suffixes (without the dot) and their layouts.
FORMATS = ('json', 'csv', 'npz')
CSV_HEADER = ('key', 'x0', 'y0', 'x1', 'y1')
JSON_TAG = 'mmccrop.boxes'


class BoxTable(NamedTuple):
    """The rows of a box file, in file order."""
    keys: List[str]  # canonical keys (see .keys.normalize_key)
    boxes: np.ndarray  # (N, 4) float32
    where: List[str]  # 'line 7', 'entry 3', 'row 5': for messages


def format_of(path: str) -> str:
    """``'json'``, ``'csv'`` or ``'npz'`` from the file suffix."""
    suffix = os.path.splitext(str(path))[1].lower().lstrip('.')
    if suffix not in FORMATS:
        raise ValueError(f'box file {path!r}: unknown suffix {suffix!r}; use .json, .csv or '
                         '.npz')
    return suffix


# ----------------------------------------------------------------- writing
def dump_boxes(keys: Sequence[str], boxes: np.ndarray, fmt: str) -> bytes:
    """The bytes of a box file holding ``boxes[i]`` under ``keys[i]``.

    Raises:
        ValueError: for a duplicate key or an invalid box (naming the row),
            so that nothing unreadable is ever written.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    keys = [normalize_key(k) for k in keys]
    if len(keys) != len(boxes):
        raise ValueError(f'dump_boxes: {len(keys)} keys for {len(boxes)} boxes')
    _check_rows(keys, boxes, [f'row {i}' for i in range(len(keys))], 'dump_boxes')
    if fmt == 'json':
        lines = [f'  {json.dumps(k)}: [{", ".join(_number(v) for v in b)}]'
                 for k, b in zip(keys, boxes)]
        head = json.dumps(dict(
            format=JSON_TAG, version=1,
            box='x0, y0, x1, y1 as fractions of the image width and height',
            key="the image path relative to the dataset's data_root, or the sample index"))
        body = ',\n'.join(lines)
        return (head[:-1] + ',\n "boxes": {\n' + body + ('\n' if lines else '') + ' }}\n'
                ).encode('utf-8')
    if fmt == 'csv':
        out = io.StringIO()
        writer = csv.writer(out, lineterminator='\n')
        writer.writerow(CSV_HEADER)
        for k, b in zip(keys, boxes):
            writer.writerow([k] + [_number(v) for v in b])
        return out.getvalue().encode('utf-8')
    if fmt == 'npz':
        out = io.BytesIO()
        np.savez(out, keys=np.array(keys, dtype=str), boxes=boxes)
        return out.getvalue()
    raise ValueError(f'dump_boxes: unknown format {fmt!r}; use one of {FORMATS}')


def _number(value: np.float32) -> str:
    """The shortest decimal that reads back as exactly this float32."""
    return np.format_float_positional(np.float32(value), unique=True, trim='0')


# ----------------------------------------------------------------- reading
def load_boxes(data: bytes, fmt: str, name: str) -> BoxTable:
    """Parse and check a box file's bytes; ``name`` is used in messages."""
    if fmt == 'json':
        keys, rows, where = _read_json(data, name)
    elif fmt == 'csv':
        keys, rows, where = _read_csv(data, name)
    elif fmt == 'npz':
        keys, rows, where = _read_npz(data, name)
    else:
        raise ValueError(f'box file {name!r}: unknown format {fmt!r}; use one of {FORMATS}')
    canonical = []
    for key, at in zip(keys, where):
        try:
            canonical.append(normalize_key(key))
        except ValueError as error:
            raise ValueError(f'box file {name!r}, {at}: {error}') from None
    boxes = np.zeros((len(rows), 4), np.float32)
    for i, (row, at) in enumerate(zip(rows, where)):
        try:
            boxes[i] = np.asarray(row, dtype=np.float64).reshape(4)
        except (TypeError, ValueError):
            raise ValueError(f'box file {name!r}, {at} (key {canonical[i]!r}): the box must be '
                             f'4 numbers (x0, y0, x1, y1), got {row!r}') from None
    _check_rows(canonical, boxes, where, f'box file {name!r}', raw=rows)
    return BoxTable(canonical, boxes, list(where))


def _check_rows(keys, boxes, where, what, raw=None) -> None:
    first = {}
    for i, key in enumerate(keys):
        if key in first:
            raise ValueError(f'{what}, {where[i]}: duplicate key {key!r} (also '
                             f'{where[first[key]]}); each image must have one box')
        first[key] = i
        problem = box_problem(boxes[i])
        if problem:
            shown = raw[i] if raw is not None else boxes[i].tolist()
            raise ValueError(f'{what}, {where[i]} (key {key!r}): the box {shown!r} {problem}')


class _Pairs(list):
    """A JSON object as its (key, value) pairs, so that duplicate keys are seen."""


def _read_json(data: bytes, name: str):
    try:
        top = json.loads(data, object_pairs_hook=_Pairs)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f'box file {name!r} is not JSON: {error}') from None
    if not isinstance(top, _Pairs):
        raise ValueError(f'box file {name!r}: expected an object mapping keys to boxes, got '
                         f'{type(top).__name__}')
    entries = next((v for k, v in top if k == 'boxes' and isinstance(v, _Pairs)), top)
    keys, rows, where = [], [], []
    for i, (key, value) in enumerate(entries):
        keys.append(key)
        rows.append(value if not isinstance(value, _Pairs) else dict(value))
        where.append(f'entry {i}')
    return keys, rows, where


def _read_csv(data: bytes, name: str):
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        line = data.count(b'\n', 0, error.start) + 1
        raise ValueError(f'box file {name!r} is not UTF-8 text (line {line}); re-save it as '
                         'UTF-8') from None
    reader = csv.reader(io.StringIO(text, newline=''))
    header, keys, rows, where = None, [], [], []
    for fields in reader:
        if not fields or not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip().lower() for f in fields]
            missing = [c for c in CSV_HEADER if c not in header]
            if missing:
                raise ValueError(f'box file {name!r}, line {reader.line_num}: expected a header '
                                 f'line {",".join(CSV_HEADER)}, got {",".join(fields)!r}')
            cols = [header.index(c) for c in CSV_HEADER]
            continue
        at = f'line {reader.line_num}'
        if len(fields) != len(header):
            raise ValueError(f'box file {name!r}, {at}: {len(fields)} fields, the header has '
                             f'{len(header)} ({",".join(header)})')
        keys.append(fields[cols[0]])
        try:
            rows.append([float(fields[c]) for c in cols[1:]])
        except ValueError:
            raise ValueError(f'box file {name!r}, {at} (key {fields[cols[0]]!r}): the box must '
                             f'be 4 numbers, got {[fields[c] for c in cols[1:]]!r}') from None
        where.append(at)
    if header is None:
        raise ValueError(f'box file {name!r} is empty (expected a header line '
                         f'{",".join(CSV_HEADER)})')
    return keys, rows, where


def _read_npz(data: bytes, name: str):
    if not data.startswith((b'PK\x03\x04', b'PK\x05\x06')):
        raise ValueError(f'box file {name!r} is not an .npz archive (no zip header)')
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
        arrays = {k: npz[k] for k in npz.files}
    except ValueError as error:  # object arrays need pickle: refused
        raise ValueError(f'box file {name!r}: cannot read it without unpickling ({error}); '
                         'store "keys" as strings or integers') from None
    except Exception as error:  # noqa: BLE001 - not a zip / not numpy: say which file
        raise ValueError(f'box file {name!r} is not an .npz archive ({error})') from None
    if 'keys' not in arrays or 'boxes' not in arrays:
        raise ValueError(f'box file {name!r}: needs the arrays "keys" and "boxes", has '
                         f'{sorted(arrays)}')
    keys, boxes = arrays['keys'], arrays['boxes']
    if keys.ndim != 1 or boxes.ndim != 2 or boxes.shape[1] != 4 or len(keys) != len(boxes):
        raise ValueError(f'box file {name!r}: "keys" must be (N,) and "boxes" (N, 4), got '
                         f'{keys.shape} and {boxes.shape}')
    if not (keys.dtype.kind in 'USiu' and boxes.dtype.kind in 'fiu'):
        raise ValueError(f'box file {name!r}: "keys" must hold strings or integers and '
                         f'"boxes" numbers, got {keys.dtype} and {boxes.dtype}')
    return keys.tolist(), list(boxes), [f'row {i}' for i in range(len(keys))]
