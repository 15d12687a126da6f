"""English -> Chinese translation: the Tatoeba pairs, tokenisers, greedy and beam decoding, BLEU/chrF bootstrap."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths

START, END = "[start]", "[end]"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*|\S")   # a word (with inner apostrophes: don't, tom's) or one symbol

# step(tokens (B,), state) -> (log-probabilities of the next token (B, V), new state); state: list of (B, ...) arrays
StepFn = Callable[[np.ndarray, list], tuple[np.ndarray, list]]


def load_translation_pairs(path: str | Path | None = None) -> pd.DataFrame:
    """The pairs of a tab-separated ``English<TAB>Chinese<TAB>attribution`` file: a DataFrame with columns
    english, chinese, attribution (one row per line, in file order). Default: the shipped Tatoeba file."""
    path = Path(path) if path is not None else paths.data_path("translation/cmn.txt")
    try:
        text = paths.read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error})") from None
    text = text.removeprefix("\ufeff")            # the shipped file starts with a byte-order mark
    lines = text.split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()                               # the final line end(s): the shipped file ends with an empty line
    rows = []
    for number, line in enumerate(lines, start=1):
        fields = line.rstrip("\r").split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path}, line {number}: expected 3 tab-separated fields (English, Chinese, "
                             f"attribution), found {len(fields)}: {line[:80]!r}")
        english, chinese, attribution = (field.strip() for field in fields)
        for name, value in (("English", english), ("Chinese", chinese)):
            if not value:
                raise ValueError(f"{path}, line {number}: the {name} sentence is empty")
        rows.append((english, chinese, attribution))
    if not rows:
        raise ValueError(f"{path}: no sentence pairs")
    return pd.DataFrame(rows, columns=["english", "chinese", "attribution"])


def english_tokens(text: str) -> list[str]:
    """Lower-cased words and separate punctuation marks: "Don't go!" -> ["don't", "go", "!"]."""
    return _WORD.findall(text.lower())


def chinese_tokens(text: str) -> list[str]:
    """The characters of a Chinese sentence, spaces dropped: "我很好。" -> ["我", "很", "好", "。"]."""
    return [c for c in text if not c.isspace()]


def target_text(text: str) -> str:
    """The space-separated characters of a Chinese sentence between the [start] and [end] tokens."""
    return " ".join([START, *chinese_tokens(text), END])


def greedy_decode(step: StepFn, state: list, start_id: int, end_id: int, max_len: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Batched greedy decoding: (token ids (B, max_len) padded with end_id after the end, log-probability of each
    sentence (B,), counting the end token). ``state`` holds the encoder's output for the B sentences."""
    batch = len(state[0])
    tokens = np.full(batch, start_id)
    out = np.full((batch, max_len), end_id)
    logp = np.zeros(batch)
    done = np.zeros(batch, bool)
    for t in range(max_len):
        log_probs, state = step(tokens, state)
        tokens = np.asarray(log_probs).argmax(axis=-1)
        logp += np.where(done, 0.0, np.asarray(log_probs)[np.arange(batch), tokens])
        out[:, t] = np.where(done, end_id, tokens)
        done |= tokens == end_id
        if done.all():
            break
    return out, logp


def beam_search(step: StepFn, state: list, start_id: int, end_id: int, max_len: int, width: int = 4,
                alpha: float = 1.0) -> tuple[list[int], float]:
    """Beam search for ONE sentence (state arrays of batch 1): (the best token ids, ending with end_id unless
    max_len was reached, and their log-probability). Hypotheses are ranked by log-probability / length**alpha
    (alpha = 0: raw log-probability; the length counts the end token)."""
    if width < 1:
        raise ValueError(f"beam width must be at least 1, got {width}")
    if len(state[0]) != 1:
        raise ValueError(f"beam_search decodes one sentence: state batch must be 1, got {len(state[0])}")
    beams, scores = [[]], np.zeros(1)              # live hypotheses and their log-probabilities
    state = [np.repeat(s, 1, axis=0) for s in state]
    finished: list[tuple[float, float, list[int]]] = []   # (normalised score, log-probability, tokens)
    for t in range(max_len):
        last = np.array([b[-1] if b else start_id for b in beams])
        log_probs, new_state = step(last, state)
        total = scores[:, None] + np.asarray(log_probs, dtype=np.float64)       # (beams, V)
        best = np.argsort(-total, axis=None, kind="stable")[:2 * width]          # room for ended hypotheses
        keep_rows, keep_tokens = [], []
        for rank, flat in enumerate(best):
            row, token = divmod(int(flat), total.shape[1])
            if not np.isfinite(total[row, token]):
                break                             # impossible continuations are neither kept nor finished
            if token == end_id:
                if rank < width:                  # an ending among the top `width` candidates is kept
                    finished.append((total[row, token] / (t + 1) ** alpha, total[row, token], beams[row] + [token]))
            elif len(keep_rows) < width:
                keep_rows.append(row)
                keep_tokens.append(token)
        if not keep_rows:
            break
        scores = total[keep_rows, keep_tokens]
        beams = [beams[r] + [k] for r, k in zip(keep_rows, keep_tokens, strict=True)]
        state = [np.asarray(s)[keep_rows] for s in new_state]
        best_done = max((f[0] for f in finished), default=-np.inf)
        if alpha == 0 and best_done >= scores.max():
            break                                 # log-probabilities only fall: no live hypothesis can win
        if len(finished) >= width:
            break                                 # `width` hypotheses have ended (the usual rule for alpha > 0)
    if not finished:                              # nothing ended within max_len: the best live hypothesis
        return beams[int(np.argmax(scores))], float(scores.max())
    _, logp, tokens = max(finished, key=lambda f: f[0])
    return tokens, float(logp)


def multi_references(sources: Sequence[str], targets: Sequence[str]) -> tuple[list[str], list[list[str | None]]]:
    """Group pairs by source: (distinct sources in first-seen order, reference streams for sacrebleu: k lists of
    len(distinct) strings, None where a source has fewer than k translations)."""
    groups = pd.Series(list(targets)).groupby(pd.Series(list(sources)), sort=False).agg(list)
    width = groups.map(len).max()
    streams = [[refs[i] if i < len(refs) else None for refs in groups] for i in range(width)]
    return list(groups.index), streams


def bootstrap_scores(systems: dict[str, Sequence[str]], references: list, metric, n: int = 1000, seed: int = 0
                     ) -> pd.DataFrame:
    """Corpus scores (sacrebleu ``metric``: BLEU or CHRF) of every system on the full set (row "full") and on n
    resamples of the sentences, the same resamples for every system (paired): a DataFrame (n + 1, systems)."""
    rng = np.random.default_rng(seed)
    stats = {name: np.array(metric._extract_corpus_statistics(list(hyps), references), dtype=np.int64)
             for name, hyps in systems.items()}    # sufficient statistics per sentence (sacrebleu's own)
    size = len(next(iter(stats.values())))
    picks = [np.arange(size)] + [rng.integers(0, size, size) for _ in range(n)]
    return pd.DataFrame({name: [metric._compute_score_from_stats(list(s[p].sum(axis=0))).score for p in picks]
                         for name, s in stats.items()}, index=["full"] + list(range(n)))


def interval(samples: pd.DataFrame, a: str, b: str | None = None, level: float = 0.95) -> tuple[float, float, float]:
    """(score of a on the full set, lower, upper) percentile bootstrap interval; with b, of the paired gap a - b."""
    values = samples[a] - (samples[b] if b is not None else 0)
    tail = (1 - level) / 2
    low, high = values.iloc[1:].quantile([tail, 1 - tail])
    return float(values.iloc[0]), float(low), float(high)


def _attend(attention, query, value, source_mask):
    """(context (B, T, units), weights (B, T, S)) of a Keras ``Attention`` layer, also when building a model.

    ``source_mask`` (B, S) is passed as (B, 1, S), which every Keras 3 version broadcasts over the T query steps
    (Keras 3.10 does not expand a (B, S) mask itself). Keras before 3.12 keeps the last eager call's
    ``return_attention_scores`` in a private flag that breaks a later symbolic call (an "Invalid dtype: tuple"
    error when the step model is built after training), so the flag is cleared first.
    """
    import keras

    if getattr(attention, "_return_attention_scores", False):
        attention._return_attention_scores = False
    return attention([query, value], mask=[None, keras.ops.expand_dims(source_mask, 1)],
                     return_attention_scores=True)


def build_seq2seq(source_vocab: int, target_vocab: int, embed: int, units: int, attention: bool):
    """A GRU encoder-decoder trained with teacher forcing: (source ids (B, S), target input ids (B, T)) -> logits
    (B, T, target_vocab). With ``attention``, dot-product attention over the encoder's outputs (B, S, units).
    Id 0 is padding (masked); every layer is a built-in Keras layer, so ``model.save("x.keras")`` needs nothing."""
    import keras

    source = keras.Input((None,), dtype="int64", name="source")
    target_in = keras.Input((None,), dtype="int64", name="target_in")
    x = keras.layers.Embedding(source_vocab, embed, mask_zero=True, name="source_embedding")(source)
    encoded, state = keras.layers.GRU(units, return_sequences=True, return_state=True, name="encoder")(x)
    y = keras.layers.Embedding(target_vocab, embed, mask_zero=True, name="target_embedding")(target_in)
    decoded, _ = keras.layers.GRU(units, return_sequences=True, return_state=True, name="decoder")(
        y, initial_state=state)
    if attention:
        context, _ = _attend(keras.layers.Attention(name="attention"), decoded, encoded, keras.ops.not_equal(source, 0))
        decoded = keras.layers.Concatenate(name="decoded_and_context")([decoded, context])   # (B, T, 2 units)
    logits = keras.layers.Dense(target_vocab, name="logits")(decoded)
    return keras.Model([source, target_in], logits, name="seq2seq_attention" if attention else "seq2seq")


def encoder_and_step(model) -> tuple:
    """Two models sharing ``model``'s trained layers, for decoding one token at a time:
    encoder: source ids (B, S) -> [state (B, units), encoder outputs (B, S, units), source mask (B, S)];
    step: [token ids (B, 1), state, encoder outputs, source mask] -> [logits (B, V), new state,
    attention weights (B, S) (zeros without attention)]."""
    import keras

    units = model.get_layer("encoder").units
    source = keras.Input((None,), dtype="int64", name="source")
    encoded, state = model.get_layer("encoder")(model.get_layer("source_embedding")(source))
    source_mask = keras.ops.not_equal(source, 0)
    encoder = keras.Model(source, [state, encoded, source_mask], name="encoder_model")
    token = keras.Input((1,), dtype="int64", name="token")
    h_in = keras.Input((units,), name="state")
    memory = keras.Input((None, units), name="encoder_outputs")
    memory_mask = keras.Input((None,), dtype="bool", name="source_mask")
    decoded, h_out = model.get_layer("decoder")(model.get_layer("target_embedding")(token), initial_state=h_in)
    try:
        attention = model.get_layer("attention")
    except ValueError:
        attention = None
    if attention is not None:
        context, weights = _attend(attention, decoded, memory, memory_mask)
        decoded = model.get_layer("decoded_and_context")([decoded, context])
        weights = weights[:, 0]
    else:
        # zeros (B, S), computed from both inputs: Keras (before 3.11) refuses a model with an unconnected input
        weights = keras.ops.zeros_like(memory[..., 0]) * keras.ops.cast(memory_mask, memory.dtype)
    logits = model.get_layer("logits")(decoded)[:, 0]
    step = keras.Model([token, h_in, memory, memory_mask], [logits, h_out, weights], name="step_model")
    return encoder, step


def step_function(step, banned: Sequence[int] = (0,)) -> StepFn:
    """A StepFn for greedy_decode/beam_search from a step model: state = [h, encoder outputs, source mask].
    The ``banned`` ids (padding, and e.g. [start] and [UNK]) get probability 0: fed back, padding would be masked,
    and a fully masked step fails in cuDNN; [start] and [UNK] are never a right output character."""
    import tensorflow as tf

    allowed = tf.constant(np.isin(np.arange(step.outputs[0].shape[-1]), list(banned), invert=True))

    @tf.function(reduce_retracing=True)
    def call(tokens, h, memory, mask):
        logits, h_new, _ = step([tokens[:, None], h, memory, mask])
        return tf.nn.log_softmax(tf.where(allowed, logits, -float("inf"))), h_new

    def fn(tokens, state):
        log_probs, h_new = call(tf.constant(tokens, tf.int64), *state)
        return log_probs.numpy(), [h_new.numpy(), *state[1:]]

    return fn


def ids_to_text(ids: Sequence[int], target_vocab: Sequence[str]) -> str:
    """The characters of a decoded id sequence before the first [end], [UNK], [start] and padding dropped."""
    chars = []
    for i in ids:
        token = target_vocab[i]
        if token == END:
            break
        if i > 1 and token != START:
            chars.append(token)
    return "".join(chars)


def translate(text: str, vectorize: Callable[[list[str]], np.ndarray], source_vocab: Sequence[str], encoder,
              step_fn: StepFn, target_vocab: Sequence[str], max_source_tokens: int, max_len: int, width: int = 4,
              alpha: float = 1.0) -> tuple[str, list[str]]:
    """(Chinese translation by beam search, notes for the reader) of one English sentence. ``vectorize``: token
    strings -> ids (n, max_source_tokens); ``encoder``: ids -> decoder state. Empty input gives ("", [a note]);
    unknown words are read as [UNK]; tokens beyond max_source_tokens are cut off; both are noted."""
    tokens = english_tokens(text)
    if not tokens:
        return "", [f"nothing to translate in {text!r} (no words or punctuation)"]
    notes = []
    known = set(source_vocab[2:])
    unknown = [w for w in tokens if w not in known]
    if unknown:
        notes.append("unknown words, read as [UNK]: " + ", ".join(unknown))
    if len(tokens) > max_source_tokens:
        notes.append(f"too long: only the first {max_source_tokens} of {len(tokens)} tokens were read: "
                     + " ".join(tokens[:max_source_tokens]))
    ids = np.asarray(vectorize([" ".join(tokens[:max_source_tokens])]))
    best, _ = beam_search(step_fn, [np.asarray(t) for t in encoder(ids)], list(target_vocab).index(START),
                          list(target_vocab).index(END), max_len, width=width, alpha=alpha)
    return ids_to_text(best, target_vocab), notes


def bigram_loss(train_targets: np.ndarray, eval_targets: np.ndarray, vocab_size: int, weight: float) -> float:
    """Mean cross-entropy (nats per real token) on ``eval_targets`` of a character bigram model of
    ``train_targets`` interpolated with an add-one unigram: p(y | prev) = weight * count(prev, y) / count(prev)
    + (1 - weight) * p_unigram(y); an unseen prev uses the unigram alone. Targets: ids (n, T), [start] first,
    0 = padding; weight = 0 gives the unigram model. The English is never looked at."""
    from scipy.sparse import coo_matrix

    if not 0 <= weight <= 1:
        raise ValueError(f"the interpolation weight must be in [0, 1], got {weight}")
    for name, ids in (("train_targets", train_targets), ("eval_targets", eval_targets)):
        if ids.ndim != 2 or ids.min() < 0 or ids.max() >= vocab_size:
            raise ValueError(f"{name}: expected ids (n, T) in [0, {vocab_size}), got shape {ids.shape}, "
                             f"range [{ids.min()}, {ids.max()}]")

    def transitions(ids):
        real = ids[:, 1:] > 0
        return ids[:, :-1][real], ids[:, 1:][real]

    prev, nxt = transitions(train_targets)
    unigram = np.bincount(nxt, minlength=vocab_size) + 1.0
    unigram /= unigram.sum()
    counts = coo_matrix((np.ones(len(prev)), (prev, nxt)), shape=(vocab_size, vocab_size)).tocsr()
    row_totals = np.asarray(counts.sum(axis=1)).ravel()
    prev, nxt = transitions(eval_targets)
    seen = row_totals[prev] > 0
    bigram = np.where(seen, np.asarray(counts[prev, nxt]).ravel() / np.maximum(row_totals[prev], 1), unigram[nxt])
    return float(-np.log(weight * bigram + (1 - weight) * unigram[nxt]).mean())


def cjk_font(sample: str = "我你好的是。") -> str | None:
    """The name of a matplotlib font with a distinct glyph for every character of ``sample``, or None. Fonts
    matplotlib knows come first; then Noto Sans CJK SC from the ``mplfonts`` package (in requirements.txt)."""
    import importlib.util

    from matplotlib import font_manager, ft2font

    def draws(fname: str) -> bool:
        try:
            font = ft2font.FT2Font(fname)
        except (OSError, RuntimeError):
            return False
        glyphs = [font.get_char_index(ord(c)) for c in set(sample)]
        return all(glyphs) and len(set(glyphs)) == len(glyphs)    # distinct glyphs: not a "Last Resort" box font

    for entry in font_manager.fontManager.ttflist:
        if draws(entry.fname):
            return entry.name
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.origin is not None:
        noto = Path(spec.origin).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
        if noto.is_file() and draws(str(noto)):
            font_manager.fontManager.addfont(str(noto))
            return font_manager.FontProperties(fname=str(noto)).get_name()
    return None


def attention_probe(model):
    """A model sharing ``model``'s trained layers: (source ids (B, S), target input ids (B, T)) -> [encoder outputs
    (B, S, units), decoder outputs (B, T, units), attention weights (B, T, S)], the weights as in training."""
    import keras

    source = keras.Input((None,), dtype="int64", name="source")
    target_in = keras.Input((None,), dtype="int64", name="target_in")
    encoded, state = model.get_layer("encoder")(model.get_layer("source_embedding")(source))
    decoded, _ = model.get_layer("decoder")(model.get_layer("target_embedding")(target_in), initial_state=state)
    _, weights = _attend(model.get_layer("attention"), decoded, encoded, keras.ops.not_equal(source, 0))
    return keras.Model([source, target_in], [encoded, decoded, weights], name="attention_probe")
