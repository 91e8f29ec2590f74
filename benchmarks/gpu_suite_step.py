"""gpu_suite part B: one MoCo v2 ResNet-50 training step, eager / channels_last / compile / AMP.

Every variant starts from the same weights and the same uint8 views, runs
``model.train_step`` (data preprocessor, loss, backward, SGD step) as the
Runner does, and reports the median step time, images/s, the first step's
loss relative to eager, and the peak memory on a GPU.  ``compile`` is
mmengine's ``compile`` option (``torch.compile(model.train_step)``); AMP is
mmengine's ``AmpOptimWrapper`` on a GPU (``--amp``), bf16 autocast on a CPU.
``--reduced``: ResNet-18 at 1/8 width on 32 px views, batch 4.
"""
import copy
import os
import statistics
import time

import torch
from bench_common import ROOT, sync
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmccrop.registry import MODELS

CONFIG = os.path.join(ROOT, 'configs/selfsup/_base_/models/mocov2_resnet50.py')


def _model(reduced):
    cfg = Config.fromfile(CONFIG).model
    cfg.shuffle_bn = False  # one process
    if reduced:
        cfg.backbone.update(depth=18, base_channels=8)
        cfg.neck.update(in_channels=64, hid_channels=64)
        cfg.queue_len = 256
    return MODELS.build(cfg)


def _wrapper(model, amp, device):
    optim = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    if amp and device.type == 'cuda':
        return AmpOptimWrapper(optimizer=optim, dtype=amp, loss_scale='dynamic')
    return OptimWrapper(optimizer=optim)


def _variant(base, views, device, steps, warmup, channels_last=False, weights_nhwc=False,
             compile_backend=None, amp=None):
    model = copy.deepcopy(base).to(device).train()
    model.data_preprocessor.channels_last = channels_last
    if weights_nhwc:
        model = model.to(memory_format=torch.channels_last)
    wrapper = _wrapper(model, amp, device)
    step = model.train_step
    if compile_backend:
        step = torch.compile(step, backend=compile_backend)
    cpu_amp = amp is not None and device.type != 'cuda'
    data = dict(inputs=views)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    times, first_loss = [], None
    for i in range(warmup + steps):
        sync(device)
        t0 = time.perf_counter()
        with torch.autocast('cpu', dtype=amp, enabled=cpu_amp):
            log = step(data, wrapper)
        sync(device)
        if first_loss is None:
            first_loss = float(log['loss'])
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    mem = torch.cuda.max_memory_allocated(device) / 2 ** 30 if device.type == 'cuda' else None
    return statistics.median(times), first_loss, mem


def run(device, reduced, steps, compile_backend='inductor'):
    torch.manual_seed(0)
    base = _model(reduced)
    base.init_weights()
    batch, size = (4, 32) if reduced else (64, 224)
    views = [torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8, device=device)
             for _ in range(2)]
    variants = [
        ('eager fp32', {}),
        ('channels_last (input)', dict(channels_last=True)),
        ('channels_last (input + weights)', dict(channels_last=True, weights_nhwc=True)),
        (f'compile ({compile_backend})', dict(compile_backend=compile_backend)),
        ('AMP bf16', dict(amp=torch.bfloat16)),
        ('AMP bf16 + channels_last', dict(amp=torch.bfloat16, channels_last=True,
                                          weights_nhwc=True)),
        ('AMP fp16', dict(amp=torch.float16)),
    ]
    rows, eager = [], None
    setting = f'{device.type}, batch {batch}x2 views, {size} px'
    for name, kw in variants:
        if kw.get('amp') is torch.float16 and device.type != 'cuda':
            rows.append(('B MoCo v2 step', name, setting, float('nan'), 'img/s',
                         'skipped: fp16 autocast needs a GPU'))
            continue
        warmup = 3 if kw.get('compile_backend') else 2
        t0 = time.perf_counter()
        t, loss, mem = _variant(base, views, device, steps, warmup, **kw)
        wall = time.perf_counter() - t0
        eager = eager or (t, loss)
        note = (f'{1e3 * t:.1f} ms/step, {eager[0] / t:.2f}x eager, step-1 loss '
                f'{loss:.5f} ({loss / eager[1] - 1:+.1e} vs eager)')
        if mem is not None:
            note += f', peak {mem:.1f} GiB'
        if kw.get('compile_backend'):
            note += f', {wall:.0f} s incl. compilation'
        rows.append(('B MoCo v2 step', name, setting, batch / t, 'img/s', note))
    return rows
