"""Synthetic sequence tasks and windowing of time series."""

from __future__ import annotations

import numpy as np


def adding_problem(n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997): a long-range memory benchmark.

    Returns ``x`` of shape (n, length, 2), float32, and ``y`` of shape (n,), float32. Channel 0 holds
    random values in [0, 1); channel 1 marks exactly two steps with 1, one in the first half of the
    sequence and one in the second. The target is the sum of the two marked values, so a model must
    carry the first value across up to ``length`` steps. Always predicting the mean, 1.0, gives a
    mean squared error of 1/6.
    """
    if n < 1 or length < 2:
        raise ValueError(f"need n >= 1 and length >= 2, got n={n}, length={length}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    rows = np.arange(n)
    first = rng.integers(0, length // 2, size=n)
    second = rng.integers(length // 2, length, size=n)
    markers = np.zeros((n, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values[rows, first] + values[rows, second]).astype("float32")
    return x, y


def make_windows(x, y, window: int, horizon: int = 1, n_ahead: int = 1, batch_size: int = 64,
                 shuffle: bool = False, seed: int | None = None):
    """A tf.data.Dataset of (input window, target) pairs for forecasting, built with
    ``keras.utils.timeseries_dataset_from_array``.

    ``x`` has shape (T,) or (T, features); ``y`` has shape (T,). The sample that starts at step ``i`` has
    input ``x[i : i + window]`` (shape (window, features)) and target ``y[i + window + horizon - 1]``: the
    value ``horizon`` steps after the last input step. With ``n_ahead > 1`` the target is the vector of the
    next ``n_ahead`` values from there, shape (n_ahead,). No target lies inside its input window.
    """
    import keras

    x = np.asarray(x, dtype="float32")
    y = np.asarray(y, dtype="float32")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x must be (T,) or (T, features) and y (T,) with the same T; got {x.shape} and {y.shape}")
    if window < 1 or horizon < 1 or n_ahead < 1:
        raise ValueError(f"window, horizon and n_ahead must be >= 1, got {window}, {horizon}, {n_ahead}")
    first = window + horizon - 1                       # index of the first sample's (first) target
    n_samples = len(y) - first - n_ahead + 1
    if n_samples < 1:
        raise ValueError(f"a series of {len(y)} steps is too short for window={window}, horizon={horizon}, "
                         f"n_ahead={n_ahead} (needs at least {first + n_ahead})")
    targets = y[first:first + n_samples]
    if n_ahead > 1:
        targets = np.lib.stride_tricks.sliding_window_view(y[first:], n_ahead)[:n_samples]
    return keras.utils.timeseries_dataset_from_array(
        x[:n_samples + window - 1], targets, sequence_length=window, batch_size=batch_size,
        shuffle=shuffle, seed=seed)


def window_targets(dataset) -> np.ndarray:
    """All targets of a windowed dataset, in order, as one array (for metrics and baselines)."""
    return np.concatenate([np.asarray(t) for _, t in dataset])


def windows_between(features, target, window: int, start=None, end=None, horizon: int = 1, n_ahead: int = 1,
                    batch_size: int = 64, shuffle: bool = False, seed: int = 0):
    """``make_windows`` restricted to samples whose targets all fall in the dates (start, end].

    ``target`` is a pandas Series with a DatetimeIndex; ``features`` (T,) or (T, F) is aligned with it row by
    row. Inputs may reach back before ``start`` (they are the past), but no target leaves the span, so
    consecutive spans (train, validation, test) never share a target. Returns the dataset and the date of
    each sample's (first) target.
    """
    import pandas as pd

    if not isinstance(getattr(target, "index", None), pd.DatetimeIndex):
        raise ValueError("target must be a pandas Series indexed by dates")
    if len(features) != len(target):
        raise ValueError(f"features and target have different lengths: {len(features)} vs {len(target)}")
    dates = target.index
    first = 0 if start is None else dates.searchsorted(pd.Timestamp(start), side="right")
    last = len(dates) if end is None else dates.searchsorted(pd.Timestamp(end), side="right")
    first = max(first, window + horizon - 1)            # enough history for the first window
    if last - first < n_ahead:
        raise ValueError(f"no complete sample has its targets in ({start}, {end}] with window={window}, "
                         f"horizon={horizon}, n_ahead={n_ahead}")
    rows = slice(first - window - horizon + 1, last)
    ds = make_windows(np.asarray(features)[rows], target.to_numpy()[rows], window, horizon=horizon,
                      n_ahead=n_ahead, batch_size=batch_size, shuffle=shuffle, seed=seed)
    return ds, dates[first:last - n_ahead + 1]


def forecast_origins(target, window: int, n_ahead: int, start=None, end=None, stride: int = 1,
                     not_origin=None, inputs_observed=None) -> tuple[np.ndarray, int]:
    """Rows t from which to forecast ``target`` (a Series on a regular time grid, NaN where not observed).

    A row t qualifies when its inputs, rows t - window + 1 .. t, and its targets, rows t + 1 .. t + n_ahead, are all
    observed and every target's time lies in (start, end]: no window touches a gap, and no target leaves its
    split (inputs may reach back before ``start``: that is the past). ``not_origin`` (optional, boolean, one per
    row) marks rows that may not be an origin, such as interpolated hours: a value filled in at t is built from a
    later observed hour, one of t's targets. ``inputs_observed`` (optional, boolean, one per row) marks the rows
    whose other inputs (e.g. the weather) are all known: the input rows t - window + 1 .. t must be such rows too,
    while a target row needs only the target. Returns every ``stride``-th qualifying t (as an int array,
    increasing) and the number of rows dropped because their span touched a gap (rows rejected only by
    ``not_origin`` are not counted).
    """
    import pandas as pd

    index = getattr(target, "index", None)
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("target must be a pandas Series indexed by times")
    if len(index) > 1 and (index.to_series().diff().iloc[1:] != index[1] - index[0]).any():
        raise ValueError("target's times must be a regular grid (one row per step, none missing or repeated)")
    if window < 1 or n_ahead < 1 or stride < 1:
        raise ValueError(f"window, n_ahead and stride must be >= 1, got {window}, {n_ahead}, {stride}")
    span = window + n_ahead
    if len(target) < span:
        raise ValueError(f"a series of {len(target)} steps is too short for window={window}, n_ahead={n_ahead}")
    observed = np.asarray(target.notna(), dtype=bool)
    usable = observed
    if inputs_observed is not None:
        inputs_observed = np.asarray(inputs_observed, dtype=bool)
        if inputs_observed.shape != (len(target),):
            raise ValueError(f"inputs_observed must have one value per row ({len(target)}), "
                             f"got shape {inputs_observed.shape}")
        usable = observed & inputs_observed
    origins = np.arange(window - 1, len(target) - n_ahead)
    runs = np.r_[0, np.cumsum(usable)], np.r_[0, np.cumsum(observed)]     # counts of usable / observed rows
    complete = ((runs[0][origins + 1] - runs[0][origins + 1 - window] == window)             # inputs t-window+1 .. t
                & (runs[1][origins + 1 + n_ahead] - runs[1][origins + 1] == n_ahead))         # targets t+1 .. t+n_ahead
    first_target, last_target = index[origins + 1], index[origins + n_ahead]
    inside = np.ones(len(origins), dtype=bool)
    if start is not None:
        inside &= first_target > pd.Timestamp(start)
    if end is not None:
        inside &= last_target <= pd.Timestamp(end)
    if not inside.any():
        raise ValueError(f"no forecast has all its targets in ({start}, {end}] with window={window}, "
                         f"n_ahead={n_ahead}")
    keep = inside & complete
    if not_origin is not None:
        not_origin = np.asarray(not_origin, dtype=bool)
        if not_origin.shape != (len(target),):
            raise ValueError(f"not_origin must have one value per row ({len(target)}), got shape {not_origin.shape}")
        keep &= ~not_origin[origins]
    return origins[keep][::stride], int(np.sum(inside & ~complete))


def windows_at(values, origins, offsets) -> np.ndarray:
    """``values[t + k]`` for every origin t (rows) and offset k (columns): shape (len(origins), len(offsets), ...).

    ``windows_at(x, t, range(-47, 1))`` gives each origin's last 48 steps of x, ``windows_at(y, t, range(1, 25))``
    its next 24 values.
    """
    values = np.asarray(values)
    rows = np.asarray(origins, dtype=int)[:, None] + np.asarray(offsets, dtype=int)[None, :]
    if rows.size and (rows.min() < 0 or rows.max() >= len(values)):
        raise ValueError(f"windows reach rows {rows.min()}..{rows.max()}, outside the {len(values)} rows of values")
    return values[rows]
