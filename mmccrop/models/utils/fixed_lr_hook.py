"""Keep the learning rate of some parameters fixed while the rest is scheduled."""
from typing import Optional, Sequence, Union

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmccrop.registry import HOOKS


@HOOKS.register_module()
class FixedLrHook(Hook):
    """Reset the lr of the param groups of matching parameters before each iteration.

    SimSiam keeps its predictor's lr constant while the rest follows the cosine
    schedule.  mmengine's schedulers change every param group, so this hook
    writes the fixed lr back before every step (it runs after the scheduler of
    the previous step).  The matching parameters need param groups of their
    own, which ``paramwise_cfg`` provides, e.g.::

        optim_wrapper = dict(..., paramwise_cfg=dict(
            custom_keys={'predictor': dict(lr_mult=1.0)}))
        custom_hooks = [dict(type='FixedLrHook', keys=('predictor', ))]

    Args:
        keys: A parameter is matched when one of these substrings is in its
            name (``head.predictor.mlp.0.weight`` ...).
        lr: The fixed lr.  None: each group's ``initial_lr`` (the lr before
            any scheduling, kept in the optimizer state) or, failing that, its
            lr when training starts.
    """

    priority = 'NORMAL'

    def __init__(self, keys: Union[str, Sequence[str]] = ('predictor', ),
                 lr: Optional[float] = None) -> None:
        self.keys = (keys, ) if isinstance(keys, str) else tuple(keys)
        if not self.keys:
            raise ValueError('FixedLrHook: keys must not be empty')
        if lr is not None and lr < 0:
            raise ValueError(f'FixedLrHook: lr must be >= 0, got {lr}')
        self.lr = lr
        self._groups: list = []

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        matched = {id(p) for n, p in model.named_parameters()
                   if p.requires_grad and any(k in n for k in self.keys)}
        if not matched:
            raise ValueError(f'FixedLrHook: no trainable parameter name contains any of '
                             f'{self.keys}')
        optimizer = runner.optim_wrapper.optimizer
        self._groups = []
        for group in optimizer.param_groups:
            ids = {id(p) for p in group['params']}
            hit = ids & matched
            if not hit:
                continue
            if hit != ids:
                raise ValueError(
                    f'FixedLrHook: parameters matching {self.keys} share an optimizer param '
                    'group with other parameters; give them their own groups with '
                    f"optim_wrapper.paramwise_cfg=dict(custom_keys={{'{self.keys[0]}': "
                    'dict(lr_mult=1.0)})')
            fixed = self.lr if self.lr is not None else group.get('initial_lr', group['lr'])
            self._groups.append((group, fixed))
        self._apply()

    def _apply(self) -> None:
        for group, lr in self._groups:
            group['lr'] = lr

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._apply()
