"""visualize_boxes.py --boxes: any one or two sources, side by side, with their mean IoU."""
import importlib.util
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from test_boxes._tiny import BoxTestNet

from mmccrop.datasets.box_sources import save_boxes
from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'visualize_boxes', osp.join(ROOT, 'tools/analysis/visualize_boxes.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        "model = dict(type='_BoxTestNet')\n"
        "train_dataloader = dict(dataset=dict(type='BoxedDataset', "
        "dataset=dict(type='_BoxTestImages', num=6)))\n"
        "custom_hooks = [dict(type='BoxRefreshHook', threshold=0.3, eval_size=32)]\n")
    torch.manual_seed(0)
    model = BoxTestNet()
    stored = torch.tensor([[0.1, 0.1, 0.6, 0.7]]).repeat(6, 1)
    torch.save(dict(state_dict=model.state_dict(), ccrop_boxes=dict(boxes=stored, active=True)),
               tmp_path / 'ckpt.pth')
    return cfg, model, stored


def _figure(text, what):
    return float(re.search(what + r':? ([0-9.]+)', text).group(1))


def test_two_sources_side_by_side_with_their_mean_iou(tmp_path, tool, setup, capsys,
                                                      one_thread):
    cfg, model, stored = setup
    dataset = tool.build_dataset(tool.load_config(str(cfg)), 'train')
    gt = dataset.gt_boxes()
    save_boxes(str(tmp_path / 'gt.csv'), [str(i) for i in range(6)], gt.numpy())
    out = tmp_path / 'pics' / 'gt_vs_file.png'
    assert tool.main([str(cfg), '--boxes', 'gt', str(tmp_path / 'gt.csv'), '--num', '2',
                      '--device', 'cpu', '--out', str(out)]) == 0
    text = capsys.readouterr().out
    assert 'mean IoU between true boxes (gt_bbox) and box file gt.csv: 1.000 over 6 samples' \
        in text
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    assert os.listdir(out.parent) == ['gt_vs_file.png']

    # learned (heatmap) boxes against the checkpoint's: the figure is the mean over all samples
    ckpt = str(tmp_path / 'ckpt.pth')
    assert tool.main([str(cfg), '--checkpoint', ckpt, '--boxes', 'heatmap', 'stored',
                      '--num', '2', '--device', 'cpu', '--out', str(out)]) == 0
    text = capsys.readouterr().out
    heat, _ = BoxRefreshHook(threshold=0.3, eval_size=32).localize(model.eval(), dataset)
    from mmccrop.functional.localization import box_iou
    assert _figure(text, r'and boxes stored in the checkpoint') == pytest.approx(
        float(box_iou(heat, stored).mean()), abs=5e-4)
    assert _figure(text, r'heatmap boxes \(k=0.3\): mean area [0-9.]+ over 6 samples \(all\), '
                         r'mean IoU with the true boxes') == pytest.approx(
        float(box_iou(heat, gt).mean()), abs=5e-4)
    # only the drawn samples
    assert tool.main([str(cfg), '--boxes', 'source', '--indices', '0', '3', '--iou-over',
                      'drawn', '--device', 'cpu', '--out', str(out)]) == 0
    assert 'initial boxes (init_box (0.0, 0.0, 1.0, 1.0)): mean area 1.000 over 2 samples ' \
           '(drawn)' in capsys.readouterr().out


def test_drawn_heatmap_boxes_are_the_refresh_boxes(tool, setup, one_thread):
    """The figure squashes and reads features exactly as the refresh does."""
    cfg, model, _ = setup
    dataset = tool.build_dataset(tool.load_config(str(cfg)), 'train')
    images = [tool.read_image(dataset.raw_data_info(i)) for i in range(6)]
    _, drawn, _ = tool.localise(model.eval(), images, 0.3, (32, 32))
    refresh, _ = BoxRefreshHook(threshold=0.3, eval_size=32).localize(model, dataset,
                                                                      batch_size=6)
    assert torch.equal(drawn, refresh)


def test_bad_sources_are_refused(tmp_path, tool, setup):
    cfg, _, _ = setup
    with pytest.raises(SystemExit):
        tool.parse_args([str(cfg), '--boxes', 'boxes.txt'])
    with pytest.raises(SystemExit):
        tool.parse_args([str(cfg), '--boxes', 'gt', 'stored', 'heatmap'])
    with pytest.raises(ValueError, match='--boxes stored: the checkpoint holds no ccrop_boxes'):
        tool.main([str(cfg), '--boxes', 'stored', '--device', 'cpu',
                   '--out', str(tmp_path / 'x.png')])


class _TokenBackbone(torch.nn.Module):
    """A ViT stand-in: patch tokens are the patches' brightness, after a class token."""
    num_extra_tokens = 1

    def __init__(self):
        super().__init__()
        self.out_type = 'cls_token'
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        patches = torch.nn.functional.avg_pool2d(x, 8).flatten(2).transpose(1, 2)  # (B, L, 3)
        tokens = torch.cat([patches.mean(1, keepdim=True), patches], 1) * self.scale
        return (tokens[:, 0] if self.out_type == 'cls_token' else tokens, )


class _TinyViT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = _TokenBackbone()

    def extract_feat(self, inputs):
        return self.backbone(inputs)


def test_heatmaps_of_a_vit_are_drawn_from_its_patch_tokens(tool):
    """The figure reads ViT features as the refresh does (it called extract_feat
    itself before, and got the class token of a ViT)."""
    img = np.zeros((32, 32, 3), np.uint8)
    img[8:16, 16:24] = 255  # one bright patch of the 4x4 grid
    heat, boxes, degenerate = tool.localise(_TinyViT(), [img], 0.5, (32, 32))
    assert heat.shape == (1, 32, 32) and not degenerate.any()
    assert torch.allclose(boxes, torch.tensor([[0.5, 0.25, 0.75, 0.5]]))
