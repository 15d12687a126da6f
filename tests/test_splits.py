"""Stratified and group-aware splits, and the confusion-matrix plot."""

import matplotlib
import numpy as np
import pytest

import utils
from utils.splits import group_split, stratified_split

matplotlib.use("Agg")


def test_stratified_split_sizes_balance_and_disjointness():
    x = np.arange(1000)
    y = np.repeat([0, 1, 2, 3], [100, 200, 300, 400])
    parts = stratified_split(x, y, val=0.15, test=0.2, seed=1)
    assert [len(parts[k][0]) for k in ("train", "validation", "test")] == [650, 150, 200]
    for xs, ys in parts.values():
        assert np.array_equal(y[xs], ys)                                  # pairs stay together
        np.testing.assert_allclose(np.bincount(ys) / len(ys), [0.1, 0.2, 0.3, 0.4], atol=0.01)
    together = np.concatenate([parts[k][0] for k in parts])
    assert sorted(together) == list(x)                                    # disjoint and complete
    again = stratified_split(x, y, val=0.15, test=0.2, seed=1)
    assert np.array_equal(again["test"][0], parts["test"][0])             # reproducible


@pytest.mark.parametrize("args, message", [
    ((np.arange(10), np.zeros(9), 0.1, 0.1), "different lengths: 10 vs 9"),
    ((np.arange(10), np.zeros(10), 0.5, 0.5), "summing to less than 1"),
    ((np.arange(10), np.array([0] * 8 + [1] * 2), 0.2, 0.2), "at least 3 examples"),
])
def test_stratified_split_errors(args, message):
    with pytest.raises(ValueError, match=message):
        stratified_split(*args)


def test_group_split_keeps_every_group_on_one_side():
    x = np.arange(600)
    y = x % 6
    groups = np.array([f"g{k % 25 + 1:02d}" for k in x // 6])          # 25 groups, each with every class
    parts = group_split(x, y, groups, val=0.15, test=0.2, seed=3)
    seen = [set(groups[parts[k][0]]) for k in ("train", "validation", "test")]
    assert all(a.isdisjoint(b) for i, a in enumerate(seen) for b in seen[i + 1:])   # no group straddles parts
    assert sorted(np.concatenate([parts[k][0] for k in parts])) == list(x)          # disjoint and complete
    assert [len(s) for s in seen] == [16, 4, 5]                                     # fractions of the groups
    for xs, ys in parts.values():
        assert np.array_equal(y[xs], ys)
    again = group_split(x, y, groups, val=0.15, test=0.2, seed=3)
    assert np.array_equal(again["test"][0], parts["test"][0])


@pytest.mark.parametrize("groups, message", [
    (["a", "b"] * 4 + [None], r"1 item\(s\) have no group"),
    (["a", "b"] * 4 + ["a"], "at least 3 groups"),
    (["a", "b", "c"] * 3 + ["a"], "different lengths"),
])
def test_group_split_errors(groups, message):
    with pytest.raises(ValueError, match=message):
        group_split(np.arange(9), np.zeros(9), groups, val=0.2, test=0.2)


def test_plot_confusion_counts_and_accuracy():
    ax = utils.plot_confusion([0, 0, 1, 2], [0, 1, 1, 2], ["a", "b", "c"], title="demo")
    assert ax.get_title() == "demo: accuracy 0.750"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1", "1", "0", "0", "1", "0", "0", "0", "1"]
    with pytest.raises(ValueError, match="equal length"):
        utils.plot_confusion([0, 1], [0], ["a", "b"])
