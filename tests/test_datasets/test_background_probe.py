"""tools/analysis/background_probe.py: retrieval of backgrounds and objects on SyntheticObjects."""
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

CONFIG = 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py'


def _load_tool(repo_root):
    spec = importlib.util.spec_from_file_location(
        'background_probe', osp.join(repo_root, 'tools/analysis/background_probe.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_probe_images_split_the_full_image_into_background_and_object(repo_root):
    from mmccrop.functional.synthetic import SyntheticSpec, render
    tool = _load_tool(repo_root)
    spec = SyntheticSpec(img_size=32)
    imgs = tool.render_probe_images(spec, 'val', 3)
    assert all(v.shape == (3, 3, 32, 32) and v.dtype == torch.uint8 for v in imgs.values())
    for i in range(3):
        img, _, _, mask = render(spec, i, 'val')
        inside = torch.from_numpy(mask > 0)
        full = imgs['full'][i].permute(1, 2, 0)
        assert torch.equal(full, torch.from_numpy(img))
        # Object image: the object's pixels, grey elsewhere; background: the rest unchanged.
        assert torch.equal(imgs['object'][i].permute(1, 2, 0)[inside], full[inside])
        assert (imgs['object'][i].permute(1, 2, 0)[~inside] == tool.GREY).all()
        assert torch.equal(imgs['background'][i].permute(1, 2, 0)[~inside], full[~inside])


def test_probe_scores_follow_the_features(repo_root):
    probe = _load_tool(repo_root).probe
    g = torch.Generator().manual_seed(0)
    full = torch.nn.functional.normalize(torch.randn(6, 16, generator=g), dim=1)
    other = torch.nn.functional.normalize(torch.randn(6, 16, generator=g), dim=1)
    row = probe(dict(full=full, background=full, object=other))
    assert row['background_top1'] == 100 and row['background_cos_own'] == pytest.approx(1)
    assert row['object_top1'] < 100
    assert row['object_cos_own'] == pytest.approx(float((full * other).sum(1).mean()))


def test_tool_end_to_end_writes_json(tmp_path, repo_root, capsys):
    tool = _load_tool(repo_root)
    out = tmp_path / 'probe.json'
    from mmengine.config import Config

    from mmccrop.registry import MODELS
    from mmccrop.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(osp.join(repo_root, CONFIG)).model)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'ckpt.pth')
    assert tool.main([osp.join(repo_root, CONFIG), '--checkpoints', str(tmp_path / 'ckpt.pth'),
                      '--num-images', '12', '--batch-size', '5', '--device', 'cpu',
                      '--json', str(out)]) == 0
    result = json.loads(out.read_text())
    assert result['num_images'] == 12 and len(result['rows']) == 1
    row = result['rows'][0]
    assert 0 <= row['object_top1'] <= 100
    # On this data even a random network matches a full image to its own background
    # far more often than to its own object: the background covers most pixels.
    assert row['background_top1'] > row['object_top1']
    assert row['background_cos_own'] > row['background_cos_all']
    assert '| ' + str(tmp_path / 'ckpt.pth') in capsys.readouterr().out


def test_tool_rejects_data_it_cannot_render(tmp_path, repo_root):
    tool = _load_tool(repo_root)
    img_dir = tmp_path / 'imgs' / 'n01'
    img_dir.mkdir(parents=True)
    assert cv2.imwrite(str(img_dir / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"_base_ = ['{osp.join(repo_root, CONFIG)}']\n"
                   "train_dataloader = dict(dataset=dict(_delete_=True, type='ImageFolder', "
                   f"data_root='{tmp_path / 'imgs'}', data_prefix='', pipeline=[]))\n")
    with pytest.raises(ValueError, match=r'cfg\.py.*ImageFolder, not SyntheticObjects'):
        tool.main([str(cfg), '--num-images', '4', '--device', 'cpu'])
    with pytest.raises(SystemExit):
        tool.parse_args([str(cfg), '--num-images', '1'])
