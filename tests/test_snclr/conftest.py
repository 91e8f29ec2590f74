"""One intra-op thread for the tiny SNCLR models.

At these sizes (width-8 ResNet-18, batch 4, 32 px) a second thread buys
nothing, and on a busy 2-core machine spinning threads made steps 10-50x
slower.
"""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
