"""Every data option a notebook's parameters cell offers, run to the last cell with small parameters.

A reader who sets ``CORPUS``, ``PRICES``, ``DATA_DIR``, ``TRANSLATION_FILE`` or ``AIR_QUALITY`` to a file of
their own gets a notebook that runs to the end; claims about the shipped data are then reported, not asserted
(``utils.check_claim``). Each test executes a copy of the notebook with papermill, few epochs and small data, in
its own kernel and cache folder. Together they take a few minutes of CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_notebook(name: str, tmp_path: Path, **parameters) -> list[dict]:
    """Execute notebooks/<name> with ``parameters`` injected; return its code cells (errors raise)."""
    papermill = pytest.importorskip("papermill")
    out = tmp_path / name
    saved = os.environ.get("RNN_NOTEBOOKS_CACHE")
    os.environ["RNN_NOTEBOOKS_CACHE"] = str(tmp_path / "cache")   # read by the kernel, a child process
    try:
        papermill.execute_notebook(ROOT / "notebooks" / name, out, parameters=parameters, cwd=ROOT / "notebooks",
                                   progress_bar=False, kernel_name="python3", execution_timeout=1200)
    finally:
        if saved is None:
            os.environ.pop("RNN_NOTEBOOKS_CACHE")
        else:
            os.environ["RNN_NOTEBOOKS_CACHE"] = saved
    return [c for c in json.loads(out.read_text())["cells"] if c["cell_type"] == "code"]


def printed(cells: list[dict]) -> str:
    """Everything the cells printed."""
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", [])
                   if o["output_type"] == "stream")
