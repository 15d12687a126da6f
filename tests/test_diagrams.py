"""Schematic figures of notebook 01: they render, use the notebook's symbols, and their labels do not collide."""

import re

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from utils import diagrams

matplotlib.use("Agg")

# Each figure and the symbols of the notebook's equations that it must show (as mathtext source).
SYMBOLS = {
    "rnn": (diagrams.draw_unrolled_rnn, ["x_t", "W_x", "W_h", "h_{t-1}", "h_0 = 0", "h_t", "y_t", "V", r"\tanh",
                                         r"\mathrm{softmax}", "shared weights"]),
    "lstm": (diagrams.draw_lstm_cell, ["x_t", "h_{t-1}", "c_{t-1}", "c_t", "h_t", "f_t", "i_t", "o_t", "g_t",
                                       r"\sigma", r"\tanh", r"\odot", "W_i", "U_i", "b_i", "cell state: additive path",
                                       r"c_t = f_t \odot c_{t-1} + i_t \odot g_t", r"h_t = o_t \odot \tanh(c_t)"]),
    "gru": (diagrams.draw_gru_cell, ["x_t", "h_{t-1}", "h_t", "z_t", "r_t", "1 - z_t", r"\tilde h_t", r"\sigma",
                                     "W_h", "U_h", "b_h", "b'_h", r"r_t \odot (h_{t-1} U_h + b'_h)",
                                     r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t"]),
    "io": (diagrams.draw_io_configurations, ["one-to-many", "many-to-one", "many-to-many (aligned)",
                                             "encoder–decoder", "generation", "classification", "tagging",
                                             "translation"]),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labels(fig: Figure) -> list[Text]:
    """The non-empty texts the figure shows: its own, and each axes' title and texts (the axes are off)."""
    texts = fig.texts + [t for ax in fig.axes for t in [ax.title, *ax.texts]]
    return [t for t in texts if t.get_text()]


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in _labels(fig)]


@pytest.mark.parametrize("name", SYMBOLS)
def test_figure_renders_with_the_notebook_symbols(name):
    draw, symbols = SYMBOLS[name]
    fig = draw()
    assert isinstance(fig, Figure)
    fig.canvas.draw()  # mathtext is parsed here: a typo in a label fails
    text = "\n".join(_texts(fig))
    assert [s for s in symbols if s not in text] == []


def test_io_configurations_has_one_titled_panel_each():
    fig = diagrams.draw_io_configurations()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["one-to-many", "many-to-one", "many-to-many (aligned)", "encoder–decoder"]
    inputs = [sum(bool(re.fullmatch(r"\$x(_\d)?\$", t.get_text())) for t in ax.texts) for ax in fig.axes]
    outputs = [sum(bool(re.fullmatch(r"\$y(_\d)?\$", t.get_text())) for t in ax.texts) for ax in fig.axes]
    assert inputs == [1, 4, 4, 4] and outputs == [4, 1, 4, 3]  # the encoder–decoder's output length differs


@pytest.mark.parametrize("steps", [1, 3, 7])
@pytest.mark.parametrize("output", [True, False])
def test_unrolled_rnn_labels_every_step_and_every_shared_weight(steps, output):
    fig = diagrams.draw_unrolled_rnn(steps=steps, output=output)
    texts = _texts(fig)
    assert [t for t in texts if re.fullmatch(r"\$x_\{\d+\}\$", t)] == [f"$x_{{{t}}}$" for t in range(1, steps + 1)]
    assert len([t for t in texts if re.fullmatch(r"\$y_\{\d+\}\$", t)]) == (steps if output else 0)
    # the folded cell plus one label per arrow of the chain: the same weights at every step
    assert texts.count("$W_x$") == steps + 1
    assert texts.count("$W_h$") == steps + 1
    assert texts.count("$V$") == (steps + 1 if output else 0)
    assert f"$T = {steps}$" in "".join(texts)


def test_lstm_cell_state_is_drawn_thicker_than_the_other_paths():
    fig = diagrams.draw_lstm_cell()
    widths = sorted(p.get_linewidth() for p in fig.findobj(FancyArrowPatch))
    thick = [w for w in widths if w > 2 * widths[0]]
    assert len(thick) == 3  # c_{t-1} -> ⊙ -> ⊕ -> c_t
    assert len(widths) > 10


@pytest.mark.parametrize("draw", [diagrams.draw_unrolled_rnn, diagrams.draw_lstm_cell, diagrams.draw_gru_cell])
def test_single_panel_figures_draw_into_a_given_axes(draw):
    fig, ax = plt.subplots()
    assert draw(ax=ax) is fig
    assert len(ax.patches) > 5 and not ax.axison


@pytest.mark.parametrize("figure", [lambda: diagrams.draw_unrolled_rnn(steps=1, output=False),
                                    lambda: diagrams.draw_unrolled_rnn(steps=8)]
                         + [draw for draw, _ in SYMBOLS.values()])
def test_labels_are_inside_the_figure_and_do_not_collide(figure):
    fig = figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [(t.get_text(), t.get_window_extent(renderer)) for t in _labels(fig)]
    shapes = [p.get_window_extent(renderer) for p in fig.findobj(lambda o: isinstance(o, FancyBboxPatch | Circle))
              if p.get_zorder() > 0]  # boxes and nodes, not the cell's background
    assert [s for s, box in texts if not fig.bbox.contains(box.x0, box.y0) or not fig.bbox.contains(box.x1, box.y1)]\
        == []
    assert [(a, b) for i, (a, box) in enumerate(texts) for b, other in texts[i + 1:] if box.overlaps(other)] == []
    # a label overlaps a box or node only when it is that box's own text, centred on it
    assert [s for s, box in texts for shape in shapes
            if box.overlaps(shape) and abs(box.corners().mean(axis=0) - shape.corners().mean(axis=0)).max() > 3] == []


@pytest.mark.parametrize("steps", [0, -2, 2.5, True, "3"])
def test_unrolled_rnn_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match=r"steps must be an integer >= 1 \(the number of unrolled time steps\), got"):
        diagrams.draw_unrolled_rnn(steps=steps)
