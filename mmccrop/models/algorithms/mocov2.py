"""MoCo v2 (Chen et al. 2020): momentum contrast with a queue of negatives."""
import logging
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor

from mmccrop.functional.dist import (
    batch_shuffle_ddp,
    batch_unshuffle_ddp,
    concat_all_gather,
    get_dist_info,
)
from mmccrop.registry import MODELS

from .base import SampleList
from .base_momentum import BaseMomentumAlgorithm


@MODELS.register_module()
class MoCoV2(BaseMomentumAlgorithm):
    """MoCo v2.

    The query ``q`` of view 0 comes from the online encoder, the key ``k`` of
    view 1 from the momentum encoder; the InfoNCE loss contrasts ``q`` with
    ``k`` and the ``queue_len`` keys of earlier batches.  The queue is then
    refreshed, FIFO, with the keys of *all* ranks.

    ``queue`` (``(queue_len, feat_dim)``, L2-normalised rows) and
    ``queue_ptr`` are registered buffers, so checkpoints and resumes keep them.
    ``queue_len`` need not be a multiple of the global batch: writes wrap
    around the end of the queue.

    Args:
        backbone: Backbone config.
        neck: Projector config (:class:`MoCoV2Neck`).
        head: Head config, ``dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss',
            temperature=0.2))``.
        queue_len: Number of negative keys ``K``.
        feat_dim: Embedding size (the neck's ``out_channels``).
        momentum: EMA momentum of the key encoder (0.999).
        shuffle_bn: Shuffle the key batch across ranks before the key encoder
            (Shuffle-BN).  Set False when the model uses SyncBN instead.  In a
            single process it cannot help and a warning is logged once.
        data_preprocessor: Config or module.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, queue_len: int = 65536,
                 feat_dim: int = 128, momentum: float = 0.999, shuffle_bn: bool = True,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, base_momentum=momentum,
                         momentum_schedule='constant', data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if queue_len < 1 or feat_dim < 1:
            raise ValueError(f'MoCoV2: queue_len and feat_dim must be >= 1, got '
                             f'queue_len={queue_len}, feat_dim={feat_dim}')
        self.queue_len = queue_len
        self.shuffle_bn = shuffle_bn
        self.register_buffer('queue', F.normalize(torch.randn(queue_len, feat_dim), dim=1))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self._warned_single_rank = False

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys: Tensor) -> None:
        """Write the keys of all ranks at ``queue_ptr`` (wrapping) and advance it.

        Runs on the device without a host sync: the write positions are computed
        from the pointer tensor.
        """
        keys = concat_all_gather(keys)
        n, k = keys.size(0), self.queue_len
        start = self.queue_ptr
        if n > k:  # more keys than slots: the last k win, as a FIFO would keep
            start = start + (n - k)
            keys = keys[n - k:]
        idx = (start + torch.arange(keys.size(0), device=keys.device)) % k
        self.queue.index_copy_(0, idx, keys.to(self.queue.dtype))
        self.queue_ptr.add_(n).remainder_(k)

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        """InfoNCE of view 0 (query) against view 1 (key) and the queue."""
        self._check_views(inputs, 2, 'MoCoV2')
        im_q, im_k = inputs[0], inputs[1]
        q = self.neck(self.backbone(im_q))[0]

        if self.shuffle_bn and not self._warned_single_rank and get_dist_info()[1] == 1:
            # Within one process BN sees the whole key batch: shuffling cannot hide it.
            print_log('MoCoV2: shuffle_bn=True has no effect in a single process; BN '
                      'statistics can leak across the batch. Train on several GPUs or use '
                      'SyncBN.', logger='current', level=logging.WARNING)
            self._warned_single_rank = True

        with torch.no_grad():
            self.momentum_update()
            if self.shuffle_bn:
                im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
            k = F.normalize(self.momentum_encoder(im_k)[0], dim=1)
            if self.shuffle_bn:
                k = batch_unshuffle_ddp(k, idx_unshuffle)

        # The queue is updated in place below, after this graph saved it: clone.
        loss = self.head.loss(q, k, self.queue.clone())
        self._dequeue_and_enqueue(k)
        return dict(loss=loss)
