"""Forecast baselines, metrics and plots."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from utils import forecast

matplotlib.use("Agg")


def test_baselines_only_use_the_past():
    s = pd.Series([1.0, 2.0, 4.0, 8.0, 16.0])
    assert forecast.naive_forecast(s).tolist()[1:] == [1.0, 2.0, 4.0, 8.0]
    assert forecast.naive_forecast(s, horizon=2).tolist()[2:] == [1.0, 2.0, 4.0]
    ma = forecast.moving_average_forecast(s, window=2)
    assert np.isnan(ma.iloc[:2]).all() and ma.tolist()[2:] == [1.5, 3.0, 6.0]
    ew = forecast.ewma_forecast(s, halflife=1)
    assert np.isnan(ew.iloc[0]) and ew.iloc[1] == 1.0
    # the forecast for day t never uses day t: changing the last value changes no forecast at all
    s2 = s.copy()
    s2.iloc[-1] = -100
    for f in (forecast.naive_forecast, lambda x: forecast.moving_average_forecast(x, 2),
              lambda x: forecast.ewma_forecast(x, 3)):
        assert f(s).equals(f(s2))


def test_metrics_values():
    y, p = np.array([1.0, 2.0, 3.0, -1.0]), np.array([1.0, 1.0, 5.0, 1.0])
    assert forecast.rmse(y, p) == pytest.approx(np.sqrt((0 + 1 + 4 + 4) / 4))
    assert forecast.mae(y, p) == pytest.approx(5 / 4)
    assert forecast.directional_accuracy(y, p) == 0.75
    np.testing.assert_allclose(forecast.rmse(np.zeros((3, 2)), np.array([[1, 2]] * 3), axis=0), [1, 2])
    assert forecast.coverage(y, p - 1, p + 1) == 0.5
    assert forecast.pinball_loss([1.0], [0.0], 0.9) == pytest.approx(0.9)
    assert forecast.pinball_loss([0.0], [1.0], 0.9) == pytest.approx(0.1)


def test_pinball_loss_is_minimised_by_the_quantile():
    y = np.random.default_rng(0).normal(size=20000)
    candidates = np.linspace(-2, 2, 81)
    best = candidates[np.argmin([forecast.pinball_loss(y, np.full_like(y, c), 0.9) for c in candidates])]
    assert abs(best - np.quantile(y, 0.9)) < 0.06


def test_paired_difference_mean_and_standard_error():
    a, b = np.array([1.0, 2.0, 3.0, 6.0]), np.array([0.0, 1.0, 1.0, 2.0])
    mean, se = forecast.paired_difference(a, b)
    assert mean == pytest.approx(2.0) and se == pytest.approx(np.std(a - b) / 2)
    # a series of blocks of 10 repeated values: 10x fewer independent days, so the SE must grow by about sqrt(10)
    d = np.repeat(np.random.default_rng(0).normal(size=400), 10)
    plain = forecast.paired_difference(d, np.zeros_like(d))[1]
    hac = forecast.paired_difference(d, np.zeros_like(d), lags=30)[1]
    assert 2 < hac / plain < np.sqrt(10) * 1.2
    mean, se = forecast.mse_difference([0.0, 0.0], [1.0, 3.0], [0.0, 1.0])      # squared errors [1, 9] vs [0, 1]
    assert mean == pytest.approx(4.5) and se == pytest.approx(3.5 / np.sqrt(2))


def test_conformal_margin_reaches_the_coverage():
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    for half_width in (0.5, 3.0):                     # too narrow: widen; too wide: narrow
        margin = forecast.conformal_margin(y, -np.full_like(y, half_width), np.full_like(y, half_width), 0.8)
        assert np.sign(margin) == np.sign(1.2816 - half_width)
        new = rng.normal(size=20000)
        band = np.full_like(new, half_width + margin)
        covered = forecast.coverage(new, -band, band)
        assert abs(covered - 0.8) < 0.03


def test_conformal_margin_is_the_kth_smallest_score():
    y = np.arange(10.0)                                    # band [0, 0]: scores are y itself, 0..9
    zero = np.zeros_like(y)
    assert forecast.conformal_margin(y, zero, zero, 0.8) == 8.0      # k = ceil(11 * 0.8) = 9: the 9th smallest
    assert forecast.conformal_margin(y, zero, zero, 0.5) == 5.0      # k = ceil(5.5) = 6
    assert forecast.conformal_margin(y, zero, zero, 0.95) == np.inf  # k = 11 > n: no finite margin


def test_online_conformal_keeps_its_coverage_on_a_drifting_series():
    rng = np.random.default_rng(0)
    n = 4000
    scores = rng.normal(size=n) + np.linspace(0.0, 2.0, n)   # how far outside its band each truth lies: drifting
    fixed = np.quantile(scores[:500], 0.8)                # calibrated on the first 500 ...
    assert np.mean(scores[500:] <= fixed) < 0.5           # ... it does not hold later
    for delay in (0, 1, 24):
        margins, shortfall = forecast.online_conformal(scores, np.arange(n), delay, 0.8, step=0.05, start=fixed)
        covered = np.mean(scores <= margins)
        assert covered >= 0.8 - shortfall and shortfall < 0.05          # the guarantee, and it says something
        assert abs(np.mean(scores[n // 2:] <= margins[n // 2:]) - 0.8) < 0.03   # and it holds late in the series


def test_online_conformal_uses_only_outcomes_already_known():
    rng = np.random.default_rng(1)
    scores, times = rng.normal(size=300), np.cumsum(rng.integers(1, 4, size=300))   # hours with gaps
    margins, _ = forecast.online_conformal(scores, times, 24, 0.8, step=0.1)
    changed = scores.copy()
    changed[150] = margins[150] + (-1 if scores[150] > margins[150] else 1)   # a miss becomes a hit, or back
    later, _ = forecast.online_conformal(changed, times, 24, 0.8, step=0.1)
    known = times >= times[150] + 24                                        # forecasts issued once it is known
    np.testing.assert_array_equal(margins[~known], later[~known])          # no earlier margin may move
    assert (margins[known] != later[known]).any()
    first, _ = forecast.online_conformal(scores, times, 0, 0.8, step=0.1, start=0.3)
    assert first[0] == 0.3 and first[1] == pytest.approx(0.3 + 0.1 * ((scores[0] > 0.3) - 0.2))
    with pytest.raises(ValueError, match="strictly increasing"):
        forecast.online_conformal(scores, times[::-1], 1, 0.8, step=0.1)


def test_air_quality_parameters_are_checked():
    good = dict(SEED=42, AIR_QUALITY=None, STATION=None, INTERPOLATE_HOURS=3, TRAIN_END=None, VALIDATION_END=None,
                WINDOW=48, AHEAD=24, UNITS=32, EPOCHS=8, BATCH=256, TRAIN_STRIDE=1, QUANTILES=(0.1, 0.9),
                GBM_HORIZONS=(1, 3, 6, 12, 24), GBM_TREES=200)
    forecast.check_air_quality_parameters(**good)
    forecast.check_air_quality_parameters(**{**good, "WINDOW": 24, "AHEAD": 12, "QUANTILES": (0.05, 0.5, 0.95),
                                             "GBM_HORIZONS": range(1, 25), "TRAIN_END": "2011-12-31 23:00"})
    bad = {"WINDOW": 12, "AHEAD": 3, "QUANTILES": (0.9, 0.1), "GBM_HORIZONS": (0, 3), "SEED": 1.5,
           "INTERPOLATE_HOURS": -1, "VALIDATION_END": "the end", "AIR_QUALITY": "no/such.csv", "EPOCHS": True}
    with pytest.raises(ValueError, match="bad parameter") as error:
        forecast.check_air_quality_parameters(**{**good, **bad})
    lines = str(error.value).splitlines()[1:]
    assert [line.split(" = ")[0].strip() for line in lines] == [
        "SEED", "AIR_QUALITY", "INTERPOLATE_HOURS", "VALIDATION_END", "WINDOW", "AHEAD", "EPOCHS", "QUANTILES",
        "GBM_HORIZONS"]
    assert "need a day of history" in lines[4] and "from 6 hours ahead" in lines[5]
    with pytest.raises(ValueError, match=r"GBM_HORIZONS = \(48,\): none is within AHEAD = 24"):
        forecast.check_air_quality_parameters(**{**good, "GBM_HORIZONS": (48,)})
    with pytest.raises(TypeError, match="WINDOWS"):
        forecast.check_air_quality_parameters(**good, WINDOWS=3)


def test_split_ends_follow_the_file():
    hours = pd.date_range("2013-03-01", "2017-02-28 23:00", freq="h")      # the multi-site files' span
    assert forecast.split_ends(hours) == (pd.Timestamp("2015-02-28 23:00"), pd.Timestamp("2016-02-28 23:00"))
    assert forecast.split_ends(hours, "2014-12-31 23:00", "2015-12-31 23:00")[1] == pd.Timestamp("2015-12-31 23:00")
    with pytest.raises(ValueError, match=r"training span 2013-03-01 00:00 to 2013-12-31 23:00 is shorter than 365"):
        forecast.split_ends(hours, "2013-12-31 23:00")
    with pytest.raises(ValueError, match=r"validation span .* shorter than 30 days"):
        forecast.split_ends(hours, "2015-12-31 23:00", "2015-12-31 23:00")
    with pytest.raises(ValueError, match=r"test span 2018-01-01 00:00 to 2017-02-28 23:00 is shorter"):
        forecast.split_ends(hours, "2015-12-31 23:00", "2018-01-01")


def test_split_ends_and_walk_forward_years_of_daily_prices():
    days = pd.bdate_range("2009-06-01", "2017-11-10")
    assert forecast.split_ends(days, "2013-12-31", "2015-12-31") == (pd.Timestamp("2013-12-31"),
                                                                    pd.Timestamp("2015-12-31"))
    with pytest.raises(ValueError, match=r"training span 2009-06-01 to 2010-12-31 is shorter than 1095 days: the "
                                         r"file runs from 2009-06-01 to 2017-11-10"):
        forecast.split_ends(days, "2010-12-31", "2013-12-31", min_train_days=1095)
    assert forecast.walk_forward_years(days) == (2015, 2016, 2017)
    assert forecast.walk_forward_years(days, [2014]) == (2014,)
    with pytest.raises(ValueError, match=r"test year 2012: the file runs from 2009-06-01 to 2017-11-10"):
        forecast.walk_forward_years(days, (2012, 2015))                  # trains on 2009-06 .. 2010 only
    with pytest.raises(ValueError, match=r"test year 2019"):
        forecast.walk_forward_years(days, (2019,))
    with pytest.raises(ValueError, match=r"test year 2015: .* at least five years"):
        forecast.walk_forward_years(pd.bdate_range("2014-03-01", "2017-11-10"))
    with pytest.raises(ValueError, match="empty"):
        forecast.walk_forward_years(days, ())
    with pytest.raises(ValueError, match="years such as 2016"):
        forecast.walk_forward_years(days, ("2016",))


def test_least_squares_factor():
    x = np.array([1.0, 2.0, 4.0])
    assert forecast.least_squares_factor(0.9 * x, x) == pytest.approx(0.9)
    assert forecast.least_squares_factor([1.0, 3.0], [1.0, 1.0]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="all zeros"):
        forecast.least_squares_factor([1.0], [0.0])


def test_correlation_and_its_standard_error():
    rng = np.random.default_rng(1)
    a = rng.normal(size=2000)
    b = 0.5 * a + rng.normal(size=2000)
    corr, se = forecast.correlation(a, b)
    assert corr == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert 0.5 / np.sqrt(2000) < se < 2 / np.sqrt(2000)
    slow = np.repeat(rng.normal(size=200), 10)              # runs of 10 equal days: the plain SE is too small
    noisy = slow + rng.normal(size=2000)
    assert forecast.correlation(slow, noisy, 20)[1] > 2 * forecast.correlation(slow, noisy)[1]
    with pytest.raises(ValueError, match="constant"):
        forecast.correlation(np.ones(5), np.arange(5.0))


def test_inverse_scale_keeps_the_shape():
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(np.array([[1.0], [3.0]]))      # mean 2, scale 1
    np.testing.assert_allclose(forecast.inverse_scale(scaler, [[0.0, 1.0, -1.0]]), [[2.0, 3.0, 1.0]])
    with pytest.raises(ValueError, match="one feature"):
        forecast.inverse_scale(StandardScaler().fit(np.ones((2, 2))), [1.0])


@pytest.mark.parametrize("call, message", [
    (lambda: forecast.rmse([1, 2], [1, 2, 3]), r"different shapes: \(2,\) vs \(3,\)"),
    (lambda: forecast.mae([], []), "no values to score"),
    (lambda: forecast.rmse([1, np.nan], [1, 2]), "NaN in y_true or y_pred"),
    (lambda: forecast.pinball_loss([1], [1], 1.5), r"quantile must be in \(0, 1\)"),
    (lambda: forecast.coverage([1, 2], [0, 3], [2, 2]), "crossed quantiles"),
    (lambda: forecast.paired_difference([1, 2, 3], [1, 2, 3], lags=5), r"lags must be in \[0, 1\]"),
    (lambda: forecast.paired_difference(np.ones((3, 2)), np.ones((3, 2))), "one loss per day"),
    (lambda: forecast.conformal_margin([1], [0], [2], 80), r"coverage must be in \(0, 1\)"),
])
def test_metric_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_plots():
    idx = pd.date_range("2020-01-01", periods=5)
    fig = forecast.plot_forecast(idx, np.arange(5), {"model": np.arange(5) + 1}, lower=np.zeros(5),
                                 upper=np.ones(5) * 6, title="t")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["truth", "prediction interval", "model"]
    fig = forecast.plot_error_by_horizon({"a": [1, 2, 3], "b": [1, 1, 1]})
    assert [line.get_label() for line in fig.axes[0].lines] == ["a", "b"]
    assert list(fig.axes[0].lines[0].get_xdata()) == [1, 2, 3]
    fig = forecast.plot_error_by_horizon({"hourly": [1, np.nan, 3]}, unit="hours")
    assert fig.axes[0].get_xlabel() == "horizon (hours ahead)"
    assert np.isnan(fig.axes[0].lines[0].get_ydata()[1])                 # a horizon not computed stays a gap
    fig = forecast.plot_error_by_horizon({f"m{k}": [k, k] for k in range(11)})
    assert [line.get_linestyle() for line in fig.axes[0].lines] == ["-"] * 10 + ["--"]   # the 11th: dashed
