"""The README's first command, `make demo`, at smoke size."""
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
def test_demo_smoke_runs_end_to_end(tmp_path):
    out_dir = tmp_path / 'demo'
    r = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'demo.py'), '--smoke',
                        '--work-dir', str(out_dir)], capture_output=True, text=True,
                       timeout=900, cwd=ROOT)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    report = (out_dir / 'report.md').read_text()
    # one row per run, with a kNN figure, and the ccrop row has box figures
    rows = [line for line in report.splitlines() if line.startswith(('| rcrop', '| ccrop'))]
    assert len(rows) == 2
    ccrop = [c.strip() for c in rows[1].strip('|').split('|')]
    assert 0.0 <= float(ccrop[3]) <= 100.0
    assert 0.0 < float(ccrop[4]) <= 1.0 and 0.0 < float(ccrop[5]) <= 1.0
    assert 'Box refreshes (ccrop, seed 0)' in report
    # the paired comparison, with the kNN's own sampling noise, in the report and the printout
    assert 'kNN top-1, ccrop - rcrop:' in report
    assert 'queries has a sampling standard error' in report
    assert 'kNN top-1, ccrop - rcrop:' in r.stdout
    for png in ('loss_curves.png', 'box_quality.png', 'box_grid.png', 'crop_pairs.png'):
        assert (out_dir / png).stat().st_size > 1000
    assert 'boxes at iter' in r.stdout and 'kNN top-1' in r.stdout
    # step 4: the converted ccrop backbone was fine-tuned and evaluated in both tasks
    det = [line for line in report.splitlines() if line.startswith('| Mask R-CNN')]
    seg = [line for line in report.splitlines() if line.startswith('| FCN')]
    assert len(det) == 1 and len(seg) == 1, report
    det_cells = [c.strip() for c in det[0].strip('|').split('|')]
    seg_cells = [c.strip() for c in seg[0].strip('|').split('|')]
    # bbox AP, AP50, segm AP: a number in [0, 100] or '-' when nothing was detected
    for cell in det_cells[2:5]:
        assert cell == '-' or 0.0 <= float(cell) <= 100.0, det
    assert 0.0 <= float(seg_cells[5]) <= 100.0 and 0.0 < float(seg_cells[6]) <= 100.0, seg
    backbone = out_dir / 'transfer' / 'backbone_ccrop.pth'
    assert backbone.stat().st_size > 1000
    assert (out_dir / 'transfer' / 'data' / 'coco' / 'annotations' /
            'instances_val2017.json').is_file()
    assert 'source: mmccrop' in r.stdout  # the converter recognised our checkpoint
