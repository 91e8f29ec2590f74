"""The GPU benchmark suite of docs/speed.md: one command, one table.

A  images/s of today's CPU pipeline (per CPU core) and of the device path
   (its loader per CPU core, its batched ops on the device), and the device
   path's pixels against the CPU pipeline's on this device;
B  a MoCo v2 ResNet-50 training step: eager, channels_last, compile, AMP bf16/fp16;
C  P3: one ContrastiveCrop box refresh against one training epoch
   (``bench_localization.bench_p3``);
D  P4: SNCLR's top-K neighbour search against its training step
   (``bench_snclr_topk.bench_step``).

Each part is timed within this run.  A part that fails gives an ``error`` row
and the others still run.  ``--reduced`` shrinks every size so that the whole
suite runs on a CPU in about a minute (``tests/test_speed/test_gpu_suite.py``);
its figures mean nothing.  Usually started through ``benchmarks/gpu_suite.sh``.
"""
import argparse
import json
import math
import os
import sys
import time
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def part_p3(device, reduced):
    from bench_localization import bench_p3
    if reduced:
        ratio = bench_p3(device, num_images=16, img_size=32, batch=8, workers=0, epochs=2)
        setting = f'{device.type}, 16 images of 32 px, batch 8'
    else:
        ratio = bench_p3(device, num_images=8192, img_size=32, batch=256, workers=4, epochs=3)
        setting = f'{device.type}, 8192 images of 32 px, batch 256, 4 workers'
    return [('C P3 refresh', 'box refresh / training epoch (CIFAR R18 MoCo v2)', setting,
             ratio, 'ratio', 'target <= 0.35')]


def part_p4(device, reduced):
    from bench_snclr_topk import bench_step
    args = argparse.Namespace(
        arch='r18-cifar' if reduced else 'r50', img=32 if reduced else 224,
        step_batch=4 if reduced else 256, bank=256 if reduced else 65536, dim=256,
        step_topk=5, step_chunk=None, step_repeat=2 if reduced else 5,
        step_warmup=1 if reduced else 2, amp=False)
    t_step, t_search = bench_step(args, device)
    setting = (f'{device.type}, {args.arch} {args.img} px, batch {args.step_batch}, bank '
               f'{args.bank} x {args.dim}, K {args.step_topk}')
    return [('D P4 SNCLR', 'top-K search / training step', setting, t_search / t_step,
             'ratio', f'step {1e3 * t_step:.1f} ms, searches {1e3 * t_search:.2f} ms; '
             'target <= 0.10')]


def print_table(rows, header):
    cols = ('part', 'measure', 'setting', 'value', 'unit', 'note')
    text = [[r[0], r[1], r[2], 'nan' if isinstance(r[3], float) and math.isnan(r[3])
             else f'{r[3]:.4g}', r[4], r[5]] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in text)) for i, c in enumerate(cols[:5])]
    print('\n' + header)
    line = ' | '.join(c.ljust(w) for c, w in zip(cols[:5], widths)) + ' | note'
    print(line)
    print('-' * len(line))
    for t in text:
        print(' | '.join(v.ljust(w) for v, w in zip(t[:5], widths)) + ' | ' + t[5])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--reduced', action='store_true',
                        help='tiny sizes: checks that the suite runs (e.g. on a CPU)')
    parser.add_argument('--parts', default='ABCD', help='which parts to run, e.g. AB')
    parser.add_argument('--rounds', type=int, default=None, help='part A rounds')
    parser.add_argument('--steps', type=int, default=None, help='part B timed steps')
    parser.add_argument('--compile-backend', default=None,
                        help="part B's torch.compile backend (default inductor; "
                             "--reduced: eager, i.e. dynamo's capture only)")
    parser.add_argument('--json', default=None, help='also write the rows to this file')
    args = parser.parse_args()
    device = torch.device(args.device)
    rounds = args.rounds or (1 if args.reduced else 3)
    steps = args.steps or (1 if args.reduced else 10)
    backend = args.compile_backend or ('eager' if args.reduced else 'inductor')
    if args.reduced:
        torch.set_num_threads(1)  # tiny tensors; two threads thrash on a shared CPU
    gpu = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'
    header = (f'gpu_suite: {gpu}, torch {torch.__version__}, {os.cpu_count()} CPUs'
              f'{", REDUCED sizes (figures meaningless)" if args.reduced else ""}')
    print(header, flush=True)

    import gpu_suite_pipelines
    import gpu_suite_step
    parts = {
        'A': lambda: gpu_suite_pipelines.run(device, args.reduced, rounds),
        'B': lambda: gpu_suite_step.run(device, args.reduced, steps, backend),
        'C': lambda: part_p3(device, args.reduced),
        'D': lambda: part_p4(device, args.reduced),
    }
    rows = []
    start = time.perf_counter()
    for key in args.parts:
        t0 = time.perf_counter()
        print(f'--- part {key} ...', flush=True)
        try:
            rows += parts[key]()
        except Exception as error:  # noqa: BLE001  (one table even when a part fails)
            traceback.print_exc()
            rows.append((f'{key} error', type(error).__name__, str(error)[:80], float('nan'),
                         '', 'see the traceback above'))
        print(f'--- part {key} done in {time.perf_counter() - t0:.0f} s', flush=True)
    print_table(rows, f'{header}; {time.perf_counter() - start:.0f} s in all')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump([list(r) for r in rows], f, indent=1)


if __name__ == '__main__':
    main()
