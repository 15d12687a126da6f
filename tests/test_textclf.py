"""fit_vectorizer keeps the words seen often enough; EmptyAsUnknown leaves no row fully padded; repeats and
shuffled words; paired comparisons."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils.textclf import EmptyAsUnknown, fit_vectorizer, paired_comparison, repeated_sentences, shuffle_words


def test_rare_words_map_to_unknown():
    vectorizer = fit_vectorizer(["the cat sat", "the dog sat", "a cat"], min_count=2)
    assert sorted(vectorizer.get_vocabulary()[2:]) == ["cat", "sat", "the"]
    ids = vectorizer(tf.constant(["the dog", "zebra cat"])).numpy()
    the, cat = vectorizer.get_vocabulary().index("the"), vectorizer.get_vocabulary().index("cat")
    assert ids.tolist() == [[the, 1], [1, cat]]


@pytest.mark.parametrize("sentences, min_count, message", [
    ([], 2, "at least one sentence"), (["a b"], 0, "min_count must be at least 1"),
    (["a b", "c d"], 2, "no word occurs at least 2 times"),
])
def test_bad_input_is_named(sentences, min_count, message):
    with pytest.raises(ValueError, match=message):
        fit_vectorizer(sentences, min_count=min_count)


def test_empty_rows_become_one_unknown_word():
    ids = tf.constant([[5, 7, 0], [0, 0, 0], [3, 0, 0]], dtype="int64")
    assert EmptyAsUnknown()(ids).numpy().tolist() == [[5, 7, 0, 0], [1, 0, 0, 0], [3, 0, 0, 0]]
    assert EmptyAsUnknown()(tf.zeros((2, 0), dtype="int64")).numpy().tolist() == [[1], [1]]


def test_guarded_model_predicts_empty_strings_and_reloads(tmp_path):
    vectorizer = fit_vectorizer(["good film", "bad film", "good day", "bad day"], min_count=1)
    strings = keras.Input(shape=(1,), dtype="string")
    ids = EmptyAsUnknown()(vectorizer(strings))
    x = keras.layers.Embedding(len(vectorizer.get_vocabulary()), 4, mask_zero=True)(ids)
    model = keras.Model(strings, keras.layers.Dense(1, activation="sigmoid")(keras.layers.GRU(3)(x)))
    sentences = tf.constant([[""], ["!!!"]])
    before = model.predict(sentences, verbose=0)
    assert np.isfinite(before).all()
    model.save(tmp_path / "m.keras")
    after = keras.models.load_model(tmp_path / "m.keras").predict(sentences, verbose=0)
    np.testing.assert_allclose(before, after, atol=1e-6)


def test_paired_comparison_counts_discordant_items():
    a = np.array([True] * 8 + [False] * 2 + [True] * 10)
    b = np.array([False] * 8 + [True] * 2 + [True] * 10)
    result = paired_comparison(a, b)
    assert result["only a right"] == 8 and result["only b right"] == 2
    assert result["difference"] == pytest.approx(a.mean() - b.mean())
    d = a.astype(int) - b.astype(int)
    assert result["SE"] == pytest.approx(d.std() / np.sqrt(d.size))
    assert result["McNemar p"] == pytest.approx(2 * (1 + 10 + 45) / 2**10)   # P(X <= 2) + P(X >= 8), X ~ B(10, 1/2)
    assert paired_comparison(a, a)["McNemar p"] == 1.0


@pytest.mark.parametrize("a, b, message", [
    (np.ones(3, bool), np.ones(4, bool), "same length"), (np.array([], bool), np.array([], bool), "non-empty"),
    (np.ones(3), np.ones(3, bool), "booleans"),
])
def test_paired_comparison_rejects_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        paired_comparison(a, b)


def test_repeats_are_found_after_standardisation_and_the_first_copy_is_kept():
    sentences = ["Works great!", "Not recommended.", "works  GREAT.", "Works great, really.", "not recommended", ""]
    assert repeated_sentences(sentences).tolist() == [False, False, True, False, True, False]
    assert repeated_sentences(["", "!!!"]).tolist() == [False, True]     # both standardise to no word at all
    assert repeated_sentences([]).tolist() == []


def test_shuffled_sentences_keep_their_words_and_are_reproducible():
    sentences = ["the food was not good at all", "great phone", "one", ""]
    shuffled = shuffle_words(sentences, seed=0)
    assert [sorted(s.split()) for s in shuffled] == [sorted(s.split()) for s in sentences]
    assert shuffled == shuffle_words(sentences, seed=0)
    assert shuffled[0] != sentences[0]     # 7 words: one order in 5,040 is the original
    assert shuffle_words(sentences, seed=1) != shuffled
