"""Test-only hook: SIGKILL its own process after a given training iteration.

Imported by the training subprocess through ``custom_imports``; simulates a
node dying (no exception, no cleanup, no atexit handlers).
"""
import os
import signal

from mmengine.hooks import Hook

from mmccrop.registry import HOOKS


@HOOKS.register_module(name='_KillAtIterHook', force=True)
class KillAtIterHook(Hook):

    priority = 'LOWEST'

    def __init__(self, kill_at_iter: int) -> None:
        self.kill_at_iter = kill_at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.kill_at_iter:
            os.kill(os.getpid(), signal.SIGKILL)
