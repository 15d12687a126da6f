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


def load_digit_recordings(folder: str | Path | None = None, shipped: str = "audio/fsdd/recordings") -> pd.DataFrame:
    """One row per recording, sorted by path: path, digit, speaker, repetition (from ``{digit}_{speaker}_{rep}.wav``).

    ``folder=None`` lists a shipped folder, checked against its sha256: the Free Spoken Digit Dataset (3,000 files)
    or ``shipped="audio/synthetic"`` (240 synthetic recordings); a malformed file name raises naming the file."""
    if folder is None:
        files = shipped_folder(shipped)
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


_UNKNOWN_SIZE = 0xFFFFFFFF   # the size a streaming writer (e.g. ffmpeg writing to a pipe) leaves in the header


def _data_chunk(path: Path) -> tuple[int, int] | None:
    """(bytes the ``data`` chunk declares, bytes the file holds after its header), or None if there is no data chunk;
    walks the RIFF chunks (each padded to an even size) without trusting the RIFF size."""
    with open(path, "rb") as file:
        if file.read(12)[8:12] != b"WAVE":
            return None
        while len(header := file.read(8)) == 8:
            name, size = header[:4], struct.unpack("<I", header[4:])[0]
            if name == b"data":
                here = file.tell()
                return size, file.seek(0, 2) - here
            file.seek(size + size % 2, 1)
    return None


def read_wav(path: str | Path, rate: int = RATE, min_peak: float = 1e-3) -> np.ndarray:
    """The samples of a WAV file as float32 mono in [-1, 1] at ``rate`` Hz: shape (samples,).

    Reads 8-bit unsigned, 16/24/32-bit signed PCM and 32/64-bit float WAV (also WAVE_FORMAT_EXTENSIBLE, with other
    chunks before the data); float samples beyond [-1, 1] (some tools store integer scale) are divided by their peak,
    with a warning; averages the channels; resamples with a polyphase filter. A header without a data size (as
    streamed to a pipe) is read to the end of the file, with a warning. An unreadable file or header, another
    format (e.g. A-law), a data chunk shorter than its header says (truncated), an empty or silent file (peak below
    ``min_peak``) or NaN/infinite samples raise naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", wavfile.WavFileWarning)   # e.g. a skipped LIST chunk: harmless
            source_rate, data = wavfile.read(path)
    except Exception as error:   # scipy raises many types on bad headers (ValueError, ZeroDivisionError, ...)
        raise ValueError(f"{path}: not a readable WAV file ({type(error).__name__}: {error})") from None
    for w in caught:                                 # only WAV warnings are handled here; others pass on
        if not issubclass(w.category, wavfile.WavFileWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    declared, present = _data_chunk(path) or (0, 0)
    if declared == _UNKNOWN_SIZE:
        warnings.warn(f"{path}: the header gives no data size (a file written to a pipe?); read to the end of the "
                      "file", stacklevel=2)
    elif declared > present:                         # an overstated RIFF size alone is harmless: scipy reads it all
        raise ValueError(f"{path}: the file is truncated (the data chunk declares {declared} bytes, the file holds "
                         f"{present})")
    if source_rate <= 0:
        raise ValueError(f"{path}: the header gives a sample rate of {source_rate} Hz")
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
    peak = float(np.abs(samples).max())
    if peak > 1.0:                                   # only float WAV can exceed full scale
        warnings.warn(f"{path}: float samples reach {peak:.3g}, beyond full scale 1; divided by their peak",
                      stacklevel=2)
        samples, peak = samples / peak, 1.0
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


def _front_end(waves, lengths, frame_length: int, frame_step: int, mel_matrix, floor_db: float, trim_db: float):
    """Trimmed, level-normalised log-mel frames of zero-padded waveforms (B, N) with sample counts ``lengths`` (B,):
    (frames (B, T', n_mels) zero-padded at the end, frame counts (B,)); tensors in, tensors out."""
    import tensorflow as tf

    waves = tf.convert_to_tensor(waves, tf.float32)
    spectrum = tf.abs(tf.signal.stft(waves, frame_length, frame_step, fft_length=frame_length))  # (B, T, bins)
    mel = tf.tensordot(spectrum, tf.cast(mel_matrix, tf.float32), 1)                                  # (B, T, mels)
    steps = tf.shape(mel)[1]
    n = tf.maximum((tf.cast(lengths, tf.int32) - frame_length) // frame_step + 1, 0)                   # (B,)
    real = tf.cast(tf.range(steps)[None] < n[:, None], tf.float32)                                     # (B, T)
    mel = mel * real[..., None]                         # frames that overlap the padding are not the recording's
    peak = tf.reduce_max(mel, axis=[1, 2], keepdims=True)                                              # (B, 1, 1)
    x = tf.math.log(tf.maximum(mel / tf.maximum(peak, 1e-30), 10.0 ** (-floor_db / 20)))                # <= 0
    power = tf.reduce_sum(tf.square(spectrum), axis=2) * real                                          # (B, T)
    loud = power > tf.reduce_max(power, axis=1, keepdims=True) * 10.0 ** (-trim_db / 10)
    first = tf.argmax(tf.cast(loud, tf.int32), axis=1, output_type=tf.int32)                           # (B,)
    last = steps - 1 - tf.argmax(tf.cast(loud[:, ::-1], tf.int32), axis=1, output_type=tf.int32)
    kept = tf.where(n > 0, last - first + 1, 0)
    longest = tf.reduce_max(kept)
    index = tf.minimum(first[:, None] + tf.range(longest)[None], steps - 1)                           # (B, T')
    inside = tf.cast(tf.range(longest)[None] < kept[:, None], tf.float32)
    return tf.gather(x, index, batch_dims=1) * inside[..., None], kept


@keras.saving.register_keras_serializable(package="rnn_notebooks")
class LogMel(keras.layers.Layer):
    """Waveforms (B, samples) at ``rate`` Hz -> trimmed, level-normalised log-mel frames (B, T, n_mels), zero-padded
    at the end: log(max(m / m_max, 10^(-floor_db/20))) of the mel filters m of |STFT| (m_max: the recording's
    largest), keeping the frames from the first to the last whose power is within ``trim_db`` of the loudest's."""

    def __init__(self, frame_length: int = 256, frame_step: int = 128, n_mels: int = 40, rate: int = RATE,
                 fmin: float = 20.0, fmax: float | None = None, floor_db: float = 40.0, trim_db: float = 40.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.frame_length, self.frame_step, self.n_mels, self.rate = frame_length, frame_step, n_mels, rate
        self.fmin, self.fmax, self.floor_db, self.trim_db = fmin, fmax, floor_db, trim_db

    def mel_matrix(self):
        """The mel filters as a (frame_length // 2 + 1, n_mels) tensor (tf.signal's HTK triangles, peak 1)."""
        import tensorflow as tf

        return tf.signal.linear_to_mel_weight_matrix(self.n_mels, self.frame_length // 2 + 1, self.rate, self.fmin,
                                                     self.fmax or self.rate / 2)

    def frames(self, waves, lengths):
        """(frames (B, T', n_mels), frame counts (B,)) of zero-padded waveforms with ``lengths`` samples each."""
        return _front_end(waves, lengths, self.frame_length, self.frame_step, self.mel_matrix(), self.floor_db,
                          self.trim_db)

    def call(self, waves):
        import tensorflow as tf

        return self.frames(waves, tf.fill(tf.shape(waves)[:1], tf.shape(waves)[1]))[0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None, self.n_mels)

    def get_config(self):
        return {**super().get_config(), "frame_length": self.frame_length, "frame_step": self.frame_step,
                "n_mels": self.n_mels, "rate": self.rate, "fmin": self.fmin, "fmax": self.fmax,
                "floor_db": self.floor_db, "trim_db": self.trim_db}


def log_mel(waves: Sequence[np.ndarray], front_end: LogMel | None = None, batch: int = 256):
    """The ``LogMel`` frames of 1-D waveforms, computed on zero-padded batches of ``batch``: (features (B, T_max,
    n_mels) float32 zero-padded at the end, lengths (B,) int frames kept); a recording's frames do not depend on its
    neighbours in the batch. A waveform shorter than one frame raises naming its index."""
    front_end = front_end or LogMel()
    if len(waves) == 0:
        raise ValueError("no waveforms")
    sizes = np.array([len(w) for w in waves])
    if sizes.min() < front_end.frame_length:
        i = int(np.argmin(sizes))
        raise ValueError(f"waveform {i} is shorter than one frame ({sizes[i]} samples < {front_end.frame_length})")
    parts, lengths = [], []
    for start in range(0, len(waves), batch):
        part = waves[start:start + batch]
        padded = np.zeros((len(part), sizes[start:start + batch].max()), np.float32)
        for i, w in enumerate(part):
            padded[i, :len(w)] = w
        x, n = front_end.frames(padded, sizes[start:start + batch])
        parts.append(x.numpy())
        lengths.append(n.numpy())
    out = np.zeros((len(waves), max(p.shape[1] for p in parts), front_end.n_mels), np.float32)
    row = 0
    for p in parts:
        out[row:row + len(p), :p.shape[1]] = p
        row += len(p)
    return out, np.concatenate(lengths).astype(int)


def log_mel_file(path: str | Path, front_end: LogMel | None = None) -> np.ndarray:
    """``LogMel`` frames of one WAV file read with ``read_wav``: (1, T, n_mels); a file shorter than one frame
    raises naming the file."""
    front_end = front_end or LogMel()
    try:
        return log_mel([read_wav(path, front_end.rate)], front_end)[0]
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


def _background(pieces: Sequence[np.ndarray], size: int, rng: np.random.Generator, frame: int = 256) -> np.ndarray:
    """``size`` samples of noise with the mean spectrum and the level of the quietest frame of each of ``pieces``."""
    quiet = []
    for w in pieces:
        frames = np.lib.stride_tricks.sliding_window_view(w, min(frame, len(w)))[:: frame // 2]
        quietest = frames[np.argmin(frames.var(axis=1))]
        quiet.append(quietest - quietest.mean())
    shape = np.mean([np.abs(np.fft.rfft(q * np.hanning(len(q)), frame)) for q in quiet], axis=0)   # (frame/2 + 1,)
    noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(size)) * np.interp(
        np.linspace(0, 1, size // 2 + 1), np.linspace(0, 1, len(shape)), shape), size)
    level = np.sqrt(np.mean([np.mean(q ** 2) for q in quiet]))
    return noise * level / max(float(np.sqrt(np.mean(noise ** 2))), 1e-12)


def digit_strings(waves: Sequence[np.ndarray], digits: Sequence[int], count: int, seed: int,
                  n_digits: tuple[int, int] = (2, 5), pause: tuple[float, float] = (0.05, 0.3),
                  speakers: Sequence[str] | None = None, reuse: bool = True, rate: int = RATE):
    """Up to ``count`` spoken digit strings: recordings (each minus its mean, so no DC step) joined with random pauses
    (also before the first and after the last) that hold noise with the spectrum and level of the quietest frames of
    the string's own recordings, their background. With ``speakers`` (one name per waveform) every string is one
    speaker's; with ``reuse=False`` every recording is used at most once (fewer strings if they run out). Returns
    (strings: list of (samples,) float32, labels: list of (k,) int, spans: list of (k, 2) int sample [start, end))."""
    if not 1 <= n_digits[0] <= n_digits[1]:
        raise ValueError(f"n_digits must be (low, high) with 1 <= low <= high, got {n_digits}")
    if not 0 <= pause[0] <= pause[1]:
        raise ValueError(f"pause must be (low, high) seconds with 0 <= low <= high, got {pause}")
    if len(waves) != len(digits) or len(waves) == 0 or (speakers is not None and len(speakers) != len(waves)):
        raise ValueError(f"need as many digits (and speakers) as waveforms, at least one; got {len(waves)} waveforms, "
                         f"{len(digits)} digits, {'no' if speakers is None else len(speakers)} speakers")
    rng = np.random.default_rng(seed)
    owner = np.zeros(len(waves), int) if speakers is None else np.unique(np.asarray(speakers), return_inverse=True)[1]
    groups = [np.flatnonzero(owner == g) for g in range(owner.max() + 1)]
    if reuse:
        chosen_all = []
        for _ in range(count):
            group = groups[rng.integers(len(groups))]
            chosen_all.append(group[rng.integers(len(group), size=rng.integers(n_digits[0], n_digits[1] + 1))])
    else:
        chosen_all = []
        for group in groups:
            left = rng.permutation(group)
            while len(left) >= n_digits[0]:
                k = min(int(rng.integers(n_digits[0], n_digits[1] + 1)), len(left))
                chosen_all.append(left[:k])
                left = left[k:]
        chosen_all = [chosen_all[i] for i in rng.permutation(len(chosen_all))[:count]]
    strings, labels, spans = [], [], []
    for chosen in chosen_all:
        words = [np.asarray(waves[i], np.float64) - np.mean(waves[i]) for i in chosen]
        gaps = np.round(rng.uniform(*pause, size=len(chosen) + 1) * rate).astype(int)
        pieces, span, position = [], [], 0
        for gap, word in zip(gaps, words, strict=False):
            pieces += [_background(words, gap, rng), word]
            span.append((position + gap, position + gap + len(word)))
            position += gap + len(word)
        pieces.append(_background(words, gaps[-1], rng))
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
