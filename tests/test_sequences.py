"""Synthetic sequence tasks and time-series windowing."""

import numpy as np
import pytest

from utils.sequences import adding_problem


def test_adding_problem_shapes_and_target():
    x, y = adding_problem(500, 30, seed=1)
    assert x.shape == (500, 30, 2) and y.shape == (500,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    markers = x[..., 1]
    assert (markers.sum(axis=1) == 2).all()
    first, second = np.argmax(markers[:, :15], axis=1), 15 + np.argmax(markers[:, 15:], axis=1)
    assert (markers[:, :15].sum(axis=1) == 1).all()  # one marker in each half
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(y, x[np.arange(500), first, 0] + x[np.arange(500), second, 0], rtol=1e-6)
    # the trivial predictor (always 1.0) scores about 1/6
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.03


def test_adding_problem_is_deterministic_per_seed():
    a, b, c = adding_problem(10, 8, seed=3), adding_problem(10, 8, seed=3), adding_problem(10, 8, seed=4)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("n, length", [(0, 10), (5, 1)])
def test_adding_problem_rejects_bad_sizes(n, length):
    with pytest.raises(ValueError, match="need n >= 1 and length >= 2"):
        adding_problem(n, length)


# ----------------------------------------------------------------------------- windowing
from utils.sequences import make_windows, window_targets  # noqa: E402


@pytest.mark.parametrize("window", [1, 3, 10])
@pytest.mark.parametrize("horizon", [1, 2, 5])
def test_window_target_is_the_value_horizon_steps_after_the_window(window, horizon):
    t = np.arange(40, dtype="float32")
    x = np.stack([t, -t], axis=1)                       # two features; feature 0 is the time index
    batches = make_windows(x, t * 10, window, horizon, batch_size=7)
    pairs = [(xb, yb) for xs, ys in batches for xb, yb in zip(xs, ys, strict=True)]
    assert len(pairs) == 40 - window - horizon + 1
    for i, (inputs, target) in enumerate(pairs):
        assert inputs.shape == (window, 2)
        assert list(inputs[:, 0].numpy()) == list(range(i, i + window))          # consecutive, in order
        last_input = int(inputs[-1, 0])
        assert float(target) == 10 * (last_input + horizon)                      # no off-by-one, no peeking


@pytest.mark.parametrize("n_ahead", [2, 5])
def test_multi_step_targets_are_the_next_values(n_ahead):
    t = np.arange(30, dtype="float32")
    ds = make_windows(t, t, window=4, n_ahead=n_ahead, batch_size=100)
    inputs, targets = next(iter(ds))
    assert targets.shape == (30 - 4 - n_ahead + 1, n_ahead)
    for xw, yw in zip(inputs.numpy(), targets.numpy(), strict=True):
        assert list(yw) == list(range(int(xw[-1, 0]) + 1, int(xw[-1, 0]) + 1 + n_ahead))


def test_window_targets_keeps_order_and_shuffle_keeps_pairs():
    t = np.arange(50, dtype="float32")
    assert list(window_targets(make_windows(t, t, 5, batch_size=8))) == list(range(5, 50))
    for xs, ys in make_windows(t, t, 5, shuffle=True, seed=1, batch_size=8):
        assert np.array_equal(xs[:, -1, 0].numpy() + 1, ys.numpy())


@pytest.mark.parametrize("args, message", [
    ((np.zeros(10), np.zeros(9), 3), r"same T; got \(10, 1\) and \(9,\)"),
    ((np.zeros((10, 2, 2)), np.zeros(10), 3), "must be"),
    ((np.zeros(10), np.zeros(10), 0), "must be >= 1"),
    ((np.zeros(10), np.zeros(10), 8, 3), r"too short for window=8, horizon=3.*needs at least 11"),
])
def test_make_windows_errors(args, message):
    with pytest.raises(ValueError, match=message):
        make_windows(*args)


from utils.sequences import windows_between  # noqa: E402


@pytest.mark.parametrize("horizon, n_ahead", [(1, 1), (5, 1), (1, 5)])
def test_windows_between_keeps_every_target_inside_its_span(horizon, n_ahead):
    import pandas as pd

    dates = pd.bdate_range("2020-01-01", periods=200)
    target = pd.Series(np.arange(200, dtype="float32"), index=dates)     # value = row number
    bounds = [(None, dates[99]), (dates[99], dates[149]), (dates[149], None)]
    seen = []
    for start, end in bounds:
        ds, target_dates = windows_between(target.to_numpy(), target, 10, start, end, horizon=horizon,
                                           n_ahead=n_ahead, batch_size=1000)
        x, y = next(iter(ds))
        y = y.numpy().reshape(len(target_dates), n_ahead)
        lo = 0 if start is None else dates.get_loc(start) + 1
        hi = 199 if end is None else dates.get_loc(end)
        assert y.min() >= lo and y.max() <= hi                         # no target leaves (start, end]
        assert list(y[:, 0]) == [dates.get_loc(d) for d in target_dates]   # dates match targets
        assert np.array_equal(x[:, -1, 0].numpy() + horizon, y[:, 0])  # target is `horizon` steps after the window
        seen += list(y[:, 0])
    assert len(seen) == len(set(seen))                                  # spans share no sample


def test_windows_between_errors():
    import pandas as pd

    target = pd.Series(np.arange(30.0), index=pd.bdate_range("2020-01-01", periods=30))
    with pytest.raises(ValueError, match="indexed by dates"):
        windows_between(np.zeros(30), pd.Series(np.arange(30.0)), 5)
    with pytest.raises(ValueError, match="different lengths: 29 vs 30"):
        windows_between(np.zeros(29), target, 5)
    with pytest.raises(ValueError, match="no complete sample"):
        windows_between(np.zeros(30), target, 5, start=target.index[-1])


from utils.sequences import forecast_origins, windows_at  # noqa: E402


def hourly(values, start="2020-01-01 00:00"):
    import pandas as pd

    return pd.Series(np.asarray(values, dtype=float), index=pd.date_range(start, periods=len(values), freq="h"))


@pytest.mark.parametrize("window, n_ahead", [(1, 1), (5, 1), (4, 6), (24, 24)])
def test_forecast_windows_align_inputs_and_every_horizon(window, n_ahead):
    target = hourly(np.arange(100))                                       # value = row number
    origins, dropped = forecast_origins(target, window, n_ahead)
    assert dropped == 0 and list(origins) == list(range(window - 1, 100 - n_ahead))
    past = windows_at(target.to_numpy(), origins, range(-window + 1, 1))
    ahead = windows_at(target.to_numpy(), origins, range(1, n_ahead + 1))
    assert past.shape == (len(origins), window) and ahead.shape == (len(origins), n_ahead)
    for h in range(1, n_ahead + 1):                                       # horizon h: the value h steps after t
        assert np.array_equal(ahead[:, h - 1], origins + h)
    assert np.array_equal(past[:, -1], origins) and np.array_equal(past[:, 0], origins - window + 1)
    assert (past.max(axis=1) < ahead.min(axis=1)).all()                   # no target inside its inputs


def test_windows_at_keeps_feature_axes():
    x = np.arange(30).reshape(10, 3)                                      # 10 steps, 3 features
    w = windows_at(x, [2, 5], range(-2, 1))
    assert w.shape == (2, 3, 3) and np.array_equal(w[1], x[3:6])


@pytest.mark.parametrize("window, n_ahead", [(3, 1), (6, 4), (2, 12)])
def test_no_forecast_window_touches_a_gap(window, n_ahead):
    values = np.arange(120, dtype=float)
    gaps = [0, 1, 30, 31, 32, 33, 34, 70, 119]                            # a leading, a long, a single and a last gap
    values[gaps] = np.nan
    target = hourly(values)
    origins, dropped = forecast_origins(target, window, n_ahead)
    span = windows_at(values, origins, range(-window + 1, n_ahead + 1))
    assert not np.isnan(span).any()                                       # nothing kept touches a gap ...
    candidates = np.arange(window - 1, 120 - n_ahead)
    spans = windows_at(values, candidates, range(-window + 1, n_ahead + 1))
    complete = candidates[~np.isnan(spans).any(axis=1)]
    assert list(origins) == list(complete)                                # ... and nothing else is dropped
    assert dropped == len(candidates) - len(complete)


@pytest.mark.parametrize("n_ahead", [1, 5, 24])
def test_forecast_targets_stay_in_their_split(n_ahead):
    values = np.arange(300, dtype=float)
    values[[50, 150]] = np.nan
    target = hourly(values)
    bounds = [(None, target.index[99]), (target.index[99], target.index[199]), (target.index[199], None)]
    hours = []
    for start, end in bounds:
        origins, _ = forecast_origins(target, 10, n_ahead, start, end)
        first, last = target.index[origins + 1], target.index[origins + n_ahead]
        assert start is None or (first > start).all()                    # no target before the split ...
        assert end is None or (last <= end).all()                        # ... or after it
        assert end is None or last.max() == end                          # and the split's last hour is used
        hours.append(set(windows_at(values, origins, range(1, n_ahead + 1)).ravel()))
    assert not (hours[0] & hours[1]) and not (hours[1] & hours[2])        # no target hour in two splits
    assert max(hours[2]) == 299


def test_forecast_origins_rejects_interpolated_origin():
    values = np.arange(60, dtype=float)
    filled = np.zeros(60, dtype=bool)
    filled[30:33] = True                  # a 3-hour gap filled in: rows 30-32 borrow row 33, a later target
    target = hourly(values)
    window, n_ahead = 5, 3
    plain, dropped_plain = forecast_origins(target, window, n_ahead)
    origins, dropped = forecast_origins(target, window, n_ahead, not_origin=filled)
    assert dropped == dropped_plain == 0                                  # not counted as gap drops
    assert not set(origins) & {30, 31, 32}                                # no origin inside the filled gap ...
    assert set(plain) - set(origins) == {30, 31, 32}                      # ... and nothing else rejected
    assert {29, 33} <= set(origins)                                       # the hours either side are kept
    with pytest.raises(ValueError, match="one value per row"):
        forecast_origins(target, window, n_ahead, not_origin=filled[:-1])


def test_forecast_origins_needs_every_input_observed_but_only_the_target_ahead():
    target = hourly(np.arange(40, dtype=float))
    weather_known = np.ones(40, dtype=bool)
    weather_known[20] = False                       # e.g. the temperature of row 20 is missing
    window, n_ahead = 4, 3
    plain, _ = forecast_origins(target, window, n_ahead)
    origins, dropped = forecast_origins(target, window, n_ahead, inputs_observed=weather_known)
    assert set(plain) - set(origins) == {20, 21, 22, 23}          # row 20 among the inputs t-3 .. t ...
    assert {17, 18, 19} <= set(origins)                           # ... but a target row needs only the target
    assert dropped == 4
    with pytest.raises(ValueError, match="inputs_observed must have one value per row"):
        forecast_origins(target, window, n_ahead, inputs_observed=weather_known[:-1])


def test_forecast_origins_stride():
    target = hourly(np.arange(50))
    every, _ = forecast_origins(target, 4, 2)
    third, _ = forecast_origins(target, 4, 2, stride=3)
    assert list(third) == list(every[::3])


def test_forecast_origins_errors():
    import pandas as pd

    target = hourly(np.arange(30))
    with pytest.raises(ValueError, match="indexed by times"):
        forecast_origins(pd.Series(np.arange(30.0)), 5, 1)
    with pytest.raises(ValueError, match="regular grid"):
        forecast_origins(target.drop(target.index[10]), 5, 1)
    with pytest.raises(ValueError, match=r"must be >= 1, got 0, 1, 1"):
        forecast_origins(target, 0, 1)
    with pytest.raises(ValueError, match="too short for window=20, n_ahead=11"):
        forecast_origins(target, 20, 11)
    with pytest.raises(ValueError, match="no forecast has all its targets in"):
        forecast_origins(target, 5, 3, start=target.index[-2])
    with pytest.raises(ValueError, match=r"windows reach rows -2\.\.2, outside the 30 rows"):
        windows_at(target.to_numpy(), [0, 1], range(-2, 2))
