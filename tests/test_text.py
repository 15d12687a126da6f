"""Text utilities: vocabulary, datasets, the n-gram baseline, sampling and generation."""

import math

import keras
import numpy as np
import pytest

from utils.text import (
    NGramModel,
    _never_unknown,
    char_lstm,
    char_vocabulary,
    decode,
    encode,
    generate,
    model_token_losses,
    next_token_dataset,
    paired_difference,
    sample_next,
    split_at_whitespace,
    stateful_logits,
    step_model,
)

TEXT = "the quick brown fox jumps over the lazy dog.\nThe End!"


@pytest.fixture(scope="module")
def vocab():
    return char_vocabulary(TEXT)


@pytest.fixture(scope="module")
def tiny_model(vocab):
    keras.utils.set_random_seed(0)
    return char_lstm(vocab[0].vocabulary_size(), 8, 16)


def test_encode_decode_round_trip(vocab):
    to_ids, to_chars = vocab
    ids = encode(TEXT, to_ids)
    assert ids.shape == (len(TEXT),) and ids.min() >= 1
    assert decode(ids, to_chars) == TEXT
    assert to_ids.vocabulary_size() == len(set(TEXT)) + 1  # + [UNK]


def test_unknown_characters_map_to_unk_or_raise(vocab):
    to_ids, _ = vocab
    assert encode("fox€", to_ids)[-1] == 0
    with pytest.raises(ValueError, match=r"characters not in the vocabulary: \['Z', '€'\]"):
        encode("Zfox€", to_ids, strict=True)


def test_empty_vocabulary_text():
    with pytest.raises(ValueError, match="empty text"):
        char_vocabulary("")


@pytest.mark.parametrize("seq_len", [1, 5, 16])
def test_target_is_input_shifted_by_one(seq_len):
    ids = np.arange(100)
    pairs = list(next_token_dataset(ids, seq_len, batch_size=4, shuffle=False).unbatch())
    assert len(pairs) == 100 // (seq_len + 1)
    for k, (x, y) in enumerate(pairs):
        start = k * (seq_len + 1)
        assert list(x.numpy()) == list(range(start, start + seq_len))
        assert list(y.numpy()) == list(range(start + 1, start + seq_len + 1))


def test_dataset_rejects_too_short_input():
    with pytest.raises(ValueError, match=r"at least seq_len \+ 1 = 11 ids, got shape \(5,\)"):
        next_token_dataset(np.arange(5), 10, 2)


def test_ngram_probabilities_sum_to_one_and_beat_unigram():
    rng = np.random.default_rng(0)
    ids = np.tile([1, 2, 3, 4], 50)                      # perfectly predictable from one previous token
    bigram = NGramModel(2, 6).fit(ids)
    for context in [(), (1,), (4,), (5,)]:             # (5,) was never seen as a context
        assert math.isclose(sum(bigram.prob(context, t) for t in range(6)), 1.0)
    unigram = NGramModel(1, 6).fit(ids)
    assert math.isclose(unigram.cross_entropy([3, 2]), -math.log(51 / 206))  # add-one smoothing; 3 is not scored
    assert bigram.cross_entropy(ids) < 0.1 < unigram.cross_entropy(ids)
    assert NGramModel(3, 6).fit(rng.integers(0, 6, 500)).cross_entropy(rng.integers(0, 6, 100)) > 1.5


def test_ngram_errors():
    with pytest.raises(ValueError, match="need order >= 1"):
        NGramModel(0, 10)
    with pytest.raises(ValueError, match=r"integers in \[0, 3\)"):
        NGramModel(2, 3).fit([0, 1, 3])
    with pytest.raises(ValueError, match="call fit"):
        NGramModel(2, 3).cross_entropy([0, 1])
    with pytest.raises(ValueError, match=r"call fit\(\) before scoring"):
        NGramModel(2, 3).token_losses([0, 1])
    with pytest.raises(ValueError, match=r"call fit\(\) before prob"):
        NGramModel(2, 3).prob((0,), 1)
    with pytest.raises(ValueError, match="at least 2 ids to score, got 1"):
        NGramModel(2, 3).fit([0, 1, 2]).cross_entropy([1])


def test_top_k_never_samples_outside_the_k_most_likely():
    rng = np.random.default_rng(0)
    logits = np.array([0.1, 2.0, -1.0, 1.5, 0.0, 1.9])
    draws = {sample_next(logits, rng, temperature=2.0, top_k=3) for _ in range(2000)}
    assert draws == {1, 3, 5}


def test_top_k_keeps_every_token_tied_with_the_kth():
    rng = np.random.default_rng(0)
    draws = {sample_next(np.array([2.0, 1.0, 1.0, -5.0]), rng, top_k=2) for _ in range(2000)}
    assert draws == {0, 1, 2}


def test_low_temperature_equals_greedy_and_temperature_one_follows_softmax():
    logits = np.random.default_rng(1).normal(size=30)
    rng = np.random.default_rng(2)
    assert all(sample_next(logits, rng, temperature=t) == np.argmax(logits) for t in (0, 1e-6, 1e-3))
    p = np.exp(logits) / np.exp(logits).sum()
    counts = np.bincount([sample_next(logits, rng) for _ in range(20000)], minlength=30) / 20000
    assert np.abs(counts - p).max() < 0.02


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": -1}, "temperature must be >= 0"),
    ({"top_k": 0}, "top_k must be between 1 and 4"),
    ({"top_k": 5}, "top_k must be between 1 and 4"),
])
def test_sampling_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_next(np.zeros(4), np.random.default_rng(0), **kwargs)
    with pytest.raises(ValueError, match=r"logits must be 1-D"):
        sample_next(np.zeros((2, 4)), np.random.default_rng(0))


def test_step_model_matches_the_full_model(tiny_model, vocab):
    ids = encode("the lazy fox", vocab[0])
    full = tiny_model.predict(ids[None], verbose=0)[0]
    step = step_model(tiny_model)
    h = c = np.zeros((1, 16), "float32")
    for t, token in enumerate(ids):
        logits, h, c = step.predict([np.array([[token]]), h, c], verbose=0)
        np.testing.assert_allclose(logits[0], full[t], atol=1e-5)


def test_stateful_logits_match_one_pass_over_the_whole_text(tiny_model, vocab):
    ids = encode("the lazy fox jumps", vocab[0])
    carried = stateful_logits(tiny_model, ids, 4)                    # prompt of 4, then one id per call
    whole = tiny_model.predict(ids[None, :-1], verbose=0)[0, 3:]     # row t predicts ids[t + 1]
    assert carried.shape == whole.shape == (len(ids) - 4, vocab[0].vocabulary_size())
    np.testing.assert_allclose(carried, whole, atol=1e-5)
    with pytest.raises(ValueError, match=r"need 1 <= prompt_length < len\(ids\) = 18, got prompt_length=18"):
        stateful_logits(tiny_model, ids, len(ids))


def test_stateful_and_refeeding_generation_agree(tiny_model, vocab):
    texts = [generate(tiny_model, *vocab, "the ", 30, np.random.default_rng(4), stateful=s) for s in (True, False)]
    assert texts[0] == texts[1] and texts[0].startswith("the ") and len(texts[0]) == 34


def test_generation_counts_the_time_steps_it_computes(tiny_model, vocab):
    prompt, n = 5, 12
    stats = {True: {}, False: {}}
    for stateful in (True, False):
        generate(tiny_model, *vocab, "the q", n, np.random.default_rng(0), stateful=stateful, stats=stats[stateful])
    assert stats[True] == {"steps": prompt + n - 1, "calls": n}              # the prompt once, then one per character
    assert stats[False] == {"steps": n * prompt + n * (n - 1) // 2, "calls": n}  # the whole text at every call


def test_top_k_one_and_temperature_zero_are_greedy(tiny_model, vocab):
    to_ids, to_chars = vocab
    greedy = generate(tiny_model, to_ids, to_chars, "the ", 15, np.random.default_rng(0), temperature=0)
    ids = list(encode("the ", to_ids))
    for _ in range(15):                                     # argmax of the full model, one character at a time
        ids.append(int(np.argmax(tiny_model.predict(np.array([ids]), verbose=0)[0, -1])))
    assert greedy == decode(ids, to_chars)
    top1 = generate(tiny_model, to_ids, to_chars, "the ", 15, np.random.default_rng(1), temperature=1.5, top_k=1)
    assert top1 == greedy


def test_char_lstm_dropout_acts_only_in_training(vocab):
    keras.utils.set_random_seed(0)
    model = char_lstm(vocab[0].vocabulary_size(), 8, 16, dropout=0.5)
    assert model.get_layer("lstm").dropout == 0.5 and model.get_layer("lstm").recurrent_dropout == 0
    x = encode("the lazy fox", vocab[0])[None]
    inference = model(x, training=False).numpy()
    np.testing.assert_array_equal(inference, model(x, training=False).numpy())
    assert np.abs(model(x, training=True).numpy() - inference).max() > 1e-3


@pytest.mark.parametrize("seed, message", [("", "seed_text is empty"),
                                           ("the €", r"characters not in the vocabulary: \['€'\]")])
def test_generation_rejects_bad_seeds(tiny_model, vocab, seed, message):
    with pytest.raises(ValueError, match=message):
        generate(tiny_model, *vocab, seed, 5, np.random.default_rng(0))


def test_model_token_losses_match_a_direct_computation(tiny_model, vocab):
    ids = encode("the lazy dog.", vocab[0])
    logits = tiny_model.predict(ids[None, :-1], verbose=0)[0].astype("float64")
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(len(ids) - 1), ids[1:]]))
    assert model_token_losses(tiny_model, ids).mean() == pytest.approx(expected, rel=1e-5)
    # an untrained model is close to uniform: about ln(vocabulary size)
    assert abs(model_token_losses(tiny_model, ids).mean() - math.log(vocab[0].vocabulary_size())) < 0.1
    with pytest.raises(ValueError, match="at least 2 ids"):
        model_token_losses(tiny_model, ids[:1])


def test_model_and_ngram_score_the_same_positions(tiny_model, vocab):
    ids = encode(TEXT, vocab[0])
    ngram = NGramModel(3, vocab[0].vocabulary_size()).fit(ids)
    assert model_token_losses(tiny_model, ids).shape == ngram.token_losses(ids).shape == (len(ids) - 1,)
    assert math.isclose(ngram.cross_entropy(ids), ngram.token_losses(ids).mean())


def test_paired_difference_per_document():
    a = np.array([1.0, 1.0, 2.0, 2.0, 2.0, 4.0])       # positions 1..6 of documents of 3, 2 and 2 tokens
    b = np.zeros(6)
    mean, se, per_doc = paired_difference(a, b, [3, 2, 2])
    np.testing.assert_allclose(per_doc, [1.0, 2.0, 3.0])   # the first document has 2 scored tokens
    assert mean == pytest.approx(2.0) and se == pytest.approx(1 / math.sqrt(3))
    with pytest.raises(ValueError, match="sum\\(doc_lengths\\) = 6"):
        paired_difference(a, b, [3, 3])
    with pytest.raises(ValueError, match="at least 2 documents"):
        paired_difference(a, b, [7])


def test_split_at_whitespace_never_cuts_a_word():
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefgh"), size=rng.integers(1, 12))) for _ in range(3000)]
    text = "".join(w + rng.choice([" ", "\n", "  ", ", "]) for w in words)
    parts = split_at_whitespace(text, 20)
    assert "".join(parts) == text and len(parts) == 20
    assert sum(len(p.split()) for p in parts) == len(text.split())       # every word in exactly one part
    assert all(p[-1].isspace() for p in parts[:-1])
    assert max(map(len, parts)) < 2 * len(text) / 20


def test_split_at_whitespace_with_little_whitespace_gives_fewer_parts():
    assert split_at_whitespace("没有空格的中文文本\n第二行", 5) == ["没有空格的中文文本\n", "第二行"]
    assert split_at_whitespace("abc", 3) == ["abc"]
    with pytest.raises(ValueError, match="empty"):
        split_at_whitespace("", 3)
    with pytest.raises(ValueError, match="at least 1"):
        split_at_whitespace("a b", 0)


def test_split_pieces_give_word_counts_that_add_up_for_the_paired_difference():
    held_out = ("First Citizen: Before we proceed any further, hear me speak.\n" * 40)[5:]
    pieces = split_at_whitespace(held_out, 20)
    vectorizer = keras.layers.TextVectorization(output_mode="int")
    vectorizer.adapt([held_out])
    whole = vectorizer([held_out]).numpy()[0]
    per_piece = (vectorizer(pieces).numpy() != 0).sum(axis=1)
    assert per_piece.sum() == len(whole)
    losses = np.zeros(len(whole) - 1)
    assert paired_difference(losses, losses, per_piece)[0] == 0


def test_generated_text_never_contains_unk_and_sampling_never_picks_an_impossible_token():
    logits = np.array([-np.inf, 0.0, -np.inf])
    rng = np.random.default_rng(0)
    assert {sample_next(logits, rng) for _ in range(50)} == {1}
    assert _never_unknown(np.array([5.0, 1.0]))[0] == -np.inf
