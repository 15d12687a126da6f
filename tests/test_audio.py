"""Audio: WAV reading and conversion (every sample format, channels, rates), its errors, file-name parsing,
spoken digit strings, greedy CTC decoding, edit distance and energy segments."""

import struct
import wave

import numpy as np
import pytest
from scipy.io import wavfile

from utils import audio

RATE = audio.RATE


def tone(seconds=0.25, rate=RATE, freq=440.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float64)


def write_with_wave(path, ints: np.ndarray, width: int, rate=RATE, channels=1):
    """Write little-endian PCM with the standard library only (independent of utils.audio.write_wav)."""
    raw = ints.astype("<i8").view(np.uint8).reshape(*ints.shape, 8)[..., :width].tobytes() if width > 1 \
        else ints.astype(np.uint8).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(raw)
    return path


@pytest.mark.parametrize("bits", [16, 32])
def test_signed_pcm_scaled_to_unit_range(tmp_path, bits):
    x = tone()
    dtype = {16: np.int16, 32: np.int32}[bits]
    wavfile.write(tmp_path / "a.wav", RATE, np.round(x * (2 ** (bits - 1) - 1)).astype(dtype))
    y = audio.read_wav(tmp_path / "a.wav")
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=2 ** -14)


def test_unsigned_8_bit(tmp_path):
    x = tone()
    write_with_wave(tmp_path / "a.wav", np.round(x * 127 + 128).astype(np.int64), 1)
    np.testing.assert_allclose(audio.read_wav(tmp_path / "a.wav"), x, atol=1.5 / 128)


def test_24_bit(tmp_path):
    x = tone()
    write_with_wave(tmp_path / "a.wav", np.round(x * (2 ** 23 - 1)).astype(np.int64), 3)
    np.testing.assert_allclose(audio.read_wav(tmp_path / "a.wav"), x, atol=1e-6)


def test_float32(tmp_path):
    x = tone().astype(np.float32)
    wavfile.write(tmp_path / "a.wav", RATE, x)
    np.testing.assert_array_equal(audio.read_wav(tmp_path / "a.wav"), x)


def test_float64_and_clipping(tmp_path):
    x = tone()
    wavfile.write(tmp_path / "a.wav", RATE, x)                           # float64 samples
    np.testing.assert_allclose(audio.read_wav(tmp_path / "a.wav"), x, atol=1e-7)
    wavfile.write(tmp_path / "loud.wav", RATE, 3 * x)                    # float beyond full scale: clipped
    y = audio.read_wav(tmp_path / "loud.wav")
    assert y.max() == 1.0 and y.min() == -1.0
    np.testing.assert_allclose(y, np.clip(3 * x, -1, 1), atol=1e-7)


def test_unsupported_format_names_the_file(tmp_path):
    data = bytes(range(200))                                             # 200 A-law bytes
    fmt = struct.pack("<HHIIHH", 6, 1, RATE, RATE, 1, 8)                 # format tag 6 = A-law
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    (tmp_path / "alaw.wav").write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    with pytest.raises(ValueError, match="alaw.wav: not a readable WAV file"):
        audio.read_wav(tmp_path / "alaw.wav")


def test_other_warnings_are_not_swallowed(tmp_path, monkeypatch):
    import warnings

    def read(path):
        warnings.warn("something unrelated", UserWarning, stacklevel=1)
        return RATE, np.round(tone() * 32767).astype(np.int16)

    monkeypatch.setattr(audio.wavfile, "read", read)
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.warns(UserWarning, match="something unrelated"):
        audio.read_wav(tmp_path / "a.wav")


def test_stereo_averaged_to_mono(tmp_path):
    left, right = tone(amplitude=0.6), tone(freq=300.0, amplitude=0.2)
    wavfile.write(tmp_path / "a.wav", RATE, np.round(np.column_stack([left, right]) * 32767).astype(np.int16))
    np.testing.assert_allclose(audio.read_wav(tmp_path / "a.wav"), (left + right) / 2, atol=1e-4)


@pytest.mark.parametrize("rate", [16000, 44100, 22050])
def test_other_rates_resampled_to_8_khz(tmp_path, rate):
    x = tone(seconds=0.5, rate=rate, freq=440.0)
    wavfile.write(tmp_path / "a.wav", rate, x.astype(np.float32))
    y = audio.read_wav(tmp_path / "a.wav")
    assert abs(len(y) - 0.5 * RATE) <= 1
    middle = slice(400, 3600)                     # away from the filter's edge effects
    np.testing.assert_allclose(y[middle], tone(seconds=0.5)[middle], atol=0.02)


@pytest.mark.parametrize("width", [1, 2, 3, 4, "float"])
def test_write_wav_round_trip(tmp_path, width):
    x = np.column_stack([tone(), tone(freq=200.0)])     # stereo
    audio.write_wav(tmp_path / "a.wav", x, 44100 // 4, sample_width=width)
    with open(tmp_path / "a.wav", "rb") as f:
        assert f.read(4) == b"RIFF"
    y = audio.read_wav(tmp_path / "a.wav", rate=44100 // 4)
    np.testing.assert_allclose(y, x.mean(axis=1), atol=0.01 if width == 1 else 1e-4)


def test_write_wav_rejects_bad_width(tmp_path):
    with pytest.raises(ValueError, match="sample_width"):
        audio.write_wav(tmp_path / "a.wav", tone(), sample_width=5)


def test_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        audio.read_wav(missing)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.wav: not a readable WAV"):
        audio.read_wav(empty)
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    with pytest.raises(ValueError, match="notes.wav: not a readable WAV"):
        audio.read_wav(text)
    good = tmp_path / "good.wav"
    wavfile.write(good, RATE, np.round(tone() * 32767).astype(np.int16))
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:20])           # cut inside the fmt chunk
    with pytest.raises(ValueError, match="truncated.wav: not a readable WAV"):
        audio.read_wav(truncated)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[:1000])               # the data chunk ends early
    with pytest.raises(ValueError, match="cut.wav: the file is truncated"):
        audio.read_wav(cut)


def test_zero_length_and_silent_files(tmp_path):
    zero = tmp_path / "zero.wav"
    wavfile.write(zero, RATE, np.zeros(0, np.int16))
    with pytest.raises(ValueError, match="zero.wav: the file holds no samples"):
        audio.read_wav(zero)
    silent = tmp_path / "silent.wav"
    wavfile.write(silent, RATE, np.zeros(4000, np.int16))
    with pytest.raises(ValueError, match="silent.wav: the recording is silent"):
        audio.read_wav(silent)
    quiet = tmp_path / "quiet.wav"                          # 8-bit silence is 128, not 0
    write_with_wave(quiet, np.full(4000, 128), 1)
    with pytest.raises(ValueError, match="quiet.wav: the recording is silent"):
        audio.read_wav(quiet)
    nan = tmp_path / "nan.wav"
    wavfile.write(nan, RATE, np.full(100, np.nan, np.float32))
    with pytest.raises(ValueError, match="nan.wav: .*NaN"):
        audio.read_wav(nan)


def test_listing_parses_names_and_rejects_malformed(tmp_path):
    for name in ["3_theo_12.wav", "0_george_0.wav"]:
        audio.write_wav(tmp_path / name, tone())
    table = audio.load_digit_recordings(tmp_path)
    assert table[["digit", "speaker", "repetition"]].values.tolist() == [[0, "george", 0], [3, "theo", 12]]
    audio.write_wav(tmp_path / "3_theo.wav", tone())
    with pytest.raises(ValueError, match="3_theo.wav: file name is not"):
        audio.load_digit_recordings(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        audio.load_digit_recordings(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .wav files"):
        audio.load_digit_recordings(tmp_path / "empty")


def test_frame_count_matches_tf_signal():
    import tensorflow as tf

    for n in (256, 257, 383, 384, 385, 1000, 3428):
        w = np.zeros(n, np.float32)
        assert audio.frame_count(n, 256, 128) == tf.signal.stft(w, 256, 128, fft_length=256).shape[0], n
    assert audio.frame_count(255, 256, 128) == 0
    waves = [tone(seconds=s) for s in (0.032, 0.1, 0.4237)]
    features, lengths = audio.log_mel(waves, frame_length=256, frame_step=128, n_mels=20)
    assert features.shape == (3, lengths.max(), 20)
    assert lengths.tolist() == [tf.signal.stft(w.astype(np.float32), 256, 128, fft_length=256).shape[0]
                                for w in waves] == [1, 5, 25]
    assert np.all(features[0, 1:] == 0)                    # padded at the end
    alone, _ = audio.log_mel(waves[1:2], frame_length=256, frame_step=128, n_mels=20)
    np.testing.assert_allclose(alone[0], features[1, :5], atol=1e-5)   # the batch does not change the frames


def test_log_mel_too_short_names_the_waveform_and_the_file(tmp_path):
    with pytest.raises(ValueError, match=r"waveform 1 is shorter than one frame \(100 samples < 256\)"):
        audio.log_mel([np.ones(300), np.ones(100)])
    with pytest.raises(ValueError, match="no waveforms"):
        audio.log_mel([])
    short = tmp_path / "short.wav"
    wavfile.write(short, RATE, np.round(tone(seconds=100 / RATE) * 32767).astype(np.int16))    # 100 samples
    with pytest.raises(ValueError, match=r"short.wav: the recording is shorter than one frame \(100 samples < 256\)"):
        audio.log_mel_file(short)
    good = tmp_path / "good.wav"
    wavfile.write(good, RATE, np.round(tone() * 32767).astype(np.int16))
    assert audio.log_mel_file(good).shape == (1, audio.frame_count(len(tone()), 256, 128), 40)


def test_digit_strings_lengths_labels_pauses_and_seed():
    waves = [np.full(n, d + 1.0, np.float32) for d, n in enumerate(range(100, 1100, 100))]   # value = digit + 1
    digits = list(range(10))
    strings, labels, spans = audio.digit_strings(waves, digits, 50, seed=3, pause=(0.01, 0.02), noise=0.0)
    assert len(strings) == len(labels) == len(spans) == 50
    for s, lab, span in zip(strings, labels, spans, strict=True):
        assert 2 <= len(lab) <= 5 and span.shape == (len(lab), 2)
        pauses = np.diff(np.r_[0, span.ravel(), len(s)])[::2]          # before, between and after recordings
        assert len(pauses) == len(lab) + 1 and np.all((pauses >= 80) & (pauses <= 160))
        for d, (start, end) in zip(lab, span, strict=True):
            assert end - start == len(waves[d]) and np.all(s[start:end] == d + 1)
        assert np.all(np.delete(s, np.concatenate([np.arange(a, b) for a, b in span])) == 0)
    again = audio.digit_strings(waves, digits, 50, seed=3, pause=(0.01, 0.02))
    other = audio.digit_strings(waves, digits, 50, seed=4, pause=(0.01, 0.02))
    assert all(np.array_equal(a, b) for a, b in zip(strings, again[0], strict=True))
    assert not all(len(a) == len(b) and np.array_equal(a, b) for a, b in zip(strings, other[0], strict=True))
    assert {len(lab) for lab in labels} == {2, 3, 4, 5}
    with pytest.raises(ValueError, match="n_digits"):
        audio.digit_strings(waves, digits, 1, seed=0, n_digits=(3, 2))
    with pytest.raises(ValueError, match="pause"):
        audio.digit_strings(waves, digits, 1, seed=0, pause=(0.2, 0.1))
    with pytest.raises(ValueError, match="as many digits"):
        audio.digit_strings(waves, digits[:3], 1, seed=0)


def test_digit_strings_noise_only_in_pauses():
    waves = [np.ones(200, np.float32)]
    strings, _, spans = audio.digit_strings(waves, [7], 5, seed=0, noise=0.01)
    for s, span in zip(strings, spans, strict=True):
        inside = np.concatenate([np.arange(a, b) for a, b in span])
        assert np.all(s[inside] == 1) and 0.005 < np.std(np.delete(s, inside)) < 0.02


def test_ctc_greedy_decode_collapses_repeats_then_drops_blanks():
    blank = 3
    paths = np.array([[0, 0, 3, 0, 1, 1, 3, 3, 2, 2],     # a blank separates the two 0s: both kept
                      [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],     # only blanks
                      [1, 1, 1, 2, 2, 0, 0, 0, 0, 0]])    # frames past the length are ignored
    scores = np.eye(4)[paths]                              # one-hot "probabilities", (3, 10, 4)
    assert audio.ctc_greedy_decode(scores, [10, 10, 5], blank) == [[0, 0, 1, 2], [], [1, 2]]
    assert audio.ctc_greedy_decode(scores, [0, 1, 1], blank) == [[], [], [1]]


def test_edit_distance():
    assert audio.edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert audio.edit_distance([1, 2, 3], [1, 3]) == 1          # deletion
    assert audio.edit_distance([1, 2, 3], [1, 2, 4, 3]) == 1    # insertion
    assert audio.edit_distance([1, 2, 3], [3, 2, 1]) == 2       # two substitutions
    assert audio.edit_distance([], [5, 5]) == 2 and audio.edit_distance([5], []) == 1


def test_energy_segments():
    db = np.full(40, -60.0)
    db[5:12] = 0.0          # a word
    db[14:20] = -5.0        # after a 2-frame gap: merged with the first
    db[30:32] = -1.0        # too short: dropped
    db[35:40] = -10.0       # runs to the end
    assert audio.energy_segments(db, 30.0, min_gap=3, min_length=4) == [(5, 20), (35, 40)]
    assert audio.energy_segments(db, 30.0, min_gap=2, min_length=2) == [(5, 12), (14, 20), (30, 32), (35, 40)]
    assert audio.energy_segments(db, 7.0, min_gap=1, min_length=1) == [(5, 12), (14, 20), (30, 32)]
    with pytest.raises(ValueError, match="non-empty 1-D"):
        audio.energy_segments(np.array([]), 30.0)


def test_subtract_mean_ignores_padding():
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 6, 3)).astype("float32")
    padded = np.concatenate([x, np.zeros((1, 4, 3), "float32")], axis=1)
    layer = audio.SubtractMean()
    mask = np.arange(10)[None] < 6
    out = keras.ops.convert_to_numpy(layer(padded, mask=mask))
    np.testing.assert_allclose(out[:, :6], x - x.mean(axis=1, keepdims=True), atol=1e-6)
    assert np.all(out[:, 6:] == 0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), out[:, :6], atol=1e-6)
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, audio.SubtractMean()(keras.layers.Masking(0.0)(inputs)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(padded))[:, :6], out[:, :6], atol=1e-6)
