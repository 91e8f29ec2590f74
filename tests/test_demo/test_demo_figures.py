"""The demo's loss and box-quality pictures: axes in epochs, legends that match the lines."""
import math
import sys

import pytest

from mmccrop.demo.figures import box_quality_figure, loss_figure, plot


def _run(mode, seed=0, boxes=()):
    return dict(mode=mode, seed=seed, iters_per_epoch=15, max_epochs=10, num_images=1000,
                queue_len=512, batch_size=64,
                losses=[(s, 6.0 - s / 100) for s in range(5, 151, 5)],
                boxes=[{'epoch': e, 'step': 15 * e, 'ccrop/box_miou': v,
                        'ccrop/box_miou_full': 0.139} for e, v in boxes])


@pytest.fixture
def runs():
    return [_run('rcrop'), _run('ccrop', boxes=[(4, 0.589), (8, 0.582)])]


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_box_quality_is_plotted_against_the_refresh_epochs(runs):
    import matplotlib.pyplot as plt
    fig = box_quality_figure(runs)
    ax = fig.axes[0]
    assert ax.get_xlabel() == 'epoch after which the boxes were refreshed'
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines['refreshed boxes, seed 0'].get_xdata()) == [4, 8]
    assert list(lines['refreshed boxes, seed 0'].get_ydata()) == [0.589, 0.582]
    assert '1000 training images' in ax.get_title()
    assert ax.get_xlim() == (0, 10)
    # every legend entry is a line in the panel
    assert set(_legend(ax)) <= set(lines)
    plt.close(fig)
    assert box_quality_figure([_run('rcrop')]) is None


def test_loss_is_plotted_against_epochs_with_what_explains_its_rise(runs):
    import matplotlib.pyplot as plt
    fig = loss_figure(runs)
    ax = fig.axes[0]
    assert ax.get_xlabel() == 'epoch'
    lines = {line.get_label(): line for line in ax.get_lines()}
    rcrop = lines['rcrop, seed 0']
    assert rcrop.get_xdata()[0] == pytest.approx(5 / 15) and rcrop.get_xdata()[-1] == 10
    chance = next(v for k, v in lines.items() if k.startswith('log(1 + 512)'))
    assert chance.get_ydata()[0] == pytest.approx(math.log(513))
    full = next(v for k, v in lines.items() if k.startswith('queue full of real keys'))
    assert full.get_xdata()[0] == pytest.approx(8 / 15)  # 512 / 64 = 8 of 15 iterations
    refresh = [line for line in ax.get_lines() if line.get_color() == 'tab:green']
    assert sorted(line.get_xdata()[0] for line in refresh) == [4, 8]
    assert set(_legend(ax)) <= set(lines)
    assert 'batch 64, queue 512' in ax.get_title()
    plt.close(fig)


def test_plot_writes_both_pngs(tmp_path, runs):
    assert plot(runs, str(tmp_path)) == ['loss_curves.png', 'box_quality.png']
    for name in ('loss_curves.png', 'box_quality.png'):
        assert (tmp_path / name).read_bytes()[:4] == b'\x89PNG'
    assert plot([_run('rcrop')], str(tmp_path / 'r')) == ['loss_curves.png']


def test_tools_are_logged_with_their_command_output_and_failure(capsys):
    from mmccrop.demo.figures import _run_tool
    ok = [sys.executable, '-c', 'import sys; print("out"); sys.stderr.write("err")']
    assert _run_tool(ok, 'the tool')
    assert capsys.readouterr().out == ' '.join(ok) + '\nout\n\nerr\n'
    bad = [sys.executable, '-c', 'raise SystemExit(3)']
    assert not _run_tool(bad, 'the tool')
    assert capsys.readouterr().out == ' '.join(bad) + '\n\n\nwarning: the tool failed (exit 3)\n'
