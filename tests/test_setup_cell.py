"""The notebooks' first code cell finds `utils` locally and in a simulated Colab, also after a restart."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import utils

NOTEBOOKS = sorted((utils.ROOT / "notebooks").glob("*.ipynb"))
COLAB_CLONE = "/content/rnn-notebooks"


def setup_cell(path: Path) -> str:
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return "".join(cells[0]["source"])


SETUP = setup_cell(NOTEBOOKS[0])


def test_every_notebook_has_the_same_setup_cell():
    for path in NOTEBOOKS:
        assert setup_cell(path) == SETUP, f"{path.name}: its first code cell differs from {NOTEBOOKS[0].name}'s"
    assert "!" not in "".join(line.lstrip()[:1] for line in SETUP.splitlines()) and "%cd" not in SETUP


def run_setup(cwd: Path, tmp_path: Path, colab: bool, clone: Path | None = None) -> subprocess.CompletedProcess:
    """Run the setup cell in a fresh Python (a new kernel), with a fake `google.colab` module if asked."""
    source = SETUP if clone is None else SETUP.replace(COLAB_CLONE, str(clone))
    prelude = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n" if colab else ""
    script = prelude + source + "\nprint('ROOT', root)\nprint('CWD', os.getcwd())\n"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL")}
    env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{env['PATH']}"
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def fake_git(tmp_path: Path) -> Path:
    """A `git` that 'clones' by copying utils/ and requirements.txt of this checkout, and logs each call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "git_calls.txt"
    git = bin_dir / "git"
    git.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo "$@" >> {log}
        for dest; do :; done
        mkdir -p "$dest/notebooks" && cp -r {utils.ROOT / 'utils'} {utils.ROOT / 'requirements.txt'} "$dest/"
        """))
    git.chmod(0o755)
    return log


@pytest.mark.parametrize("where", ["notebooks", "."])
def test_local_run_finds_the_repository_quietly(tmp_path, where):
    result = run_setup(utils.ROOT / where, tmp_path, colab=False)
    assert result.returncode == 0, result.stderr
    assert f"ROOT {utils.ROOT}" in result.stdout
    assert result.stderr == ""  # no TensorFlow start-up lines


def test_colab_first_run_clones_then_a_restart_reuses_the_clone(tmp_path):
    log = fake_git(tmp_path)
    content, clone = tmp_path / "content", tmp_path / "content" / "rnn-notebooks"
    content.mkdir()
    first = run_setup(content, tmp_path, colab=True, clone=clone)
    assert first.returncode == 0, first.stderr
    assert f"ROOT {clone}" in first.stdout and f"CWD {clone / 'notebooks'}" in first.stdout
    assert log.read_text().startswith("clone ")
    # "Restart session": a new kernel, back in /content, the clone already there; it must not clone again.
    again = run_setup(content, tmp_path, colab=True, clone=clone)
    assert again.returncode == 0, again.stderr
    assert f"ROOT {clone}" in again.stdout and len(log.read_text().splitlines()) == 1


def test_colab_run_from_inside_the_clone(tmp_path):
    log = fake_git(tmp_path)
    clone = tmp_path / "content" / "rnn-notebooks"
    subprocess.run([str(tmp_path / "bin" / "git"), "clone", "x", str(clone)], check=True)
    result = run_setup(clone / "notebooks", tmp_path, colab=True, clone=clone)
    assert result.returncode == 0, result.stderr
    assert f"ROOT {clone}" in result.stdout and len(log.read_text().splitlines()) == 1


def test_outside_the_repository_the_error_says_what_to_do(tmp_path):
    result = run_setup(tmp_path, tmp_path, colab=False)
    assert result.returncode != 0
    assert "FileNotFoundError: no utils/ package in" in result.stderr and "start Jupyter in the repository" in (
        result.stderr)
