"""Video: deterministic motion clips written as files, the class-per-folder loader and its errors."""

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
     r"zero\.mp4: no frames could be read"),
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
