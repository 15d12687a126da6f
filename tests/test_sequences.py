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
