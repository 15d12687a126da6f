"""Video clips: a synthetic motion dataset written as real files, and a loader for class-per-folder video data."""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# FFmpeg writes its own messages ("moov atom not found") straight to the C stderr, bypassing Python; the errors
# raised below say what is wrong with a file. Set OPENCV_FFMPEG_LOGLEVEL=16 beforehand to see FFmpeg's messages.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
import cv2  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from .splits import group_holdout, group_split, stratified_split  # noqa: E402

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mov", ".mkv", ".webm")
MOTIONS = ("left", "right", "up", "down", "grow", "shrink")
OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up", "grow": "shrink", "shrink": "grow"}
PADS = ("hold", "error")
_GROUP = re.compile(r"v_.+_(g\d+)_c\d+")


# --------------------------------------------------------------------------- writing and generating
def write_clip(path: str | Path, frames, fps: int = 12) -> Path:
    """Write RGB uint8 frames (an array (T, H, W, 3), or any iterable of (H, W, 3) frames, read one at a time)
    to ``path``: .avi as Motion-JPEG, .mp4 as MPEG-4."""
    path = Path(path)
    codec = {".avi": "MJPG", ".mp4": "mp4v"}.get(path.suffix.lower())
    if codec is None:
        raise ValueError(f"{path}: can only write .avi or .mp4 files")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer, count = None, 0
    try:
        for frame in frames:
            frame = np.asarray(frame)
            if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"frames must be uint8 (T, H, W, 3); frame {count} is {frame.dtype} {frame.shape}")
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
                if not writer.isOpened():
                    raise OSError(f"{path}: OpenCV could not open a {codec} video writer")
            elif frame.shape[:2] != (height, width):
                raise ValueError(f"frame {count} is {frame.shape[1]}x{frame.shape[0]}, the first was {width}x{height}")
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            count += 1
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        raise ValueError(f"{path}: no frames to write")
    return path


def panning_frames(n: int, width: int = 1280, height: int = 720, seed: int = 0):
    """``n`` RGB frames, generated one at a time, of a textured scene panning sideways under a moving square:
    a long high-resolution test video (every frame differs, as in real footage) that never sits in memory."""
    texture = cv2.resize(np.random.default_rng(seed).integers(0, 256, (max(1, height // 8), max(1, width // 8), 3),
                                                             dtype=np.uint8), (width, height))
    square = max(1, min(width, height) // 7)
    for k in range(n):
        frame = np.roll(texture, 3 * k, axis=1)
        x = (7 * k) % max(1, width - square)
        frame[height // 3: height // 3 + square, x: x + square] = 255
        yield frame


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
def list_clips(root: str | Path, classes: list[str] | None = None) -> tuple[list[Path], np.ndarray, list[str]]:
    """Video files of a class-per-folder dataset (``root/<class>/<clip>.avi``, as in UCF101).

    Returns the paths, their integer labels and the class names (sorted folder names; only ``classes`` when
    given, each of which must be a folder). Files that are not videos (``README.txt``, ``.jpg``) and hidden files
    (``.DS_Store``, macOS ``._clip.avi``) are skipped with a warning that names them; a class folder without any
    video is an error.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise ValueError(f"{root}: no class folders inside (expected root/<class>/<clip>.avi)")
    if classes is not None:
        if isinstance(classes, str) or not classes:
            raise ValueError(f"classes must be a non-empty list of folder names, got {classes!r}")
        missing = sorted(set(classes) - set(folders))
        if missing:
            raise ValueError(f"{root}: no class folder(s) {missing}; the folders are {folders[:10]}"
                             + (" ..." if len(folders) > 10 else ""))
        folders = sorted(set(classes))
    classes = folders
    paths, labels, skipped = [], [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if p.is_file())
        videos = [p for p in files if p.suffix.lower() in VIDEO_EXTENSIONS and not p.name.startswith(".")]
        skipped += [p for p in files if p not in videos]
        if not videos:
            raise ValueError(f"{root / name}: class folder has no video files ({', '.join(VIDEO_EXTENSIONS)})")
        paths += videos
        labels += [label] * len(videos)
    if skipped:
        shown = ", ".join(str(p.relative_to(root)) for p in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warnings.warn(f"{root}: skipped {len(skipped)} file(s) that are not videos or are hidden: {shown}",
                      stacklevel=2)
    return paths, np.array(labels), classes


def clip_group(path: str | Path, group_by: str | None = None) -> str | None:
    """The group of a clip's file name, or None if the name has none.

    By default UCF101's ``gXX`` of ``v_<class>_gXX_cYY.avi`` ("g08"); with ``group_by``, a regular expression
    searched in the file name: its first parenthesised group, or the whole match (``r"^[^_]+"``: the text
    before the first underscore). Clips of one group are cut from the same long video, or show the same person
    or scene, so a train/test split must keep each group on one side.
    """
    if group_by is None:
        match = _GROUP.fullmatch(Path(path).stem)
        return match.group(1) if match else None
    match = re.search(group_by, Path(path).name)
    if match is None:
        return None
    return match.group(1) if match.re.groups else match.group(0)


def _read_list(list_file: Path) -> list[tuple[int, str]]:
    """(line number, relative path) of a UCF101 ``trainlist0N.txt`` / ``testlist0N.txt`` ("Class/clip.avi [label]")."""
    if not list_file.is_file():
        raise FileNotFoundError(f"{list_file}: no such file")
    entries = []
    for number, line in enumerate(list_file.read_text(encoding="utf-8-sig").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        name = fields[0].replace("\\", "/")
        if len(fields) > 2 or name.count("/") != 1 or Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
            raise ValueError(f"{list_file}, line {number}: expected '<class>/<clip>.avi' and an optional label, "
                             f"got {line.strip()!r}")
        entries.append((number, name.lower()))
    if not entries:
        raise ValueError(f"{list_file}: the list is empty")
    return entries


def _official_split(root: Path, paths, lists) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``paths`` in the training and test lists; classes absent from ``paths`` are ignored."""
    index = {p.relative_to(root).as_posix().lower(): i for i, p in enumerate(paths)}
    classes = {name.split("/")[0] for name in index}
    parts = []
    for list_file in map(Path, lists):
        part = []
        for number, name in _read_list(list_file):
            if name.split("/")[0] not in classes:
                continue                                   # a class left out of this (sub)set of the data
            if name not in index:
                raise ValueError(f"{list_file}, line {number}: {name} is listed but not found under {root}")
            part.append(index[name])
        parts.append(np.array(part, dtype=int))
    train, test = parts
    both = set(train) & set(test)
    if both:
        raise ValueError(f"{len(both)} clip(s) are in both lists, e.g. {paths[min(both)]}")
    neither = sorted(set(range(len(paths))) - set(train) - set(test))
    if neither:
        raise ValueError(f"{len(neither)} clip(s) under {root} are in neither list, e.g. {paths[neither[0]]}")
    return train, test


def split_clips(root: str | Path, paths, labels, val: float = 0.15, test: float = 0.2, seed: int = 0,
                lists: tuple[str | Path, str | Path] | None = None,
                group_by: str | None = None) -> tuple[dict[str, tuple], str]:
    """Train / validation / test parts of a clip listing, without leaking a group across them.

    - ``lists=(trainlist, testlist)``: the official UCF101 split files (``trainlist01.txt``, ``testlist01.txt``;
      lines ``Class/v_Class_g08_c01.avi``, matched case-insensitively, classes missing from ``paths`` ignored);
      ``val`` of the training list's groups become the validation set.
    - file names with groups (``v_<class>_gXX_cYY``, or ``group_by``: see ``clip_group``): ``val`` and ``test``
      of the groups, each group on one side.
    - names without groups: a stratified split per clip (only right when the clips are independent).

    Returns ({"train"|"validation"|"test": (paths, labels)}, a one-line description of the split used).
    """
    root, paths, labels = Path(root), np.array(paths, dtype=object), np.asarray(labels)
    groups = np.array([clip_group(p, group_by) for p in paths], dtype=object)
    n_grouped = sum(g is not None for g in groups)
    if group_by is not None and n_grouped < len(paths):
        example = paths[[g is None for g in groups]][0]
        raise ValueError(f"{example}: the file name does not match group_by={group_by!r} "
                         f"({len(paths) - n_grouped} of {len(paths)} names do not)")
    if 0 < n_grouped < len(paths):
        example = paths[[g is None for g in groups]][0]
        raise ValueError(f"{n_grouped} of {len(paths)} clip names carry a UCF101 group (v_<class>_gXX_cYY) and "
                         f"the others do not (e.g. {example}): a split cannot keep the groups apart")
    if lists is not None:
        train, test_index = _official_split(root, paths, lists)
        if n_grouped:
            (kept, _), (held, _) = group_holdout(train, labels[train], groups[train], val, seed)
            how = "groups"
        else:
            kept, held = train_test_split(train, test_size=val, stratify=labels[train], random_state=seed)
            how = "clips (stratified)"
        parts = {"train": kept, "validation": held, "test": test_index}
        description = f"official split ({Path(lists[0]).name} / {Path(lists[1]).name}); validation by {how}"
        split = {name: (paths[part], labels[part]) for name, part in parts.items()}
    elif n_grouped:
        split = group_split(paths, labels, groups, val=val, test=test, seed=seed)
        description = f"split by group ({len(set(groups))} groups): every group on one side"
    else:
        split = stratified_split(paths, labels, val=val, test=test, seed=seed)
        description = "no groups in the file names: stratified split per clip"
    return {name: (list(p), y) for name, (p, y) in split.items()}, description


def straddling_groups(split: dict[str, tuple], group_by: str | None = None) -> set[str]:
    """Groups (``clip_group``) found in more than one part of a split: empty when nothing leaks."""
    seen = [{clip_group(p, group_by) for p in part_paths} - {None} for part_paths, _ in split.values()]
    return {g for k, a in enumerate(seen) for b in seen[k + 1:] for g in a & b}


def _to_rgb(frame: np.ndarray, size: int, path: Path) -> np.ndarray:
    """A decoded OpenCV frame (BGR, BGRA or gray) as RGB uint8 (size, size, 3)."""
    if frame.dtype != np.uint8:
        raise ValueError(f"{path}: frames decode as {frame.dtype}; only 8-bit video is supported")
    if frame.ndim == 2 or frame.shape[-1] == 1:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    else:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB if frame.shape[-1] == 4 else cv2.COLOR_BGR2RGB)
    return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)


def _scan(path: Path, wanted: set[int], size: int) -> tuple[dict[int, np.ndarray], int]:
    """One pass in decoding order: count every frame, convert and resize only the ``wanted`` ones.

    ``grab()`` decodes a frame without copying it out, so memory stays flat however long the clip is.
    Raises if the timestamps go backwards (frames out of time order).
    """
    capture = cv2.VideoCapture(str(path))
    kept, count, previous = {}, 0, -np.inf
    try:
        while capture.isOpened() and capture.grab():
            timestamp = capture.get(cv2.CAP_PROP_POS_MSEC)
            if timestamp < previous:
                raise ValueError(f"{path}: frame {count} is stamped {timestamp:.0f} ms, before the frame preceding "
                                 f"it ({previous:.0f} ms): frames out of time order")
            previous = timestamp
            if count in wanted:
                ok, frame = capture.retrieve()
                if not ok or frame is None:
                    raise ValueError(f"{path}: frame {count} could not be decoded")
                kept[count] = _to_rgb(frame, size, path)
            count += 1
    finally:
        capture.release()
    return kept, count


def _frame_index(count: int, n_frames: int) -> np.ndarray:
    """``n_frames`` indices spread evenly over ``count`` frames; a short clip holds its last frame."""
    if count < n_frames:
        return np.minimum(np.arange(n_frames), count - 1)
    return np.linspace(0, count - 1, n_frames).round().astype(int)


def header_slack(announced: int) -> int:
    """How many frames a container's header may over-count on an intact file: max(2, 2 % of the announced count).

    The count is often an estimate (duration × frame rate) or includes a last frame no decoder returns.
    """
    return max(2, int(0.02 * announced))


def _read_frames(path: str | Path, n_frames: int, size: int, pad: str, allow_partial: bool = False) -> np.ndarray:
    """``read_clip`` before scaling: RGB uint8 of shape (n_frames, size, size, 3)."""
    if pad not in PADS:
        raise ValueError(f"pad must be one of {PADS}, got {pad!r}")
    if n_frames < 1 or size < 1:
        raise ValueError(f"n_frames and size must be >= 1, got {n_frames} and {size}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty (0 bytes)")
    capture = cv2.VideoCapture(str(path))
    announced = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    capture.release()
    # One pass if the container's frame count is right; a second one if it was wrong or missing.
    kept, count = _scan(path, set(_frame_index(announced, n_frames)) if announced > 0 else set(), size)
    if count == 0:
        raise ValueError(f"{path}: no frames could be read (not a video, an unsupported codec, or an empty clip)")
    if count < announced - header_slack(announced) and not allow_partial:
        raise ValueError(f"{path}: the container announces {announced} frames but only {count} could be decoded: "
                         f"the file is truncated or partly unreadable (re-encode it, or pass allow_partial=True to "
                         f"use the {count} frames)")
    if 0 < announced - count <= header_slack(announced) and not allow_partial:
        warnings.warn(f"{path}: the container announces {announced} frames, {count} decode (a header a few frames "
                      f"over is common on intact files): using the {count} frames", stacklevel=2)
    if count < n_frames and pad == "error":
        raise ValueError(f"{path}: has {count} frames, fewer than the {n_frames} requested")
    index = _frame_index(count, n_frames)
    if not set(index) <= kept.keys():
        kept, recount = _scan(path, set(index), size)
        if recount != count:
            raise ValueError(f"{path}: decoding gave {count} frames, then {recount}: the file is unreliable")
    return np.stack([kept[i] for i in index])


def read_clip(path: str | Path, n_frames: int = 16, size: int = 64, pad: str = "hold",
              allow_partial: bool = False) -> np.ndarray:
    """``n_frames`` frames sampled evenly over the clip, resized to size×size, RGB float32 in [0, 1].

    Evenly in frame index: with a variable frame rate, that is not evenly in seconds. Frames are decoded in
    order and only the sampled ones are kept, so memory does not grow with the clip's length. The frames are
    counted by decoding them, not taken from the container's header: a file that decodes to fewer frames than
    its header announces (truncated, or partly unreadable) is an error unless ``allow_partial``; a shortfall of
    at most ``header_slack`` frames, common on intact files, only warns. A clip with
    fewer than ``n_frames`` frames holds its last frame (``pad="hold"``) or is rejected (``pad="error"``);
    looping it from the start instead would add a jump back to the first position, a motion in the opposite
    direction. Gray and BGRA videos become RGB; any frame size and aspect ratio is resized (not cropped) to
    size×size. Returns shape (n_frames, size, size, 3).
    """
    return _read_frames(path, n_frames, size, pad, allow_partial).astype("float32") / 255.0


def check_clips(paths, n_frames: int = 16, size: int = 64, allow_partial: bool = False,
                workers: int | None = None) -> None:
    """Read every clip once, in parallel threads, and raise one ValueError that lists every file that fails.

    Run it before training on a folder of your own: inside ``fit`` the first bad file stops the epoch, and
    only that one is named. Memory: one sampled clip per thread.
    """
    def problem(path) -> str | None:
        try:
            _read_frames(path, n_frames, size, "hold", allow_partial)
        except (OSError, ValueError) as error:
            return str(error)
        return None

    paths = [str(p) for p in paths]
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        problems = [p for p in pool.map(problem, paths) if p is not None]
    if problems:
        shown = "\n  ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise ValueError(f"{len(problems)} of {len(paths)} clip(s) cannot be read:\n  {shown}")


def clip_dataset(paths, labels, n_frames: int = 16, size: int = 64, batch_size: int = 16, shuffle: bool = False,
                 seed: int = 0, cache_path: str | Path | None = None, allow_partial: bool = False):
    """tf.data of (clip (n_frames, size, size, 3) float32 in [0, 1], label), decoded in parallel and prefetched.

    The decoded clips are cached as uint8 (a quarter of float32) and scaled to floats after the cache: in
    memory by default, or in files beginning with ``cache_path`` when they do not fit (written at the end of
    the first full pass; the file name gets a fingerprint of the clip files, ``n_frames`` and ``size``, so a
    changed dataset never reads a stale cache). A lock file left by a first pass that was killed is removed, so
    two processes must not share a ``cache_path``. With ``shuffle`` the order is reshuffled every epoch,
    reproducibly for a ``seed``.
    """
    import tensorflow as tf

    def load(path, label):
        clip = tf.numpy_function(lambda p: _read_frames(p.decode(), n_frames, size, "hold", allow_partial), [path],
                                 tf.uint8)
        clip.set_shape((n_frames, size, size, 3))
        return clip, label

    paths = [str(p) for p in paths]
    ds = tf.data.Dataset.from_tensor_slices((paths, np.asarray(labels, dtype="int32")))
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if cache_path is None:
        ds = ds.cache()
    else:
        cache_path = Path(cache_path)
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        files = [(p, Path(p).stat().st_size, Path(p).stat().st_mtime_ns) for p in paths]
        fingerprint = hashlib.sha1(json.dumps([n_frames, size, files]).encode()).hexdigest()[:12]
        prefix = cache_path.parent / f"{cache_path.name}-{fingerprint}"
        if not prefix.with_name(prefix.name + ".index").exists():      # no complete cache: leftovers of a killed run
            for pattern in ("_*.lockfile", "_*tempstate*"):
                for stale in prefix.parent.glob(prefix.name + pattern):
                    stale.unlink()
        ds = ds.cache(str(prefix))
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda clip, label: (tf.cast(clip, tf.float32) / 255.0, label), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def reorder_frames(ds, order=None, batch_size: int = 16):
    """A clip dataset (batches of ``batch_size`` (clip, label)) with each clip's frames reordered as it streams.

    ``order``: an (n_clips, n_frames) array, one permutation per clip in the dataset's order (so the dataset
    must not be shuffled); None plays every clip backwards. Nothing is copied: only one batch is in memory.
    """
    import tensorflow as tf

    if order is None:
        return ds.map(lambda clips, labels: (tf.reverse(clips, [1]), labels))
    order = np.asarray(order)
    if order.ndim != 2 or not (np.sort(order, axis=1) == np.arange(order.shape[1])).all():
        raise ValueError(f"order must be an (n_clips, n_frames) array of permutations, got shape {order.shape}")
    n_batches = int(ds.cardinality())
    if n_batches >= 0 and n_batches != -(-len(order) // batch_size):
        raise ValueError(f"order has {len(order)} rows, {-(-len(order) // batch_size)} batches of {batch_size}; "
                         f"the dataset has {n_batches} batches")
    by_clip = tf.data.Dataset.from_tensor_slices(order.astype("int32")).batch(batch_size)
    return tf.data.Dataset.zip(ds, by_clip).map(
        lambda batch, index: (tf.gather(batch[0], index, batch_dims=1), batch[1]))


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
