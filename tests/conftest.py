"""Shared test set-up: CPU only, quiet plotting, a registered scope."""
import os

os.environ.setdefault('MPLBACKEND', 'Agg')

import pytest  # noqa: E402
import torch  # noqa: E402

import mmccrop  # noqa: E402,F401  (version checks + safe checkpoint globals)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True, scope='session')
def _cpu_threads():
    # Two cores: keep intra-op threads bounded so parallel work doesn't thrash.
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    yield


@pytest.fixture
def one_thread():
    """One intra-op thread for the test (folders of tiny models make it autouse).

    Tiny tensors gain nothing from a second thread, and on a shared 2-core
    machine two OpenMP threads per process thrash (measured 0.2 s vs 4 s for
    the same 15 steps, and 10-50x slower SNCLR steps).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Each test starts in scope 'mmccrop' and cannot leak another one.

    mmengine's current default scope is process-global: a test that builds
    an mmdet/mmseg Runner would otherwise leave 'mmseg' current, and later
    builds through mmccrop's registries would search mmseg's.
    """
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmccrop'):
        yield


@pytest.fixture
def repo_root() -> str:
    return ROOT
