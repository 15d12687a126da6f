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
