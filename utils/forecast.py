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


def paired_difference(loss_a, loss_b, lags: int = 0) -> tuple[float, float]:
    """Mean of ``loss_a - loss_b`` over the same days and its standard error.

    With ``lags > 0`` the SE is Newey-West's: it allows the daily differences to be correlated up to ``lags``
    days apart (overlapping multi-day targets, volatility spells), which the plain SE (``lags=0``) ignores.
    A negative mean says model a has the smaller loss.
    """
    a, b = _aligned(loss_a, loss_b)
    if a.ndim != 1:
        raise ValueError(f"expected one loss per day (1-D arrays), got shape {a.shape}")
    if not 0 <= lags < len(a) - 1:
        raise ValueError(f"lags must be in [0, {len(a) - 2}] for {len(a)} days, got {lags}")
    d = a - b
    e = d - d.mean()
    variance = e @ e / len(d)
    for k in range(1, lags + 1):
        variance += 2 * (1 - k / (lags + 1)) * (e[k:] @ e[:-k]) / len(d)
    return float(d.mean()), float(np.sqrt(variance / len(d)))


def mse_difference(y_true, pred_a, pred_b, lags: int = 0) -> tuple[float, float]:
    """``paired_difference`` of the squared errors of two forecasts of the same days: (MSE_a - MSE_b, its SE)."""
    y_true, pred_a = _aligned(y_true, pred_a)
    _, pred_b = _aligned(y_true, pred_b)
    return paired_difference((y_true - pred_a) ** 2, (y_true - pred_b) ** 2, lags)


def conformal_margin(y_true, lower, upper, coverage: float) -> float:
    """Split-conformal (CQR) margin from a calibration span: widen [lower, upper] by it on both sides (narrow if
    negative) so that, for new data exchangeable with the calibration data, the band covers ``coverage``.

    The score of a day is ``max(lower - y, y - upper)`` (how far y lies outside the band, negative inside);
    the margin is the k-th smallest score with k = ceil((n + 1) * coverage), i.e. the ceil((n + 1) * coverage) / n
    empirical quantile (Romano et al., 2019); +inf when k > n (too few calibration days for that coverage).
    The guarantee needs calibration data the model was not fit or selected on.
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    y_true, lower = _aligned(y_true, lower)
    _, upper = _aligned(y_true, upper)
    scores = np.maximum(lower - y_true, y_true - upper)
    k = int(np.ceil((len(scores) + 1) * coverage))
    return float(np.sort(scores)[k - 1]) if k <= len(scores) else float("inf")


def least_squares_factor(y_true, y_pred) -> float:
    """The factor c minimising sum((y_true - c * y_pred) ** 2): c = sum(y_true * y_pred) / sum(y_pred ** 2).

    Fit it on training data to remove a forecast's proportional bias (e.g. sqrt(E[r^2]) forecasting E[sigma])."""
    y_true, y_pred = _aligned(y_true, y_pred)
    if not np.any(y_pred):
        raise ValueError("y_pred is all zeros: no factor can scale it")
    return float(y_true @ y_pred / (y_pred @ y_pred))


def correlation(a, b, lags: int = 0) -> tuple[float, float]:
    """Pearson correlation of two series of the same days and its standard error.

    The correlation is the mean of the product of the standardised series; its SE is that mean's
    (``paired_difference``), Newey-West with ``lags > 0``, so that correlated neighbouring days are allowed for.
    """
    a, b = _aligned(a, b)
    if a.std() == 0 or b.std() == 0:
        raise ValueError("a constant series has no correlation")
    product = (a - a.mean()) / a.std() * (b - b.mean()) / b.std()
    return paired_difference(product, np.zeros_like(product), lags)


def inverse_scale(scaler, values) -> np.ndarray:
    """``scaler.inverse_transform`` of a scaler fit on one feature, applied to every entry of ``values``
    (any shape, e.g. (days, horizons)); returns an array of the same shape."""
    if getattr(scaler, "n_features_in_", None) != 1:
        raise ValueError(f"expected a fitted scaler of one feature, got {scaler!r}")
    values = np.asarray(values, dtype=float)
    return scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)


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


def plot_error_by_horizon(errors: dict, metric: str = "RMSE", title: str = "", unit: str = "days"):
    """One line per model of an error (array of length k, NaN where not computed) against the horizon 1..k."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in errors.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=name)
    ax.set(xlabel=f"horizon ({unit} ahead)", ylabel=metric, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
