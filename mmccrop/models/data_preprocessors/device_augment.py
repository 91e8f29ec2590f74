"""Make the views of a self-supervised batch on the model's device."""
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from mmccrop.functional.batch_augment import augment_view, parse_plans
from mmccrop.functional.batch_augment_resize import pack_images
from mmccrop.registry import MODELS

from .selfsup_preprocessor import SelfSupDataPreprocessor

CROP_METHODS = ('auto', 'batched', 'loop')


@MODELS.register_module()
class DeviceAugmentPreprocessor(SelfSupDataPreprocessor):
    """The device half of the device augmentation path (``docs/speed.md``).

    The loader (:class:`MultiViewParams` + :class:`PackViewParams`) sends one
    uint8 image per sample, or its JPEG bytes, and each view's parameters,
    drawn by the CPU transforms' own samplers.  This preprocessor, on the
    model's device and for the whole batch at once, decodes the JPEGs
    (``torchvision.io.decode_jpeg``: nvJPEG on a GPU), then for each view
    crops, resizes and flips, applies the photometric ops in the view's
    order, and finally converts the channels and normalises as
    :class:`SelfSupDataPreprocessor` does.  Each batched op is an integer
    emulation of the CPU op and makes the same pixels
    (:mod:`mmccrop.functional.batch_augment`; tolerances in
    ``docs/speed.md``).

    A batch from an ordinary pipeline (``inputs`` a list of views, e.g. a
    kNN or validation loader) goes through :class:`SelfSupDataPreprocessor`
    unchanged.

    Args:
        mean, std, bgr_to_rgb, rgb_to_bgr, non_blocking, channels_last: As
            :class:`SelfSupDataPreprocessor`.
        crop_method: ``'batched'``: gather-based crop and resize of the whole
            batch (the fast one on a GPU); ``'loop'``: one
            ``F.interpolate`` per image (the fast one on a CPU, where it is
            the CPU pipeline's own kernel); ``'auto'`` (default): ``'loop'``
            on a CPU, else ``'batched'``.  Both give the same pixels.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 non_blocking: bool = False,
                 channels_last: bool = False,
                 crop_method: str = 'auto') -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, rgb_to_bgr=rgb_to_bgr,
                         non_blocking=non_blocking, channels_last=channels_last)
        if crop_method not in CROP_METHODS:
            raise ValueError(f'`crop_method` must be one of {CROP_METHODS}, got '
                             f'{crop_method!r}')
        self.crop_method = crop_method

    @torch.compiler.disable  # numpy parameters and per-sample Python: eager, as its parent
    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not (isinstance(inputs, dict) and 'params' in inputs):
            return super().forward(data, training)
        samples = data.get('data_samples')
        plans = self._plans(samples)
        images = self.decode(inputs['img'])
        params = np.stack([np.asarray(p, dtype=np.float64) for p in inputs['params']])
        if params.shape[1] != len(plans):
            raise ValueError(f'DeviceAugmentPreprocessor: {params.shape[1]} parameter rows per '
                             f'sample for {len(plans)} view plans')
        method = self.crop_method
        if method == 'auto':
            method = 'loop' if self.device.type == 'cpu' else 'batched'
        packed = pack_images(images) if method == 'batched' else None
        views = [self._one_view(augment_view(images, packed, plan, params[:, v], method))
                 for v, plan in enumerate(plans)]
        return {'inputs': views, 'data_samples': samples}

    @staticmethod
    def _plans(samples) -> tuple:
        if not samples or 'aug_plan' not in samples[0]:
            raise ValueError('DeviceAugmentPreprocessor: the data samples carry no aug_plan; '
                             'pack the batch with PackViewParams')
        text = samples[0].aug_plan
        for i, s in enumerate(samples):
            if s.get('aug_plan') != text:
                raise ValueError(f'DeviceAugmentPreprocessor: sample {i} of the batch has '
                                 'another view plan than sample 0; one batch needs one plan')
        return parse_plans(text)

    def decode(self, imgs: List[Tensor]) -> List[Tensor]:
        """The batch's CHW uint8 images on the device; 1-D tensors are JPEGs to decode.

        Decoded JPEGs come out BGR, the channel order of ``LoadImageFromFile``.
        """
        out = list(imgs)
        encoded = [i for i, t in enumerate(imgs) if t.dim() == 1]
        if encoded:
            from torchvision.io import ImageReadMode, decode_jpeg
            decoded = decode_jpeg([imgs[i] for i in encoded], mode=ImageReadMode.RGB,
                                  device=self.device, apply_exif_orientation=True)
            for i, img in zip(encoded, decoded):
                out[i] = img.flip(0)  # RGB -> BGR
        return [t.to(self.device, non_blocking=self._non_blocking) for t in out]
