"""Model tests run single-threaded: their tiny tensors gain nothing from a second
thread, and on a shared 2-core machine two OpenMP threads per process thrash
(measured 0.2 s vs 4 s for the same 15 steps)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
