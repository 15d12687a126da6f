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


def test_float64_and_integer_scale(tmp_path):
    x = tone()
    wavfile.write(tmp_path / "a.wav", RATE, x)                           # float64 samples
    np.testing.assert_allclose(audio.read_wav(tmp_path / "a.wav"), x, atol=1e-7)
    wavfile.write(tmp_path / "loud.wav", RATE, (32768 * x).astype(np.float32))   # float at integer scale
    with pytest.warns(UserWarning, match="loud.wav: float samples reach 1.64e\\+04.*divided by their peak"):
        y = audio.read_wav(tmp_path / "loud.wav")
    np.testing.assert_allclose(y, x / np.abs(x).max(), atol=1e-6)        # scaled, not clipped into a square wave


def riff(*chunks: tuple[bytes, bytes], riff_size: int | None = None) -> bytes:
    """A RIFF/WAVE file from (name, payload) chunks, each padded to an even size as the format requires."""
    body = b"WAVE" + b"".join(name + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2)
                              for name, data in chunks)
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def test_extensible_24_bit_stereo_with_list_fact_and_odd_chunks(tmp_path):
    left, right = tone(amplitude=0.6), tone(freq=300.0, amplitude=0.2)
    ints = np.round(np.column_stack([left, right]) * (2 ** 23 - 1)).astype("<i4")
    data = ints.view(np.uint8).reshape(-1, 2, 4)[..., :3].tobytes()      # 3 little-endian bytes per sample
    pcm_guid = struct.pack("<IHH", 1, 0, 0x10) + bytes([0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 2, RATE, RATE * 6, 6, 24, 22, 24, 3) + pcm_guid   # WAVE_FORMAT_EXTENSIBLE
    info = b"INFO" + b"ISFT" + struct.pack("<I", 6) + b"tests\0"
    path = tmp_path / "extensible.wav"
    path.write_bytes(riff((b"fmt ", fmt), (b"LIST", info), (b"fact", struct.pack("<I", len(ints))),
                          (b"bext", b"odd"), (b"data", data)))                 # "bext" of 3 bytes: a pad byte follows
    np.testing.assert_allclose(audio.read_wav(path), (left + right) / 2, atol=1e-6)


def pcm16(x: np.ndarray) -> tuple[tuple[bytes, bytes], bytes]:
    """The fmt chunk of 16-bit mono PCM at RATE, and the samples' bytes."""
    return (b"fmt ", struct.pack("<HHIIHH", 1, 1, RATE, 2 * RATE, 2, 16)), np.round(x * 32767).astype("<i2").tobytes()


def test_sizes_left_unknown_by_a_streaming_writer(tmp_path):
    fmt, data = pcm16(tone())
    streamed = riff(fmt, (b"data", data), riff_size=0xFFFFFFFF)
    streamed = streamed.replace(b"data" + struct.pack("<I", len(data)), b"data" + struct.pack("<I", 0xFFFFFFFF))
    (tmp_path / "piped.wav").write_bytes(streamed)
    with pytest.warns(UserWarning, match="piped.wav: the header gives no data size"):
        y = audio.read_wav(tmp_path / "piped.wav")
    np.testing.assert_allclose(y, tone(), atol=2 ** -14)                 # every sample read
    (tmp_path / "riff.wav").write_bytes(riff(fmt, (b"data", data), riff_size=10 ** 6))   # only the RIFF size is wrong
    np.testing.assert_allclose(audio.read_wav(tmp_path / "riff.wav"), tone(), atol=2 ** -14)
    (tmp_path / "cut.wav").write_bytes(riff(fmt, (b"data", data))[:-100])                # the data chunk ends early
    with pytest.raises(ValueError, match="cut.wav: the file is truncated .* declares 4000 bytes, the file holds 3900"):
        audio.read_wav(tmp_path / "cut.wav")


def test_impossible_headers_name_the_file(tmp_path):
    _, data = pcm16(tone())
    for name, fmt in [("channels0", struct.pack("<HHIIHH", 1, 0, RATE, 2 * RATE, 2, 16)),
                      ("align0", struct.pack("<HHIIHH", 1, 1, RATE, 2 * RATE, 0, 16))]:
        (tmp_path / f"{name}.wav").write_bytes(riff((b"fmt ", fmt), (b"data", data)))
        with pytest.raises(ValueError, match=f"{name}.wav: not a readable WAV file"):
            audio.read_wav(tmp_path / f"{name}.wav")
    (tmp_path / "rate0.wav").write_bytes(riff((b"fmt ", struct.pack("<HHIIHH", 1, 1, 0, 0, 2, 16)), (b"data", data)))
    with pytest.raises(ValueError, match="rate0.wav: the header gives a sample rate of 0 Hz"):
        audio.read_wav(tmp_path / "rate0.wav")


def test_resampling_removes_what_8_khz_cannot_hold(tmp_path):
    wavfile.write(tmp_path / "a.wav", 44100, tone(seconds=0.5, rate=44100, freq=5500.0).astype(np.float32))
    y = audio.read_wav(tmp_path / "a.wav", min_peak=0)                 # 5.5 kHz is above the 4 kHz Nyquist limit
    assert np.sqrt(np.mean(y[400:3600] ** 2)) < 0.01 * 0.5 / np.sqrt(2)   # at least 40 dB down (aliasing)


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
    front_end = audio.LogMel(256, 128, n_mels=20)
    waves = [tone(seconds=s) for s in (0.032, 0.1, 0.4237)]         # steady tones: every frame is kept
    features, lengths = audio.log_mel(waves, front_end)
    assert features.shape == (3, lengths.max(), 20)
    assert lengths.tolist() == [tf.signal.stft(w.astype(np.float32), 256, 128, fft_length=256).shape[0]
                                for w in waves] == [1, 5, 25]
    assert np.all(features[0, 1:] == 0)                    # padded at the end
    alone, _ = audio.log_mel(waves[1:2], front_end)
    np.testing.assert_allclose(alone[0], features[1, :5], atol=1e-5)   # the batch does not change the frames


def numpy_log_mel(x, frame=256, hop=128, n_mels=40, rate=RATE, fmin=20.0, floor_db=40.0):
    """An independent reference: periodic Hann, |rfft|, HTK mel triangles (peak 1, no DC), level floor."""
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)
    spectrum = np.abs(np.fft.rfft(frames * window, axis=1))
    mel = lambda f: 1127.0 * np.log1p(np.asarray(f) / 700.0)                      # noqa: E731
    bins = mel(np.linspace(0, rate / 2, frame // 2 + 1))[1:, None]
    edges = np.linspace(mel(fmin), mel(rate / 2), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0, np.minimum((bins - lower) / (center - lower), (upper - bins) / (upper - center)))
    m = spectrum @ np.vstack([np.zeros(n_mels), weights])
    return np.log(np.maximum(m / m.max(), 10 ** (-floor_db / 20)))


def test_log_mel_values_match_a_numpy_reference():
    rng = np.random.default_rng(0)
    x = (tone(seconds=0.3, freq=700.0) * np.hanning(2400) + 0.01 * rng.standard_normal(2400)).astype(np.float32)
    features, lengths = audio.log_mel([x], audio.LogMel(trim_db=200.0))   # nothing trimmed
    np.testing.assert_allclose(features[0, : lengths[0]], numpy_log_mel(x), atol=2e-4)


def test_log_mel_level_and_silence_do_not_matter():
    rng = np.random.default_rng(1)
    word = (tone(seconds=0.4, freq=500.0) * np.hanning(3200) + 0.002 * rng.standard_normal(3200)).astype(np.float32)
    silence = np.zeros(1024, np.float32)                               # 8 hops: the frame grid stays aligned
    (plain, quiet, padded), n = audio.log_mel([word, 0.01 * word, np.r_[silence, word, silence]])
    np.testing.assert_allclose(quiet[: n[1]], plain[: n[0]], atol=1e-4)           # level: divided out
    assert n[0] <= n[2] <= n[0] + 2        # silence trimmed, but for the frames that straddle the word's edges
    assert any(np.allclose(padded[o: o + n[0]], plain[: n[0]], atol=1e-4) for o in range(n[2] - n[0] + 1))
    trimmed, k = audio.log_mel([np.r_[0.001 * word, word]])            # a part 60 dB down: below trim_db = 40
    assert k[0] <= n[0] + 1


def test_log_mel_layer_saved_and_reloaded_with_its_settings(tmp_path):
    import keras

    front_end = audio.LogMel(frame_length=200, frame_step=80, n_mels=24, floor_db=50.0, trim_db=30.0)
    inputs = keras.Input((None,), name="waveform")
    model = keras.Model(inputs, front_end(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    layer = next(la for la in reloaded.layers if isinstance(la, audio.LogMel))
    assert layer.get_config() | {"name": None} == front_end.get_config() | {"name": None}
    x = tone(seconds=0.3)[None].astype(np.float32)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(reloaded(x)), keras.ops.convert_to_numpy(model(x)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x))[0], audio.log_mel([x[0]], front_end)[0][0])


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
    assert audio.log_mel_file(good).shape == (1, audio.frame_count(len(tone()), 256, 128), 40)   # a tone: all kept


def test_digit_strings_lengths_labels_pauses_and_seed():
    rng = np.random.default_rng(0)
    waves = [0.3 + np.r_[0.001 * rng.standard_normal(256), tone(seconds=n / RATE, freq=200.0 + 50 * d)]
             for d, n in enumerate(range(300, 1300, 100))]           # a DC offset of 0.3, a quiet start, a tone
    digits = list(range(10))
    strings, labels, spans = audio.digit_strings(waves, digits, 50, seed=3, pause=(0.01, 0.02))
    assert len(strings) == len(labels) == len(spans) == 50
    for s, lab, span in zip(strings, labels, spans, strict=True):
        assert 2 <= len(lab) <= 5 and span.shape == (len(lab), 2)
        pauses = np.diff(np.r_[0, span.ravel(), len(s)])[::2]          # before, between and after recordings
        assert len(pauses) == len(lab) + 1 and np.all((pauses >= 80) & (pauses <= 160))
        for d, (start, end) in zip(lab, span, strict=True):
            np.testing.assert_allclose(s[start:end], waves[d] - waves[d].mean(), atol=1e-6)   # the DC removed
        background = np.delete(s, np.concatenate([np.arange(a, b) for a, b in span]))
        assert 0.0003 < np.std(background) < 0.003                      # the recordings' own quiet level, not silence
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
    with pytest.raises(ValueError, match="speakers"):
        audio.digit_strings(waves, digits, 1, seed=0, speakers=["a"])


def test_digit_strings_one_speaker_each_and_no_reuse():
    waves = [tone(seconds=(300 + i) / RATE) for i in range(40)]       # recording i has 300 + i samples
    speakers = ["a"] * 20 + ["b"] * 20
    strings, labels, spans = audio.digit_strings(waves, [0] * 40, 100, seed=0, speakers=speakers, reuse=False)
    used = [int(b - a - 300) for span in spans for a, b in span]
    assert sorted(used) == sorted(set(used)) and len(used) >= 38   # each at most once; at most 1 left per speaker
    for span in spans:
        owners = {speakers[int(b - a - 300)] for a, b in span}
        assert len(owners) == 1                                          # one speaker per string
    _, _, spans = audio.digit_strings(waves, [0] * 40, 200, seed=1, speakers=speakers)
    assert all(len({speakers[int(b - a - 300)] for a, b in span}) == 1 for span in spans)


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
