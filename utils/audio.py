"""Audio: read any PCM/float WAV file as 8 kHz mono, list the spoken-digit recordings, log-mel spectrograms, a
masked per-recording mean subtraction layer, spoken digit strings for CTC, greedy CTC decoding, edit distance and
an energy-based segmenter."""

from __future__ import annotations

import re
import struct
import warnings
import wave
from collections.abc import Sequence
from math import gcd
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from scipy.io import wavfile
from scipy.signal import resample_poly

from .paths import shipped_folder

RATE = 8000  # Hz: the sample rate of the spoken-digit recordings, and of everything read_wav returns
_NAME = re.compile(r"(\d)_([A-Za-z]+)_(\d+)\.wav")


def load_digit_recordings(folder: str | Path | None = None) -> pd.DataFrame:
    """One row per recording, sorted by path: path, digit, speaker, repetition (from ``{digit}_{speaker}_{rep}.wav``).

    ``folder=None`` lists the shipped Free Spoken Digit Dataset (3,000 files, checked against their sha256);
    a malformed file name raises naming the file."""
    if folder is None:
        files = shipped_folder("audio/fsdd/recordings")
    else:
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such folder")
        files = sorted(folder.glob("*.wav"))
        if not files:
            raise ValueError(f"{folder}: no .wav files")
    rows = []
    for path in files:
        match = _NAME.fullmatch(path.name)
        if match is None:
            raise ValueError(f"{path}: file name is not '{{digit}}_{{speaker}}_{{repetition}}.wav' "
                             "(one digit 0-9, letters, a number), e.g. '7_jackson_12.wav'")
        rows.append({"path": path, "digit": int(match[1]), "speaker": match[2], "repetition": int(match[3])})
    return pd.DataFrame(rows)


def read_wav(path: str | Path, rate: int = RATE, min_peak: float = 1e-3) -> np.ndarray:
    """The samples of a WAV file as float32 mono in [-1, 1] at ``rate`` Hz: shape (samples,).

    Reads 8-bit unsigned, 16/24/32-bit signed PCM and 32/64-bit float WAV; float samples outside [-1, 1] are
    clipped to it; averages the channels; resamples with a polyphase filter. An unreadable file, another format
    (e.g. A-law), an empty or silent file (peak below ``min_peak``) or NaN/infinite samples raise naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", wavfile.WavFileWarning)   # e.g. a skipped LIST chunk: harmless
            source_rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError, IndexError, struct.error) as error:
        raise ValueError(f"{path}: not a readable WAV file ({error})") from None
    for w in caught:                                 # only WAV warnings are handled here; others pass on
        if not issubclass(w.category, wavfile.WavFileWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    truncated = [str(w.message) for w in caught if "prematurely" in str(w.message)]
    if truncated:
        raise ValueError(f"{path}: the file is truncated ({truncated[0]})")
    if data.dtype == np.uint8:                       # 8-bit WAV is unsigned, silence at 128
        samples = (data.astype(np.float32) - 128.0) / 128.0
    elif data.dtype.kind == "i":                     # 16-bit; 24-bit arrives left-justified in int32, like 32-bit
        samples = data.astype(np.float32) / float(-np.iinfo(data.dtype).min)
    elif data.dtype.kind == "f":
        samples = data.astype(np.float32)
    else:
        raise ValueError(f"{path}: unsupported sample type {data.dtype}")
    if samples.ndim == 2:
        samples = samples.mean(axis=1)               # stereo (or more channels) -> mono
    if samples.size == 0:
        raise ValueError(f"{path}: the file holds no samples")
    if not np.all(np.isfinite(samples)):
        raise ValueError(f"{path}: the file holds NaN or infinite samples")
    samples = np.clip(samples, -1.0, 1.0)            # only float WAV can exceed full scale
    peak = float(np.abs(samples).max())
    if peak < min_peak:
        raise ValueError(f"{path}: the recording is silent (peak amplitude {peak:.2g} < {min_peak:g})")
    if source_rate != rate:
        common = gcd(int(source_rate), int(rate))
        samples = resample_poly(samples, rate // common, int(source_rate) // common).astype(np.float32)
    return samples


def write_wav(path: str | Path, samples, rate: int = RATE, sample_width: int | str = 2) -> Path:
    """Write float samples in [-1, 1], shape (samples,) or (samples, channels), as PCM of ``sample_width``
    bytes (1, 2, 3 or 4) or as 32-bit float (``"float"``)."""
    path, x = Path(path), np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)
    x = x[:, None] if x.ndim == 1 else x
    if sample_width == "float":
        wavfile.write(path, rate, x.astype(np.float32).squeeze(axis=1) if x.shape[1] == 1 else x.astype(np.float32))
        return path
    if sample_width not in (1, 2, 3, 4):
        raise ValueError(f"sample_width must be 1, 2, 3, 4 or 'float', got {sample_width!r}")
    scale = 2.0 ** (8 * sample_width - 1)
    ints = np.clip(np.round(x * scale), -scale, scale - 1).astype(np.int64)
    if sample_width == 1:
        raw = (ints + 128).astype(np.uint8).tobytes()
    else:   # little-endian, the low sample_width bytes of each int64
        raw = ints.astype("<i8").view(np.uint8).reshape(*ints.shape, 8)[..., :sample_width].tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(x.shape[1])
        out.setsampwidth(sample_width)
        out.setframerate(rate)
        out.writeframes(raw)
    return path


def frame_count(samples: int, frame_length: int, frame_step: int) -> int:
    """Frames of ``tf.signal.stft`` without end padding: 1 + floor((samples - frame_length) / frame_step)."""
    return 0 if samples < frame_length else 1 + (samples - frame_length) // frame_step


def log_mel(waves: Sequence[np.ndarray], frame_length: int = 256, frame_step: int = 128, n_mels: int = 40,
            rate: int = RATE, fmin: float = 20.0, fmax: float | None = None, batch: int = 256):
    """Log-mel spectrograms of 1-D waveforms: (features (B, T_max, n_mels) float32 zero-padded at the end,
    lengths (B,) int frames). Mel filters on the magnitude |STFT| (not the power), log(. + 1e-6); computed with
    tf.signal on padded batches of ``batch`` waveforms. A waveform shorter than one frame raises naming its index."""
    import tensorflow as tf

    if len(waves) == 0:
        raise ValueError("no waveforms")
    lengths = np.array([frame_count(len(w), frame_length, frame_step) for w in waves])
    if lengths.min() < 1:
        i = int(np.argmin(lengths))
        raise ValueError(f"waveform {i} is shorter than one frame ({len(waves[i])} samples < {frame_length})")
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(n_mels, frame_length // 2 + 1, rate, fmin, fmax or rate / 2)
    out = np.zeros((len(waves), lengths.max(), n_mels), np.float32)
    for start in range(0, len(waves), batch):
        part = waves[start:start + batch]
        padded = np.zeros((len(part), max(len(w) for w in part)), np.float32)
        for i, w in enumerate(part):
            padded[i, :len(w)] = w
        spectrum = tf.abs(tf.signal.stft(padded, frame_length, frame_step, fft_length=frame_length))  # (b, T, bins)
        mel = tf.math.log(tf.tensordot(spectrum, mel_matrix, 1) + 1e-6).numpy()                        # (b, T, mels)
        for i in range(len(part)):
            n = lengths[start + i]
            out[start + i, :n] = mel[i, :n]   # frames past a waveform's own end (they saw padding) stay zero
    return out, lengths


def log_mel_file(path: str | Path, frame_length: int = 256, frame_step: int = 128, n_mels: int = 40,
                 rate: int = RATE) -> np.ndarray:
    """Log-mel frames of one WAV file read with ``read_wav``: (1, T, n_mels); a file shorter than one frame
    raises naming the file."""
    try:
        return log_mel([read_wav(path, rate)], frame_length, frame_step, n_mels, rate)[0]
    except ValueError as error:
        if "shorter than one frame" not in str(error):
            raise
        raise ValueError(f"{path}: the recording is {str(error).split(' is ', 1)[1]}") from None


@keras.saving.register_keras_serializable(package="rnn_notebooks")
class SubtractMean(keras.layers.Layer):
    """Subtract each sequence's mean frame over its real (unmasked) steps; padding stays zero: (B, T, F)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return x - keras.ops.mean(x, axis=1, keepdims=True)
        real = keras.ops.cast(mask, x.dtype)[..., None]                                  # (B, T, 1)
        mean = keras.ops.sum(x * real, axis=1, keepdims=True) / keras.ops.maximum(
            keras.ops.sum(real, axis=1, keepdims=True), 1.0)
        return (x - mean) * real


def digit_strings(waves: Sequence[np.ndarray], digits: Sequence[int], count: int, seed: int,
                  n_digits: tuple[int, int] = (2, 5), pause: tuple[float, float] = (0.05, 0.3),
                  noise: float = 0.0, rate: int = RATE):
    """``count`` spoken digit strings: recordings drawn at random, joined with random pauses (also before the
    first and after the last). Returns (strings: list of (samples,) float32, labels: list of (k,) int,
    spans: list of (k, 2) int sample [start, end) of each recording). Pauses hold Gaussian noise of std ``noise``."""
    if not 1 <= n_digits[0] <= n_digits[1]:
        raise ValueError(f"n_digits must be (low, high) with 1 <= low <= high, got {n_digits}")
    if not 0 <= pause[0] <= pause[1]:
        raise ValueError(f"pause must be (low, high) seconds with 0 <= low <= high, got {pause}")
    if len(waves) != len(digits) or len(waves) == 0:
        raise ValueError(f"need as many digits as waveforms (and at least one), got {len(digits)} and {len(waves)}")
    rng = np.random.default_rng(seed)
    strings, labels, spans = [], [], []
    for _ in range(count):
        chosen = rng.integers(len(waves), size=rng.integers(n_digits[0], n_digits[1] + 1))
        gaps = np.round(rng.uniform(*pause, size=len(chosen) + 1) * rate).astype(int)
        pieces, span, position = [], [], 0
        for gap, index in zip(gaps, chosen, strict=False):
            pieces += [noise * rng.standard_normal(gap), waves[index]]
            span.append((position + gap, position + gap + len(waves[index])))
            position += gap + len(waves[index])
        pieces.append(noise * rng.standard_normal(gaps[-1]))
        strings.append(np.concatenate(pieces).astype(np.float32))
        labels.append(np.asarray(digits)[chosen].astype(int))
        spans.append(np.array(span, dtype=int))
    return strings, labels, spans


def ctc_greedy_decode(scores, lengths, blank: int) -> list[list[int]]:
    """Best path decoding: per sequence, the argmax class of each of its first ``lengths[i]`` frames, repeats
    collapsed, then blanks dropped. ``scores``: (batch, frames, classes) logits or probabilities."""
    best = np.asarray(scores).argmax(axis=-1)
    decoded = []
    for path, n in zip(best, np.asarray(lengths), strict=True):
        path = path[:n]
        keep = np.r_[True, path[1:] != path[:-1]] & (path != blank)   # first of each run, and not blank
        decoded.append(path[keep].tolist())
    return decoded


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Levenshtein distance: the fewest substitutions, deletions and insertions turning reference into hypothesis."""
    row = np.arange(len(hypothesis) + 1)
    for i, ref in enumerate(reference, start=1):
        previous, row = row, np.empty_like(row)
        row[0] = i
        for j, hyp in enumerate(hypothesis, start=1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref != hyp))
    return int(row[-1])


def energy_segments(frame_db: np.ndarray, threshold_db: float, min_gap: int = 3, min_length: int = 4):
    """Segments of frames louder than (loudest frame - threshold_db): a list of (start, end) frame pairs; runs
    separated by fewer than ``min_gap`` quiet frames are merged, runs shorter than ``min_length`` dropped."""
    frame_db = np.asarray(frame_db, dtype=float)
    if frame_db.ndim != 1 or frame_db.size == 0:
        raise ValueError(f"frame_db must be a non-empty 1-D array of frame energies, got shape {frame_db.shape}")
    loud = frame_db > frame_db.max() - threshold_db
    edges = np.flatnonzero(np.diff(np.r_[0, loud.astype(int), 0]))   # alternating run starts and ends
    runs = [[s, e] for s, e in zip(edges[::2], edges[1::2], strict=True)]
    merged = []
    for run in runs:
        if merged and run[0] - merged[-1][1] < min_gap:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    return [(int(s), int(e)) for s, e in merged if e - s >= min_length]
