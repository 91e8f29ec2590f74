"""Batch the views of a self-supervised pipeline."""
from typing import List, Optional, Sequence, Union

import torch
from mmengine.model import ImgDataPreprocessor

from mmccrop.registry import MODELS


@MODELS.register_module()
class SelfSupDataPreprocessor(ImgDataPreprocessor):
    """Stack, convert and normalise each view of a multi-view batch.

    The collated ``data['inputs']`` is a list with one entry per view, each a
    list of ``B`` CHW uint8 tensors (``pseudo_collate``) or an already stacked
    ``(B, C, H, W)`` tensor.  Each view is moved to the model's device,
    optionally flipped BGR->RGB, cast to float and normalised.

    Args:
        mean: Per-channel mean, in the channel order *after* conversion.
        std: Per-channel std.
        bgr_to_rgb: Flip the channel order (images are loaded as BGR by cv2).
        rgb_to_bgr: The opposite flip.
        non_blocking: Non-blocking device copies.
        channels_last: Return each view in ``torch.channels_last`` memory
            format.  Convolutions then run NHWC (cuDNN / oneDNN propagate
            the format through the network), which is faster with tensor
            cores and AMP; the loss is the same up to float rounding
            (``docs/speed.md``).

    Returns (from ``forward``): ``dict(inputs=[view0, view1, ...],
    data_samples=[...])`` with each view a float ``(B, C, H, W)`` tensor.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 non_blocking: bool = False,
                 channels_last: bool = False) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
                         rgb_to_bgr=rgb_to_bgr, non_blocking=non_blocking)
        self.channels_last = bool(channels_last)

    def _one_view(self, view: Union[torch.Tensor, List[torch.Tensor]]) -> torch.Tensor:
        batch = view if isinstance(view, torch.Tensor) else torch.stack(list(view))
        if batch.dim() == 3:  # a single CHW image
            batch = batch[None]
        batch = batch.to(self.device, non_blocking=self._non_blocking)
        if self._channel_conversion and batch.size(1) == 3:
            batch = batch[:, [2, 1, 0], ...]
        if self.channels_last and batch.dim() == 4:
            # Reorder the uint8 batch: .float() and the normalisation keep the
            # layout, so the float batch is never copied a second time.
            batch = batch.contiguous(memory_format=torch.channels_last)
        batch = batch.float()
        if self._enable_normalize:
            batch = (batch - self.mean) / self.std
        return batch

    # Kept out of torch.compile (mmengine's ``compile`` compiles ``train_step``):
    # moving data samples deep-copies their numpy metainfo, which dynamo cannot trace.
    @torch.compiler.disable
    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):  # (B, C, H, W): one view
            views = [self._one_view(inputs)]
        else:
            views = [self._one_view(v) for v in inputs]
        return {'inputs': views, 'data_samples': data.get('data_samples')}
