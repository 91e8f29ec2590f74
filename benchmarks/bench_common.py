"""What the benchmarks share: the repository root, the ImageNet ContrastiveCrop
config and the box they crop with, and a device sync for wall-clock timings.

Imported by name (``from bench_common import ...``): a benchmark run as a
script has this folder on ``sys.path``, and ``gpu_suite.py`` puts it there.
"""
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGENET_CCROP = os.path.join(ROOT, 'configs/selfsup/_base_/datasets/imagenet_ccrop.py')
BOX = (0.2, 0.25, 0.75, 0.8)  # off-centre, so a ContrastiveCrop's box matters


def sync(device: torch.device) -> None:
    """Wait for ``device``'s queued kernels, so that a timing covers them."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
