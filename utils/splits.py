"""Train / validation / test splits."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split


def stratified_split(x, y, val: float, test: float, seed: int = 0) -> dict[str, tuple]:
    """Split (x, y) into 'train', 'validation' and 'test' with the class proportions of y in each.

    ``val`` and ``test`` are fractions of the whole data set. Returns {name: (x_part, y_part)}.
    """
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y have different lengths: {len(x)} vs {len(y)}")
    if not (0 < val < 1 and 0 < test < 1 and val + test < 1):
        raise ValueError(f"val and test must be fractions in (0, 1) summing to less than 1, got {val} and {test}")
    counts = np.unique(y, return_counts=True)[1]
    if counts.min() < 3:
        raise ValueError("every class needs at least 3 examples to appear in all three splits; "
                         f"the smallest has {counts.min()}")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=val / (1 - test), stratify=y_rest,
                                                      random_state=seed)
    return {"train": (x_train, y_train), "validation": (x_val, y_val), "test": (x_test, y_test)}
