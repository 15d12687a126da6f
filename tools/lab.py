#!/usr/bin/env python3
"""Open the notebooks in JupyterLab: ``python3 tools/lab.py [more jupyter lab options]``.

Jupyter refuses to run as root unless told ``--allow-root``. As root (a Docker container, many cloud
machines) this launcher adds that flag; for everyone else it changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def command(extra: list[str], is_root: bool) -> list[str]:
    """The ``jupyter lab`` command line, with ``--allow-root`` only when running as root."""
    return [sys.executable, "-m", "jupyter", "lab", str(NOTEBOOKS), *(["--allow-root"] if is_root else []), *extra]


if __name__ == "__main__":
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    sys.exit(subprocess.call(command(sys.argv[1:], is_root)))
