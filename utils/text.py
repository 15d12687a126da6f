"""Character and word language modelling: vocabulary, datasets, n-gram baselines, sampling, generation."""

from __future__ import annotations

import re
import weakref
from collections import Counter, defaultdict

import numpy as np


# --------------------------------------------------------------------------- vocabulary
def char_vocabulary(text: str):
    """A ``StringLookup`` over the characters of ``text`` (index 0 is ``[UNK]``) and its inverse."""
    import keras

    if not text:
        raise ValueError("cannot build a vocabulary from an empty text")
    chars = sorted(set(text))
    to_ids = keras.layers.StringLookup(vocabulary=chars, mask_token=None)
    to_chars = keras.layers.StringLookup(vocabulary=chars, mask_token=None, invert=True)
    return to_ids, to_chars


def encode(text: str, to_ids, strict: bool = False) -> np.ndarray:
    """Character ids of ``text``, shape (len(text),), int64; with ``strict`` unknown characters raise."""
    import tensorflow as tf

    ids = to_ids(tf.strings.unicode_split(text, "UTF-8")).numpy()
    if strict and (ids == 0).any():
        unknown = sorted({ch for ch, i in zip(text, ids, strict=True) if i == 0})
        raise ValueError(f"characters not in the vocabulary: {unknown!r}")
    return ids


def decode(ids, to_chars) -> str:
    """The string for a sequence of character ids."""
    import tensorflow as tf

    return tf.strings.reduce_join(to_chars(np.asarray(ids, dtype="int64"))).numpy().decode("utf-8")


# --------------------------------------------------------------------------- datasets
def next_token_dataset(ids: np.ndarray, seq_len: int, batch_size: int, shuffle: bool = True, seed: int = 0):
    """tf.data of (input, target) pairs: windows of ``seq_len`` ids and the same windows shifted by one.

    Windows do not overlap; a remainder shorter than ``seq_len + 1`` is dropped.
    """
    import tensorflow as tf

    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < seq_len + 1:
        raise ValueError(f"need a 1-D sequence of at least seq_len + 1 = {seq_len + 1} ids, got shape {ids.shape}")
    ds = tf.data.Dataset.from_tensor_slices(ids).batch(seq_len + 1, drop_remainder=True)
    ds = ds.map(lambda chunk: (chunk[:-1], chunk[1:]))
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def split_at_whitespace(text: str, pieces: int) -> list[str]:
    """``text`` cut into at most ``pieces`` consecutive parts of about equal length, each cut just after a
    whitespace character, so that no word is split between two parts and ``"".join(parts) == text``.

    A text with too little whitespace (Chinese, say) gives fewer, longer parts; none is empty.
    """
    if pieces < 1:
        raise ValueError(f"pieces must be at least 1, got {pieces}")
    if not text:
        raise ValueError("cannot split an empty text")
    cuts = [0]
    for k in range(1, pieces):
        space = re.compile(r"\s").search(text, max(round(k * len(text) / pieces) - 1, cuts[-1]))
        if space is None or space.end() >= len(text):
            break
        if space.end() > cuts[-1]:
            cuts.append(space.end())
    return [text[a:b] for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]


# --------------------------------------------------------------------------- n-gram baseline
class NGramModel:
    """An interpolated Witten-Bell n-gram model over integer tokens 0 .. vocab_size - 1.

    ``fit(ids)`` counts the training tokens; ``token_losses(ids)`` is the negative log probability, in nats,
    of every token of ``ids`` but the first given the ``order - 1`` tokens before it, and ``cross_entropy(ids)``
    its mean. Order 1 is the add-one-smoothed unigram model.
    """

    def __init__(self, order: int, vocab_size: int):
        if order < 1 or vocab_size < 2:
            raise ValueError(f"need order >= 1 and vocab_size >= 2, got order={order}, vocab_size={vocab_size}")
        self.order, self.vocab_size = order, vocab_size
        self.counts: list[dict[tuple, Counter]] = []

    def fit(self, ids) -> NGramModel:
        ids = [int(i) for i in ids]
        if not ids or max(ids) >= self.vocab_size or min(ids) < 0:
            raise ValueError(f"ids must be a non-empty sequence of integers in [0, {self.vocab_size})")
        self.counts = []
        for k in range(self.order):  # k = length of the context
            table: dict[tuple, Counter] = defaultdict(Counter)
            for t in range(k, len(ids)):
                table[tuple(ids[t - k:t])][ids[t]] += 1
            self.counts.append(table)
        self.totals = [{ctx: sum(c.values()) for ctx, c in table.items()} for table in self.counts]
        return self

    def prob(self, context: tuple, token: int) -> float:
        """P(token | the last order - 1 tokens of context)."""
        if not self.counts:
            raise ValueError("call fit() before prob()")
        unigram = self.counts[0][()]
        p = (unigram[token] + 1) / (self.totals[0][()] + self.vocab_size)
        for k in range(1, self.order):
            if len(context) < k:
                break
            ctx = tuple(context[len(context) - k:])
            seen = self.counts[k].get(ctx)
            if not seen:
                continue
            total, distinct = self.totals[k][ctx], len(seen)
            p = (seen[token] + distinct * p) / (total + distinct)
        return p

    def token_losses(self, ids) -> np.ndarray:
        """-ln P(ids[t] | the order - 1 tokens before it) for t = 1 .. T - 1, shape (T - 1,), in nats.

        The first token has no context and is not scored, exactly as in ``model_token_losses``.
        """
        if not self.counts:
            raise ValueError("call fit() before scoring")
        ids = [int(i) for i in ids]
        if len(ids) < 2:
            raise ValueError(f"need a sequence of at least 2 ids to score, got {len(ids)}")
        return -np.log([self.prob(tuple(ids[max(0, t - self.order + 1):t]), ids[t]) for t in range(1, len(ids))])

    def cross_entropy(self, ids) -> float:
        """Mean of ``token_losses(ids)``: nats per token over positions 1 .. T - 1."""
        return float(np.mean(self.token_losses(ids)))


def model_token_losses(model, ids) -> np.ndarray:
    """-ln P(ids[t] | ids[:t]) for t = 1 .. T - 1, shape (T - 1,), from a model mapping ids (1, T) to logits.

    The model reads the whole sequence once, carrying its state, so every token is scored with all the
    text before it; these are the same positions ``NGramModel.token_losses`` scores.
    """
    import tensorflow as tf

    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"need a 1-D sequence of at least 2 ids, got shape {ids.shape}")
    logits = model.predict(ids[None, :-1], verbose=0)[0]       # (T - 1, vocab); compiled, so fast on long texts
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids[1:], logits=tf.cast(logits, "float32"))
    return losses.numpy().astype("float64")


def paired_difference(losses_a, losses_b, doc_lengths) -> tuple[float, float, np.ndarray]:
    """Per-document mean of ``losses_a - losses_b``: (mean over documents, its standard error, per-document values).

    ``losses_a`` and ``losses_b`` score positions 1 .. T - 1 of a text made of documents of ``doc_lengths``
    tokens (summing to T), as ``token_losses`` returns them; the first document loses its unscored first token.
    """
    a, b = np.asarray(losses_a, dtype="float64"), np.asarray(losses_b, dtype="float64")
    lengths = np.asarray(doc_lengths)
    if a.shape != b.shape or a.ndim != 1 or len(a) + 1 != lengths.sum():
        raise ValueError(f"need two losses of the same shape (T - 1,) with sum(doc_lengths) = T, got "
                         f"{a.shape}, {b.shape} and sum(doc_lengths) = {lengths.sum()}")
    if len(lengths) < 2 or (lengths < 2).any():
        raise ValueError("need at least 2 documents of at least 2 tokens each for a standard error")
    per_doc = np.array([d.mean() for d in np.split(a - b, np.cumsum(lengths)[:-1] - 1)])
    return float(per_doc.mean()), float(per_doc.std(ddof=1) / np.sqrt(len(per_doc))), per_doc


# --------------------------------------------------------------------------- sampling
def sample_next(logits, rng: np.random.Generator, temperature: float = 1.0, top_k: int | None = None) -> int:
    """Draw one token id from ``logits`` (shape (vocab,)).

    ``temperature`` divides the logits (0 means greedy: the argmax); ``top_k`` keeps the tokens whose logit
    is at least the k-th largest: the k most likely, plus any tied with the k-th. One uniform number is drawn
    from ``rng`` per call, also when greedy, so two generators fed the same logits and the same ``rng`` state
    make the same choices.
    """
    logits = np.asarray(logits, dtype="float64")
    if logits.ndim != 1:
        raise ValueError(f"logits must be 1-D (vocab,), got shape {logits.shape}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and not 1 <= top_k <= len(logits):
        raise ValueError(f"top_k must be between 1 and {len(logits)}, got {top_k}")
    u = rng.random()
    if temperature == 0:
        return int(np.argmax(logits))
    if top_k is not None:
        cutoff = np.sort(logits)[-top_k]
        logits = np.where(logits >= cutoff, logits, -np.inf)
    z = logits / temperature
    p = np.exp(z - z.max())
    cumulative = np.cumsum(p / p.sum())
    index = int(np.searchsorted(cumulative, u, side="right"))
    # rounding can leave cumulative[-1] a hair below 1: then u falls past the end; take the last possible token
    return index if index < len(logits) else int(np.flatnonzero(p)[-1])


# --------------------------------------------------------------------------- character LSTM
def char_lstm(vocab_size: int, embedding_dim: int, units: int, dropout: float = 0.0):
    """Embedding -> LSTM -> Dense logits over characters, for ids of shape (batch, time).

    The LSTM also returns its final state, so the same layers can run one step at a time
    (``step_model``). ``dropout`` drops embedding features (the same ones at every step), which
    keeps the layer cuDNN-eligible.
    """
    import keras

    ids = keras.Input((None,), dtype="int64", name="ids")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(ids)
    lstm = keras.layers.LSTM(units, dropout=dropout, return_sequences=True, return_state=True, name="lstm")
    sequence, _, _ = lstm(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(sequence)
    return keras.Model(ids, logits, name="char_lstm")


def step_model(model):
    """A model sharing ``model``'s layers: (ids (B, T), h, c) -> (logits of the last step (B, V), h, c).

    It starts from the given state instead of zeros, so a text can be fed in pieces: the prompt once,
    then one character per call.
    """
    import keras

    lstm = model.get_layer("lstm")
    ids = keras.Input((None,), dtype="int64", name="ids")
    h_in, c_in = keras.Input((lstm.units,), name="h"), keras.Input((lstm.units,), name="c")
    x = model.get_layer("embedding")(ids)
    sequence, h, c = lstm(x, initial_state=[h_in, c_in])
    logits = model.get_layer("logits")(sequence[:, -1])
    return keras.Model([ids, h_in, c_in], [logits, h, c], name="char_lstm_step")


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model, stateful: bool):
    """The model's traced next-character function, built once per model."""
    import tensorflow as tf

    functions = _COMPILED.setdefault(model, {})
    if stateful not in functions:
        if stateful:
            step = step_model(model)
            functions[True] = tf.function(lambda ids, h, c: step([ids, h, c]), reduce_retracing=True)
        else:
            functions[False] = tf.function(lambda ids: model(ids)[:, -1], reduce_retracing=True)
    return functions[stateful]


def _stateful_reader(model, prompt_ids):
    """A generator: yields the next-id logits (vocab,) after ``prompt_ids``, then after each id sent to it.

    The prompt is read in one call; every id sent costs one LSTM step, with the state carried between calls.
    """
    import tensorflow as tf

    run = _compiled(model, stateful=True)
    h = c = tf.zeros((1, model.get_layer("lstm").units))
    new_ids = list(prompt_ids)
    while True:
        logits, h, c = run(tf.constant([new_ids], dtype=tf.int64), h, c)
        new_ids = [(yield logits.numpy()[0])]


def stateful_logits(model, ids, prompt_length: int) -> np.ndarray:
    """Logits for ``ids[prompt_length:]``, shape (len(ids) - prompt_length, vocab), computed as
    ``generate(stateful=True)`` computes them: the first ``prompt_length`` ids in one call, then one id per call
    with the LSTM state carried. Row k predicts ``ids[prompt_length + k]`` from the ids before it.
    """
    ids = [int(i) for i in ids]
    if not 1 <= prompt_length < len(ids):
        raise ValueError(f"need 1 <= prompt_length < len(ids) = {len(ids)}, got prompt_length={prompt_length}")
    reader = _stateful_reader(model, ids[:prompt_length])
    return np.stack([next(reader)] + [reader.send(i) for i in ids[prompt_length:-1]])


def _never_unknown(logits) -> np.ndarray:
    """The logits (vocab,) with id 0, ``[UNK]``, made impossible: it would be written as the five characters "[UNK]"."""
    logits = np.array(logits, dtype="float64")
    logits[0] = -np.inf
    return logits


def generate(model, to_ids, to_chars, seed_text: str, length: int, rng: np.random.Generator,
             temperature: float = 1.0, top_k: int | None = None, stateful: bool = True,
             stats: dict | None = None) -> str:
    """``seed_text`` followed by ``length`` generated characters.

    ``stateful=True`` reads the seed in one call, then feeds one character per call while carrying
    the LSTM state (cost per character: one step). ``stateful=False`` re-feeds the whole text so far at every
    step, as many older tutorials do (cost per character grows with the text). Both compute the same
    probabilities up to float32 rounding, so they give the same text for the same ``rng`` state unless a draw
    lands within rounding of a boundary between two characters. If ``stats`` is a dict, ``stats["steps"]``
    receives the number of LSTM time steps computed and ``stats["calls"]`` the number of model calls.
    ``[UNK]`` (id 0) is never written.
    """
    import tensorflow as tf

    if not seed_text:
        raise ValueError("seed_text is empty: give at least one character to start from")
    out = list(encode(seed_text, to_ids, strict=True))
    steps = calls = 0
    if stateful:
        reader = _stateful_reader(model, out)             # the whole seed first, then one character per call
        for k in range(length):
            logits = next(reader) if k == 0 else reader.send(out[-1])
            steps, calls = steps + (len(out) if k == 0 else 1), calls + 1
            out.append(sample_next(_never_unknown(logits), rng, temperature, top_k))
    else:
        run = _compiled(model, stateful=False)
        for _ in range(length):
            logits = run(tf.constant([out], dtype=tf.int64))
            steps, calls = steps + len(out), calls + 1
            out.append(sample_next(_never_unknown(logits.numpy()[0]), rng, temperature, top_k))
    if stats is not None:
        stats.update(steps=steps, calls=calls)
    return decode(out, to_chars)
