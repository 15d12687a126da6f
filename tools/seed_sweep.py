#!/usr/bin/env python3
"""Run notebooks under several seeds and tabulate their assert cells and headline numbers.

    python tools/seed_sweep.py                              # every notebook, seeds 0 1 2
    python tools/seed_sweep.py notebooks/01_*.ipynb --seeds 0 1 2 3 4 --jobs 2

Each run executes a copy of the notebook with papermill, injecting ``SEED``, with its own output file and
its own ``cache/`` folder in a temporary directory, so runs can go in parallel (``--jobs``; on a 2-core
machine 1 is best, and timings are only comparable with 1). Every cell runs even after a failure, so
the table shows every assert cell. Exits with status 1 if any cell of any run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLINE_MIME = "application/vnd.rnn-notebooks.headline+json"  # written by utils.headline()
ASSERT_LINE = re.compile(r"^[ \t]*(?:assert\b|utils\.check_claim\().*", re.M)   # both stop a run when they fail


def execute(notebook: Path, out: Path, seed: int, timeout: int) -> None:
    """Execute ``notebook`` into ``out`` with SEED=seed, running every cell even after a failure."""
    import papermill

    try:
        papermill.execute_notebook(notebook, out, parameters={"SEED": seed}, cwd=notebook.parent,
                                   progress_bar=False, allow_errors=True, execution_timeout=timeout)
    except papermill.PapermillExecutionError:
        pass  # a cell raised; it is recorded in ``out`` and reported by run()


def run(notebook: Path, seed: int, workdir: Path, timeout: int) -> dict:
    """Execute ``notebook`` with SEED=seed; return its assert cells' status, headline numbers and time."""
    out = workdir / f"{notebook.stem}.seed{seed}.ipynb"
    # A process of its own per run, with its own cache folder (read by utils.paths in the notebook's kernel).
    env = {**os.environ, "RNN_NOTEBOOKS_CACHE": str(workdir / f"cache-{notebook.stem}-{seed}")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--execute", str(notebook), str(out), str(seed), str(timeout)],
                          env=env, capture_output=True, text=True)
    if not out.exists():
        return {"seconds": time.perf_counter() - start, "asserts": {}, "headline": {},
                "crash": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    seconds = time.perf_counter() - start
    cells = [c for c in json.loads(out.read_text())["cells"] if c["cell_type"] == "code"
             and "injected-parameters" not in c["metadata"].get("tags", [])]  # number cells as in the original
    asserts, headline, errors = {}, {}, []
    for number, cell in enumerate(cells, start=1):
        source = "".join(cell["source"])
        failed = next((o for o in cell.get("outputs", []) if o["output_type"] == "error"), None)
        if failed:
            errors.append(f"code cell {number}: {failed['ename']}: {failed['evalue'][:200]}")
        if ASSERT_LINE.search(source):
            first = ASSERT_LINE.search(source).group(0).strip()[:60]
            asserts[f"#{number:<3d} {first}"] = "FAIL" if failed else "pass"
        for output in cell.get("outputs", []):
            headline.update(output.get("data", {}).get(HEADLINE_MIME, {}))
    return {"seconds": seconds, "asserts": asserts, "headline": headline, "errors": errors}


def table(notebook: Path, seeds: list[int], results: dict[int, dict]) -> str:
    """Rows: assert cells (pass/FAIL per seed) and headline numbers (value per seed, min, max)."""
    head = f"{'':64s}" + "".join(f"{'seed ' + str(s):>10s}" for s in seeds)
    lines = [f"== {notebook.name}", head + f"{'min':>10s}{'max':>10s}"]
    names = list(dict.fromkeys(k for s in seeds for k in results[s]["asserts"]))
    for name in names:
        lines.append(f"{name:64s}" + "".join(f"{results[s]['asserts'].get(name, '-'):>10s}" for s in seeds))
    numbers = list(dict.fromkeys(k for s in seeds for k in results[s]["headline"]))
    for name in numbers:
        values = [results[s]["headline"].get(name) for s in seeds]
        present = [v for v in values if v is not None]
        cells = "".join(f"{v:>10.4g}" if v is not None else f"{'-':>10s}" for v in values)
        lines.append(f"{name[:64]:64s}{cells}{min(present):>10.4g}{max(present):>10.4g}")
    lines.append(f"{'seconds':64s}" + "".join(f"{results[s]['seconds']:>10.0f}" for s in seeds))
    for s in seeds:
        for problem in results[s].get("errors", []) + ([results[s]["crash"]] if "crash" in results[s] else []):
            lines.append(f"  seed {s}: {problem}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--execute"]:
        notebook, out, seed, timeout = sys.argv[2:]
        execute(Path(notebook), Path(out), int(seed), int(timeout))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/0*.ipynb")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="notebook runs at a time")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    parser.add_argument("--keep", type=Path, help="keep the executed copies in this folder")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("0*.ipynb"))
    for path in notebooks:
        if not path.is_file() or path.suffix != ".ipynb":
            parser.error(f"{path}: not a notebook file")
    with tempfile.TemporaryDirectory(prefix="seed_sweep_") as tmp:
        workdir = args.keep.resolve() if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        jobs = [(nb, seed) for nb in notebooks for seed in args.seeds]
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {job: pool.submit(run, *job, workdir, args.timeout) for job in jobs}
            results = {job: future.result() for job, future in futures.items()}
    failed = False
    for nb in notebooks:
        per_seed = {seed: results[nb, seed] for seed in args.seeds}
        print(table(nb, args.seeds, per_seed), end="\n\n", flush=True)
        failed |= any(r.get("errors") or "crash" in r for r in per_seed.values())
    print("FAILED: some cells raised (see above)" if failed else "all runs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
