"""tools/demo.py as a thin command line, and the titles and legends of its tool pictures."""
import importlib.util
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def cli():
    return _load('tools/demo.py', 'demo_cli')


def test_every_option_reaches_the_demo_options(cli):
    args = cli.parse_args(['--work-dir', 'w', '--epochs', '3', '--num-images', '200',
                           '--seeds', '0', '1', '--transfer-train', '64', '--transfer-val', '20',
                           '--skip-transfer', '--baseline', 'none', '--verbose', '--smoke'])
    opts = cli.options(args)
    assert (opts.work_dir, opts.epochs, opts.num_images, opts.seeds) == ('w', 3, 200, [0, 1])
    assert (opts.transfer_train, opts.transfer_val) == (64, 20)
    assert opts.skip_transfer and opts.baseline == 'none' and opts.verbose and opts.smoke
    defaults = cli.options(cli.parse_args([]))
    assert defaults.work_dir == 'work_dirs/demo' and defaults.baseline == 'random'
    assert not defaults.verbose


def test_the_names_the_script_exported_still_resolve(cli):
    from mmccrop import demo
    assert cli.CONFIGS is demo.CONFIGS and cli.report is demo.report
    assert callable(cli.knn_comparison) and callable(cli.final_knn_only) and callable(cli.plot)
    with pytest.raises(AttributeError, match='no attribute'):
        cli.no_such_name  # noqa: B018


def test_help_and_bad_options_answer_before_any_training():
    script = osp.join(ROOT, 'tools', 'demo.py')
    done = subprocess.run([sys.executable, script, '--help'], capture_output=True, text=True)
    assert done.returncode == 0 and '--verbose' in done.stdout and '--baseline' in done.stdout
    done = subprocess.run([sys.executable, script, '--seeds', '1', '1'], capture_output=True,
                          text=True)
    assert done.returncode == 2 and 'seeds repeat' in done.stderr


def _caught_figure(monkeypatch, module):
    """The figures the tool closes (a closed figure keeps its artists to inspect)."""
    import matplotlib.pyplot as plt
    caught, close = [], plt.close

    def keep(fig=None):
        caught.append(fig)
        close(fig)

    monkeypatch.setattr(plt, 'close', keep)
    return caught


def test_crop_pairs_title_states_the_image_and_view_sizes(tmp_path, monkeypatch):
    import cv2
    tool = _load('tools/analysis/visualize_crops.py', 'visualize_crops_t')
    cv2.imwrite(str(tmp_path / 'img.png'), np.full((64, 64, 3), 128, np.uint8))
    caught = _caught_figure(monkeypatch, tool)
    tool.main([str(tmp_path / 'img.png'), '--size', '64', '--box', '0.2', '0.2', '0.6', '0.6',
               '--num-pairs', '1', '--num-centres', '10', '--dpi', '30', '--title',
               'training image 0', '--out', str(tmp_path / 'c.png')])
    title = caught[0]._suptitle.get_text()
    assert title.startswith('training image 0\nContrastiveCrop on a 64x64 px image: views '
                            'resized to 64 px')


def _row(gt, stored):
    box = torch.tensor([0.1, 0.1, 0.5, 0.5])
    return dict(idx=0, img=np.zeros((32, 32, 3), np.uint8), heat=np.zeros((32, 32), np.float32),
                box=box, degenerate=False, area=0.16, gt=box if gt else None,
                stored=box if stored else None, iou=1.0, iou_full=0.16)


@pytest.mark.parametrize('gt, stored, entries', [
    (False, False, ['box from this heatmap']),
    (True, False, ['box from this heatmap', 'true box']),
    (True, True, ['box from this heatmap', 'true box',
                  'box stored in the checkpoint (last refresh)']),
])
def test_box_grid_legend_lists_only_what_the_panels_show(tmp_path, monkeypatch, gt, stored,
                                                          entries):
    tool = _load('tools/analysis/visualize_boxes.py', 'visualize_boxes_t')
    caught = _caught_figure(monkeypatch, tool)
    tool.draw([_row(gt, stored)], 0.5, str(tmp_path / 'b.png'))
    fig = caught[0]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == entries
    if stored:  # drawn in the legend's colour
        from matplotlib.colors import to_rgba
        edges = [p.get_edgecolor() for p in fig.axes[1].patches]
        assert to_rgba(tool.STORED_COLOUR) in edges
