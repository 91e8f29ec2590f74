"""tools/analysis/vit_box_quality.py: the ViT box table of docs/vit.md, in miniature."""
import importlib.util
import json
import os.path as osp

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def _tool(repo_root):
    path = osp.join(repo_root, 'tools/analysis/vit_box_quality.py')
    spec = importlib.util.spec_from_file_location('_vit_box_quality', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_config_changes_only_sizes_data_and_cpu_settings(repo_root):
    tool = _tool(repo_root)
    cfg = tool.tiny_config(tool.parse_args(['--epochs', '3']))
    bb = cfg.model.backbone
    assert (bb.type, bb.stop_grad_conv1, bb.out_type) == ('MoCoV3ViT', True, 'cls_token')
    assert (bb.img_size, bb.patch_size) == (64, 8)
    m = cfg.model
    assert (m.type, m.loss_form, m.temperature, m.neck.with_avg_pool) == \
        ('SNCLR', 'code', 0.2, False)
    assert cfg.train_dataloader.dataset.type == 'BoxedDataset'
    assert cfg.train_dataloader.dataset.dataset.type == 'SyntheticObjects'
    assert cfg.custom_hooks == [] and cfg.train_cfg.max_epochs == 3


@pytest.mark.slow
def test_tool_prints_and_writes_the_table(repo_root, tmp_path, capsys):
    tool = _tool(repo_root)
    out = tmp_path / 'table.json'
    assert tool.main(['--work-dir', str(tmp_path / 'work'), '--epochs', '1', '--num-images',
                      '64', '--eval-sizes', '64', '--thresholds', '0.1', '0.5',
                      '--json', str(out)]) == 0
    table = json.loads(out.read_text())
    rows = table['rows']
    # 2 models x 2 thresholds x 2 aligns x 2 backgrounds x 2 regions
    assert len(rows) == 32 and {r['model'] for r in rows} == {'init', '1 epoch'}
    assert 0.05 < table['baseline'] < 0.3

    def miou(model, background, region, k):
        return next(r['miou'] for r in rows if r['model'] == model and r['align'] == 'centre'
                    and r['background'] == background and r['region'] == region
                    and r['threshold'] == k)

    # The authors' k=0.1 rule gives the full image; the ViT settings find the objects.
    assert miou('init', 'none', 'all', 0.1) == pytest.approx(table['baseline'], abs=1e-6)
    assert miou('init', 'median', 'peak', 0.5) > table['baseline'] + 0.15
    printed = capsys.readouterr().out
    assert 'full-image box: mean IoU' in printed and '| model | eval size (grid) |' in printed
