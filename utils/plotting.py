"""Plots shared by the notebooks."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt


def plot_history(history, metrics: list[str] | None = None, title: str | None = None):
    """Training curves from a Keras ``History`` (or its ``.history`` dict): one panel per metric.

    Each panel shows the training value and, when present, the ``val_`` value per epoch.
    Returns the matplotlib Figure.
    """
    logs = history if isinstance(history, Mapping) else getattr(history, "history", None)
    if not isinstance(logs, Mapping) or not logs:
        raise ValueError("plot_history needs a keras History or a non-empty dict of per-epoch lists")
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    unknown = [m for m in metrics if m not in logs]
    if unknown:
        raise ValueError(f"metric(s) {unknown} not in the history; it has {sorted(logs)}")

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        epochs = range(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], label="train")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], label="validation")
        ax.set(xlabel="epoch", ylabel=name, title=name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(y_true, y_pred, class_names, ax=None, title: str | None = None):
    """Confusion matrix (rows: true class, columns: predicted) with counts, titled with the accuracy."""
    import numpy as np
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and of equal length, got {y_true.shape} and {y_pred.shape}")
    if ax is None:
        ax = plt.subplots(figsize=(4.5, 4))[1]
    matrix = confusion_matrix(y_true, y_pred, labels=range(len(class_names)))
    ConfusionMatrixDisplay(matrix, display_labels=class_names).plot(ax=ax, colorbar=False, xticks_rotation=45)
    accuracy = float(np.mean(y_true == y_pred))
    ax.set_title(f"{title + ': ' if title else ''}accuracy {accuracy:.3f}")
    return ax
