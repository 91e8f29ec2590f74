"""Read the commands out of the Markdown docs, and the parsers out of the tools.

The docs are README.md, docs/*.md and configs/**/README.md. Their fenced ``bash``
blocks (and unlabelled blocks that start with a command) hold commands; a command is a
line (with ``\\`` continuations joined), split at ``&&``, ``;`` and ``|``. ``NAME=value``
lines define shell variables for the rest of the page; leading ``NAME=value`` words of a
command are its environment.
"""
import argparse
import contextlib
import glob
import os.path as osp
import re
import runpy
import shlex
import sys
import unittest.mock as um
from dataclasses import dataclass, field
from functools import cache
from typing import Dict, Iterator, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REPO_DIRS = ('configs/', 'tools/', 'docs/', 'mmccrop/', 'benchmarks/', 'tests/')
# Words that stand for a value the reader supplies.
PLACEHOLDER = re.compile(r'^[A-Z][A-Z0-9_]*(\.[a-z]+)?$|<|>|\.\.\.|\$|\{\{')
PYTHONS = ('python', 'python3', '.venv/bin/python')
# Folders of the ContrastiveCrop authors' repository that docs/reproduction.md names.
FOREIGN_PATHS = {'configs/small', 'configs/IN200', 'configs/IN1K', 'configs/linear'}
# Files the docs show as the user's own (not in this repository).
USER_FILES = {'my_config.py'}
# mim train's own options (the rest go to tools/train.py).
MIM_TRAIN_FLAGS = {'--gpus', '-G', '--gpus-per-node', '--cpus-per-task', '--partition', '-p',
                   '--srun-args', '--launcher', '--port', '-y', '--yes'}
FENCE = re.compile(r'^```(\w*)\s*\n(.*?)^```', re.M | re.S)
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')
INLINE = re.compile(r'(?<!`)`([^`\n]+)`(?!`)')


def doc_files() -> List[str]:
    files = [osp.join(ROOT, 'README.md')] + sorted(glob.glob(osp.join(ROOT, 'docs', '*.md')))
    files += sorted(glob.glob(osp.join(ROOT, 'configs', '**', 'README.md'), recursive=True))
    return files


def rel(path: str) -> str:
    return osp.relpath(path, ROOT)


def blocks(path: str) -> Iterator[Tuple[str, str]]:
    """``(language, text)`` of every fenced block of a Markdown file."""
    with open(path, encoding='utf-8') as f:
        for m in FENCE.finditer(f.read()):
            yield m.group(1), m.group(2)


def prose(path: str) -> str:
    """The Markdown outside fenced blocks."""
    with open(path, encoding='utf-8') as f:
        return FENCE.sub('', f.read())


@dataclass
class Command:
    doc: str  # the Markdown file, relative to ROOT
    text: str  # the command as written (after joining continuations)
    words: List[str]  # after variable substitution, without leading NAME=value words
    env: Dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f'{self.doc}: {self.text}'


def _split(words: List[str]) -> Iterator[List[str]]:
    part: List[str] = []
    for w in words:
        if w in ('&&', ';', '|', '||'):
            if part:
                yield part
            part = []
        else:
            part.append(w)
    if part:
        yield part


def _is_shell(lang: str, text: str) -> bool:
    if lang in ('bash', 'sh', 'shell'):
        return True
    first = next((line for line in text.splitlines() if line.strip()), '')
    return lang == '' and first.split(' ')[0] in PYTHONS + ('bash', 'mim', 'make')


def commands(path: str) -> Iterator[Command]:
    variables: Dict[str, str] = {}  # shell variables hold for the rest of the page
    for lang, text in blocks(path):
        if not _is_shell(lang, text):
            continue
        for line in re.sub(r'\\\n\s*', ' ', text).splitlines():
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            for name, value in variables.items():
                line = line.replace(f'${name}', value).replace(f'${{{name}}}', value)
            lexer = shlex.shlex(line, posix=True, punctuation_chars=';&')
            lexer.whitespace_split = True
            lexer.commenters = '#'
            for words in _split(list(lexer)):
                env = {}
                while words and re.match(r'^[A-Z_][A-Z0-9_]*=', words[0]):
                    name, _, value = words.pop(0).partition('=')
                    env[name] = value
                if not words:  # a line of assignments: shell variables
                    variables.update(env)
                    continue
                yield Command(rel(path), line, words, env)


def all_commands() -> List[Command]:
    return [c for f in doc_files() for c in commands(f)]


def is_placeholder(word: str) -> bool:
    return bool(PLACEHOLDER.search(word))


def python_script(cmd: Command) -> Optional[str]:
    """The repository script a ``python X.py ...`` command runs, if it is one."""
    w = cmd.words
    if len(w) < 2 or w[0] not in PYTHONS or not w[1].endswith('.py'):
        return None
    script = w[1].replace('/path/to/mmccrop/', '')
    return script if script.startswith(REPO_DIRS) else None


def expand(word: str) -> List[str]:
    """Brace expansion, as the shell does it: ``a/{b,c}.py`` -> ``a/b.py``, ``a/c.py``."""
    m = re.search(r'\{([^{}]*,[^{}]*)\}', word)
    if not m:
        return [word]
    return [x for part in m.group(1).split(',')
            for x in expand(word[:m.start()] + part + word[m.end():])]


def repo_path_words(text: str) -> Iterator[str]:
    """Words of ``text`` that name a path in this repository (no placeholders)."""
    for word in re.findall(r'[^\s`()\[\];:"\']+', text):
        word = word.rstrip('.,')
        if (word.startswith(REPO_DIRS) and not is_placeholder(word) and '=' not in word
                and word not in FOREIGN_PATHS):
            yield from expand(word)


def exists(path: str) -> bool:
    full = osp.join(ROOT, path)
    if any(c in path for c in '*?'):
        return bool(glob.glob(full, recursive=True))
    return osp.exists(full)


class _Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__()
        self.parser = parser


@cache
def tool_parser(script: str) -> Optional[argparse.ArgumentParser]:
    """The ``ArgumentParser`` a repository script builds, without running the script.

    The script runs as ``__main__`` until it parses its arguments, which raises here.
    Every tool parses its arguments before it does anything. A script without an
    ``ArgumentParser`` is not run at all (None).
    """
    path = osp.join(ROOT, script)
    with open(path, encoding='utf-8') as f:
        if 'ArgumentParser' not in f.read():
            return None

    def capture(self, *args, **kwargs):
        raise _Captured(self)

    argv = sys.argv
    sys.argv = [path]
    try:
        with um.patch.object(argparse.ArgumentParser, 'parse_args', capture), \
                um.patch.object(argparse.ArgumentParser, 'parse_known_args', capture):
            runpy.run_path(path, run_name='__main__')
    except _Captured as c:
        return c.parser
    finally:
        sys.argv = argv
    raise AssertionError(f'{script} finished without parsing its arguments')


def flags(words: List[str]) -> List[str]:
    """The option names among ``words`` (``--x=1`` gives ``--x``; usage brackets dropped)."""
    out = []
    for w in words:
        w = w.strip('[]')
        if re.match(r'^--?[A-Za-z]', w):
            out.append(w.split('=')[0])
    return out


def runnable(words: List[str]) -> bool:
    """Whether the words are a concrete command (no usage brackets or alternatives)."""
    return not any(c in w for w in words for c in '[]|')


def cfg_options(words: List[str]) -> List[str]:
    """The ``key=value`` words after ``--cfg-options`` (up to the next option)."""
    out, on = [], False
    for w in words:
        if w == '--cfg-options':
            on = True
        elif w.startswith('--'):
            on = False
        elif on and '=' in w:
            out.append(w)
    return out


@contextlib.contextmanager
def this_checkout_installed():
    """Resolve ``mmccrop::`` in this checkout, whatever the environment's link points at."""
    from mmengine.utils import get_installed_path

    import mmccrop
    pkg = osp.dirname(mmccrop.__file__)

    def installed(package: str) -> str:
        return pkg if package == 'mmccrop' else get_installed_path(package)

    with um.patch('mmengine.config.config.get_installed_path', installed), \
            um.patch('mmengine.hub.hub.get_installed_path', installed):
        yield pkg


@cache
def load(config: str):
    from mmccrop.utils.config import load_config
    with this_checkout_installed():
        return load_config(osp.join(ROOT, config))


def _accepts(node: dict, name: str) -> bool:
    """Whether the registered type of the config dict ``node`` takes an argument ``name``."""
    import inspect

    from mmccrop import registry
    if not isinstance(node.get('type'), str):
        return False
    for reg in (registry.DATASETS, registry.TRANSFORMS, registry.HOOKS, registry.MODELS):
        cls = reg.get(node['type'])
        if cls is not None:
            return name in inspect.signature(cls.__init__).parameters
    return False


def has_key(cfg, key: str) -> bool:
    """Whether the dotted ``key`` (list items by index) exists in ``cfg``, or names an
    argument the registered type at that point takes (a new option such as
    ``train_dataloader.dataset.box_source.type``)."""
    node = cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg
    for part in key.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return isinstance(node, dict) and _accepts(node, part)
    return True
