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
