"""Fabricated datasets shared by the config tests; cheaper Runners; one thread."""
import gc

import mmengine.config.config as mm_config
import mmengine.runner.runner as mm_runner
import pytest
from _data_formats import (
    write_cifar10,
    write_cifar100,
    write_imagenet,
    write_stl10,
    write_tiny_imagenet,
)
from mmengine.visualization import Visualizer

_ENV = {}
_FORMATTED = {}
_format_code = mm_config.FormatCode
_collect_env = mm_runner.collect_env


def _memo_collect_env():
    if 'env' not in _ENV:
        _ENV['env'] = _collect_env()
    return _ENV['env']


def _memo_format_code(text, style_config=None, **kwargs):
    key = (text, repr(style_config), repr(sorted(kwargs.items())))
    if key not in _FORMATTED:
        _FORMATTED[key] = _format_code(text, style_config=style_config, **kwargs)
    return _FORMATTED[key]


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


@pytest.fixture(autouse=True)
def _restore_visualizers():
    """Give back mmengine's named Visualizer instances as they were.

    ``_tiny_run.build_runner`` drops the instance named by the config, so each
    Runner logs into its own work dir; those dirs are deleted after the test,
    and a later test (any module) must not inherit a visualizer writing there.
    """
    before = dict(Visualizer._instance_dict)
    yield
    Visualizer._instance_dict.clear()
    Visualizer._instance_dict.update(before)


@pytest.fixture(autouse=True)
def _cheap_runner_overheads(monkeypatch):
    """Remove per-Runner costs that do not depend on the config, keeping results.

    Measured on the 2-core machine, per Runner: ``collect_env`` (its log of
    the environment; the same answer within a process) 1.7 s; yapf's
    ``FormatCode``, with which the Runner pretty-prints the same config text
    up to 6 times, 0.65 s a call (memoised on its arguments, so each
    distinct config text is still formatted, and must format, once); and
    ``gc.collect()``, which mmengine's ``BaseDataset`` runs for every dataset
    it builds, 0.4-0.8 s with a whole test session's objects alive (objects
    older than the test are frozen, so skipped; the test's own are collected).
    """
    monkeypatch.setattr(mm_runner, 'collect_env', _memo_collect_env)
    monkeypatch.setattr(mm_config, 'FormatCode', _memo_format_code)
    gc.freeze()
    yield
    # While the older objects are still frozen this is quick, and it frees the
    # test's Runners now: they sit in reference cycles, which Python's full
    # collections (rare with this many long-lived objects) would free only later,
    # letting models and optimizer states pile up (13 GB peak over all configs).
    gc.collect()
    gc.unfreeze()


@pytest.fixture(scope='session')
def fake_roots(tmp_path_factory) -> dict:
    """``data_root`` by format (see ``_tiny_run.FORMATS``), written once per session.

    Each training split holds 2 batches of ``_tiny_run.BATCH`` = 2 images
    (CIFAR-10: one image in each of its 5 batch files, so 2 iterations with
    ``drop_last`` and 3 without; STL-10 pretraining reads train+unlabeled).
    The datasets are only read: the box stores live in memory.
    """
    base = tmp_path_factory.mktemp('fake_data')
    return dict(
        cifar10=write_cifar10(base / 'cifar10', per_batch=1, n_test=4).root,
        cifar100=write_cifar100(base / 'cifar100', n_train=4, n_test=4).root,
        stl10=write_stl10(base / 'stl10', n_train=4, n_test=4, n_unlabeled=1).root,
        tinyimagenet=write_tiny_imagenet(base / 'tiny-imagenet-200', per_class=2, n_val=4).root,
        imagenet=write_imagenet(base / 'imagenet', per_class=2, val_per_class=2).root,
    )
