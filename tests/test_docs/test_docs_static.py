"""The docs' commands, paths, links and config keys, checked without running anything long.

Every command of a ``bash`` block in README.md, docs/*.md and configs/**/README.md:

- ``python tools/X.py ...``: the script exists, and its own argparse accepts the
  command's options (and the whole command, where it has no placeholders);
- ``mim train mmccrop X ...``: X ends in ``.py`` and is a config of this package (or a
  user's file the docs show); the options are mim's or tools/train.py's;
- a config path anywhere: the config loads, and every ``--cfg-options`` key of the
  command exists in it;
- a repository path anywhere (commands, inline code): it exists;
- a relative Markdown link or picture: the file exists; ``python`` blocks compile.
"""
import ast
import os.path as osp
import re

import pytest

from ._docs import (
    INLINE,
    LINK,
    MIM_TRAIN_FLAGS,
    USER_FILES,
    all_commands,
    blocks,
    cfg_options,
    doc_files,
    exists,
    flags,
    has_key,
    is_placeholder,
    load,
    prose,
    python_script,
    rel,
    repo_path_words,
    runnable,
    tool_parser,
)

COMMANDS = all_commands()
CONFIG = re.compile(r'^configs/.*\.py$')
# Top-level settings that mmengine's Runner (or ours) reads without a config naming them.
RUNNER_KEYS = {'runner_type', 'compile', 'load_from', 'resume', 'work_dir', 'launcher'}


def test_the_docs_have_commands():
    # The extraction itself: every page with commands yields some, and the front
    # page's quick start is among them.
    docs = {c.doc for c in COMMANDS}
    for page in ('README.md', 'docs/pretraining.md', 'docs/datasets.md', 'docs/transfer.md',
                 'docs/contrastivecrop.md', 'docs/customising.md', 'docs/demo.md',
                 'configs/selfsup/mocov2/README.md'):
        assert page in docs, page
    assert any(c.words[:2] == ['bash', 'tools/dist_train.sh'] for c in COMMANDS
               if c.doc == 'README.md')
    assert len(COMMANDS) > 80


def test_markdown_links_and_pictures_exist():
    broken = []
    for path in doc_files():
        for target in LINK.findall(prose(path)):
            if re.match(r'^[a-z]+:', target) or target.startswith('#'):
                continue
            file = target.split('#')[0]
            if not osp.exists(osp.join(osp.dirname(path), file)):
                broken.append(f'{rel(path)}: {target}')
    assert not broken, broken


def test_repository_paths_exist():
    missing = []
    for path in doc_files():
        texts = INLINE.findall(prose(path)) + [' '.join(c.words) for c in COMMANDS
                                               if c.doc == rel(path)]
        for text in texts:
            missing += [f'{rel(path)}: {p}' for p in repo_path_words(text) if not exists(p)]
    assert not missing, sorted(set(missing))


def test_python_blocks_compile():
    for path in doc_files():
        for lang, text in blocks(path):
            if lang == 'python':
                ast.parse(re.sub(r'^\s*\.\.\.\s.*$', '', text, flags=re.M), rel(path))


def _python_commands():
    return [c for c in COMMANDS if python_script(c)]


@pytest.mark.parametrize('cmd', _python_commands(), ids=str)
def test_tool_accepts_the_documented_options(cmd):
    script = python_script(cmd)
    assert exists(script), f'{cmd}: no {script}'
    parser = tool_parser(script)
    args = cmd.words[2:]
    if parser is None:
        assert not flags(args), f'{cmd}: {script} takes no options'
        return
    known = set(parser._option_string_actions)
    unknown = [f for f in flags(args) if f not in known]
    assert not unknown, f'{cmd}: {script} has no option {unknown}'
    if runnable(args):
        concrete = ['1' if is_placeholder(w) else w for w in args]
        try:
            parser.parse_args(concrete)
        except SystemExit as e:
            pytest.fail(f'{cmd}: {script} rejects {concrete} (exit {e.code})')


def _mim_commands():
    return [c for c in COMMANDS if c.words[:3] == ['mim', 'train', 'mmccrop']]


@pytest.mark.parametrize('cmd', _mim_commands(), ids=str)
def test_mim_train_names_a_config_file(cmd):
    target = cmd.words[3]
    assert target.endswith('.py'), f'{cmd}: mim needs the config file name with .py'
    found = (exists(target) or target in USER_FILES
             or exists(f'configs/**/{osp.basename(target)}'))
    assert found, f'{cmd}: no config {target} in this package'
    train = set(tool_parser('tools/train.py')._option_string_actions)
    unknown = [f for f in flags(cmd.words[4:]) if f not in train | MIM_TRAIN_FLAGS]
    assert not unknown, f'{cmd}: neither mim train nor tools/train.py has {unknown}'


def _configs_in_docs():
    found = set()
    for cmd in COMMANDS:
        found.update(w for word in cmd.words for w in repo_path_words(word) if CONFIG.match(w))
    for path in doc_files():
        for text in INLINE.findall(prose(path)):
            found.update(w for w in repo_path_words(text) if CONFIG.match(w))
    return sorted(w for w in found if '*' not in w)


@pytest.mark.parametrize('config', _configs_in_docs())
def test_documented_config_loads(config):
    cfg = load(config)
    if '/_base_/' not in config:  # a whole config, not a piece of one
        assert 'model' in cfg and ('train_dataloader' in cfg or 'test_dataloader' in cfg)


def _commands_with_cfg_options():
    return [c for c in COMMANDS
            if cfg_options(c.words) and any(CONFIG.match(w) for w in c.words)]


@pytest.mark.parametrize('cmd', _commands_with_cfg_options(), ids=str)
def test_cfg_options_name_keys_of_the_config(cmd):
    config = next(w for w in cmd.words if CONFIG.match(w))
    cfg = load(config)
    keys = [o.split('=')[0] for o in cfg_options(cmd.words)]
    missing = [k for k in keys if not has_key(cfg, k) and k not in RUNNER_KEYS]
    assert not missing, f'{cmd}: {config} has no {missing}'


def test_one_invocation_style():
    # The docs say once how to activate the environment; every command then calls
    # `python`, never `.venv/bin/python` (docs/installation.md explains the alternative).
    styles = [str(c) for c in COMMANDS if c.words[0].endswith('/python')]
    assert not styles, styles


def test_has_key_accepts_new_arguments_of_the_registered_type_only():
    cfg = load('configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py')
    assert has_key(cfg, 'custom_hooks.0.interval')
    assert has_key(cfg, 'train_dataloader.dataset.box_source.type')  # a BoxedDataset argument
    assert not has_key(cfg, 'train_dataloader.dataset.no_such_argument')
    assert not has_key(cfg, 'model.no_such_key.type')
