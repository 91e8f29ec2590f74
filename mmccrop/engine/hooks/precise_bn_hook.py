"""Recompute BN statistics on training data before the model is evaluated."""
from __future__ import annotations

from typing import Iterator, Optional

from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar

from mmccrop.functional.precise_bn import precise_bn_stats, training_bn_layers
from mmccrop.registry import HOOKS


@HOOKS.register_module()
class PreciseBNHook(Hook):
    """detectron2's ``TEST.PRECISE_BN`` for mmengine runners (any task's model).

    After the last training iteration (and, with ``interval``, every
    ``interval`` iterations), the running statistics of every BN layer in
    training mode are replaced by their average over ``num_iters`` training
    batches, run through the model's ``loss`` forward without gradients, as
    detectron2 does (so, in a C4 detector, the res5 head's BN sees the sampled
    training RoIs). It runs before the checkpoint of that iteration is saved
    and before validation, so both use the precise statistics.

    MoCo's C4 detection configs (``Base-RCNN-C4-BN.yaml``) enable it with 200
    iterations; the effect is on the evaluated figures only, not on training.

    Args:
        num_iters: Training batches to average over (per rank; detectron2: 200).
        interval: Also recompute every ``interval`` training iterations
            (detectron2 does so at each evaluation); ``None``: at the end only.
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook saves the iteration

    def __init__(self, num_iters: int = 200, interval: Optional[int] = None) -> None:
        if num_iters < 1:
            raise ValueError(f'PreciseBNHook: num_iters must be >= 1, got {num_iters}')
        if interval is not None and interval < 1:
            raise ValueError(f'PreciseBNHook: interval must be >= 1 or None, got {interval}')
        self.num_iters = num_iters
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.is_last_train_iter(runner) or (
                self.interval and self.every_n_train_iters(runner, self.interval)):
            self.recompute(runner)

    def _batches(self, runner) -> Iterator:
        loop = runner.train_loop
        # An iteration-based loop keeps one endless iterator: continue it, as
        # detectron2 continues drawing training batches.
        source = getattr(loop, 'dataloader_iterator', None)
        if source is None:
            source = iter(loop.dataloader)
        bar = ProgressBar(self.num_iters) if runner.rank == 0 else None
        for batch in source:
            yield batch
            if bar is not None:
                bar.update()

    def recompute(self, runner) -> int:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        layers = training_bn_layers(model)
        if not layers:
            runner.logger.info('PreciseBNHook: no BN layer in training mode; nothing to do')
            return 0

        def forward(batch):
            model._run_forward(model.data_preprocessor(batch, True), mode='loss')

        runner.logger.info(f'PreciseBNHook: recomputing the statistics of {len(layers)} BN '
                           f'layers over {self.num_iters} training batches')
        done = precise_bn_stats(layers, forward, self._batches(runner), self.num_iters)
        if dist.get_world_size() > 1:
            # Equal already under SyncBN; plain BN under DDP: average the ranks.
            for bn in layers:
                for stat in (bn.running_mean, bn.running_var):
                    reduced = stat.clone()
                    dist.all_reduce(reduced, op='mean')
                    stat.copy_(reduced)
        runner.logger.info(f'PreciseBNHook: statistics averaged over {done} batches')
        return done


__all__ = ['PreciseBNHook']
