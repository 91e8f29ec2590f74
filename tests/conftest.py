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
def repo_root() -> str:
    return ROOT
