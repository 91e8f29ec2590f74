"""Test-only hook for the 2-process run: every rank saves its boxes after each epoch."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmccrop.registry import HOOKS


@HOOKS.register_module(name='_DumpBoxesHook', force=True)
class DumpBoxesHook(Hook):

    priority = 'LOW'  # after BoxRefreshHook (NORMAL) has refreshed

    def after_train_epoch(self, runner) -> None:
        boxes = runner.train_dataloader.dataset.boxes.clone()
        torch.save(boxes, osp.join(runner.work_dir,
                                   f'boxes_epoch{runner.epoch + 1}_rank{get_rank()}.pt'))


@HOOKS.register_module(name='_DumpBankHook', force=True)
class DumpBankHook(Hook):
    """Every rank saves its SNCLR bank after each epoch and when training starts."""

    priority = 'LOW'

    def _dump(self, runner, tag: str) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        bank = model.bank
        torch.save(dict(bank=bank.bank.clone(), ids=bank.ids.clone(), ptr=bank.ptr.clone()),
                   osp.join(runner.work_dir, f'bank_{tag}_rank{get_rank()}.pt'))

    def before_train(self, runner) -> None:
        self._dump(runner, f'start{runner.epoch}')

    def after_train_epoch(self, runner) -> None:
        self._dump(runner, f'epoch{runner.epoch + 1}')
