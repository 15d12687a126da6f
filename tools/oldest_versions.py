#!/usr/bin/env python3
"""Run the notebooks with the oldest library versions they support: Colab's (tools/requirements-oldest.txt).

    python3 tools/oldest_versions.py                          # every notebook
    python3 tools/oldest_versions.py notebooks/06_*.ipynb     # some of them
    python3 tools/oldest_versions.py --dry-run                # only print what it would do

It builds a virtual environment from tools/requirements-oldest.txt in cache/oldest-versions/ (once; again
whenever that file changes), copies the repository to a temporary folder (so the stored notebooks and cache/
stay untouched) and runs ``pytest --nbval-lax`` on the notebooks there with that environment's Python. It takes
about as long as the notebooks' own test run, so it is run by hand, like tools/seed_sweep.py. Exits with
pytest's status.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "tools" / "requirements-oldest.txt"
HOME = ROOT / "cache" / "oldest-versions"


def environment(folder: Path, requirements: Path, dry_run: bool = False) -> Path:
    """The Python of a virtual environment in ``folder`` with ``requirements`` installed (built if stale)."""
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    stamp = folder / "requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if python.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return python
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)]
    print(f"building {folder} from {requirements.name}:", " ".join(command), flush=True)
    if not dry_run:
        shutil.rmtree(folder, ignore_errors=True)
        venv.create(folder, with_pip=True)
        subprocess.run(command, check=True)
        stamp.write_text(digest)
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all of notebooks/)")
    parser.add_argument("--venv", type=Path, default=HOME / "venv", help="where the environment is built")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, build and run nothing")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    python = environment(args.venv, REQUIREMENTS, args.dry_run)
    with tempfile.TemporaryDirectory(prefix="oldest-versions-") as tmp:
        copy = Path(tmp) / "repository"
        relative = [str(p.relative_to(ROOT)) for p in notebooks]
        command = [str(python), "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                   "-q", *relative]
        print(f"in a copy of the repository ({copy}):", " ".join(command), flush=True)
        if args.dry_run:
            return 0
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "cache", ".ipynb_checkpoints"))
        return subprocess.run(command, cwd=copy).returncode


if __name__ == "__main__":
    sys.exit(main())
