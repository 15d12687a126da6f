"""Text classification helpers: a vocabulary with a trained [UNK], an empty-sentence guard, duplicates after
standardisation, word-shuffled controls, paired model comparison."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def fit_vectorizer(sentences, min_count: int = 2, name: str = "vectorize") -> keras.layers.TextVectorization:
    """A ``TextVectorization`` layer whose vocabulary is the words seen at least ``min_count`` times in ``sentences``.

    Words seen fewer times map to ``[UNK]`` (id 1) already in training, so its embedding is trained and a
    word never seen before gets a learned "unknown word" vector rather than an untrained one.
    """
    sentences = np.asarray(sentences, dtype=object).ravel().astype(str)
    if sentences.size == 0:
        raise ValueError("fit_vectorizer needs at least one sentence, got none")
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")
    everything = keras.layers.TextVectorization()
    everything.adapt(sentences)
    vocabulary = [str(word) for word in everything.get_vocabulary()]
    counts = np.bincount(np.asarray(everything(sentences)).ravel(), minlength=len(vocabulary))
    kept = [word for word, count in zip(vocabulary[2:], counts[2:], strict=True) if count >= min_count]
    if not kept:
        raise ValueError(f"no word occurs at least {min_count} times in the {sentences.size} sentences")
    return keras.layers.TextVectorization(vocabulary=kept, name=name)


def repeated_sentences(sentences) -> np.ndarray:
    """Boolean mask, shape (n,): True where a sentence repeats an earlier one after standardisation.

    Two sentences repeat each other when ``TextVectorization``'s default standardisation (lower case,
    punctuation stripped, split on whitespace) gives them the same words: the model cannot tell them apart.
    """
    sentences = np.asarray(sentences, dtype=object).ravel().astype(str)
    if sentences.size == 0:
        return np.zeros(0, dtype=bool)
    everything = keras.layers.TextVectorization()
    everything.adapt(sentences)
    if everything.vocabulary_size() <= 2:          # only padding and [UNK]: no sentence has a word
        return np.arange(sentences.size) > 0
    ids = np.asarray(everything(sentences))
    seen: set[tuple[int, ...]] = set()
    repeated = np.zeros(sentences.size, dtype=bool)
    for i, row in enumerate(ids):
        key = tuple(row[row > 0].tolist())
        repeated[i] = key in seen
        seen.add(key)
    return repeated


def shuffle_words(sentences, seed: int) -> list[str]:
    """Each sentence with its whitespace-separated words in a random order (reproducible from ``seed``)."""
    rng = np.random.default_rng(seed)
    sentences = np.asarray(sentences, dtype=object).ravel()
    return [" ".join(rng.permutation(str(sentence).split())) for sentence in sentences]


@keras.saving.register_keras_serializable(package="rnn_notebooks")
class EmptyAsUnknown(keras.layers.Layer):
    """Maps (B, T) end-padded word ids to (B, T + 1) ids in which no row is all padding.

    A sentence that standardises to nothing ("", "!!!") becomes one unknown word (id 1); every other row only
    gains a padding step at the end. So a mask from ``Embedding(mask_zero=True)`` never masks a whole row,
    which TensorFlow's cuDNN kernel for LSTM/GRU does not accept.
    """

    def call(self, ids):
        ids = ops.pad(ids, [[0, 0], [0, 1]])  # at least one step, even for a batch of empty sentences
        return ops.concatenate([ops.maximum(ids[:, :1], ops.ones_like(ids[:, :1])), ids[:, 1:]], axis=1)

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape
        return (batch, None if steps is None else steps + 1)


def paired_comparison(correct_a, correct_b) -> dict[str, float]:
    """Compare two classifiers scored on the same items from their per-item correctness (booleans, shape (n,)).

    Returns the accuracy difference a − b, its standard error (from the paired per-item differences),
    McNemar's exact p-value (a two-sided binomial test on the items exactly one of them gets right),
    and the two counts of such items.
    """
    from scipy.stats import binomtest

    a, b = np.asarray(correct_a), np.asarray(correct_b)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"need two non-empty 1-D arrays of the same length, got shapes {a.shape} and {b.shape}")
    if a.dtype != bool or b.dtype != bool:
        raise ValueError(f"need per-item correctness as booleans, got dtypes {a.dtype} and {b.dtype}")
    only_a, only_b, n = int(np.sum(a & ~b)), int(np.sum(~a & b)), a.size
    difference = (only_a - only_b) / n
    se = np.sqrt(((only_a + only_b) / n - difference**2) / n)
    p = binomtest(only_a, only_a + only_b).pvalue if only_a + only_b else 1.0
    return {"difference": difference, "SE": float(se), "McNemar p": float(p), "only a right": only_a,
            "only b right": only_b}
