"""Schematic figures for notebook 01: the unrolled RNN, the LSTM and GRU cells and the input/output configurations."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

INPUT, CELL, OUTPUT, GATE, CANDIDATE, NOTE = "#d6e6f5", "#fde7b0", "#d7efd1", "#f7cfcf", "#e3d7f1", "#555555"
DECODER = "#f9cf9f"
SIZE = 12  # font size of the symbols, in points


def _canvas(ax: Axes | None, figsize: tuple[float, float], xlim: tuple[float, float],
            ylim: tuple[float, float]) -> tuple[Figure, Axes]:
    """A blank, equal-aspect axes spanning xlim × ylim (a new figure unless ax is given)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        fig.subplots_adjust(0, 0, 1, 1)
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.axis("off")
    return ax.figure, ax


def _box(ax: Axes, x: float, y: float, text: str, color: str = CELL, w: float = 1.0, h: float = 0.7,
         size: float = SIZE) -> FancyBboxPatch:
    """A rounded box centred on (x, y) with text in it."""
    box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12",
                         facecolor=color, edgecolor="#333333", linewidth=1.2, zorder=2)
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=3)
    return box


def _node(ax: Axes, x: float, y: float, op: str, r: float = 0.25) -> Circle:
    """A circle for an elementwise operation centred on (x, y): "+" (⊕), "*" (⊙) or a short text."""
    circle = Circle((x, y), r, facecolor="white", edgecolor="#333333", linewidth=1.2, zorder=2)
    ax.add_patch(circle)
    if op == "+":
        ax.plot([x - 0.55 * r, x + 0.55 * r, None, x, x], [y, y, None, y - 0.55 * r, y + 0.55 * r], color="#333333",
                linewidth=1.4, zorder=3)
    elif op == "*":
        ax.plot(x, y, "o", color="#333333", markersize=3.5, zorder=3)
    else:
        ax.text(x, y, op, ha="center", va="center", fontsize=SIZE - 1, zorder=3)
    return circle


def _arrow(ax: Axes, *points: tuple[float, float], gap0: float = 0.0, gap1: float = 0.0, lw: float = 1.3,
           color: str = "#333333", head: bool = True, label: str | None = None,
           label_at: tuple[float, float] | None = None, **text_kw: str) -> FancyArrowPatch:
    """A polyline arrow through points, shortened by gap0 at the start and gap1 at the end (data units)."""
    pts = [list(p) for p in points]
    for (end, nxt), gap in (((0, 1), gap0), ((-1, -2), gap1)):
        dx, dy = pts[nxt][0] - pts[end][0], pts[nxt][1] - pts[end][1]
        norm = (dx**2 + dy**2) ** 0.5 or 1.0
        pts[end] = [pts[end][0] + gap * dx / norm, pts[end][1] + gap * dy / norm]
    arrow = FancyArrowPatch(path=Path(pts), arrowstyle="-|>" if head else "-", mutation_scale=10 + 3 * lw,
                            linewidth=lw, color=color, joinstyle="miter", zorder=1)
    ax.add_patch(arrow)
    if label is not None:
        ax.text(*label_at, label, fontsize=SIZE - 1, zorder=3, **{"ha": "center", "va": "center", **text_kw})
    return arrow


def _dot(ax: Axes, x: float, y: float) -> None:
    """A junction where a line splits in two."""
    ax.plot(x, y, "o", color="#333333", markersize=4.5, zorder=2)


def _cell(ax: Axes, x0: float, y0: float, x1: float, y1: float) -> None:
    """The light grey background of a recurrent cell."""
    ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.3",
                                facecolor="#f3f3f3", edgecolor="#999999", linewidth=1.0, zorder=0))


def _gate(ax: Axes, x: float, text: str, name: str, color: str = GATE, y: float = 2.4, bus: float = 0.9,
          w: float = 0.8) -> None:
    """A layer with weights at (x, y), fed from the input bus at height bus, its name written beside the feed."""
    _box(ax, x, y, text, color, w=w, h=0.6)
    _dot(ax, x, bus)
    _arrow(ax, (x, bus), (x, y - 0.3))
    if name:
        ax.text(x + 0.1, (bus + y - 0.3) / 2, name, fontsize=SIZE - 2, color=NOTE, va="center")


def draw_unrolled_rnn(steps: int = 3, output: bool = True, ax: Axes | None = None) -> Figure:
    """The folded simple RNN (a cell with a self-loop) = the same cell unrolled over `steps` time steps."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1 (the number of unrolled time steps), got {steps!r}")
    dx, x0 = 2.1, 5.1  # spacing of the unrolled cells, x of the first one
    xlim, ylim = (-0.7, max(x0 + dx * (steps - 1) + 0.8, 7.8)), (-1.75, 3.55 if output else 2.5)
    scale = min(1.0, 12.0 / (xlim[1] - xlim[0]))  # inches per data unit, at most 12 inches wide
    fig, ax = _canvas(ax, (scale * (xlim[1] - xlim[0]), scale * (ylim[1] - ylim[0])), xlim, ylim)
    # folded: x_t -> [h_t] -> y_t, with the recurrent loop on the right
    _box(ax, 0.3, 0.0, "$x_t$", INPUT, h=0.6)
    _box(ax, 0.3, 1.4, "$h_t$")
    _arrow(ax, (0.3, 0.3), (0.3, 1.05), label="$W_x$", label_at=(0.12, 0.68), ha="right")
    _arrow(ax, (0.8, 1.5), (1.35, 1.5), (1.35, 2.3), (0.6, 2.3), (0.6, 1.75))
    ax.text(1.45, 1.95, "$W_h$", fontsize=SIZE - 1, va="center")
    if output:
        _box(ax, 0.3, 3.1, "$y_t$", OUTPUT, h=0.6)
        _arrow(ax, (0.05, 1.75), (0.05, 2.8), label="$V$", label_at=(-0.12, 2.3), ha="right")
    ax.text(0.3, -0.6, "folded", ha="center", fontsize=SIZE - 1, color=NOTE)
    ax.text(2.25, 1.4, "=", ha="center", va="center", fontsize=SIZE + 10)
    # unrolled: h_0 = 0 -> [h_1] -> ... -> [h_T]
    ax.text(x0 - 2.05, 1.4, "$h_0 = 0$", ha="center", va="center", fontsize=SIZE)
    for t in range(1, steps + 1):
        x = x0 + dx * (t - 1)
        _box(ax, x, 0.0, f"$x_{{{t}}}$", INPUT, h=0.6)
        _box(ax, x, 1.4, f"$h_{{{t}}}$")
        _arrow(ax, (x, 0.3), (x, 1.05), label="$W_x$", label_at=(x - 0.15, 0.68), ha="right")
        start = x - dx + 0.5 if t > 1 else x0 - 1.4
        _arrow(ax, (start, 1.4), (x - 0.5, 1.4), label="$W_h$", label_at=((start + x - 0.5) / 2, 1.62))
        if output:
            _box(ax, x, 3.1, f"$y_{{{t}}}$", OUTPUT, h=0.6)
            _arrow(ax, (x, 1.75), (x, 2.8), label="$V$", label_at=(x - 0.15, 2.3), ha="right")
    middle = (x0 - 2.5 + xlim[1]) / 2
    ax.text(middle, -0.6, f"unrolled over $T = {steps}$ time step{'s' * (steps > 1)}", ha="center",
            fontsize=SIZE - 1, color=NOTE)
    weights = "$W_x$, $W_h$, $b$" + (", $V$, $c$" if output else "")
    ax.text((xlim[0] + xlim[1]) / 2, -1.1, f"shared weights: the same {weights} at every step", ha="center",
            fontsize=SIZE - 1, fontweight="bold")
    equation = r"h_t = \tanh(x_t W_x + h_{t-1} W_h + b)"
    equation += r",\qquad y_t = \mathrm{softmax}(h_t V + c)" if output else ""
    ax.text((xlim[0] + xlim[1]) / 2, -1.6, f"${equation}$", ha="center", fontsize=SIZE)
    return fig


def draw_lstm_cell(ax: Axes | None = None) -> Figure:
    """One LSTM cell: the gates f_t, i_t, o_t (σ) and the candidate g_t (tanh) around the additive cell-state path."""
    fig, ax = _canvas(ax, (11.0, 6.6), (-1.1, 13.0), (-2.1, 6.4))
    _cell(ax, 0.5, 0.3, 11.6, 6.1)
    top, bus, r = 5.4, 0.9, 0.25
    # inputs: h_{t-1} along the bottom bus, x_t joining it from below
    ax.text(-0.4, bus, "$h_{t-1}$", ha="right", va="center", fontsize=SIZE)
    _arrow(ax, (-0.3, bus), (8.4, bus), head=False)
    ax.text(1.4, -0.55, "$x_t$", ha="center", va="center", fontsize=SIZE)
    _arrow(ax, (1.4, -0.3), (1.4, bus), head=False)
    _dot(ax, 1.4, bus)
    for x, text, name, color in ((2.6, r"$\sigma$", "forget", GATE), (4.6, r"$\sigma$", "input", GATE),
                                 (6.4, r"$\tanh$", "candidate", CANDIDATE), (8.4, r"$\sigma$", "output", GATE)):
        _gate(ax, x, text, name, color, w=0.8 if color == GATE else 1.0)
    # cell state along the top: c_{t-1} -> ⊙ f_t -> ⊕ i_t ⊙ g_t -> c_t
    thick = {"lw": 3.2, "color": "#b8860b"}
    ax.text(-0.4, top, "$c_{t-1}$", ha="right", va="center", fontsize=SIZE)
    _node(ax, 2.6, top, "*")
    _node(ax, 6.4, top, "+")
    _arrow(ax, (-0.3, top), (2.6, top), gap1=r, **thick)
    _arrow(ax, (2.6, top), (6.4, top), gap0=r, gap1=r, **thick, label=r"$f_t \odot c_{t-1}$", label_at=(4.5, 5.7))
    _arrow(ax, (6.4, top), (12.2, top), gap0=r, **thick)
    ax.text(12.3, top, "$c_t$", ha="left", va="center", fontsize=SIZE)
    ax.text(8.3, 5.72, "cell state: additive path", ha="center", va="center", fontsize=SIZE - 1,
            color=thick["color"], fontweight="bold")
    # the gates act on it
    _arrow(ax, (2.6, 2.7), (2.6, top), gap1=r, label="$f_t$", label_at=(2.75, 3.9), ha="left")
    _node(ax, 6.4, 4.2, "*")
    _arrow(ax, (4.6, 2.7), (4.6, 4.2), (6.4, 4.2), gap1=r, label="$i_t$", label_at=(4.75, 3.5), ha="left")
    _arrow(ax, (6.4, 2.7), (6.4, 4.2), gap1=r, label="$g_t$", label_at=(6.55, 3.45), ha="left")
    _arrow(ax, (6.4, 4.2), (6.4, top), gap0=r, gap1=r, label=r"$i_t \odot g_t$", label_at=(6.55, 4.8), ha="left")
    # output: h_t = o_t ⊙ tanh(c_t)
    _dot(ax, 10.2, top)
    _node(ax, 10.2, 4.3, "tanh", r=0.36)
    _node(ax, 10.2, 3.2, "*")
    _arrow(ax, (10.2, top), (10.2, 4.3), gap1=0.36)
    _arrow(ax, (10.2, 4.3), (10.2, 3.2), gap0=0.36, gap1=r)
    _arrow(ax, (8.4, 2.7), (8.4, 3.2), (10.2, 3.2), gap1=r, label="$o_t$", label_at=(9.3, 3.42))
    _arrow(ax, (10.2, 3.2), (10.2, bus), (12.2, bus), gap0=r, label=r"$o_t \odot \tanh(c_t)$",
           label_at=(10.35, 2.0), ha="left")
    ax.text(12.3, bus, "$h_t$", ha="left", va="center", fontsize=SIZE)
    # the equations, as in the notebook
    ax.text(5.95, -1.15, r"$i_t = \sigma(x_t W_i + h_{t-1} U_i + b_i)$, likewise $f_t$ and $o_t$;"
            r"   $g_t = \tanh(x_t W_g + h_{t-1} U_g + b_g)$", ha="center", va="center", fontsize=SIZE)
    ax.text(5.95, -1.75, r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$,    $h_t = o_t \odot \tanh(c_t)$"
            "      (boxes: layers with weights; circles: elementwise)", ha="center", va="center", fontsize=SIZE)
    return fig


def draw_gru_cell(ax: Axes | None = None) -> Figure:
    """One GRU cell as Keras computes it (reset_after=True): gates z_t, r_t, the candidate and the 1 - z_t branch."""
    fig, ax = _canvas(ax, (11.0, 7.3), (-1.1, 13.0), (-2.1, 7.6))
    _cell(ax, 0.5, 0.3, 11.6, 7.3)
    top, bus, r = 6.6, 0.9, 0.25
    # inputs: h_{t-1} along the top and, copied, along the bottom bus; x_t joining the bus from below
    ax.text(-0.4, top, "$h_{t-1}$", ha="right", va="center", fontsize=SIZE)
    ax.text(1.4, -0.55, "$x_t$", ha="center", va="center", fontsize=SIZE)
    _arrow(ax, (1.4, -0.3), (1.4, bus), head=False)
    _dot(ax, 1.4, bus)
    _dot(ax, 0.9, top)
    _arrow(ax, (0.9, top), (0.9, bus), (10.0, bus), head=False)
    _gate(ax, 2.6, r"$\sigma$", "update")
    _gate(ax, 4.4, r"$\sigma$", "reset")
    _gate(ax, 6.8, r"$h_{t-1} U_h + b'_h$", "", CANDIDATE, w=2.1)
    _gate(ax, 10.0, r"$x_t W_h + b_h$", "", CANDIDATE, w=1.8)
    # candidate: tanh(x_t W_h + b_h + r_t ⊙ (h_{t-1} U_h + b'_h))
    _node(ax, 6.8, 3.5, "*")
    _arrow(ax, (4.4, 2.7), (4.4, 3.5), (6.8, 3.5), gap1=r, label="$r_t$", label_at=(5.6, 3.72))
    _arrow(ax, (6.8, 2.7), (6.8, 3.5), gap1=r)
    _node(ax, 10.0, 3.5, "+")
    _arrow(ax, (6.8, 3.5), (10.0, 3.5), gap0=r, gap1=r, label=r"$r_t \odot (h_{t-1} U_h + b'_h)$",
           label_at=(8.4, 3.75))
    _arrow(ax, (10.0, 2.7), (10.0, 3.5), gap1=r)
    _node(ax, 10.0, 4.5, "tanh", r=0.36)
    _arrow(ax, (10.0, 3.5), (10.0, 4.5), gap0=r, gap1=0.36)
    # new state: h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ candidate
    thick = {"lw": 3.2, "color": "#b8860b"}
    _node(ax, 2.6, top, "*")
    _node(ax, 10.0, top, "+")
    _arrow(ax, (-0.3, top), (2.6, top), gap1=r, **thick)
    _arrow(ax, (2.6, top), (10.0, top), gap0=r, gap1=r, **thick, label=r"$z_t \odot h_{t-1}$  (old state kept)",
           label_at=(6.3, 6.9))
    _arrow(ax, (10.0, top), (12.2, top), gap0=r, **thick)
    ax.text(12.3, top, "$h_t$", ha="left", va="center", fontsize=SIZE)
    _arrow(ax, (2.6, 2.7), (2.6, top), gap1=r, label="$z_t$", label_at=(2.75, 3.9), ha="left")
    _dot(ax, 2.6, 5.6)
    _node(ax, 5.0, 5.6, "$1-$", r=0.3)
    _node(ax, 10.0, 5.6, "*")
    _arrow(ax, (2.6, 5.6), (5.0, 5.6), gap1=0.3)
    _arrow(ax, (5.0, 5.6), (10.0, 5.6), gap0=0.3, gap1=r, label="$1 - z_t$", label_at=(7.5, 5.82))
    _arrow(ax, (10.0, 4.5), (10.0, 5.6), gap0=0.36, gap1=r, label=r"$\tilde h_t$", label_at=(10.15, 5.1), ha="left")
    _arrow(ax, (10.0, 5.6), (10.0, top), gap0=r, gap1=r)
    # the equations, as in the notebook
    ax.text(5.95, -1.15, r"$z_t = \sigma(x_t W_z + b_z + h_{t-1} U_z + b'_z)$, likewise $r_t$;"
            r"   $\tilde h_t = \tanh(x_t W_h + b_h + r_t \odot (h_{t-1} U_h + b'_h))$", ha="center", va="center",
            fontsize=SIZE)
    ax.text(5.95, -1.75, r"$h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t$      (Keras, reset_after=True:"
            r" $r_t$ applied after the recurrent product)", ha="center", va="center", fontsize=SIZE)
    return fig


IO_CONFIGURATIONS = {  # title: (note, cells, decoder starts at, input labels by cell, output labels by cell)
    "one-to-many": ("one input, a sequence out: e.g. text generation from a seed", 4, None, {0: "$x$"},
                    {i: f"$y_{i + 1}$" for i in range(4)}),
    "many-to-one": ("a sequence in, one output: e.g. sequence classification", 4, None,
                    {i: f"$x_{i + 1}$" for i in range(4)}, {3: "$y$"}),
    "many-to-many (aligned)": ("one output per input step: e.g. tagging, per-step prediction", 4, None,
                               {i: f"$x_{i + 1}$" for i in range(4)}, {i: f"$y_{i + 1}$" for i in range(4)}),
    "encoder–decoder": ("a sequence in, then one of another length out: e.g. translation", 7, 4,
                        {i: f"$x_{i + 1}$" for i in range(4)}, {i + 4: f"$y_{i + 1}$" for i in range(3)}),
}


def _io_panel(ax: Axes, title: str, note: str, cells: int, decoder: int | None, inputs: dict[int, str],
              outputs: dict[int, str]) -> None:
    """One configuration: inputs below, a row of recurrent cells linked by their state, outputs above."""
    ax.set(xlim=(-0.5, 7.7), ylim=(-0.75, 3.0), aspect="equal")
    ax.axis("off")
    ax.set_title(title, fontsize=SIZE, fontweight="bold", pad=18)
    ax.text(0.5, 1.0, note, transform=ax.transAxes, ha="center", va="bottom", fontsize=SIZE - 2, color=NOTE)
    xs = [1.1 * i + (0.5 if decoder is not None and i >= decoder else 0.0) for i in range(cells)]
    xs = [x + (7.2 - xs[-1]) / 2 for x in xs]  # centred
    for i, x in enumerate(xs):
        _box(ax, x, 1.3, "", DECODER if decoder is not None and i >= decoder else CELL, w=0.62, h=0.5)
        if i in inputs:
            _box(ax, x, 0.0, inputs[i], INPUT, w=0.62, h=0.5, size=SIZE - 1)
            _arrow(ax, (x, 0.25), (x, 1.05))
        if i in outputs:
            _box(ax, x, 2.6, outputs[i], OUTPUT, w=0.62, h=0.5, size=SIZE - 1)
            _arrow(ax, (x, 1.55), (x, 2.35))
        if i > 0:
            _arrow(ax, (xs[i - 1] + 0.31, 1.3), (x - 0.31, 1.3))
    if decoder is not None:
        ax.text((xs[decoder - 1] + xs[decoder]) / 2, 1.5, "context", ha="center", va="bottom", fontsize=SIZE - 2,
                color=NOTE)
        for name, group in (("encoder", xs[:decoder]), ("decoder", xs[decoder:])):
            ax.text((group[0] + group[-1]) / 2, -0.5, name, ha="center", va="top", fontsize=SIZE - 2, color=NOTE)


def draw_io_configurations() -> Figure:
    """The input/output configurations of recurrent models, one panel each: boxes for inputs, cells, outputs."""
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 6.0))
    for ax, (title, spec) in zip(axes.flat, IO_CONFIGURATIONS.items(), strict=True):
        _io_panel(ax, title, *spec)
    fig.text(0.5, 0.015, "blue: inputs   yellow: recurrent cells, each passing its state to the right   "
             "orange: decoder cells   green: outputs", ha="center", fontsize=SIZE - 2, color=NOTE)
    fig.tight_layout(rect=(0, 0.04, 1, 1), h_pad=2.0, w_pad=2.0)
    return fig
