"""kNN monitor: weighted kNN top-1 of frozen backbone features during pretraining."""
from __future__ import annotations

import time
from typing import Dict, Optional, Tuple

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmccrop.engine.feature_extraction import extract_features
from mmccrop.functional.knn import knn_classify
from mmccrop.registry import HOOKS


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Report weighted kNN top-1 accuracy every ``interval`` epochs.

    Features are the global-average-pooled last backbone map
    (``model.extract_feat(x)[-1]``), computed in eval mode without gradient.
    The labelled ``train_dataloader`` split is the neighbour bank and
    ``val_dataloader`` the queries.  Each rank extracts its shard; features
    are gathered with their sample indices so padding duplicates are dropped.
    The score is logged as ``{prefix}/top1`` to the message hub (and so to
    the log and the visualisation backends).

    One line adds it to any pretraining config::

        custom_hooks = [dict(type='KNNEvalHook', train_dataloader=..., val_dataloader=...)]

    The dataloaders' pipelines should resize the whole image (no random
    augmentation) and end with ``PackSelfSupInputs``.

    Args:
        train_dataloader: Dataloader config (or object) of the labelled bank split.
        val_dataloader: Dataloader config (or object) of the query split.
        interval: Evaluate after every ``interval`` epochs (and after the last).
        k: Neighbours per query.
        temperature: Vote temperature.
        chunk_size: Queries per similarity chunk (bounds memory).
        prefix: Name prefix of the logged scalar.
    """

    priority = 'LOW'

    def __init__(self,
                 train_dataloader: dict,
                 val_dataloader: dict,
                 interval: int = 1,
                 k: int = 200,
                 temperature: float = 0.07,
                 chunk_size: int = 256,
                 prefix: str = 'knn') -> None:
        if interval < 1:
            raise ValueError(f'KNNEvalHook: interval must be >= 1, got {interval}')
        if k < 1:
            raise ValueError(f'KNNEvalHook: k must be >= 1, got {k}')
        if temperature <= 0:
            raise ValueError(f'KNNEvalHook: temperature must be > 0, got {temperature}')
        self.train_loader_cfg = train_dataloader
        self.val_loader_cfg = val_dataloader
        self.interval = interval
        self.k = k
        self.temperature = temperature
        self.chunk_size = chunk_size
        self.prefix = prefix
        self._loaders: Optional[Tuple] = None
        self.history: Dict[int, float] = {}
        # Queries of the last evaluation: readers need it to judge the score's noise.
        self.num_queries: Optional[int] = None

    def _build_loaders(self, runner) -> Tuple:
        if self._loaders is None:
            seed = runner.seed if hasattr(runner, 'seed') else None
            self._loaders = tuple(
                runner.build_dataloader(cfg, seed=seed) if isinstance(cfg, dict) else cfg
                for cfg in (self.train_loader_cfg, self.val_loader_cfg))
        return self._loaders

    def evaluate(self, runner) -> float:
        """Extract both splits, classify, log and return top-1 (in %)."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        bank_loader, query_loader = self._build_loaders(runner)
        was_training = model.training
        model.eval()
        start = time.perf_counter()
        try:
            bank, bank_labels = extract_features(model, bank_loader)
            query, query_labels = extract_features(model, query_loader)
        finally:
            model.train(was_training)
        num_classes = int(max(bank_labels.max(), query_labels.max()).item()) + 1
        pred = knn_classify(bank, bank_labels, query, num_classes, self.k, self.temperature,
                            self.chunk_size)
        top1 = (pred == query_labels).float().mean().item() * 100
        runner.message_hub.update_scalar(f'{self.prefix}/top1', top1)
        self.history[runner.epoch] = top1
        self.num_queries = len(query)
        if get_rank() == 0:
            runner.logger.info(
                f'kNN (k={self.k}, T={self.temperature}) top-1: {top1:.2f}% '
                f'[bank {len(bank)}, queries {len(query)}, {time.perf_counter() - start:.1f}s]')
        return top1

    def due(self, runner) -> bool:
        """Whether the kNN pass runs after the current epoch (``runner.epoch``,
        before the loop increments it): every ``interval`` epochs and the last."""
        return self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner)

    def after_train_epoch(self, runner) -> None:
        if self.due(runner):
            self.evaluate(runner)
