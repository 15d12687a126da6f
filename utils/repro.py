"""Start-up of every notebook: what Colab lacks installed, quiet TensorFlow, seeding, and a one-line report."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import numbers
import os
import platform
import re
import subprocess
import sys

from .paths import ROOT


@contextlib.contextmanager
def _stderr_silenced():
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up notices bypass Python's sys.stderr."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras and list the devices without the C++ start-up lines.

    Those lines (absl's "log messages before InitializeLog", oneDNN and CUDA-probe notices) are printed
    before any Python setting can silence them. Only the import and the device probe are silenced:
    warnings and errors raised later still show.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()


# Requirements whose module is not named like the package (Colab has opencv-python, which provides cv2 too).
MODULE_OF = {"scikit-learn": "sklearn", "opencv-python-headless": "cv2", "tensorflow": "tensorflow"}
RUNTIME_END = "# Jupyter, the tests and the tools"   # requirements.txt: the notebooks' packages are above it


def notebook_requirements(path=None) -> dict[str, str]:
    """{package: pinned version} of what the notebooks import: requirements.txt's lines above ``RUNTIME_END``."""
    path = ROOT / "requirements.txt" if path is None else path
    text = path.read_text()
    if RUNTIME_END not in text:
        raise ValueError(f"{path}: no line '{RUNTIME_END}' separating the notebooks' packages from the tools'")
    runtime = text.split(RUNTIME_END)[0]
    return {name: version for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s#;]+)", runtime, flags=re.M)}


def install_missing_requirements(path=None, colab: bool | None = None) -> list[str]:
    """In Colab, pip-install the notebooks' packages that are not there at all, at their pinned versions.

    Colab has most of them already, in its own versions, which are kept (no restart needed); the few it lacks
    (sacrebleu, mplfonts) are installed quietly and named in one line. Call it before importing TensorFlow.
    Outside Colab (``colab`` None: ``google.colab`` not imported) it does nothing: install requirements.txt.
    Returns the ``package==version`` specifiers it installed.
    """
    if colab is None:
        colab = "google.colab" in sys.modules
    if not colab:
        return []
    missing = [f"{name}=={version}" for name, version in notebook_requirements(path).items()
               if importlib.util.find_spec(MODULE_OF.get(name, name.replace("-", "_"))) is None]
    if missing:
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              *missing], capture_output=True, text=True)
        if pip.returncode != 0:
            raise RuntimeError(f"could not install {', '.join(missing)} (pip exited with {pip.returncode}):\n"
                               + "\n".join(pip.stderr.strip().splitlines()[-10:]))
        importlib.invalidate_caches()
        print(f"Installed what this Colab runtime lacks: {', '.join(missing)}")
    return missing


def pinned_versions() -> dict[str, str]:
    """{package: version} for the packages pinned with ``==`` in the repository's requirements.txt."""
    path = ROOT / "requirements.txt"
    if not path.is_file():
        return {}
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s#;]+)", path.read_text(), flags=re.M)
    return {name.lower(): version for name, version in pins}


def version_warning() -> str | None:
    """One line if the installed TensorFlow or Keras differ from the pinned ones (as in Colab), else None."""
    import keras
    import tensorflow as tf

    pins = pinned_versions()
    installed = {"tensorflow": tf.__version__, "keras": keras.__version__}
    differ = [f"{name} {version} (tested: {pins[name]})" for name, version in installed.items()
              if name in pins and version != pins[name]]
    if not differ:
        return None
    return ("Warning: " + ", ".join(differ) + " installed; the code should run, "
            "but numbers will differ from the stored outputs.")


def versions_line() -> str:
    """'Python x | TensorFlow y | Keras z | NumPy w | device: ...' for the machine in use."""
    import keras
    import numpy as np
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        device = f"GPU ({', '.join(names)})"
    else:
        device = f"CPU ({os.cpu_count()} cores)"
    return (
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | "
        f"Keras {keras.__version__} | NumPy {np.__version__} | device: {device}"
    )


def setup(seed: int) -> None:
    """Seed Python, NumPy and Keras/TensorFlow with ``seed``; print the versions line (and a version warning)."""
    import keras

    import_tensorflow_quietly()
    keras.utils.set_random_seed(seed)
    print(versions_line() + f" | seed {seed}")
    warning = version_warning()
    if warning:
        print(warning)


HEADLINE_MIME = "application/vnd.rnn-notebooks.headline+json"


def headline(values: dict[str, float]) -> None:
    """Show a notebook's headline numbers as a small table (also stored machine-readable for tools/seed_sweep.py)."""
    from IPython.display import display

    if not values or not all(isinstance(v, numbers.Real) for v in values.values()):
        raise ValueError(f"headline needs a non-empty dict of numbers, got {values!r}")
    width = max(map(len, values))
    def shown(value) -> str:   # counts as 29,155; everything else to 4 significant digits
        return f"{value:,}" if isinstance(value, numbers.Integral) and not isinstance(value, bool) else f"{value:.4g}"

    text = "\n".join(f"{name:<{width}}  {shown(value)}" for name, value in values.items())
    display({"text/plain": text, HEADLINE_MIME: {k: float(v) for k, v in values.items()}}, raw=True)


def check_claim(holds: bool, claim: str, detail: str, *, shipped_data: bool) -> None:
    """Assert a claim about the shipped data; on a reader's own data, report whether it holds instead.

    Facts that hold for any data (shapes, a computation equal to Keras, no leak) are plain ``assert``s.
    Conclusions about a data set (this model beats that baseline) are checked here: on the shipped data a
    failure stops the notebook, as the collection's tests require; on other data the reader gets one sentence
    with the numbers and the notebook carries on.
    """
    if shipped_data:
        assert holds, f"{claim}: not so on the shipped data ({detail})"
    else:
        verdict = "Holds" if holds else "Does not hold"
        print(f"{verdict} on your data: {claim} ({detail}).")
