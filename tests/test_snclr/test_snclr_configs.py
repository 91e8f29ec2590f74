"""Every SNCLR config parses and builds its model (data preprocessor included)."""
import glob
import os

import pytest
from mmengine.config import Config

from mmccrop.registry import MODELS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, 'configs', 'selfsup', 'snclr', '*.py')))


def test_all_configs_exist():
    names = {os.path.basename(p) for p in CONFIGS}
    assert len(names) == 7, names
    assert sum('ccrop' in n for n in names) == 3 and sum('vit' in n for n in names) == 2
    assert sum('paperloss' in n for n in names) == 1


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=os.path.basename)
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmccrop'
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    assert model_cfg['type'] == 'SNCLR'
    assert model_cfg['loss_form'] in ('code', 'paper')
    with open(path) as f:  # each config says which loss form it uses
        assert 'Loss form:' in f.read()
    # SyncBN layers build on a CPU (they only need a process group to run).
    model = MODELS.build(model_cfg)
    assert model.bank.bank.shape == (model_cfg['bank_size'], model_cfg['feat_dim'])
    assert model.topk == model_cfg['topk']
    expected_form = 'paper' if 'paperloss' in path else 'code'
    assert model.loss_form == expected_form
    assert type(model.positiveness).__name__ == (
        'AttentionPositiveness' if expected_form == 'paper' else 'CosinePositiveness')
    mean = model.data_preprocessor.mean.flatten().tolist()
    assert mean[0] > 1.0  # the dataset's normalisation reached the model
    if 'ccrop' in path:
        ds = cfg.train_dataloader.dataset
        assert ds.type == 'BoxedDataset' and 'data_root' not in ds
        assert cfg.custom_hooks[0].type == 'BoxRefreshHook'
        assert any(t.type == 'ContrastiveCrop' for t in ds.dataset.pipeline[-2].transforms[0])
