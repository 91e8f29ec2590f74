"""Draw a ContrastiveCrop box and sampled crop pairs on an image, as a PNG.

The figure has three parts:

- the image with the box (white, dashed) and N crop pairs, one colour per
  pair, each crop's centre marked;
- the centres of many crops (``--num-centres``) from RandomResizedCrop and
  from ContrastiveCrop, side by side, showing where the Beta(alpha, alpha)
  rule puts them;
- the N pairs of views as the model sees them (after the crop and resize).

Examples::

    python tools/analysis/visualize_crops.py demo --out crops.png
    python tools/analysis/visualize_crops.py img.jpg --box 0.2 0.3 0.7 0.9 --alpha 0.1 \\
        --num-pairs 6 --out crops.png

``--box`` is a normalised ``x0 y0 x1 y1`` box; for a box in the authors'
``y0 x0 y1 x1`` order, pass ``--yxyx``.
"""
import argparse
import sys

import cv2
import numpy as np

import mmccrop.datasets  # noqa: F401  (registers the transforms)
from mmccrop.functional.crop import check_box, yxyx_to_xyxy
from mmccrop.registry import TRANSFORMS
from mmccrop.utils import atomic_write


def demo_image(height=360, width=480, seed=0):
    """A textured background with one object, inside the default demo box."""
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 200, (4, 5, 3)).astype(np.uint8)
    img = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img.astype(np.int16) + rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)
    centre = (int(width * 0.58), int(height * 0.52))
    cv2.ellipse(img, centre, (int(width * 0.16), int(height * 0.2)), 20, 0, 360, (40, 80, 230), -1)
    spot = (int(width * 0.52), int(height * 0.45))
    cv2.circle(img, spot, int(height * 0.05), (240, 240, 240), -1)
    return img, (0.38, 0.28, 0.78, 0.76)


def sample_crops(img, box, n, size, scale, ratio, alpha, seed, backend='cv2'):
    """``n`` crop results (image + pixel crop_bbox) from ContrastiveCrop."""
    t = TRANSFORMS.build(dict(type='ContrastiveCrop', size=size, scale=tuple(scale),
                              ratio=tuple(ratio), alpha=alpha, backend=backend))
    np.random.seed(seed)
    return [t(dict(img=img, ccrop_box=box)) for _ in range(n)]


def crop_centres(results):
    b = np.array([r['crop_bbox'] for r in results])
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def draw(img, box, args, out_path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt

    height, width = img.shape[:2]
    rgb = img[..., ::-1]
    common = (args.size, args.scale, args.ratio)
    pairs = sample_crops(img, box, 2 * args.num_pairs, *common, args.alpha, args.seed)
    many_cc = sample_crops(img, box, args.num_centres, *common, args.alpha, args.seed + 1)
    many_rrc = sample_crops(img, None, args.num_centres, *common, args.alpha, args.seed + 2)

    n = args.num_pairs
    fig = plt.figure(figsize=(12, 4.6 + 1.25 * ((n + 3) // 4)), dpi=args.dpi)
    grid = fig.add_gridspec(2, 8, height_ratios=[3.2, 1.25 * ((n + 3) // 4)])
    colours = plt.cm.tab10(np.arange(n) % 10)
    x0, y0, x1, y1 = box
    box_px = (x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height)

    ax = fig.add_subplot(grid[0, :4])
    ax.imshow(rgb)
    ax.add_patch(patches.Rectangle(box_px[:2], *box_px[2:], fill=False, ec='white', lw=2.5,
                                   ls='--'))
    for i in range(n):
        for j in range(2):
            bx0, by0, bx1, by1 = pairs[2 * i + j]['crop_bbox']
            ax.add_patch(patches.Rectangle((bx0, by0), bx1 - bx0, by1 - by0, fill=False,
                                           ec=colours[i], lw=1.6, ls='-' if j == 0 else ':'))
            ax.plot((bx0 + bx1) / 2, (by0 + by1) / 2, 'o', color=colours[i], ms=5, mec='k')
    ax.set_title(f'box (dashed) and {n} crop pairs (solid / dotted = view 1 / 2)', fontsize=9)
    ax.set_axis_off()

    for k, (many, name, colour) in enumerate((
            (many_rrc, 'RandomResizedCrop', 'tab:blue'),
            (many_cc, f'ContrastiveCrop, alpha={args.alpha}', 'tab:red'))):
        ax = fig.add_subplot(grid[0, 4 + 2 * k:6 + 2 * k])
        ax.imshow(rgb, alpha=0.4)
        cx, cy = crop_centres(many)
        ax.scatter(cx, cy, s=2, c=colour, alpha=0.5)
        ax.add_patch(patches.Rectangle(box_px[:2], *box_px[2:], fill=False, ec='k', lw=1.5,
                                       ls='--'))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_title(f'{name}:\ncentres of {args.num_centres} crops', fontsize=9)
        ax.set_axis_off()

    sub = grid[1, :].subgridspec((n + 3) // 4, 8, wspace=0.05, hspace=0.15)
    for i in range(n):
        for j in range(2):
            ax = fig.add_subplot(sub[i // 4, 2 * (i % 4) + j])
            ax.imshow(pairs[2 * i + j]['img'][..., ::-1])
            for spine in ax.spines.values():
                spine.set_edgecolor(colours[i])
                spine.set_linewidth(3)
                spine.set_linestyle('-' if j == 0 else ':')
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_title(f'pair {i + 1}', fontsize=8, loc='left')

    title = (f'ContrastiveCrop on a {width}x{height} px image: views resized to '
             f'{args.size} px, scale {tuple(args.scale)}, ratio ({args.ratio[0]:.3g}, '
             f'{args.ratio[1]:.3g}), alpha {args.alpha}, box {tuple(round(v, 3) for v in box)}')
    fig.suptitle(f'{args.title}\n{title}' if args.title else title, fontsize=10)
    # Through a temporary file: no partial PNG on failure, and a plain open()'s file mode.
    try:
        atomic_write(out_path, lambda tmp: fig.savefig(tmp, format='png', bbox_inches='tight'))
    finally:
        plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Draw a ContrastiveCrop box and sampled crop pairs on an image (PNG).')
    parser.add_argument('image', help="image file, or 'demo' for a synthetic image and box")
    parser.add_argument('--out', default='crops.png', help='output PNG')
    parser.add_argument('--box', type=float, nargs=4, metavar=('X0', 'Y0', 'X1', 'Y1'),
                        help='normalised box (default: the demo box, or the full image)')
    parser.add_argument('--yxyx', action='store_true',
                        help="--box is in the authors' (y0, x0, y1, x1) order")
    parser.add_argument('--alpha', type=float, default=0.6)
    parser.add_argument('--size', type=int, default=112,
                        help='side the views are resized to, in pixels (the config\'s crop '
                        'size)')
    parser.add_argument('--scale', type=float, nargs=2, default=(0.2, 1.0))
    parser.add_argument('--ratio', type=float, nargs=2, default=(3 / 4, 4 / 3))
    parser.add_argument('--num-pairs', type=int, default=4)
    parser.add_argument('--num-centres', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--dpi', type=int, default=100)
    parser.add_argument('--title', default=None,
                        help='a first title line saying what the image and box are')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.num_pairs < 1:
        raise ValueError(f'--num-pairs must be >= 1, got {args.num_pairs}')
    if args.image == 'demo':
        img, box = demo_image(seed=args.seed)
    else:
        img = cv2.imread(args.image, cv2.IMREAD_COLOR)
        if img is None:
            raise OSError(f'cannot read image {args.image!r}')
        box = (0., 0., 1., 1.)
    if args.box is not None:
        box = yxyx_to_xyxy(args.box) if args.yxyx else tuple(args.box)
    box = check_box(box, '--box')
    draw(img, box, args, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    sys.exit(main())
