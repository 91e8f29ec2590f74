"""model-index.yml and the metafiles list every pretraining config, and ``mmccrop::`` resolves."""
import glob
import os.path as osp
import textwrap

import pytest
import yaml

from ._docs import ROOT, this_checkout_installed

CONFIGS = sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs/selfsup/*/*.py'))
                 if '/_base_/' not in p)


def _metafiles():
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    return index['Import']


def test_every_pretraining_config_is_listed_once():
    listed = []
    for metafile in _metafiles():
        with open(osp.join(ROOT, metafile)) as f:
            meta = yaml.safe_load(f)
        collection = meta['Collections'][0]
        assert osp.isfile(osp.join(ROOT, collection['README'])), collection['README']
        for model in meta['Models']:
            assert model['In Collection'] == collection['Name']
            assert osp.basename(model['Config']) == model['Name'] + '.py'
            assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
            listed.append(model['Config'])
    assert sorted(listed) == CONFIGS


def test_model_index_is_what_the_package_ships():
    # mim and mmengine read <package>/.mim/model-index.yml and the metafiles through it.
    mim = osp.join(ROOT, 'mmccrop', '.mim')
    assert osp.samefile(osp.join(mim, 'model-index.yml'), osp.join(ROOT, 'model-index.yml'))
    for metafile in _metafiles():
        assert osp.isfile(osp.join(mim, metafile)), metafile


@pytest.mark.parametrize('config', [
    'configs/selfsup/mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k-ccrop.py',
    'configs/selfsup/simclr/simclr_resnet18_4xb128-coslr-500e_stl10-ccrop.py',
    'configs/selfsup/snclr/snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k.py',
    'configs/selfsup/simccrop/simsiam_resnet18_4xb128-coslr-500e_cifar10-simccrop.py',
])
def test_a_users_config_inherits_mmccrop_configs(config, tmp_path):
    from mmengine.config import Config
    from mmengine.hub import get_config

    from mmccrop.utils.config import load_config
    path = config[len('configs/'):]
    user = tmp_path / 'my_config.py'
    user.write_text(textwrap.dedent(f'''
        _base_ = 'mmccrop::{path}'
        train_dataloader = dict(batch_size=4)
    '''))
    with this_checkout_installed():
        cfg = load_config(str(user))
        hub = get_config(f'mmccrop::{path}')
    ours = Config.fromfile(osp.join(ROOT, config))
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.model.type == ours.model.type == hub.model.type
    assert cfg.optim_wrapper.optimizer.lr == ours.optim_wrapper.optimizer.lr
    # The Runner calls collate_fn(**cfg) without a registry: load_config drops the
    # `_scope_` that mmengine adds to an inherited dict with a `type`.
    assert '_scope_' not in cfg.train_dataloader.collate_fn
    assert cfg.train_dataloader.dataset._scope_ == 'mmccrop'
