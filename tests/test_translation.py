"""Tests of utils.translation: the loader's traps and errors, tokenisers, greedy/beam decoding, bootstrap scores."""

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF

from utils import translation as tr


def write(tmp_path, text: str, name: str = "pairs.txt"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_loader_strips_bom_and_keeps_attribution(tmp_path):
    path = write(tmp_path, "\ufeffHi.\t嗨。\tCC-BY #1 (a)\nRun!\t跑！\tCC-BY #2 (b)\n\n")
    pairs = tr.load_translation_pairs(path)
    assert list(pairs.columns) == ["english", "chinese", "attribution"]
    assert pairs["english"].tolist() == ["Hi.", "Run!"]           # no U+FEFF glued to the first sentence
    assert pairs["chinese"].tolist() == ["嗨。", "跑！"]
    assert pairs["attribution"].tolist() == ["CC-BY #1 (a)", "CC-BY #2 (b)"]


def test_loader_accepts_crlf(tmp_path):
    pairs = tr.load_translation_pairs(write(tmp_path, "Hi.\t嗨。\tx\r\nGo.\t走。\ty\r\n"))
    assert pairs["attribution"].tolist() == ["x", "y"]


@pytest.mark.parametrize("text, message", [
    ("Hi.\t嗨。\tx\nGo.\t走。\n", "line 2: expected 3 tab-separated fields"),
    ("Hi.\t嗨。\tx\tmore\n", r"line 1: expected 3 tab-separated fields .*found 4"),
    ("Hi.\t嗨。\tx\n\nGo.\t走。\ty\n", "line 2: expected 3"),               # a blank line inside the file
    ("Hi.\t \tx\n", "line 1: the Chinese sentence is empty"),
    ("\t嗨。\tx\n", "line 1: the English sentence is empty"),
    ("\n\n", "no sentence pairs"),
])
def test_loader_errors_name_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as error:
        tr.load_translation_pairs(path)
    assert str(path) in str(error.value)


def test_loader_rejects_non_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café\tcafé\tx\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        tr.load_translation_pairs(path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        tr.load_translation_pairs(tmp_path / "missing.txt")


def test_shipped_file():
    pairs = tr.load_translation_pairs()
    assert len(pairs) == 29155
    assert pairs["english"].iloc[0] == "Hi."
    assert pairs["attribution"].str.startswith("CC-BY 2.0 (France)").all()


def test_tokenisers():
    assert tr.english_tokens("Don't go, Tom!") == ["don't", "go", ",", "tom", "!"]
    assert tr.english_tokens("It's 5:30.") == ["it's", "5", ":", "30", "."]
    assert tr.english_tokens("   ") == []
    assert tr.chinese_tokens("我 很好。") == ["我", "很", "好", "。"]
    assert tr.target_text("你好") == "[start] 你 好 [end]"


# A fake model over tokens 0 = [start], 1 = [end], 2 = "a", 3 = "b", 4 = "c".
# After [start]: a 0.6, b 0.4. After a: a, b, c, [end] 0.25 each. After b: [end] 0.9. After c: [end] 1.
# Greedy takes a (0.6), then a tie broken towards the lowest id ... ; beam search finds "b [end]" (0.36).
TABLE = {0: [0, 0, 0.6, 0.4, 0], 2: [0, 0.25, 0.25, 0.25, 0.25], 3: [0, 0.9, 0.05, 0.05, 0], 4: [0, 1, 0, 0, 0]}


def fake_step(tokens, state):
    """Log-probabilities of the next token from the last token only; the state counts the calls."""
    with np.errstate(divide="ignore"):
        log_probs = np.log(np.array([TABLE[int(t)] for t in tokens]))
    return log_probs, [state[0] + 1]


def test_beam_search_finds_a_more_probable_sentence_than_greedy():
    tokens, logp = tr.greedy_decode(fake_step, [np.zeros((1, 1))], start_id=0, end_id=1, max_len=2)
    assert tokens.tolist() == [[2, 1]]                          # a [end]: 0.6 x 0.25 = 0.15
    assert logp[0] == pytest.approx(np.log(0.15))
    best, beam_logp = tr.beam_search(fake_step, [np.zeros((1, 1))], 0, 1, max_len=3, width=2, alpha=0)
    assert best == [3, 1] and beam_logp == pytest.approx(np.log(0.36))
    assert beam_logp > logp[0]


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_width_one_is_greedy(alpha):
    rng = np.random.default_rng(0)
    table = np.log(rng.dirichlet(np.ones(6) * 0.5, size=6))     # a random first-order model over 6 tokens

    def step(tokens, state):
        return table[tokens], state

    for _ in range(20):
        table = np.log(rng.dirichlet(np.ones(6) * 0.5, size=6))
        greedy, logp = tr.greedy_decode(step, [np.zeros((1, 2))], 0, 1, max_len=8)
        beam, beam_logp = tr.beam_search(step, [np.zeros((1, 2))], 0, 1, max_len=8, width=1, alpha=alpha)
        length = len(beam)
        assert greedy[0, :length].tolist() == beam
        assert beam_logp == pytest.approx(logp[0])


def test_greedy_batches_rows_independently_and_pads_with_end():
    def step(tokens, state):           # row 0 ends at once; row 1 says 2 then ends
        log_probs = np.full((2, 3), -5.0)
        log_probs[0, 1] = -0.1
        log_probs[1, np.where(tokens[1] == 0, 2, 1)] = -0.2
        return log_probs, state

    tokens, logp = tr.greedy_decode(step, [np.zeros((2, 1))], 0, 1, max_len=4)
    assert tokens.tolist() == [[1, 1, 1, 1], [2, 1, 1, 1]]
    assert logp == pytest.approx([-0.1, -0.4])


def test_beam_search_rejects_bad_arguments():
    with pytest.raises(ValueError, match="width must be at least 1"):
        tr.beam_search(fake_step, [np.zeros((1, 1))], 0, 1, 3, width=0)
    with pytest.raises(ValueError, match="state batch must be 1"):
        tr.beam_search(fake_step, [np.zeros((2, 1))], 0, 1, 3)


def test_beam_search_without_an_end_returns_the_best_live_hypothesis():
    def step(tokens, state):
        return np.log(np.array([[0.0, 0.0, 0.7, 0.3]] * len(tokens)) + 1e-300), state

    best, logp = tr.beam_search(step, [np.zeros((1, 1))], 0, 1, max_len=3, width=2)
    assert best == [2, 2, 2] and logp == pytest.approx(3 * np.log(0.7))


def test_multi_references_groups_translations():
    sources, refs = tr.multi_references(["a", "b", "a"], ["x1", "y1", "x2"])
    assert sources == ["a", "b"]
    assert refs == [["x1", "y1"], ["x2", None]]


def test_bootstrap_scores_match_sacrebleu_and_are_paired():
    hyps = ["我很好。", "他走了。", "你好", "猫在睡觉。"]
    other = ["我好。", "他来了。", "你好", "狗在睡觉。"]
    refs = [["我很好。", "他走了。", "你好。", "猫在睡觉。"], ["我非常好。", None, "您好。", None]]
    for metric in (BLEU(tokenize="zh"), CHRF()):
        samples = tr.bootstrap_scores({"a": hyps, "b": other, "a again": hyps}, refs, metric, n=50, seed=1)
        assert samples.shape == (51, 3)
        assert samples.loc["full", "a"] == pytest.approx(metric.corpus_score(hyps, refs).score)
        assert samples.loc["full", "b"] == pytest.approx(metric.corpus_score(other, refs).score)
        score, low, high = tr.interval(samples, "a")
        assert low <= high and score == samples.loc["full", "a"]
        assert tr.interval(samples, "a", "a again") == (0.0, 0.0, 0.0)    # same resamples for every system


@pytest.mark.parametrize("attention", [False, True])
def test_step_model_reproduces_the_teacher_forced_model(attention):
    import keras

    keras.utils.set_random_seed(0)
    model = tr.build_seq2seq(source_vocab=7, target_vocab=9, embed=3, units=4, attention=attention)
    source = np.array([[3, 4, 5, 0], [2, 6, 0, 0]])                 # right-padded
    target_in = np.array([[1, 5, 6, 7], [1, 8, 2, 3]])
    expected = np.asarray(model([source, target_in]))              # (2, 4, 9)
    encoder, step = tr.encoder_and_step(model)
    h, memory, mask = (np.asarray(t) for t in encoder(source))
    assert h.shape == (2, 4) and memory.shape == (2, 4, 4) and mask.tolist() == (source > 0).tolist()
    for t in range(target_in.shape[1]):
        logits, h, weights = (np.asarray(v) for v in step([target_in[:, t:t + 1], h, memory, mask]))
        np.testing.assert_allclose(logits, expected[:, t], atol=1e-5)
        if attention:                                                # rows sum to 1, padding gets no weight
            np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
            assert np.all(weights[source == 0] < 1e-6)
    step_fn = tr.step_function(step)
    log_probs, state = step_fn(np.array([1, 1]), [h, memory, mask])
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-5)
    assert np.all(log_probs[:, 0] == -np.inf)                       # padding is never produced
    banned, _ = tr.step_function(step, banned=(0, 1, 3))(np.array([1, 1]), [h, memory, mask])
    assert np.all(banned[:, [0, 1, 3]] == -np.inf) and np.all(np.isfinite(banned[:, [2, 4]]))
    assert len(state) == 3 and state[0].shape == (2, 4)
    if attention:
        encoded, decoded, weights = (np.asarray(v) for v in tr.attention_probe(model)([source, target_in]))
        assert weights.shape == (2, 4, 4) and np.all(weights[:, :, 3] < 1e-6)


def test_cjk_font_rejects_fonts_without_the_glyphs():
    assert tr.cjk_font("\U0010fffc\U0010fffd") is None   # private-use code points no font draws distinctly
    assert tr.cjk_font("ab") is not None               # matplotlib always ships DejaVu Sans


def table_step(table):
    """A StepFn over a first-order table {token: probabilities of the next token}; -inf where probability 0."""
    def step(tokens, state):
        with np.errstate(divide="ignore"):
            return np.log(np.array([table[int(t)] for t in tokens])), state
    return step


# 0 = [start], 1 = [end], 2 = a, 3 = b. "[end]" 0.4; "a [end]" 0.18; "a b [end]" 0.6 x 0.7 x 0.7 = 0.294.
LENGTHS = table_step({0: [0, 0.4, 0.6, 0], 2: [0, 0.3, 0, 0.7], 3: [0, 0.7, 0.3, 0]})


def test_length_normalisation_picks_a_longer_hypothesis():
    state = [np.zeros((1, 1))]
    raw, raw_logp = tr.beam_search(LENGTHS, state, 0, 1, max_len=5, width=3, alpha=0)
    assert raw == [1] and raw_logp == pytest.approx(np.log(0.4))            # the most probable: the empty sentence
    per_token, logp = tr.beam_search(LENGTHS, state, 0, 1, max_len=5, width=3, alpha=1)
    assert per_token == [2, 3, 1] and logp == pytest.approx(np.log(0.294))  # -1.22 / 3 beats -0.92 / 1


def test_beam_search_stops_after_width_finished_hypotheses():
    # width 2: "[end]" and "a [end]" finish first and stop the search, before "a b [end]" (the best at alpha = 1).
    best, logp = tr.beam_search(LENGTHS, [np.zeros((1, 1))], 0, 1, max_len=5, width=2, alpha=1)
    assert best == [2, 1] and logp == pytest.approx(np.log(0.18))


def test_an_end_outside_the_top_width_candidates_is_not_finished():
    # After [start]: a 0.6, [end] 0.4; after a: [end] 0.5. With width 1, "[end]" ranks 2nd and is dropped.
    step = table_step({0: [0, 0.4, 0.6], 2: [0, 0.5, 0.5]})
    assert tr.beam_search(step, [np.zeros((1, 1))], 0, 1, max_len=3, width=1, alpha=0)[0] == [2, 1]
    assert tr.beam_search(step, [np.zeros((1, 1))], 0, 1, max_len=3, width=2, alpha=0)[0] == [1]


def test_bigram_loss_by_hand():
    train = np.array([[2, 4, 5, 3]])                    # [start] 我 好 [end]
    evaluate = np.array([[2, 4, 3, 0]])                 # [start] 我 [end], padded
    unigram = np.array([1, 1, 1, 2, 2, 2]) / 9          # next-token counts + 1
    assert tr.bigram_loss(train, evaluate, 6, 0.0) == pytest.approx(-np.log(unigram[[4, 3]]).mean())
    expected = -(np.log(0.5 + 0.5 * unigram[4]) + np.log(0.5 * unigram[3])) / 2     # 我 after [start]: seen
    assert tr.bigram_loss(train, evaluate, 6, 0.5) == pytest.approx(expected)
    unseen = np.array([[0, 3, 0, 0]])                   # a previous token never seen in training: unigram only
    assert tr.bigram_loss(train, unseen, 6, 0.9) == pytest.approx(-np.log(unigram[3]))
    with pytest.raises(ValueError, match="weight must be in"):
        tr.bigram_loss(train, evaluate, 6, 1.5)
    with pytest.raises(ValueError, match="eval_targets: expected ids"):
        tr.bigram_loss(train, evaluate + 5, 6, 0.5)


TARGET_VOCAB = ["", "[UNK]", "[start]", "[end]", "我", "好"]
SOURCE_VOCAB = ["", "[UNK]", "i", "am", "well", "."]
WRITES_WO_HAO = table_step({1: [0, 0, 0, 1, 0, 0], 2: [0, 0.05, 0, 0.05, 0.9, 0], 4: [0, 0.05, 0, 0.05, 0, 0.9],
                            5: [0, 0.05, 0, 0.9, 0, 0.05]})


def translate(text, max_source_tokens=4):
    seen = []

    def vectorize(texts):
        seen.extend(texts)
        index = {w: i for i, w in enumerate(SOURCE_VOCAB)}
        return np.array([[index.get(w, 1) for w in t.split()] + [0] * (max_source_tokens - len(t.split()))
                         for t in texts])

    chinese, notes = tr.translate(text, vectorize, SOURCE_VOCAB, lambda ids: [np.zeros((1, 1))], WRITES_WO_HAO,
                                  TARGET_VOCAB, max_source_tokens, max_len=5, width=2, alpha=1)
    return chinese, notes, seen


def test_translate_branches():
    assert translate("I am well.") == ("我好", [], ["i am well ."])
    assert translate("   ") == ("", ["nothing to translate in '   ' (no words or punctuation)"], [])  # model not called
    chinese, notes, seen = translate("I am a quokka.", max_source_tokens=5)
    assert chinese == "我好" and notes == ["unknown words, read as [UNK]: a, quokka"]
    chinese, notes, seen = translate("I am well, am I?", max_source_tokens=4)
    assert seen == ["i am well ,"]                      # cut to max_source_tokens before vectorising
    assert notes[-1] == "too long: only the first 4 of 7 tokens were read: i am well ,"


def test_ids_to_text_stops_at_end_and_drops_special_tokens():
    assert tr.ids_to_text([4, 1, 2, 0, 5, 3, 4], TARGET_VOCAB) == "我好"
