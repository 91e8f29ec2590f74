"""docs/reliability.md's fault table is the rows of ``_faults.py``, and each row's test exists."""
import ast
import glob
import os.path as osp

import pytest

from ._faults import DOC, FAULTS, KINDS, ROOT, doc_table, render


def _test_names(path):
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_doc_table_equals_the_rows():
    with open(DOC, encoding='utf-8') as f:
        table = doc_table(f.read())
    assert table == render(), ('docs/reliability.md is out of date: run '
                               '`python tests/test_reliability/_faults.py --write`')


@pytest.mark.parametrize('fault', FAULTS, ids=lambda f: f.fault[:40])
def test_each_row_names_an_existing_test_and_a_kind(fault):
    assert fault.kind in KINDS
    path, _, name = fault.test.partition('::')
    full = osp.join(ROOT, 'tests', path)
    assert osp.isfile(full), fault.test
    assert name in _test_names(full), fault.test


def test_every_fault_module_has_rows():
    here = osp.dirname(osp.abspath(__file__))
    modules = {osp.basename(p) for p in glob.glob(osp.join(here, 'test_faults_*.py'))}
    listed = {osp.basename(f.test.partition('::')[0]) for f in FAULTS}
    assert modules and modules <= listed
