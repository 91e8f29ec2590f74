"""Time one MoCo v2 ResNet-50 training step: mmccrop vs plain PyTorch.

Both sides do the same work per step: normalise two uint8 views, forward the
query encoder, EMA-update and forward the key encoder, InfoNCE against a
65536-key queue, backward, SGD step, enqueue.  mmccrop runs the full mmengine
path (``model.train_step``: data preprocessor, loss dict parsing, OptimWrapper);
the reference is a plain PyTorch MoCo v2 written here, in the style of the
official implementation (torchvision ResNet-50 with the MLP as ``fc``, a
python loop for the momentum update).  Runs are interleaved (ours, ref, ours,
...) and medians compared, so machine load affects both alike.

Usage::

    python benchmarks/bench_mocov2_step.py                  # CPU, batch 32
    python benchmarks/bench_mocov2_step.py --device cuda --steps 30

Prints the per-step medians, the ratio of the medians and the median of the
per-pair ratios, ours / reference (target <= 1.05).
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


class PlainMoCoV2(nn.Module):
    """Reference: MoCo v2 as the official code writes it (single process)."""

    def __init__(self, dim=128, k=65536, m=0.999, t=0.2):
        super().__init__()
        self.k, self.m, self.t = k, m, t
        self.encoder_q = torchvision.models.resnet50(num_classes=dim)
        self.encoder_k = torchvision.models.resnet50(num_classes=dim)
        hid = self.encoder_q.fc.weight.shape[1]
        self.encoder_q.fc = nn.Sequential(nn.Linear(hid, hid), nn.ReLU(), self.encoder_q.fc)
        self.encoder_k.fc = nn.Sequential(nn.Linear(hid, hid), nn.ReLU(), self.encoder_k.fc)
        for pq, pk in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            pk.data.copy_(pq.data)
            pk.requires_grad = False
        self.register_buffer('queue', F.normalize(torch.randn(dim, k), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.register_buffer('mean', torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(STD).view(1, 3, 1, 1))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for pq, pk in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            pk.data = pk.data * self.m + pq.data * (1. - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        bs = keys.shape[0]
        ptr = int(self.queue_ptr)
        idx = (ptr + torch.arange(bs, device=keys.device)) % self.k
        self.queue[:, idx] = keys.T
        self.queue_ptr[0] = (ptr + bs) % self.k

    def forward(self, im_q, im_k):
        # BGR uint8 -> normalised RGB float, as the data preprocessor does.
        im_q = (im_q[:, [2, 1, 0]].float() - self.mean) / self.std
        im_k = (im_k[:, [2, 1, 0]].float() - self.mean) / self.std
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = F.normalize(self.encoder_k(im_k), dim=1)
        l_pos = torch.einsum('nc,nc->n', q, k).unsqueeze(-1)
        l_neg = torch.einsum('nc,ck->nk', q, self.queue.clone().detach())
        logits = torch.cat([l_pos, l_neg], dim=1) / self.t
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        self._dequeue_and_enqueue(k)
        return F.cross_entropy(logits, labels)


def build_ours(device):
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper

    from mmccrop.registry import MODELS
    from mmccrop.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(os.path.join(ROOT, 'configs/selfsup/_base_/models/mocov2_resnet50.py'))
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9,
                                         weight_decay=1e-4))

    def step(views):
        model.train_step(dict(inputs=views), optim)
    return step


def build_ref(device):
    model = PlainMoCoV2().to(device).train()
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.03,
                            momentum=0.9, weight_decay=1e-4)

    def step(views):
        loss = model(views[0], views[1])
        optim.zero_grad()
        loss.backward()
        optim.step()
    return step


def timed(step, views, device):
    if device.type == 'cuda':
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    step(views)
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--steps', type=int, default=5, help='timed steps per side')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=0, help='torch threads (0: default)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    views = [torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8,
                           device=device) for _ in range(2)]
    ours, ref = build_ours(device), build_ref(device)
    for _ in range(args.warmup):
        timed(ours, views, device)
        timed(ref, views, device)
    t_ours, t_ref = [], []
    for i in range(args.steps):
        # Alternate which side goes first so drifting load hits both equally.
        pair = [(ours, t_ours), (ref, t_ref)]
        for fn, acc in (pair if i % 2 == 0 else pair[::-1]):
            acc.append(timed(fn, views, device))
    m_ours, m_ref = statistics.median(t_ours), statistics.median(t_ref)
    # Each pair ran back to back, so its ratio is robust to slow drifts in machine load.
    paired = statistics.median(a / b for a, b in zip(t_ours, t_ref))
    print(f'device={device} batch={args.batch} size={args.size} steps={args.steps} '
          f'threads={torch.get_num_threads()}')
    print(f'ours      median {m_ours * 1e3:9.1f} ms/step  all {[round(t, 3) for t in t_ours]}')
    print(f'reference median {m_ref * 1e3:9.1f} ms/step  all {[round(t, 3) for t in t_ref]}')
    print(f'ratio ours/reference = {m_ours / m_ref:.3f} (medians), {paired:.3f} (median of '
          'paired ratios); target <= 1.05')


if __name__ == '__main__':
    main()
