"""The tools: the seed sweep (asserts and headline numbers per seed), the Jupyter launcher, the video benchmark."""

import subprocess
import sys

import nbformat
import pytest

import utils

SWEEP = utils.ROOT / "tools" / "seed_sweep.py"


def test_sweep_reports_each_seed_and_fails_when_an_assert_fails(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell("SEED = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"import sys\nsys.path.insert(0, {str(utils.ROOT)!r})\nimport os, utils\n"
                                  "print(os.environ['RNN_NOTEBOOKS_CACHE'])"),
        nbformat.v4.new_code_cell("assert SEED != 1, 'seed one'"),
        nbformat.v4.new_code_cell("utils.headline({'twice the seed': 2 * SEED})"),
    ]
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run([sys.executable, str(SWEEP), str(path), "--seeds", "0", "1", "2", "--jobs", "2",
                             "--keep", str(tmp_path / "runs")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {line[:64].strip(): line[64:].split() for line in result.stdout.splitlines()}
    assert rows["#3   assert SEED != 1, 'seed one'"] == ["pass", "FAIL", "pass"]
    assert rows["twice the seed"] == ["0", "2", "4", "0", "4"]
    assert "seed 1: code cell 3: AssertionError: seed one" in result.stdout
    caches = {(tmp_path / "runs" / f"demo.seed{s}.ipynb").read_text().count(f"cache-demo-{s}") for s in (0, 1, 2)}
    assert caches == {1}  # each run had a cache folder of its own


def test_lab_launcher_allows_root_only_for_root():
    sys.path.insert(0, str(utils.ROOT / "tools"))
    import lab

    assert "--allow-root" in lab.command([], is_root=True)
    assert "--allow-root" not in lab.command(["--no-browser"], is_root=False)
    assert lab.command(["--no-browser"], is_root=False)[-1] == "--no-browser"


def test_video_benchmark_reports_memory_and_time():
    result = subprocess.run([sys.executable, str(utils.ROOT / "tools" / "video_benchmark.py"), "--frames", "60",
                             "--width", "160", "--height", "120", "--n-frames", "4", "--size", "16"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "read_clip(n_frames=4, size=16) on 160x120 mp4v clips"
    assert [line.split()[0] for line in lines[2:4]] == ["20", "60"] and lines[4].startswith("time ratio")


def test_oldest_versions_pins_every_notebook_package_and_dry_run_builds_nothing(tmp_path, capsys):
    from tools import oldest_versions

    oldest = utils.repro.notebook_requirements(oldest_versions.REQUIREMENTS)  # the same marker as requirements.txt
    assert set(oldest) == set(utils.repro.notebook_requirements())
    assert oldest_versions.main(["--dry-run", "--venv", str(tmp_path / "venv"),
                                 str(utils.ROOT / "notebooks" / "05_text_classification.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "pip install" in out and "requirements-oldest.txt" in out
    assert "--nbval-lax" in out and "notebooks/05_text_classification.ipynb" in out
    assert not (tmp_path / "venv").exists()
    with pytest.raises(SystemExit):
        oldest_versions.main(["--dry-run", "notebooks/no_such_notebook.ipynb"])
