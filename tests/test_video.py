"""Video: deterministic motion clips written as files, the class-per-folder loader and its errors."""

import shutil
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest

from utils import video

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    return video.generate_motion_dataset(root, clips_per_class=2, frames=10, size=32, seed=3, progress=False)


def test_generated_layout_and_listing(dataset):
    paths, labels, classes = video.list_clips(dataset)
    assert classes == sorted(video.MOTIONS)
    assert len(paths) == 12 and np.bincount(labels).tolist() == [2] * 6
    assert all(p.parent.name == classes[label] and p.suffix == ".avi" for p, label in zip(paths, labels, strict=True))


def test_generation_is_deterministic_for_a_seed(tmp_path):
    a = video.generate_motion_dataset(tmp_path / "a", 1, frames=6, size=32, seed=7, progress=False)
    b = video.generate_motion_dataset(tmp_path / "b", 1, frames=6, size=32, seed=7, progress=False)
    c = video.generate_motion_dataset(tmp_path / "c", 1, frames=6, size=32, seed=8, progress=False)
    for motion in video.MOTIONS:
        clip_a, clip_b, clip_c = (video.read_clip(r / motion / f"{motion}_000.avi", 6, 32) for r in (a, b, c))
        assert np.array_equal(clip_a, clip_b)
        assert not np.array_equal(clip_a, clip_c)


def test_regeneration_leaves_no_stale_clips(tmp_path):
    video.generate_motion_dataset(tmp_path, 3, frames=4, size=32, seed=1, progress=False)
    (tmp_path / "left" / "notes.txt").write_text("kept")
    video.generate_motion_dataset(tmp_path, 1, frames=4, size=32, seed=1, progress=False)
    with pytest.warns(UserWarning, match=r"skipped 1 file\(s\) .*left/notes\.txt"):
        paths, _, _ = video.list_clips(tmp_path)
    assert len(paths) == len(video.MOTIONS)                   # only the clips of the second call
    assert (tmp_path / "left" / "notes.txt").is_file()


def test_read_clip_shape_range_and_frame_count(dataset):
    clip = video.read_clip(dataset / "left" / "left_000.avi", n_frames=10, size=24)
    assert clip.shape == (10, 24, 24, 3) and clip.dtype == np.float32
    assert 0.0 <= clip.min() and clip.max() <= 1.0 and clip.std() > 0.01
    assert video.read_clip(dataset / "left" / "left_000.avi", n_frames=4, size=32).shape == (4, 32, 32, 3)


def test_motion_is_visible_only_across_frames():
    rng = np.random.default_rng(0)
    right = video.motion_clip("right", rng, frames=8, size=64).astype(float)
    brightness_x = [np.argmax(frame.mean(axis=(0, 2))) for frame in right]   # brightest column per frame
    assert brightness_x[-1] > brightness_x[0]
    grow = video.motion_clip("grow", rng, frames=8, size=64).astype(float)
    assert (grow[-1] > 140).sum() > (grow[0] > 140).sum()


@pytest.mark.parametrize("motion", ["left", "up", "grow"])
def test_a_clip_played_backwards_is_the_opposite_motion(motion):
    forward = video.motion_clip(motion, np.random.default_rng(5), frames=8, size=64).astype(int)
    opposite = video.motion_clip(video.OPPOSITE[motion], np.random.default_rng(5), frames=8, size=64).astype(int)
    assert video.OPPOSITE[video.OPPOSITE[motion]] == motion
    # same draws, path in reverse order: the clips differ only by pixel noise (std 6), never by the shape
    assert (np.abs(forward[::-1] - opposite) > 60).mean() < 1e-3
    assert (np.abs(forward - opposite) > 60).mean() > 1e-2                   # played forwards they differ


def test_short_clip_holds_its_last_frame_or_is_rejected(tmp_path):
    frames = np.stack([np.full((16, 16, 3), 40 * k, np.uint8) for k in range(3)])
    path = video.write_clip(tmp_path / "short.avi", frames)
    held = video.read_clip(path, n_frames=7, size=16)
    means = held.mean(axis=(1, 2, 3)) * 255
    assert np.allclose(means, [0, 40, 80, 80, 80, 80, 80], atol=3)     # brightness never jumps back
    with pytest.raises(ValueError, match=r"short\.avi: has 3 frames, fewer than the 7 requested"):
        video.read_clip(path, n_frames=7, pad="error")


def test_clip_dataset_batches(dataset):
    paths, labels, _ = video.list_clips(dataset)
    clips, batch_labels = next(iter(video.clip_dataset(paths, labels, n_frames=5, size=16, batch_size=4)))
    assert clips.shape == (4, 5, 16, 16, 3) and batch_labels.numpy().tolist() == labels[:4].tolist()


def test_clip_dataset_shuffles_every_epoch_reproducibly(dataset):
    paths, labels, _ = video.list_clips(dataset)
    clips = {str(p): video.read_clip(p, 5, 16) for p in paths}

    def epochs(seed):
        ds = video.clip_dataset(paths, np.arange(len(paths)), n_frames=5, size=16, batch_size=5, shuffle=True,
                                seed=seed)
        return [[(x.numpy(), int(i)) for xb, ib in ds for x, i in zip(xb, ib, strict=True)] for _ in range(2)]

    first, second = epochs(seed=1)
    order = [i for _, i in first]
    assert sorted(order) == list(range(len(paths))) and order != list(range(len(paths)))
    assert order != [i for _, i in second]                                   # a new order every epoch
    assert [i for _, i in epochs(seed=1)[0]] == order                         # the same orders for a seed
    for x, i in first:                                                       # clips stay with their labels
        np.testing.assert_allclose(x, clips[str(paths[i])], atol=1e-6)


def test_classify_video_names_the_most_probable_class(dataset):
    seen = []

    def model(batch, training):
        seen.append((batch.shape, training))
        return np.array([[0.1, 0.7, 0.2]])

    path = dataset / "up" / "up_000.avi"
    assert video.classify_video(model, path, ["a", "b", "c"], n_frames=4, size=16) == ("b", pytest.approx(0.7))
    assert seen == [((1, 4, 16, 16, 3), False)]
    with pytest.raises(ValueError, match="3 probabilities for 2 class names"):
        video.classify_video(model, path, ["a", "b"], n_frames=4, size=16)


@pytest.mark.parametrize("name, group", [
    ("data/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", "g08"),
    ("v_Basketball_Dunk_g25_c07.avi", "g25"),          # class names may hold underscores in other datasets
    ("clips/left/left_003.avi", None),
    ("v_Run_g08.avi", None),
])
def test_clip_group_parses_ucf101_names(name, group):
    assert video.clip_group(name) == group


def test_plot_clip_frames(dataset):
    clip = video.read_clip(dataset / "up" / "up_000.avi", 10, 32)
    fig = video.plot_clip_frames([clip, clip], ["up", "up again"], n_show=4)
    assert len(fig.axes) == 8


@pytest.mark.parametrize("setup, call, error, message", [
    (lambda p: None, lambda p: video.list_clips(p / "missing"), FileNotFoundError, "no such folder"),
    (lambda p: (p / "empty").mkdir(), lambda p: video.list_clips(p / "empty"), ValueError, "no class folders"),
    (lambda p: (p / "ds" / "walk").mkdir(parents=True), lambda p: video.list_clips(p / "ds"), ValueError,
     r"walk: class folder has no video files"),
    (lambda p: (p / "junk.avi").write_bytes(b"not a video at all"), lambda p: video.read_clip(p / "junk.avi"),
     ValueError, r"junk\.avi: no frames could be read"),
    (lambda p: (p / "zero.mp4").write_bytes(b""), lambda p: video.read_clip(p / "zero.mp4"), ValueError,
     r"zero\.mp4: the file is empty \(0 bytes\)"),
    (lambda p: (p / "notes.mp4").write_text("these are my notes\n" * 50), lambda p: video.read_clip(p / "notes.mp4"),
     ValueError, r"notes\.mp4: no frames could be read"),
    (lambda p: None, lambda p: video.read_clip(p / "x.avi", n_frames=0), ValueError, "n_frames and size must be"),
    (lambda p: None, lambda p: video.read_clip(p / "nope.avi"), FileNotFoundError, r"nope\.avi: no such file"),
    (lambda p: None, lambda p: video.read_clip(p / "x.avi", pad="zeros"), ValueError, "pad must be"),
    (lambda p: None, lambda p: video.motion_clip("spin", np.random.default_rng(0)), ValueError, "unknown motion"),
    (lambda p: None, lambda p: video.write_clip(p / "x.avi", np.zeros((3, 8, 8), np.uint8)), ValueError,
     r"\(T, H, W, 3\)"),
    (lambda p: None, lambda p: video.write_clip(p / "x.gif", np.zeros((3, 8, 8, 3), np.uint8)), ValueError,
     "only write .avi or .mp4"),
])
def test_errors_name_the_problem(tmp_path, setup, call, error, message):
    setup(tmp_path)
    with pytest.raises(error, match=message):
        call(tmp_path)


# --------------------------------------------------------------------------- real-world files
def _numbered_frames(n, height=24, width=32, channels=3):
    """Frames whose uniform brightness 8k encodes their index k, so order survives lossy codecs."""
    return np.stack([np.full((height, width, channels), 8 * k, np.uint8) for k in range(n)])


def _write(path, frames, fourcc="MJPG", is_color=True):
    height, width = frames.shape[1:3]
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 12, (width, height), isColor=is_color)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path.suffix} here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _frame_numbers(clip):
    return np.round(clip.mean(axis=(1, 2, 3)) * 255 / 8).astype(int)


@pytest.mark.parametrize("suffix, fourcc", [(".avi", "MJPG"), (".avi", "XVID"), (".mp4", "mp4v"), (".mkv", "XVID"),
                                            (".mov", "mp4v"), (".avi", "FFV1")])
def test_codecs_and_containers_give_frames_in_time_order(tmp_path, suffix, fourcc):
    path = _write(tmp_path / f"clip{suffix}", _numbered_frames(30), fourcc)
    assert _frame_numbers(video.read_clip(path, n_frames=30, size=8)).tolist() == list(range(30))
    expected = np.linspace(0, 29, 7).round().astype(int)
    assert _frame_numbers(video.read_clip(path, n_frames=7, size=8)).tolist() == expected.tolist()


def test_only_the_sampled_frames_are_kept(tmp_path, monkeypatch):
    path = _write(tmp_path / "long.avi", _numbered_frames(30))
    converted = []
    original = video._to_rgb
    monkeypatch.setattr(video, "_to_rgb", lambda frame, *args: converted.append(1) or original(frame, *args))
    video.read_clip(path, n_frames=4, size=8)
    assert len(converted) == 4                      # 30 frames decoded, 4 converted and kept


_VideoCapture = cv2.VideoCapture


class _LyingCapture:
    """cv2.VideoCapture with a wrong frame count in the header, or timestamps that go backwards."""

    def __init__(self, path, count=None, backwards=False):
        self.capture, self.count, self.backwards, self.grabbed = _VideoCapture(path), count, backwards, 0

    def get(self, prop):
        if prop == cv2.CAP_PROP_FRAME_COUNT and self.count is not None:
            return self.count
        if prop == cv2.CAP_PROP_POS_MSEC and self.backwards:
            return 1000.0 - self.grabbed
        return self.capture.get(prop)

    def grab(self):
        self.grabbed += 1
        return self.capture.grab()

    def __getattr__(self, name):
        return getattr(self.capture, name)


@pytest.mark.parametrize("announced", [0, -1, 10, 29, 31, 32, 33, 500])
def test_a_wrong_frame_count_in_the_header_is_not_trusted(tmp_path, monkeypatch, announced):
    path = _write(tmp_path / "clip.avi", _numbered_frames(30))
    monkeypatch.setattr(video.cv2, "VideoCapture", lambda p: _LyingCapture(p, count=announced))
    if announced > 32:                              # more than 2 frames over: a truncated file
        with pytest.raises(ValueError, match=rf"clip\.avi: the container announces {announced} frames but only 30"):
            video.read_clip(path, n_frames=5, size=8)
        clip = video.read_clip(path, n_frames=5, size=8, allow_partial=True)
    elif announced > 30:                            # a header a frame or two over, common on intact files
        with pytest.warns(UserWarning, match=rf"clip\.avi: the container announces {announced} frames, 30 decode"):
            clip = video.read_clip(path, n_frames=5, size=8)
    else:
        clip = video.read_clip(path, n_frames=5, size=8)
    assert _frame_numbers(clip).tolist() == np.linspace(0, 29, 5).round().astype(int).tolist()


def test_header_slack_is_two_frames_or_two_percent():
    assert [video.header_slack(n) for n in (0, 16, 100, 149, 150, 1000)] == [2, 2, 2, 2, 3, 20]


def test_check_clips_names_every_bad_file_at_once(tmp_path):
    good = [_write(tmp_path / f"good{k}.avi", _numbered_frames(30)) for k in range(2)]
    (tmp_path / "empty.avi").write_bytes(b"")
    (tmp_path / "cut.avi").write_bytes(good[0].read_bytes()[: int(good[0].stat().st_size * 0.6)])
    assert video.check_clips(good, n_frames=4, size=8) is None
    with pytest.raises(ValueError, match=r"2 of 4 clip\(s\) cannot be read:\n  .*empty\.avi: the file is empty"
                                         rf"(.|\n)*cut\.avi: {TRUNCATED}"):
        video.check_clips([*good, tmp_path / "empty.avi", tmp_path / "cut.avi"], n_frames=4, size=8, workers=2)
    video.check_clips([*good, tmp_path / "cut.avi"], n_frames=4, size=8, allow_partial=True)


def test_frames_out_of_time_order_are_an_error(tmp_path, monkeypatch):
    path = _write(tmp_path / "clip.avi", _numbered_frames(6))
    monkeypatch.setattr(video.cv2, "VideoCapture", lambda p: _LyingCapture(p, backwards=True))
    with pytest.raises(ValueError, match=r"clip\.avi: frame 1 is stamped .* frames out of time order"):
        video.read_clip(path, n_frames=4, size=8)


TRUNCATED = r"the container announces 30 frames but only \d+ could be decoded"


@pytest.mark.parametrize("suffix, fourcc, message", [
    (".avi", "MJPG", TRUNCATED),
    (".avi", "XVID", f"{TRUNCATED}|no frames could be read"),   # depends on where the cut falls
    (".mkv", "XVID", f"{TRUNCATED}|no frames could be read"),
    (".mp4", "mp4v", "no frames could be read"),            # MP4 keeps its index at the end: nothing is readable
])
def test_a_truncated_file_is_an_error_never_a_silent_partial_clip(tmp_path, suffix, fourcc, message):
    path = _write(tmp_path / f"cut{suffix}", _numbered_frames(30), fourcc)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.6)])
    with pytest.raises(ValueError, match=rf"cut\{suffix}: ({message})") as error:
        video.read_clip(path, n_frames=8, size=8)
    if "announces" in str(error.value):             # asked for explicitly, the readable part, in time order
        numbers = _frame_numbers(video.read_clip(path, n_frames=8, size=8, allow_partial=True))
        assert numbers[0] == 0 and np.all(np.diff(numbers) >= 0) and numbers[-1] < 29


def test_grayscale_and_four_channel_frames_become_rgb(tmp_path):
    path = _write(tmp_path / "gray.avi", _numbered_frames(5, channels=1)[..., 0], is_color=False)
    clip = video.read_clip(path, n_frames=5, size=8)
    assert clip.shape == (5, 8, 8, 3) and _frame_numbers(clip).tolist() == [0, 1, 2, 3, 4]
    assert np.allclose(clip[..., 0], clip[..., 2], atol=2 / 255)
    gray, bgra = np.full((6, 4), 50, np.uint8), np.zeros((6, 4, 4), np.uint8)
    bgra[..., 0] = 200                                                     # blue in OpenCV's BGRA order
    assert video._to_rgb(gray, 3, tmp_path).shape == (3, 3, 3)
    assert video._to_rgb(bgra, 3, tmp_path)[0, 0].tolist() == [0, 0, 200]
    with pytest.raises(ValueError, match=r"frames decode as uint16; only 8-bit video"):
        video._to_rgb(np.zeros((4, 4, 3), np.uint16), 3, tmp_path / "deep.mkv")


@pytest.mark.parametrize("height, width", [(17, 33), (90, 8), (64, 64), (31, 251), (2, 2)])
def test_odd_sizes_and_aspect_ratios_are_resized(tmp_path, height, width):
    path = _write(tmp_path / "odd.avi", _numbered_frames(6, height, width))
    clip = video.read_clip(path, n_frames=6, size=16)
    assert clip.shape == (6, 16, 16, 3) and _frame_numbers(clip).tolist() == list(range(6))


def test_stray_files_are_skipped_with_a_warning(tmp_path):
    for motion in ("left", "right"):
        _write(tmp_path / motion / f"{motion}_0.avi", _numbered_frames(3))
    for junk in ("left/.DS_Store", "left/README.txt", "right/frame.jpg", "right/._right_0.avi", ".DS_Store"):
        (tmp_path / junk).write_bytes(b"junk")
    (tmp_path / ".hidden_class").mkdir()
    with pytest.warns(UserWarning, match=r"skipped 4 file\(s\).*left/\.DS_Store.*README\.txt.*right/\._right_0"):
        paths, labels, classes = video.list_clips(tmp_path)
    assert classes == ["left", "right"] and [p.name for p in paths] == ["left_0.avi", "right_0.avi"]
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "notes.txt").write_text("no videos here")
    with pytest.raises(ValueError, match=r"up: class folder has no video files"):
        video.list_clips(tmp_path)


# --------------------------------------------------------------------------- splits that do not leak groups
def _ucf_names(classes=("ApplyEyeMakeup", "Basketball", "HandstandPushups"), groups=10, clips=3):
    paths, labels = [], []
    for label, name in enumerate(classes):
        file_class = "HandStandPushups" if name == "HandstandPushups" else name    # as in UCF101 itself
        for g in range(1, groups + 1):
            for c in range(1, clips + 1):
                paths.append(Path("ucf") / name / f"v_{file_class}_g{g:02d}_c{c:02d}.avi")
                labels.append(label)
    return paths, np.array(labels)


def test_split_by_group_keeps_every_group_on_one_side():
    paths, labels = _ucf_names()
    split, how = video.split_clips("ucf", paths, labels, val=0.2, test=0.2, seed=4)
    assert how.startswith("split by group")
    assert video.straddling_groups(split) == set()
    assert sorted(p for part, _ in split.values() for p in part) == sorted(paths)       # each clip once
    assert all(set(y) == {0, 1, 2} for _, y in split.values())           # groups span classes, as in UCF101
    leaky = {"train": ([paths[0]], [0]), "test": ([paths[1]], [0])}       # g01_c01 and g01_c02
    assert video.straddling_groups(leaky) == {"g01"}


def test_split_without_groups_is_stratified_and_mixed_names_are_refused():
    paths = [Path("ds") / c / f"{c}_{k}.avi" for c in ("a", "b") for k in range(10)]
    labels = np.repeat([0, 1], 10)
    split, how = video.split_clips("ds", paths, labels, val=0.2, test=0.2)
    assert how.startswith("no groups") and [np.bincount(y).tolist() for _, y in split.values()] == [[6, 6], [2, 2],
                                                                                                      [2, 2]]
    with pytest.raises(ValueError, match=r"1 of 21 clip names carry a UCF101 group .*\(e\.g\. ds/a/a_0\.avi\)"):
        video.split_clips("ds", paths + [Path("ds/a/v_a_g01_c01.avi")], np.append(labels, 0))


def _lists(tmp_path, paths, test_groups=("g01", "g02", "g03"), extra=()):
    train = [f"{p.parent.name}/{p.name} {int(k) + 1}" for k, p in enumerate(paths) if video.clip_group(p) not in
             test_groups]
    test = [f"{p.parent.name}/{p.name}" for p in paths if video.clip_group(p) in test_groups]
    (tmp_path / "trainlist01.txt").write_text("\n".join(train + list(extra)) + "\n")
    (tmp_path / "testlist01.txt").write_text("\n".join(test) + "\n")
    return tmp_path / "trainlist01.txt", tmp_path / "testlist01.txt"


def test_official_lists_are_followed(tmp_path):
    paths, labels = _ucf_names()
    lists = _lists(tmp_path, paths, extra=["YoYo/v_YoYo_g08_c01.avi 101"])   # a class left out of this subset
    split, how = video.split_clips("ucf", paths, labels, val=0.2, lists=lists, seed=1)
    assert how.startswith("official split (trainlist01.txt / testlist01.txt); validation by groups")
    assert {video.clip_group(p) for p in split["test"][0]} == {"g01", "g02", "g03"}
    assert len(split["test"][0]) == 3 * 3 * 3 and video.straddling_groups(split) == set()
    assert sum(len(p) for p, _ in split.values()) == len(paths)


@pytest.mark.parametrize("edit, message", [
    (lambda paths: paths[1:], r"trainlist01\.txt, line \d+: .*g04_c01\.avi is listed but not found under ucf"),
    (lambda paths: paths + [Path("ucf/ApplyEyeMakeup/v_ApplyEyeMakeup_g99_c01.avi")],
     r"1 clip\(s\) under ucf are in neither list, e\.g\. .*g99_c01\.avi"),
])
def test_official_lists_that_do_not_match_the_files_are_an_error(tmp_path, edit, message):
    paths, labels = _ucf_names()
    lists = _lists(tmp_path, [p for p in paths if p.name != "v_ApplyEyeMakeup_g99_c01.avi"])
    paths = edit(sorted(paths, key=lambda p: (video.clip_group(p) in ("g01", "g02", "g03"), str(p))))
    with pytest.raises(ValueError, match=message):
        video.split_clips("ucf", paths, np.zeros(len(paths), int), lists=lists)


def test_a_malformed_list_line_is_named(tmp_path):
    paths, labels = _ucf_names()
    train, test = _lists(tmp_path, paths)
    train.write_text(train.read_text() + "just some words here\n")
    with pytest.raises(ValueError, match=r"trainlist01\.txt, line 64: expected '<class>/<clip>\.avi'"):
        video.split_clips("ucf", paths, labels, lists=(train, test))


# --------------------------------------------------------------------------- a compact cache on disk
def test_clip_dataset_caches_uint8_in_a_file_keyed_by_the_data(dataset, tmp_path, monkeypatch):
    paths, labels, _ = video.list_clips(dataset)
    paths, labels = paths[:4], labels[:4]

    def read_all():
        ds = video.clip_dataset(paths, labels, n_frames=5, size=16, batch_size=2, cache_path=tmp_path / "c" / "clips")
        return np.concatenate([x.numpy() for x, _ in ds])

    first = read_all()
    (data_file,) = (tmp_path / "c").glob("clips-*.data-*")
    assert first.dtype == np.float32 and first.nbytes / 4 <= data_file.stat().st_size < first.nbytes / 2  # uint8
    calls = []
    original = video._read_frames
    monkeypatch.setattr(video, "_read_frames", lambda *a: calls.append(a) or original(*a))
    assert np.array_equal(read_all(), first) and calls == []             # read back from the cache file
    shutil.copy(paths[1], paths[0])                                       # a clip changes on disk
    changed = read_all()
    assert len(calls) == 4 and len(list((tmp_path / "c").glob("clips-*.index"))) == 2   # a new cache, not stale
    np.testing.assert_allclose(changed[0], changed[1])


def test_a_lock_file_left_by_a_killed_first_pass_is_removed(dataset, tmp_path):
    paths, labels, _ = video.list_clips(dataset)

    def read_all():
        ds = video.clip_dataset(paths[:3], labels[:3], n_frames=4, size=8, batch_size=2,
                                cache_path=tmp_path / "c" / "clips")
        return sum(len(y) for _, y in ds)

    assert read_all() == 3
    (index,) = (tmp_path / "c").glob("clips-*.index")
    prefix = index.with_suffix("")
    for f in (tmp_path / "c").iterdir():                                  # as a run killed mid-pass leaves them
        f.unlink()
    Path(f"{prefix}_0.lockfile").write_text("pid")
    Path(f"{prefix}_0.data-00000-of-00001.tempstate123").write_bytes(b"")
    assert read_all() == 3 and index.exists()                             # runs, and writes a complete cache
    assert not list((tmp_path / "c").glob("*lockfile*")) and not list((tmp_path / "c").glob("*tempstate*"))


def test_reorder_frames_streams_shuffled_or_reversed_clips(dataset):
    paths, labels, _ = video.list_clips(dataset)
    ds = video.clip_dataset(paths[:3], labels[:3], n_frames=5, size=8, batch_size=2)
    clips = np.concatenate([x.numpy() for x, _ in ds])
    order = np.array([[4, 3, 2, 1, 0], [1, 0, 2, 3, 4], [0, 1, 2, 3, 4]])
    shuffled = np.concatenate([x.numpy() for x, _ in video.reorder_frames(ds, order, batch_size=2)])
    assert np.array_equal(shuffled, np.take_along_axis(clips, order[:, :, None, None, None], axis=1))
    backwards = [(x.numpy(), y.numpy()) for x, y in video.reorder_frames(ds, None, batch_size=2)]
    assert np.array_equal(np.concatenate([x for x, _ in backwards]), clips[:, ::-1])
    assert np.concatenate([y for _, y in backwards]).tolist() == labels[:3].tolist()
    with pytest.raises(ValueError, match="permutations"):
        video.reorder_frames(ds, np.zeros((3, 5), int))
    with pytest.raises(ValueError, match="order has 3 rows, 1 batches of 4; the dataset has 2 batches"):
        video.reorder_frames(ds, order, batch_size=4)


def test_a_subset_of_classes_is_listed_and_unknown_ones_are_named(dataset):
    paths, labels, classes = video.list_clips(dataset, ["up", "left"])
    assert classes == ["left", "up"] and len(paths) == 4 and {p.parent.name for p in paths} == {"left", "up"}
    assert labels.tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match=r"no class folder\(s\) \['spin'\]"):
        video.list_clips(dataset, ["up", "spin"])
    with pytest.raises(ValueError, match="non-empty list"):
        video.list_clips(dataset, "up")


def test_group_by_keeps_a_persons_clips_on_one_side():
    paths = [Path("ds") / c / f"{person}_{c}_{k}.mp4" for c in ("wave", "jump") for person in
             ("anna", "ben", "chen", "dora", "eli", "femi") for k in range(3)]
    labels = np.array([p.parent.name == "jump" for p in paths], int)
    split, how = video.split_clips("ds", paths, labels, val=0.2, test=0.2, seed=0, group_by=r"^[^_]+")
    assert how.startswith("split by group (6 groups)")
    assert video.straddling_groups(split, r"^[^_]+") == set()
    assert video.clip_group(paths[0], r"^([a-z]+)_") == "anna"
    with pytest.raises(ValueError, match=r"ds/wave/1\.mp4: the file name does not match group_by='\^\[a-z\]\+_'"):
        video.split_clips("ds", [*paths, Path("ds/wave/1.mp4")], np.append(labels, 0), group_by="^[a-z]+_")


def test_write_clip_takes_frames_one_at_a_time(tmp_path):
    path = video.write_clip(tmp_path / "pan.mp4", video.panning_frames(12, width=96, height=54), fps=30)
    clip = video.read_clip(path, n_frames=12, size=16)
    assert clip.shape == (12, 16, 16, 3) and not np.allclose(clip[0], clip[-1], atol=0.05)
    with pytest.raises(ValueError, match=r"frame 1 is 8x4, the first was 8x8"):
        video.write_clip(tmp_path / "x.avi", [np.zeros((8, 8, 3), np.uint8), np.zeros((4, 8, 3), np.uint8)])
    with pytest.raises(ValueError, match=r"x\.avi: no frames to write"):
        video.write_clip(tmp_path / "x.avi", iter([]))
