"""Plotting, reproducibility, the data README and the stored (executed) notebooks."""

import json
import re
from pathlib import Path

import matplotlib
import pytest

import utils
from utils.paths import SHIPPED, SHIPPED_FOLDERS

matplotlib.use("Agg")
NOTEBOOKS = sorted((utils.ROOT / "notebooks").glob("*.ipynb"))


def test_plot_history_one_panel_per_metric_with_validation():
    logs = {"loss": [1.0, 0.5, 0.3], "accuracy": [0.5, 0.7, 0.8], "val_loss": [1.1, 0.7, 0.6],
            "val_accuracy": [0.4, 0.6, 0.7], "learning_rate": [1e-3] * 3}
    fig = utils.plot_history(logs, title="demo")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["train", "validation"]
    assert list(fig.axes[0].lines[1].get_ydata()) == [1.1, 0.7, 0.6]


def test_plot_history_errors():
    with pytest.raises(ValueError, match="non-empty dict"):
        utils.plot_history({})
    with pytest.raises(ValueError, match=r"metric\(s\) \['mae'\] not in the history"):
        utils.plot_history({"loss": [1.0]}, metrics=["mae"])


def test_setup_seeds_and_reports_versions(capsys):
    import numpy as np

    utils.setup(7)
    first = np.random.rand(3)
    line = capsys.readouterr().out
    pattern = r"Python 3\.\d+.* \| TensorFlow 2\.\d+.* \| Keras 3\.\d+.* \| NumPy \d.* \| device: (CPU|GPU)"
    assert re.search(pattern, line)
    utils.setup(7)
    assert (np.random.rand(3) == first).all()


def test_data_readme_lists_every_shipped_file_with_its_sha256():
    readme = (utils.DATA_DIR / "README.md").read_text()
    for name, digest in SHIPPED.items():
        assert name in readme and digest in readme, name
    for name, (_, _, digest) in SHIPPED_FOLDERS.items():
        assert name in readme and digest in readme, name
    files = {p.relative_to(utils.DATA_DIR).as_posix() for p in utils.DATA_DIR.rglob("*")
             if p.is_file() and p.name != "README.md"}
    in_folders = {f for f in files if any(f.startswith(folder + "/") for folder in SHIPPED_FOLDERS)}
    assert files - in_folders == set(SHIPPED)
    for folder, (pattern, count, _) in SHIPPED_FOLDERS.items():
        assert len(utils.paths.shipped_folder(folder)) == count
        assert {f for f in in_folders if f.startswith(folder + "/")} == {
            p.relative_to(utils.DATA_DIR).as_posix() for p in (utils.DATA_DIR / folder).glob(pattern)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_notebook_ran_in_order_without_errors(path: Path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in cells if "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), "re-run the notebook top to bottom and save it"
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"stored with an error output: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_notebook_shows_no_tensorflow_start_up_noise(path: Path):
    noise = ("InitializeLog", "cuda drivers", "oneDNN custom operations", "cpu_feature_guard", "cuInit")
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    shown = ["".join(o.get("text", "")) for c in cells for o in c["outputs"] if o["output_type"] == "stream"]
    assert not [text for text in shown if any(n in text for n in noise)]


def test_headline_shows_a_table_and_stores_the_numbers(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shown = []
    InteractiveShell.instance().display_pub.publish = lambda data, **kwargs: shown.append(data)
    import numpy as np

    utils.headline({"LSTM accuracy": np.float32(0.96666), "baseline": 1, "pairs": np.int64(29155)})
    assert shown[0]["text/plain"].splitlines() == ["LSTM accuracy  0.9667", "baseline       1", "pairs          29,155"]
    assert shown[0][utils.repro.HEADLINE_MIME] == {"LSTM accuracy": float(np.float32(0.96666)), "baseline": 1.0,
                                                   "pairs": 29155.0}
    with pytest.raises(ValueError, match="non-empty dict of numbers"):
        utils.headline({"x": "high"})


def test_version_warning_names_the_differing_package(monkeypatch):
    import keras

    assert utils.repro.pinned_versions()["keras"]
    monkeypatch.setattr(utils.repro, "pinned_versions", lambda: {"keras": keras.__version__})
    assert utils.repro.version_warning() is None
    monkeypatch.setattr(utils.repro, "pinned_versions", lambda: {"keras": "0.0.1"})
    assert f"keras {keras.__version__} (tested: 0.0.1)" in utils.repro.version_warning()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_seed_is_a_parameter_and_seeding_follows_the_parameters(path: Path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    index = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))
    assert re.search(r"^SEED = \d+", "".join(cells[index]["source"]), re.M)
    assert "utils.setup(SEED)" in "".join(cells[index + 1]["source"])
    before = "".join("".join(c["source"]) for c in cells[:index])
    assert "set_random_seed" not in before and "utils.setup(" not in before  # papermill's SEED must take effect


def test_versions_line_names_the_gpu(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [
        tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")])
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda gpu: {"device_name": "NVIDIA H100"})
    assert utils.versions_line().endswith("device: GPU (NVIDIA H100)")


def test_check_claim_asserts_on_the_shipped_data_and_reports_on_a_readers(capsys):
    utils.check_claim(True, "the LSTM beats the 5-gram", "gap -0.07", shipped_data=True)
    with pytest.raises(AssertionError, match="the LSTM beats the 5-gram: not so on the shipped data"):
        utils.check_claim(False, "the LSTM beats the 5-gram", "gap +0.01", shipped_data=True)
    assert capsys.readouterr().out == ""
    utils.check_claim(False, "the LSTM beats the 5-gram", "gap +0.01", shipped_data=False)
    assert capsys.readouterr().out == "Does not hold on your data: the LSTM beats the 5-gram (gap +0.01).\n"
    utils.check_claim(True, "x", "y", shipped_data=False)
    assert capsys.readouterr().out.startswith("Holds on your data: x")
