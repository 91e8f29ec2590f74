"""Base of the algorithms with a momentum (EMA) encoder: MoCo, BYOL, SNCLR."""
import copy
import math
from collections import OrderedDict
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from .base import BaseSelfSupAlgorithm


class BaseMomentumAlgorithm(BaseSelfSupAlgorithm):
    """A self-supervised algorithm with a frozen EMA copy of its encoder.

    Stable interface (other algorithms, e.g. SNCLR, build on it):

    - ``self.momentum_encoder``: ``nn.Sequential(OrderedDict(backbone=...,
      neck=...))``, a deep copy of ``self.backbone`` (+ ``self.neck`` if any).
      ``self.momentum_encoder(img)`` returns the neck's output tuple (or the
      backbone's maps without a neck).  Its parameters have
      ``requires_grad=False``; it is a submodule, so checkpoints hold it as
      ``momentum_encoder.backbone.*`` / ``momentum_encoder.neck.*``.  Its BN
      buffers are its own (updated by its own forward passes in train mode).
    - :meth:`init_weights` runs mmengine's initialisation and then copies the
      online encoder into the momentum encoder, so both start equal even after
      the runner re-initialises the model.
    - :meth:`momentum_update` (no grad): ``t <- m * t + (1 - m) * o`` for every
      parameter pair, one fused ``torch._foreach_lerp_``.  Call it once per
      training step, before the momentum encoder's forward.
    - :meth:`get_momentum`: the momentum for the current step.  With
      ``momentum_schedule='cosine'`` (BYOL) it is
      ``end - (end - base) * (1 + cos(pi * iter / max_iters)) / 2``, read from
      the message hub's ``iter`` / ``max_iters`` (filled by mmengine's
      ``RuntimeInfoHook``); without those it is ``base_momentum``.  Setting
      ``self.momentum_override`` (e.g. from a hook) to a float replaces both.
      The last value used is kept in ``self.momentum``.

    Args:
        backbone: Backbone config.
        neck: Neck config (projector), or None.
        head: Head config, or None.
        base_momentum: EMA momentum ``m`` (the start value with a cosine schedule).
        end_momentum: Final momentum of the cosine schedule (default 1.0).
        momentum_schedule: ``'constant'`` or ``'cosine'``.
        data_preprocessor: Config or module.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, neck: Optional[dict] = None, head: Optional[dict] = None,
                 base_momentum: float = 0.99, end_momentum: float = 1.0,
                 momentum_schedule: str = 'constant',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for name, value in (('base_momentum', base_momentum), ('end_momentum', end_momentum)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'{type(self).__name__}: {name} must be in [0, 1], got {value}')
        if momentum_schedule not in ('constant', 'cosine'):
            raise ValueError(f'{type(self).__name__}: momentum_schedule must be "constant" or '
                             f'"cosine", got {momentum_schedule!r}')
        self.base_momentum = base_momentum
        self.end_momentum = end_momentum
        self.momentum_schedule = momentum_schedule
        self.momentum = base_momentum
        self.momentum_override: Optional[float] = None

        self.momentum_encoder = nn.Sequential(OrderedDict(
            (k, copy.deepcopy(m)) for k, m in self._online_modules().items()))
        self.momentum_encoder.requires_grad_(False)

    def _online_modules(self) -> 'OrderedDict[str, nn.Module]':
        mods = OrderedDict(backbone=self.backbone)
        if self.neck is not None:
            mods['neck'] = self.neck
        return mods

    def _param_pairs(self):
        online = [p for m in self._online_modules().values() for p in m.parameters()]
        target = list(self.momentum_encoder.parameters())
        if len(online) != len(target):
            raise RuntimeError(f'{type(self).__name__}: online encoder has {len(online)} '
                               f'parameters but the momentum encoder has {len(target)}')
        return online, target

    @torch.no_grad()
    def copy_online_to_momentum(self) -> None:
        """Make the momentum encoder an exact copy (parameters and buffers)."""
        online, target = self._param_pairs()
        online += [b for m in self._online_modules().values() for b in m.buffers()]
        target += list(self.momentum_encoder.buffers())
        torch._foreach_copy_(target, online)

    def init_weights(self) -> None:
        super().init_weights()
        self.copy_online_to_momentum()

    def get_momentum(self) -> float:
        """Momentum for the current iteration (see the class docstring)."""
        if self.momentum_override is not None:
            return float(self.momentum_override)
        if self.momentum_schedule == 'constant':
            return self.base_momentum
        hub = MessageHub.get_current_instance()
        cur, total = hub.get_info('iter'), hub.get_info('max_iters')
        if cur is None or not total:
            return self.base_momentum
        frac = min(max(cur / total, 0.0), 1.0)
        return self.end_momentum - (self.end_momentum - self.base_momentum) * (
            math.cos(math.pi * frac) + 1) / 2

    @torch.no_grad()
    def momentum_update(self, momentum: Optional[float] = None) -> None:
        """EMA step ``t <- m t + (1 - m) o`` with ``m = momentum or get_momentum()``."""
        m = self.get_momentum() if momentum is None else momentum
        self.momentum = m
        online, target = self._param_pairs()
        torch._foreach_lerp_(target, online, 1.0 - m)
