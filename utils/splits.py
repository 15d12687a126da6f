"""Train / validation / test splits."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split


def _check_fractions(val: float, test: float) -> None:
    if not (0 < val < 1 and 0 < test < 1 and val + test < 1):
        raise ValueError(f"val and test must be fractions in (0, 1) summing to less than 1, got {val} and {test}")


def stratified_split(x, y, val: float, test: float, seed: int = 0) -> dict[str, tuple]:
    """Split (x, y) into 'train', 'validation' and 'test' with the class proportions of y in each.

    ``val`` and ``test`` are fractions of the whole data set. Returns {name: (x_part, y_part)}.
    """
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y have different lengths: {len(x)} vs {len(y)}")
    _check_fractions(val, test)
    counts = np.unique(y, return_counts=True)[1]
    if counts.min() < 3:
        raise ValueError("every class needs at least 3 examples to appear in all three splits; "
                         f"the smallest has {counts.min()}")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=val / (1 - test), stratify=y_rest,
                                                      random_state=seed)
    return {"train": (x_train, y_train), "validation": (x_val, y_val), "test": (x_test, y_test)}


def group_holdout(x, y, groups, fraction: float, seed: int = 0) -> tuple[tuple, tuple]:
    """Hold out about ``fraction`` of the groups: ((x_kept, y_kept), (x_held, y_held)), no group on both sides."""
    x, y, groups = np.asarray(x), np.asarray(y), np.asarray(groups, dtype=object)
    if not len(x) == len(y) == len(groups):
        raise ValueError(f"x, y and groups have different lengths: {len(x)}, {len(y)}, {len(groups)}")
    if any(g is None for g in groups):
        raise ValueError(f"{sum(g is None for g in groups)} item(s) have no group (None)")
    if len(set(groups)) < 2:
        raise ValueError(f"need at least 2 groups to hold some out; got {len(set(groups))}")
    kept, held = next(GroupShuffleSplit(1, test_size=fraction, random_state=seed).split(x, y, groups.astype(str)))
    return (x[kept], y[kept]), (x[held], y[held])


def group_split(x, y, groups, val: float, test: float, seed: int = 0) -> dict[str, tuple]:
    """Split (x, y) into 'train', 'validation' and 'test' so that all items of a group fall in the same part.

    Use it when items of one group are alike (clips cut from one video, sentences of one document): a random
    split would put near-copies on both sides and overstate test accuracy. ``val`` and ``test`` are fractions
    of the groups, not of the items. Returns {name: (x_part, y_part)}.
    """
    x, y, groups = np.asarray(x), np.asarray(y), np.asarray(groups, dtype=object)
    if not len(x) == len(y) == len(groups):
        raise ValueError(f"x, y and groups have different lengths: {len(x)}, {len(y)}, {len(groups)}")
    _check_fractions(val, test)
    n_groups = len(set(groups))
    if n_groups < 3:
        raise ValueError(f"need at least 3 groups to fill train, validation and test; got {n_groups}")
    index = np.arange(len(x))
    (rest, _), (test_index, _) = group_holdout(index, y, groups, test, seed)
    (train, _), (val_index, _) = group_holdout(rest, y[rest], groups[rest], val / (1 - test), seed)
    parts = {"train": train, "validation": val_index, "test": test_index}
    return {name: (x[part], y[part]) for name, part in parts.items()}
