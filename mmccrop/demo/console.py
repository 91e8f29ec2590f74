"""The demo's screen output: one line per stage, and the full logs in files.

A stage line starts as ``[2/7] ccrop, seed 0: pretraining`` and ends with the
stage's key figures and its time.  On a terminal it carries a live progress
bar with an ETA while the stage runs (redrawn in place with ``\\r``); written
to a file or a pipe it is the same line without the redraws.  With
``verbose`` the stage lines are printed on lines of their own around the
Runners' own output.

:func:`captured` sends everything a stage writes to file descriptors 1 and 2
(mmengine's loggers, ``print``, warnings, pycocotools' tables, subprocesses
and DataLoader workers) into a log file, so that the console shows only the
stage lines; :func:`stage_output` also ends the stage line on a failure.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from typing import IO, Iterator, Optional

BAR_WIDTH = 20
REDRAW_S = 0.5  # at most two redraws a second


def duration(seconds: float) -> str:
    """``'42 s'`` below two minutes, else ``'3.9 min'``."""
    return f'{seconds:.0f} s' if seconds < 120 else f'{seconds / 60:.1f} min'


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour), for an ETA."""
    s = max(0, int(round(seconds)))
    h, m = divmod(s // 60, 60)
    return f'{h}:{m:02d}:{s % 60:02d}' if h else f'{m}:{s % 60:02d}'


class Console:
    """Where the stage lines go.

    Args:
        stream: The screen (default ``sys.stdout``).  When the demo captures
            file descriptor 1, pass a duplicate of it made beforehand.
        num_stages: The ``N`` of ``[i/N]``.
        verbose: Stage lines on lines of their own (the logs run in between).
    """

    def __init__(self, stream: Optional[IO[str]] = None, num_stages: int = 0,
                 verbose: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.num_stages = num_stages
        self.verbose = verbose
        isatty = getattr(self.stream, 'isatty', None)
        self.live = bool(isatty and isatty()) and not verbose
        self.index = 0

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def print(self, text: str = '') -> None:
        """Plain text, on lines of its own."""
        self.write(text + '\n')

    def stage(self, label: str) -> StageLine:
        """Start the next stage's line."""
        self.index += 1
        return StageLine(self, f'[{self.index}/{self.num_stages}] {label}')


class StageLine:
    """One stage's line: progress while it runs, then its figures.

    ``update`` redraws the bar (terminal only, throttled); ``finish`` and
    ``fail`` end the line.  The ETA extrapolates the time per unit so far.
    """

    def __init__(self, console: Console, head: str) -> None:
        self.console = console
        self.head = head
        self.start = time.perf_counter()
        self.done, self.total, self.unit, self.note = 0, 0, 'it', ''
        self._drawn = 0.0
        self.closed = False
        if console.live:
            self._draw()
        else:
            console.write(f'{head}\n' if console.verbose else f'{head} ...')

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def bar(self) -> str:
        """``[#####-----] 60/150 it, ETA 1:52`` (the note appended), or the note alone."""
        text = ''
        if self.total > 0:
            frac = min(1.0, self.done / self.total)
            fill = int(round(BAR_WIDTH * frac))
            text = f'[{"#" * fill}{"-" * (BAR_WIDTH - fill)}] {self.done}/{self.total} {self.unit}'
            if 0 < self.done < self.total:
                eta = self.elapsed * (self.total - self.done) / self.done
                text += f', ETA {clock(eta)}'
        if self.note:
            text = f'{text}, {self.note}' if text else self.note
        return text

    def update(self, done: Optional[int] = None, total: Optional[int] = None,
               unit: Optional[str] = None, note: Optional[str] = None,
               force: bool = False) -> None:
        """Record progress; redraw on a terminal at most every ``REDRAW_S``."""
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if unit is not None:
            self.unit = unit
        if note is not None:
            self.note = note
        now = time.perf_counter()
        if self.console.live and not self.closed and (force or now - self._drawn >= REDRAW_S):
            self._draw()
            self._drawn = now

    def _draw(self) -> None:
        bar = self.bar()
        width = shutil.get_terminal_size((100, 20)).columns - 1
        # Never wrap (\r returns to the start of the last physical line only):
        # shorten the stage's name first, so that the bar and the ETA stay.
        head = self.head
        if bar and len(head) + 2 + len(bar) > width:
            keep = max(8, width - len(bar) - 3)
            head = head[:keep - 3] + '...' if len(head) > keep else head
        text = f'{head}: {bar}' if bar else head
        # \x1b[K clears what a longer previous line left.
        self.console.write(f'\r\x1b[K{text[:max(10, width)]}')

    def finish(self, figures: str = '') -> None:
        """End the line with the stage's figures and its time."""
        if self.closed:
            return
        self.closed = True
        tail = f'{figures} ({duration(self.elapsed)})' if figures else duration(self.elapsed)
        if self.console.live:
            self.console.write(f'\r\x1b[K{self.head}: {tail}\n')
        elif self.console.verbose:
            self.console.write(f'{self.head}: {tail}\n')
        else:
            self.console.write(f' {tail}\n')

    def fail(self, log: Optional[str] = None) -> None:
        """End the line with FAILED and, when the output was captured, the log's tail."""
        if self.closed:
            return
        self.closed = True
        where = f'; the full log: {log}' if log else ''
        prefix = f'\r\x1b[K{self.head}:' if self.console.live else (
            f'{self.head}:' if self.console.verbose else '')
        self.console.write(f'{prefix} FAILED after {duration(self.elapsed)}{where}\n')
        if log and os.path.isfile(log):
            with open(log, errors='replace') as f:
                tail = f.readlines()[-25:]
            self.console.write(''.join(f'    {line}' for line in tail))


@contextlib.contextmanager
def captured(log_path: str, enabled: bool = True) -> Iterator[None]:
    """Send everything written to file descriptors 1 and 2 into ``log_path`` (appended).

    Works at the descriptor level, so loggers that hold ``sys.stdout``,
    C extensions, subprocesses and forked workers are captured too.  With
    ``enabled=False`` nothing changes (``--verbose``).
    """
    if not enabled:
        yield
        return
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(log_path, 'ab') as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


@contextlib.contextmanager
def stage_output(line: StageLine, log: str, verbose: bool) -> Iterator[None]:
    """Run a stage's body with its output in ``log`` (on screen with ``verbose``).

    Any exception, ``KeyboardInterrupt`` included, ends ``line`` with FAILED
    and, when the output was captured, the log's tail (after the screen is
    restored), then propagates.
    """
    try:
        with captured(log, enabled=not verbose):
            yield
    except BaseException:
        line.fail(None if verbose else log)
        raise


def screen() -> IO[str]:
    """A line-buffered text stream on a duplicate of the current descriptor 1.

    The stage lines keep reaching the screen through it while :func:`captured`
    points descriptor 1 at a log file.
    """
    sys.stdout.flush()
    return os.fdopen(os.dup(1), 'w', buffering=1, encoding='utf-8', errors='replace')
