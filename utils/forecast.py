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


def online_conformal(scores, times, delay: int, coverage: float, step: float, start: float = 0.0
                     ) -> tuple[np.ndarray, float]:
    """Margins of an online conformal band (quantile tracking; Gibbs & Candès 2021, Angelopoulos et al. 2023),
    and the most its coverage can fall short of ``coverage``, whatever the data.

    Forecast i is issued at ``times[i]`` (increasing integers, e.g. hours) with margin q_i: its band is widened by
    q_i on both sides. Its score ``scores[i]``, how far the truth lies outside the unwidened band (negative inside,
    as in ``conformal_margin``), becomes known ``delay`` time units later. Every known outcome moves the margin:
    q = start + step * sum over the forecasts j known by times[i] (times[j] + delay <= times[i]) of
    (miss_j - (1 - coverage)), with miss_j = scores[j] > q_j: up after a miss, down a little after a hit.

    Guarantee, for any sequence of scores (no exchangeability needed): with B = max|scores| and at most
    K = delay - 1 forecasts still unknown when one is issued, q never exceeds max(start, B + (K + 1) step coverage),
    so the share of misses exceeds 1 - coverage by at most (B - start + (K + 1) step coverage) / (step n). Returns
    the margins (n,) and that bound on the shortfall of the coverage of all n forecasts.
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    if step <= 0 or delay < 0:
        raise ValueError(f"step must be > 0 and delay >= 0, got step={step}, delay={delay}")
    scores, times = _aligned(scores, times)
    if scores.ndim != 1 or (np.diff(times) <= 0).any():
        raise ValueError("scores and times must be 1-D, with times strictly increasing")
    margins = np.empty(len(scores))
    q, known = start, 0
    for i, now in enumerate(times):
        while known < i and times[known] + delay <= now:        # outcomes that have arrived by now, in order
            q += step * ((scores[known] > margins[known]) - (1 - coverage))
            known += 1
        margins[i] = q
    pending = max(delay - 1, 0)
    shortfall = max(0.0, np.abs(scores).max() - start + (pending + 1) * step * coverage) / (step * len(scores))
    return margins, float(shortfall)


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
    That SE is exact when the true correlation is 0 (what a test of "any correlation at all" needs); away from 0
    it omits the delta-method term -rho (z_a^2 + z_b^2) / 2 and is only approximate.
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
    """One line per model of an error (array of length k, NaN where not computed) against the horizon 1..k;
    past the 10 colours of the cycle, lines are dashed so that no two look alike."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for k, (name, values) in enumerate(errors.items()):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ls="-" if k < 10 else "--", label=name)
    ax.set(xlabel=f"horizon ({unit} ahead)", ylabel=metric, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def check_air_quality_parameters(**params) -> None:
    """Check notebook 07's parameters (passed by their names, e.g. ``WINDOW=48``); one ValueError lists every bad
    value and why. The split dates are checked against the file later, by ``split_ends``."""
    def integer(name, low, high, why):
        value = params[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            problems.append(f"{name} = {value!r}: must be an integer from {low} to {high} ({why})")

    expected = {"SEED", "AIR_QUALITY", "STATION", "INTERPOLATE_HOURS", "TRAIN_END", "VALIDATION_END", "WINDOW",
                "AHEAD", "UNITS", "EPOCHS", "BATCH", "TRAIN_STRIDE", "QUANTILES", "GBM_HORIZONS", "GBM_TREES"}
    if set(params) != expected:
        raise TypeError(f"unknown or missing parameters: {sorted(set(params) ^ expected)}")
    problems = []
    integer("SEED", 0, 2**32 - 1, "it seeds NumPy, Python and TensorFlow")
    if params["AIR_QUALITY"] is not None:
        from pathlib import Path

        if not Path(params["AIR_QUALITY"]).is_file():
            problems.append(f"AIR_QUALITY = {params['AIR_QUALITY']!r}: no such file (None: the shipped Beijing file)")
    if params["STATION"] is not None and not (isinstance(params["STATION"], str) and params["STATION"].strip()):
        problems.append(f"STATION = {params['STATION']!r}: must be None or a station's name")
    integer("INTERPOLATE_HOURS", 0, 24, "a straight line through a longer gap invents an episode's shape")
    for name in ("TRAIN_END", "VALIDATION_END"):
        if params[name] is not None:
            try:
                pd.Timestamp(params[name])
            except (TypeError, ValueError):
                problems.append(f"{name} = {params[name]!r}: not a date and hour such as '2012-12-31 23:00'")
    integer("WINDOW", 24, 168, "the same hour yesterday and the 24-hour mean need a day of history; "
                               "beyond a week the windows fill the memory")
    integer("AHEAD", 6, 72, "the checks compare models from 6 hours ahead")
    integer("UNITS", 1, 1024, "the LSTMs' units")
    integer("EPOCHS", 1, 200, "an upper bound: every model stops early")
    integer("BATCH", 1, 65536, "windows per gradient step")
    integer("TRAIN_STRIDE", 1, 24, "train on every k-th window")
    integer("GBM_TREES", 1, 5000, "trees per boosting model, the number used chosen on validation")
    quantiles = params["QUANTILES"]
    try:
        q = np.asarray(quantiles, dtype=float)
        good = q.ndim == 1 and len(q) >= 2 and (q > 0).all() and (q < 1).all() and (np.diff(q) > 0).all()
    except (TypeError, ValueError):
        good = False
    if not good:
        problems.append(f"QUANTILES = {quantiles!r}: must be two or more increasing probabilities in (0, 1), "
                        "e.g. (0.1, 0.9); the band runs from the first to the last")
    try:
        horizons = [int(h) for h in params["GBM_HORIZONS"]]
        if not horizons or min(horizons) < 1 or any(h != g for h, g in zip(horizons, params["GBM_HORIZONS"],
                                                                          strict=True)):
            raise ValueError
        if isinstance(params["AHEAD"], int) and min(horizons) > params["AHEAD"]:
            problems.append(f"GBM_HORIZONS = {tuple(horizons)}: none is within AHEAD = {params['AHEAD']} hours")
    except (TypeError, ValueError):
        problems.append(f"GBM_HORIZONS = {params['GBM_HORIZONS']!r}: must be whole hours >= 1, e.g. (1, 3, 6, 12, 24)")
    if problems:
        raise ValueError("bad parameter(s):\n  " + "\n  ".join(problems))


def split_ends(index: pd.DatetimeIndex, train_end=None, validation_end=None, min_train_days: int = 365,
               min_days: int = 30) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The ends of the training and validation spans of an hourly or daily ``index``: as given, or by default two
    years and one year before its last entry (the test span is the last year, validation the year before). Raises
    if a span would be empty or shorter than ``min_train_days`` (training) or ``min_days`` (validation, test)
    calendar days, naming the index's first and last entries."""
    hourly = bool((index.hour != 0).any())

    def shown(t: pd.Timestamp) -> str:
        return f"{t:%Y-%m-%d %H:00}" if hourly else f"{t:%Y-%m-%d}"

    first, last = index[0], index[-1]
    train_end = last - pd.DateOffset(years=2) if train_end is None else pd.Timestamp(train_end)
    validation_end = last - pd.DateOffset(years=1) if validation_end is None else pd.Timestamp(validation_end)
    spans = {"training": (first, train_end, min_train_days), "validation": (train_end, validation_end, min_days),
             "test": (validation_end, last, min_days)}
    for name, (start, end, days) in spans.items():
        if end - start < pd.Timedelta(days=days):
            raise ValueError(f"the {name} span {shown(start)} to {shown(end)} is shorter than {days} days: the file "
                             f"runs from {shown(first)} to {shown(last)}, TRAIN_END = {shown(train_end)}, "
                             f"VALIDATION_END = {shown(validation_end)}; set them so that training, validation and "
                             "test each hold enough days")
    return train_end, validation_end


def walk_forward_years(index: pd.DatetimeIndex, years=None, min_train_days: int = 2 * 365) -> tuple[int, ...]:
    """The test years of a walk-forward evaluation on a daily ``index``: as given, or by default its last three
    calendar years. A fold for year Y trains on the days up to the end of Y - 2 and stops early on Y - 1, so each
    Y must be in the index with at least ``min_train_days`` calendar days before the end of Y - 2; raises otherwise,
    naming the index's span."""
    present = sorted(set(index.year))
    years = tuple(present[-3:]) if years is None else tuple(years)
    first, last = index[0], index[-1]
    for year in years:
        if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
            raise ValueError(f"WALK_FORWARD_YEARS must hold years such as 2016, got {year!r}")
        train_days = (pd.Timestamp(f"{year - 2}-12-31") - first).days
        if year not in present or train_days < min_train_days:
            raise ValueError(f"walk-forward test year {year}: the file runs from {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
                             f"and each test year needs its own days and {min_train_days} days of training before "
                             f"the end of the year two before it (a file of at least five years)")
    if not years:
        raise ValueError("WALK_FORWARD_YEARS is empty: give at least one test year (None: the file's last three)")
    return years
