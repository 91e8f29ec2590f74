"""benchmarks/gpu_suite.sh runs end to end in its reduced mode on a CPU."""
import json
import math
import os
import subprocess
import sys

import pytest

from ._fixtures import ROOT


@pytest.mark.slow
def test_gpu_suite_reduced_runs_every_part_on_cpu(tmp_path):
    out = tmp_path / 'rows.json'
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', os.path.join(ROOT, 'benchmarks', 'gpu_suite.sh'), '--reduced', '--device',
         'cpu', '--json', str(out)], cwd=str(tmp_path), env=env, capture_output=True,
        text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert not [r for r in rows if 'error' in r[0]], rows
    assert {r[0][0] for r in rows} == set('ABCD')
    measures = {r[1] for r in rows}
    for name in ('cpu pipeline (decode + 2 views)', 'device path loader, decode=device',
                 'device ops, decode=device, crop=batched', 'eager fp32', 'compile (eager)',
                 'channels_last (input + weights)', 'AMP bf16', 'AMP fp16',
                 'top-K search / training step'):
        assert name in measures, name
    for r in rows:
        if r[0] == 'A fidelity':  # on a CPU the device path makes the CPU pipeline's pixels
            assert r[3] == 0, r
        elif not r[5].startswith('skipped'):
            assert math.isfinite(r[3]) and r[3] > 0, r
    assert 'part ' in proc.stdout and '| measure ' in proc.stdout  # the printed table
