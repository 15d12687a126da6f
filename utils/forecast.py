"""Forecast baselines, metrics and plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def _aligned(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different shapes: {y_true.shape} vs {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("no values to score")
    if np.isnan(y_true).any() or np.isnan(y_pred).any():
        raise ValueError("NaN in y_true or y_pred: align the forecasts and drop the warm-up rows first")
    return y_true, y_pred


def rmse(y_true, y_pred, axis=None):
    """Root mean squared error (over ``axis``; all values by default)."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return np.sqrt(np.mean((y_true - y_pred) ** 2, axis=axis))


def mae(y_true, y_pred, axis=None):
    """Mean absolute error (over ``axis``; all values by default)."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=axis)


def directional_accuracy(y_true, y_pred) -> float:
    """Share of steps where the predicted change has the sign of the true change (zero counts as up)."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return float(np.mean((y_true >= 0) == (y_pred >= 0)))


def pinball_loss(y_true, y_pred, quantile: float) -> float:
    """Mean quantile (pinball) loss: minimised in expectation by the true ``quantile`` of y."""
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    y_true, y_pred = _aligned(y_true, y_pred)
    diff = y_true - y_pred
    return float(np.mean(np.maximum(quantile * diff, (quantile - 1) * diff)))


def coverage(y_true, lower, upper) -> float:
    """Share of ``y_true`` inside [lower, upper]."""
    y_true, lower = _aligned(y_true, lower)
    _, upper = _aligned(y_true, upper)
    if (lower > upper).any():
        raise ValueError("some lower bounds are above their upper bounds (crossed quantiles)")
    return float(np.mean((y_true >= lower) & (y_true <= upper)))


def naive_forecast(series: pd.Series, horizon: int = 1) -> pd.Series:
    """Persistence: the forecast for day t is the value observed ``horizon`` days earlier."""
    return series.shift(horizon)


def moving_average_forecast(series: pd.Series, window: int, horizon: int = 1) -> pd.Series:
    """The mean of the ``window`` values ending ``horizon`` days before the day forecast."""
    return series.rolling(window).mean().shift(horizon)


def ewma_forecast(series: pd.Series, halflife: float, horizon: int = 1) -> pd.Series:
    """Exponentially weighted mean (given half-life in days) of the values up to ``horizon`` days before."""
    return series.ewm(halflife=halflife).mean().shift(horizon)


def plot_forecast(index, truth, predictions: dict, lower=None, upper=None, title: str = "", ylabel: str = ""):
    """Truth and one line per named prediction over ``index``, with an optional [lower, upper] band."""
    fig, ax = plt.subplots(figsize=(11, 3.8))
    ax.plot(index, truth, color="k", lw=1.2, label="truth")
    if lower is not None and upper is not None:
        ax.fill_between(index, lower, upper, color="C0", alpha=0.25, label="prediction interval")
    for k, (name, values) in enumerate(predictions.items()):
        ax.plot(index, values, lw=1, color=f"C{k + 1}", label=name)
    ax.set(title=title, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    return fig


def plot_error_by_horizon(errors: dict, metric: str = "RMSE", title: str = ""):
    """One line per model of an error (array of length k) against the horizon 1..k."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in errors.items():
        values = np.asarray(values)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=name)
    ax.set(xlabel="horizon (days ahead)", ylabel=metric, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
