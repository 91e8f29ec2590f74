"""The demo's stage lines (terminal, file, verbose) and its captured logs."""
import io
import os
import subprocess
import sys

import pytest

from mmccrop.demo import console as console_mod
from mmccrop.demo.console import Console, captured, clock, duration, stage_output


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def no_throttle(monkeypatch):
    monkeypatch.setattr(console_mod, 'REDRAW_S', 0.0)
    monkeypatch.setenv('COLUMNS', '200')


def test_durations_and_clocks_read_like_a_person_writes_them():
    assert duration(42.4) == '42 s'
    assert duration(234) == '3.9 min'
    assert clock(74) == '1:14' and clock(3725) == '1:02:05' and clock(-3) == '0:00'


def test_a_terminal_gets_a_live_bar_with_an_eta_then_one_finished_line(no_throttle,
                                                                       monkeypatch):
    out = FakeTerminal()
    console = Console(out, num_stages=3)
    assert console.live
    line = console.stage('rcrop, seed 0: pretraining 10 epochs')
    # pretend 30 s passed after 50 of 150 iterations: 60 s to go
    monkeypatch.setattr(type(line), 'elapsed', property(lambda self: 30.0))
    line.update(done=50, total=150, note='epoch 4/10')
    assert '\r\x1b[K[1/3] rcrop, seed 0: pretraining 10 epochs: [#######-------------] ' \
           '50/150 it, ETA 1:00, epoch 4/10' in out.getvalue()
    line.finish('kNN top-1 30.80 %')
    text = out.getvalue()
    assert text.endswith('\r\x1b[K[1/3] rcrop, seed 0: pretraining 10 epochs: '
                         'kNN top-1 30.80 % (30 s)\n')
    assert text.count('\n') == 1  # one line on screen, redrawn in place


def test_a_narrow_terminal_shortens_the_name_and_keeps_the_eta(no_throttle, monkeypatch):
    monkeypatch.setenv('COLUMNS', '60')
    out = FakeTerminal()
    line = Console(out, num_stages=8).stage('Mask R-CNN R18-FPN from random init (baseline)')
    monkeypatch.setattr(type(line), 'elapsed', property(lambda self: 10.0))
    line.update(done=10, total=100)
    last = out.getvalue().split('\r\x1b[K')[-1]
    assert len(last) <= 59 and last.endswith('10/100 it, ETA 1:30')
    assert last.startswith('[1/8] Mask') and '...: [' in last


def test_redraws_are_throttled():
    out = FakeTerminal()
    line = Console(out, num_stages=1).stage('x')
    for i in range(100):
        line.update(done=i, total=100)
    assert out.getvalue().count('\r') <= 3


def test_a_file_gets_one_plain_line_per_stage():
    out = io.StringIO()
    console = Console(out, num_stages=2)
    assert not console.live
    line = console.stage('pictures')
    line.update(done=5, total=10, note='box grid')  # nothing drawn
    line.finish('loss_curves.png')
    console.stage('transfer').finish('done')
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and '\r' not in out.getvalue()
    assert lines[0].startswith('[1/2] pictures ... loss_curves.png (')
    assert lines[1].startswith('[2/2] transfer ... done (')


def test_verbose_puts_the_stage_lines_on_lines_of_their_own():
    out = FakeTerminal()
    console = Console(out, num_stages=1, verbose=True)
    assert not console.live
    line = console.stage('ccrop')
    out.write('a log line\n')
    line.finish('kNN 30 %')
    assert out.getvalue().splitlines()[0] == '[1/1] ccrop'
    assert out.getvalue().splitlines()[2].startswith('[1/1] ccrop: kNN 30 % (')


def test_a_failed_stage_says_so_and_shows_the_end_of_its_log(tmp_path):
    log = tmp_path / 'console.log'
    log.write_text(''.join(f'log line {i}\n' for i in range(40)))
    out = io.StringIO()
    Console(out, num_stages=1).stage('det').fail(str(log))
    text = out.getvalue()
    assert text.startswith('[1/1] det ... FAILED after 0 s; the full log: ')
    assert 'log line 39' in text and 'log line 14' not in text  # the last 25 lines


CHILD = """
import os, subprocess, sys, warnings
from mmccrop.demo.console import captured
with captured(sys.argv[1]):
    print('from print')
    sys.stderr.write('from stderr\\n')
    warnings.warn('from warnings', UserWarning)
    subprocess.run([sys.executable, '-c', 'print("from a child")'], check=True)
    os.write(2, b'from fd 2\\n')
print('after')
"""


def test_captured_sends_prints_warnings_and_subprocesses_to_the_log(tmp_path):
    # In a process of its own: pytest replaces sys.stdout, the demo does not.
    log = tmp_path / 'sub' / 'console.log'
    done = subprocess.run([sys.executable, '-c', CHILD, str(log)], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONWARNINGS='default'))
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    for what in ('from print', 'from stderr', 'from warnings', 'from a child', 'from fd 2'):
        assert what in text, what
    assert done.stdout == 'after\n' and 'from' not in done.stderr


def test_captured_restores_the_screen_after_an_error(tmp_path, capfd):
    with pytest.raises(RuntimeError):
        with captured(str(tmp_path / 'x.log')):
            raise RuntimeError('boom')
    print('visible')
    assert capfd.readouterr().out == 'visible\n'


def test_captured_disabled_changes_nothing(tmp_path, capfd):
    with captured(str(tmp_path / 'x.log'), enabled=False):
        print('on screen')
    assert capfd.readouterr().out == 'on screen\n'
    assert not (tmp_path / 'x.log').exists()


def test_stage_output_logs_the_stage_and_ends_its_line_on_a_failure(tmp_path, capfd):
    # os.write: pytest's capfd points sys.stdout elsewhere, descriptor 1 is what is captured
    log = tmp_path / 'stage.log'
    out = io.StringIO()
    with stage_output(Console(out, num_stages=1).stage('ok'), str(log), verbose=False):
        os.write(1, b'to the log\n')
    assert log.read_text() == 'to the log\n' and out.getvalue() == '[1/1] ok ...'

    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with stage_output(Console(out, num_stages=1).stage('det'), str(log), verbose=False):
            os.write(1, b'last words\n')
            raise KeyboardInterrupt
    assert out.getvalue() == (f'[1/1] det ... FAILED after 0 s; the full log: {log}\n'
                              '    to the log\n    last words\n')

    out = io.StringIO()  # verbose: the output stays on screen, no log is named
    with pytest.raises(ValueError, match='boom'):
        with stage_output(Console(out, num_stages=1, verbose=True).stage('seg'),
                          str(tmp_path / 'verbose.log'), verbose=True):
            os.write(1, b'on screen\n')
            raise ValueError('boom')
    assert out.getvalue() == '[1/1] seg\n[1/1] seg: FAILED after 0 s\n'
    assert capfd.readouterr().out == 'on screen\n'
    assert not (tmp_path / 'verbose.log').exists()
