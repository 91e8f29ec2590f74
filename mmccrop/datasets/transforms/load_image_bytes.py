"""Read an image file without decoding it, for decoding on the model's device."""
import io
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image

from mmccrop.registry import TRANSFORMS

_EXIF_ORIENTATION = 0x0112
_JPEG_MAGIC = b'\xff\xd8'


def jpeg_shape(data: bytes) -> Optional[tuple]:
    """``(H, W)`` of an RGB or greyscale JPEG to decode on the device, else ``None``.

    Reads the header only.  ``None`` for anything the device decoder might
    decode differently from OpenCV: not a JPEG, CMYK / YCCK, a rotating EXIF
    orientation (OpenCV applies it; torchvision's GPU decoder does not), or
    an unreadable header.
    """
    if not data.startswith(_JPEG_MAGIC):
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != 'JPEG' or img.mode not in ('RGB', 'L'):
                return None
            width, height = img.size
            orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001  (a header PIL cannot parse: decode on the CPU)
        return None
    return (height, width) if orientation in (None, 1) else None


@TRANSFORMS.register_module()
class LoadImageBytes(BaseTransform):
    """Read the file; keep a JPEG encoded, decode anything else as LoadImageFromFile.

    Used by the device augmentation path with ``decode='device'``
    (``docs/speed.md``): the loader reads the bytes and the JPEG header
    (its size), and
    :class:`DeviceAugmentPreprocessor` decodes the batch on the model's
    device with ``torchvision.io.decode_jpeg`` (nvJPEG on a GPU; on a CPU
    libjpeg-turbo, which gives the same pixels as OpenCV).  Files that are
    not RGB or greyscale JPEGs (PNG, CMYK JPEG, ...) are decoded here with
    mmcv, exactly as ``LoadImageFromFile`` (colour, BGR) does, and so are
    JPEGs with a rotating EXIF orientation.

    Required Keys:

    - img_path

    Added Keys:

    - img_bytes (1-D uint8 ndarray), for a JPEG; or img (HWC uint8, BGR) otherwise
    - img_shape, ori_shape: ``(H, W)`` of the decoded image

    Args:
        ignore_empty: Return ``None`` for a missing or unreadable file instead
            of raising, as ``LoadImageFromFile``.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, ignore_empty: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__()
        self.ignore_empty = ignore_empty
        self.backend_args = None if backend_args is None else dict(backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            data = fileio.get(filename, backend_args=self.backend_args)
            shape = jpeg_shape(data)
            img = None if shape is not None else mmcv.imfrombytes(data, flag='color')
        except Exception as error:
            if self.ignore_empty:
                return None
            raise OSError(f'LoadImageBytes: cannot read {filename!r}: {error}') from error
        if shape is None:
            if img is None:
                if self.ignore_empty:
                    return None
                raise OSError(f'LoadImageBytes: cannot decode {filename!r}')
            results['img'] = img
            shape = img.shape[:2]
        else:
            results['img_bytes'] = np.frombuffer(data, dtype=np.uint8)
        results['img_shape'] = tuple(shape)
        results['ori_shape'] = tuple(shape)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ignore_empty={self.ignore_empty}, '
                f'backend_args={self.backend_args})')
