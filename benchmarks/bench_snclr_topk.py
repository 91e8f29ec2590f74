"""Cost of SNCLR's top-K neighbour search relative to the rest of a training step.

Two measurements, both in this run:

1. the search alone: a batch of queries against a ``bank x dim`` bank
   (default 65,536 x 256, batch 256, K 5 and 30), for several chunk sizes;
2. a full SNCLR training step (forward, backward, SGD step) with the same
   bank, timing the two searches it makes inside the step, and reporting
   ``search / step`` and ``search / rest-of-step``.

The step model defaults to ResNet-50 at 224 px on a GPU; on a CPU, where that
takes minutes per step, it defaults to the CIFAR ResNet-18 at 32 px (say so
when reporting).  The P4 target is a search <= 10 % of the step on a GPU.

Examples::

    python benchmarks/bench_snclr_topk.py                      # auto device
    python benchmarks/bench_snclr_topk.py --device cpu --step-batch 64
    python benchmarks/bench_snclr_topk.py --arch r50 --img 224 --step-batch 256
"""
import argparse
import time
from typing import Callable, List

import torch
import torch.nn.functional as F
from bench_common import sync

from mmccrop.functional.neighbors import topk_cosine_neighbors


def _time(fn: Callable[[], object], device: torch.device, repeat: int, warmup: int = 2
          ) -> float:
    """Median wall time of ``fn`` in seconds."""
    for _ in range(warmup):
        fn()
    times: List[float] = []
    for _ in range(repeat):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def bench_search(args, device: torch.device) -> None:
    g = torch.Generator(device='cpu').manual_seed(0)
    bank = F.normalize(torch.randn(args.bank, args.dim, generator=g), dim=1).to(device)
    query = F.normalize(torch.randn(args.batch, args.dim, generator=g), dim=1).to(device)
    ids = torch.arange(args.batch, device=device)
    bank_ids = torch.randint(0, 10 * args.bank, (args.bank, ), generator=g).to(device)
    print(f'\n[search] bank {args.bank} x {args.dim}, batch {args.batch}, device {device}')
    print(f'{"K":>4} {"chunk":>8} {"exclude":>8} {"ms":>9}')
    for k in args.topk:
        for chunk in args.chunks:
            for excl in (False, True):
                kw = dict(query_ids=ids, bank_ids=bank_ids) if excl else {}
                def search(k=k, chunk=chunk, kw=kw):
                    return topk_cosine_neighbors(query, bank, k, chunk_size=chunk,
                                                 normalized=True, **kw)

                t = _time(search, device, args.repeat)
                print(f'{k:>4} {str(chunk):>8} {str(excl):>8} {1e3 * t:9.2f}')


def _model_cfg(args) -> dict:
    if args.arch == 'r50':
        backbone = dict(type='mmdet.ResNet', depth=50, out_indices=(3, ), norm_eval=False)
        in_ch = 2048
    else:
        backbone = dict(type='CIFARResNet', depth=18, out_indices=(3, ), norm_eval=False)
        in_ch = 512
    return dict(
        type='SNCLR', backbone=backbone,
        neck=dict(type='NonLinearNeck', in_channels=in_ch, hid_channels=4096,
                  out_channels=args.dim, num_layers=2, with_last_bn_affine=False),
        predictor=dict(type='NonLinearNeck', in_channels=args.dim, hid_channels=4096,
                       out_channels=args.dim, num_layers=2, with_last_bn=False,
                       with_avg_pool=False),
        bank_size=args.bank, topk=args.step_topk, temperature=0.2, momentum=0.99,
        feat_dim=args.dim, bank_chunk_size=args.step_chunk,
        positiveness=dict(type='CosinePositiveness'), loss_form='code')


def bench_step(args, device: torch.device) -> tuple:
    from mmengine.logging import MMLogger

    from mmccrop.registry import MODELS
    from mmccrop.structures.data_sample import SelfSupDataSample
    from mmccrop.utils import register_all_modules
    register_all_modules()
    MMLogger.get_instance('bench_snclr_topk', log_level='WARNING')  # quiet init_weights

    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(args)).to(device)
    model.init_weights()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01,
                          momentum=0.9)
    n, img = args.step_batch, args.img
    views = [torch.randn(n, 3, img, img, device=device) for _ in range(2)]
    samples = [SelfSupDataSample(metainfo=dict(sample_idx=i)) for i in range(n)]

    search_time = [0.0]
    search = model.bank.search

    def timed_search(*a, **kw):
        sync(device)
        t0 = time.perf_counter()
        out = search(*a, **kw)
        sync(device)
        search_time[0] += time.perf_counter() - t0
        return out

    model.bank.search = timed_search

    def step():
        out = model(views, samples, mode='loss')
        opt.zero_grad(set_to_none=True)
        out['loss'].backward()
        opt.step()

    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp)
    with amp:
        for _ in range(args.step_warmup):
            step()
        search_time[0] = 0.0
        t_step = _time(step, device, args.step_repeat, warmup=0)
    # Median step vs mean search per step (the searches are steady).
    t_search = search_time[0] / args.step_repeat
    print(f'\n[step] SNCLR {args.arch} {img}px, batch {n} (2 views), bank {args.bank} x '
          f'{args.dim}, K {args.step_topk}, chunk {args.step_chunk}, device {device}, '
          f'amp {args.amp}')
    print(f'  step {1e3 * t_step:.1f} ms, top-K searches (2 per step) {1e3 * t_search:.2f} ms')
    print(f'  search / step = {100 * t_search / t_step:.2f} %, '
          f'search / rest of step = {100 * t_search / max(t_step - t_search, 1e-9):.2f} %')
    return t_step, t_search


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--bank', type=int, default=65536)
    p.add_argument('--dim', type=int, default=256)
    p.add_argument('--batch', type=int, default=256, help='queries of the search alone')
    p.add_argument('--topk', type=int, nargs='+', default=[5, 30])
    p.add_argument('--chunks', type=lambda s: None if s == 'none' else int(s), nargs='+',
                   default=[None, 16384], help="chunk sizes ('none' = one chunk)")
    p.add_argument('--repeat', type=int, default=10)
    p.add_argument('--arch', choices=['r50', 'r18-cifar'], default=None,
                   help='step model (default: r50 on GPU, r18-cifar on CPU)')
    p.add_argument('--img', type=int, default=None, help='default: 224 (r50), 32 (r18)')
    p.add_argument('--step-batch', type=int, default=256)
    p.add_argument('--step-topk', type=int, default=5)
    p.add_argument('--step-chunk', type=int, default=None)
    p.add_argument('--step-repeat', type=int, default=5)
    p.add_argument('--step-warmup', type=int, default=2)
    p.add_argument('--amp', action='store_true', help='bf16 autocast for the step')
    p.add_argument('--skip-step', action='store_true')
    args = p.parse_args()
    device = torch.device(args.device)
    if args.arch is None:
        args.arch = 'r50' if device.type == 'cuda' else 'r18-cifar'
    if args.img is None:
        args.img = 224 if args.arch == 'r50' else 32
    print(f'torch {torch.__version__}, threads {torch.get_num_threads()}')
    bench_search(args, device)
    if not args.skip_step:
        bench_step(args, device)


if __name__ == '__main__':
    main()
