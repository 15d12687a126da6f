"""Video clips: a synthetic motion dataset written as real files, and a loader for class-per-folder video data."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mov", ".mkv", ".webm")
MOTIONS = ("left", "right", "up", "down", "grow", "shrink")
OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up", "grow": "shrink", "shrink": "grow"}
PADS = ("hold", "error")
_GROUP = re.compile(r"v_.+_(g\d+)_c\d+")


# --------------------------------------------------------------------------- writing and generating
def write_clip(path: str | Path, frames: np.ndarray, fps: int = 12) -> Path:
    """Write RGB uint8 frames of shape (T, H, W, 3) to ``path`` (.avi as Motion-JPEG, .mp4 as MPEG-4)."""
    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise ValueError(f"frames must be a non-empty uint8 array (T, H, W, 3), got {frames.dtype} {frames.shape}")
    codec = {".avi": "MJPG", ".mp4": "mp4v"}.get(path.suffix.lower())
    if codec is None:
        raise ValueError(f"{path}: can only write .avi or .mp4 files")
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV could not open a {codec} video writer")
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def _draw(canvas, shape: str, center, size: float, colour) -> None:
    x, y, s = int(round(center[0])), int(round(center[1])), max(2, int(round(size / 2)))
    if shape == "circle":
        cv2.circle(canvas, (x, y), s, colour, -1, lineType=cv2.LINE_AA)
    elif shape == "square":
        cv2.rectangle(canvas, (x - s, y - s), (x + s, y + s), colour, -1)
    else:
        points = np.array([[x, y - s], [x - s, y + s], [x + s, y + s]], np.int32)
        cv2.fillPoly(canvas, [points], colour, lineType=cv2.LINE_AA)


def motion_clip(motion: str, rng: np.random.Generator, frames: int = 16, size: int = 64) -> np.ndarray:
    """One clip (frames, size, size, 3) uint8 of a random shape doing ``motion`` over static clutter and noise.

    For each motion, the opposite motion visits the same positions and sizes in reverse order, so no
    single frame (and no average over frames) tells a clip from its opposite.
    """
    if motion not in MOTIONS:
        raise ValueError(f"unknown motion {motion!r}; choose from {MOTIONS}")
    background = rng.integers(0, 90, size=3)
    canvas = np.empty((size, size, 3), np.uint8)
    canvas[:] = background
    for _ in range(rng.integers(2, 6)):                       # static clutter: small, dim shapes
        _draw(canvas, rng.choice(["circle", "square", "triangle"]), rng.uniform(0, size, 2),
              rng.uniform(3, 7), tuple(int(c) for c in rng.integers(40, 140, 3)))
    shape = rng.choice(["circle", "square", "triangle"])
    colour = tuple(int(c) for c in rng.integers(150, 256, 3))
    t = np.linspace(0.0, 1.0, frames)
    if motion in ("grow", "shrink"):
        small, large = rng.uniform(0.12, 0.2) * size, rng.uniform(0.45, 0.6) * size
        sizes = small + (large - small) * (t if motion == "grow" else 1 - t)
        centre = rng.uniform(0.4, 0.6, 2) * size
        centres = np.repeat(centre[None], frames, axis=0)
    else:
        object_size = rng.uniform(0.15, 0.25) * size
        sizes = np.full(frames, object_size)
        distance = rng.uniform(0.35, 0.6) * size
        start = rng.uniform(0.5 * object_size + 2, size - 0.5 * object_size - 2 - distance)
        along = start + distance * (t if motion in ("right", "down") else 1 - t)
        across = np.full(frames, rng.uniform(0.2, 0.8) * size)
        centres = np.stack([along, across] if motion in ("left", "right") else [across, along], axis=1)
    clip = np.empty((frames, size, size, 3), np.uint8)
    for k in range(frames):
        frame = canvas.copy()
        _draw(frame, shape, centres[k], sizes[k], colour)
        noise = rng.normal(0, 6, frame.shape)
        clip[k] = np.clip(frame + noise, 0, 255).astype(np.uint8)
    return clip


def generate_motion_dataset(root: str | Path, clips_per_class: int = 60, frames: int = 16, size: int = 64,
                            seed: int = 0, extension: str = ".avi", progress: bool = True) -> Path:
    """Write ``clips_per_class`` clips of each motion as ``root/<motion>/<motion>_NNN<extension>``.

    Deterministic for a given seed. Clips left in those folders by an earlier call (``<motion>_*<extension>``) are
    deleted first, so a smaller or different run leaves no stale clips behind; other files are kept. Returns ``root``.
    """
    from tqdm.auto import tqdm

    if clips_per_class < 1:
        raise ValueError(f"clips_per_class must be >= 1, got {clips_per_class}")
    root = Path(root)
    for motion in MOTIONS:
        for stale in (root / motion).glob(f"{motion}_*{extension}"):
            stale.unlink()
    rng = np.random.default_rng(seed)
    jobs = [(motion, k) for motion in MOTIONS for k in range(clips_per_class)]
    for motion, k in tqdm(jobs, desc="writing clips", disable=not progress):
        write_clip(root / motion / f"{motion}_{k:03d}{extension}", motion_clip(motion, rng, frames, size))
    return root


# --------------------------------------------------------------------------- reading
def list_clips(root: str | Path) -> tuple[list[Path], np.ndarray, list[str]]:
    """Video files of a class-per-folder dataset (``root/<class>/<clip>.avi``, as in UCF101).

    Returns the paths, their integer labels and the class names (sorted folder names).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"{root}: no class folders inside (expected root/<class>/<clip>.avi)")
    paths, labels = [], []
    for label, name in enumerate(classes):
        videos = sorted(p for p in (root / name).iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)
        if not videos:
            raise ValueError(f"{root / name}: class folder has no video files ({', '.join(VIDEO_EXTENSIONS)})")
        paths += videos
        labels += [label] * len(videos)
    return paths, np.array(labels), classes


def clip_group(path: str | Path) -> str | None:
    """The group of a UCF101-style clip name ``v_<class>_gXX_cYY.avi`` ("g08"), or None if the name has none.

    Clips of one group are cut from the same long video (same actor, background and viewpoint), so a
    train/test split must keep each group on one side.
    """
    match = _GROUP.fullmatch(Path(path).stem)
    return match.group(1) if match else None


def _read_frames(path: str | Path, n_frames: int, size: int, pad: str) -> np.ndarray:
    """``read_clip`` before scaling: RGB uint8 of shape (n_frames, size, size, 3)."""
    if pad not in PADS:
        raise ValueError(f"pad must be one of {PADS}, got {pad!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    capture = cv2.VideoCapture(str(path))
    frames = []
    while capture.isOpened():
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise ValueError(f"{path}: no frames could be read (not a video, unsupported codec, or empty)")
    if len(frames) < n_frames:
        if pad == "error":
            raise ValueError(f"{path}: has {len(frames)} frames, fewer than the {n_frames} requested")
        index = np.minimum(np.arange(n_frames), len(frames) - 1)     # "hold": repeat the last frame
    else:
        index = np.linspace(0, len(frames) - 1, n_frames).round().astype(int)
    return np.stack([cv2.resize(cv2.cvtColor(frames[i], cv2.COLOR_BGR2RGB), (size, size),
                                interpolation=cv2.INTER_AREA) for i in index])


def read_clip(path: str | Path, n_frames: int = 16, size: int = 64, pad: str = "hold") -> np.ndarray:
    """``n_frames`` frames sampled evenly over the clip, resized to size×size, RGB float32 in [0, 1].

    A clip with fewer than ``n_frames`` frames is padded by holding its last frame (``pad="hold"``) or
    rejected (``pad="error"``). (Looping it from the start instead would add a jump back to the first
    position: a motion in the opposite direction.) Returns shape (n_frames, size, size, 3).
    """
    return _read_frames(path, n_frames, size, pad).astype("float32") / 255.0


def clip_dataset(paths, labels, n_frames: int = 16, size: int = 64, batch_size: int = 16, shuffle: bool = False,
                 seed: int = 0):
    """tf.data of (clip (n_frames, size, size, 3) float32 in [0, 1], label), decoded in parallel and prefetched.

    The decoded clips are cached in memory as uint8 (a quarter of float32) and scaled after the cache;
    with ``shuffle`` the order is reshuffled every epoch, reproducibly for a ``seed``.
    """
    import tensorflow as tf

    def load(path, label):
        clip = tf.numpy_function(lambda p: _read_frames(p.decode(), n_frames, size, "hold"), [path], tf.uint8)
        clip.set_shape((n_frames, size, size, 3))
        return clip, label

    ds = tf.data.Dataset.from_tensor_slices(([str(p) for p in paths], np.asarray(labels, dtype="int32")))
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).cache()
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda clip, label: (tf.cast(clip, tf.float32) / 255.0, label), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def classify_video(model, path: str | Path, class_names: list[str], n_frames: int = 16,
                   size: int = 64) -> tuple[str, float]:
    """(predicted class name, its probability) for one video file."""
    probabilities = np.asarray(model(read_clip(path, n_frames, size)[None], training=False))[0]
    if len(probabilities) != len(class_names):
        raise ValueError(f"the model gives {len(probabilities)} probabilities for {len(class_names)} class names")
    best = int(np.argmax(probabilities))
    return class_names[best], float(probabilities[best])


# --------------------------------------------------------------------------- plotting
def plot_clip_frames(clips, titles, n_show: int = 6):
    """A grid: one row per clip, ``n_show`` evenly spaced frames of it."""
    clips = list(clips)
    if len(clips) != len(titles) or not clips:
        raise ValueError(f"need one title per clip and at least one clip; got {len(clips)} clips, {len(titles)} titles")
    fig, axes = plt.subplots(len(clips), n_show, figsize=(1.6 * n_show, 1.7 * len(clips)), squeeze=False)
    for row, (clip, title) in enumerate(zip(clips, titles, strict=True)):
        index = np.linspace(0, len(clip) - 1, n_show).round().astype(int)
        for ax, k in zip(axes[row], index, strict=True):
            ax.imshow(clip[k])
            ax.set(xticks=[], yticks=[])
            if row == 0:
                ax.set_title(f"frame {k}", fontsize=8)
        axes[row, 0].set_ylabel(title, fontsize=9)
    fig.tight_layout()
    return fig
