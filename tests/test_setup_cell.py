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


def run_setup(cwd: Path, tmp_path: Path, colab: bool, clone: Path | None = None, extra: str = "",
              keep_pythonpath: bool = False) -> subprocess.CompletedProcess:
    """Run the setup cell in a fresh Python (a new kernel), with a fake `google.colab` module if asked."""
    source = SETUP if clone is None else SETUP.replace(COLAB_CLONE, str(clone))
    prelude = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n" if colab else ""
    script = prelude + source + "\nprint('ROOT', root)\nprint('CWD', os.getcwd())\n" + extra
    dropped = ("TF_CPP_MIN_LOG_LEVEL",) if keep_pythonpath else ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
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


def fake_wheel(folder: Path) -> None:
    """A one-module wheel, ``rnnfakepkg==1.0``, that pip can install offline from ``folder``."""
    import zipfile

    info = "rnnfakepkg-1.0.dist-info"
    files = {"rnnfakepkg/__init__.py": "VALUE = 42\n",
             f"{info}/METADATA": "Metadata-Version: 2.1\nName: rnnfakepkg\nVersion: 1.0\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "rnnfakepkg-1.0-py3-none-any.whl", "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
        wheel.writestr(f"{info}/RECORD", "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"]))


def test_colab_installs_only_what_it_lacks_before_tensorflow_then_imports_it(tmp_path, monkeypatch):
    # Colab with everything of requirements.txt but one package: the setup cell installs that one (offline, from a
    # local wheel, into a folder on the path), prints one line, and the package then imports in the same kernel.
    fake_git(tmp_path)
    content, clone, site = tmp_path / "content", tmp_path / "content" / "rnn-notebooks", tmp_path / "site"
    content.mkdir()
    site.mkdir()
    subprocess.run([str(tmp_path / "bin" / "git"), "clone", "x", str(clone)], check=True)
    requirements = clone / "requirements.txt"
    marker = utils.repro.RUNTIME_END
    requirements.write_text(requirements.read_text().replace(marker, f"rnnfakepkg==1.0\n{marker}"))
    fake_wheel(tmp_path / "wheels")
    for name, value in {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "wheels"), "PIP_TARGET": str(site),
                        "PYTHONPATH": str(site)}.items():
        monkeypatch.setenv(name, value)
    check = "import rnnfakepkg\nprint('IMPORTED', rnnfakepkg.VALUE, 'tensorflow' in sys.modules)\n"
    first = run_setup(content, tmp_path, colab=True, clone=clone, extra=check, keep_pythonpath=True)
    assert first.returncode == 0, first.stderr
    printed = [line for line in first.stdout.splitlines() if not line.startswith(("ROOT", "CWD", "IMPORTED"))]
    assert printed == ["Installed what this Colab runtime lacks: rnnfakepkg==1.0"]
    assert "IMPORTED 42 True" in first.stdout and (site / "rnnfakepkg" / "__init__.py").is_file()
    again = run_setup(content, tmp_path, colab=True, clone=clone, extra=check, keep_pythonpath=True)  # a restart
    assert again.returncode == 0 and "Installed" not in again.stdout and "IMPORTED 42" in again.stdout


def test_the_install_comes_before_tensorflow_and_importing_utils_does_not_start_it():
    assert SETUP.index("utils.install_missing_requirements()") < SETUP.index("utils.import_tensorflow_quietly()")
    run = subprocess.run([sys.executable, "-c", "import sys, utils; print(sorted({'tensorflow', 'keras'} & "
                          "set(sys.modules)))"], cwd=utils.ROOT, capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "[]", run.stderr


def test_install_outside_colab_does_nothing_and_a_failed_pip_says_what(tmp_path, monkeypatch):
    assert utils.install_missing_requirements(colab=False) == []
    assert utils.install_missing_requirements() == []          # no google.colab module here
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"numpy==2.0.0\nrnnfakepkg-absent==9.9\n{utils.repro.RUNTIME_END}\npytest==1.0\n")
    assert utils.repro.notebook_requirements(requirements) == {"numpy": "2.0.0", "rnnfakepkg-absent": "9.9"}
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"could not install rnnfakepkg-absent==9\.9 \(pip exited with 1\)"):
        utils.install_missing_requirements(requirements, colab=True)   # numpy is there: only the absent one is tried
    requirements.write_text("numpy==2.0.0\n")
    with pytest.raises(ValueError, match="requirements.txt: no line '# Jupyter, the tests and the tools'"):
        utils.repro.notebook_requirements(requirements)
