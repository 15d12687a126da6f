"""Where the data lives, and a check that shipped files are the ones we shipped."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
# Generated data (ignored by git). RNN_NOTEBOOKS_CACHE moves it, so that parallel runs do not share files.
CACHE_DIR = Path(os.environ.get("RNN_NOTEBOOKS_CACHE", ROOT / "cache"))

# sha256 of every file shipped in data/ (also listed in data/README.md).
SHIPPED = {
    "text/pg11339_aesops_fables_vernon_jones.txt":
        "655566e8d3f5a977a3836d1635418b006ea4b92283fc6fc96460ac59e0b71c2a",
    "text/tinyshakespeare.txt":
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    "prices/msft.us.txt":
        "4804b478e15caad8ec9d7a2799f59ab0301a3ea450fef5b8e35db6a1adfa62bd",
    "sentiment/amazon_cells_labelled.txt":
        "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
    "sentiment/imdb_labelled.txt":
        "aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d",
    "sentiment/yelp_labelled.txt":
        "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea",
    "sentiment/readme.txt":
        "736c26aa54e3614459e50314ece0698051f0923d108ed53938dcb1aa0483bfd4",
    "air_quality/PRSA_data_2010.1.1-2014.12.31.csv":
        "77b185392c567d67bf0ddaa27cf57f6f1198e463a665d86360f3910c313719bd",
    "translation/cmn.txt":
        "aa264a2447b26ab7c9d413f8321f9e2a779fd134b5118306b6e26a3499b3926e",
}

# Shipped folders: (file pattern, number of files, sha256 of all the files' bytes concatenated in sorted name order).
SHIPPED_FOLDERS = {
    "audio/fsdd/recordings":
        ("*.wav", 3000, "ddb17656a0bca4c5ddace082be188ca630516dc2ef1110afe3c4e9cc71173de4"),
    "audio/synthetic":
        ("*.wav", 240, "e1510878c83472740d274ec9d40539353d0a61faa15d934383dac11fb3d0eff2"),
}


def data_path(name: str) -> Path:
    """Path of a shipped file, e.g. ``data_path("prices/msft.us.txt")``; unknown names raise."""
    if name not in SHIPPED:
        known = ", ".join(sorted(SHIPPED))
        raise KeyError(f"{name!r} is not a shipped data file; known files: {known}")
    return DATA_DIR / name


def shipped_folder(name: str) -> list[Path]:
    """The sorted files of a shipped folder, e.g. ``shipped_folder("audio/fsdd/recordings")``, after checking
    their number and their combined sha256; a missing, extra or changed file raises."""
    if name not in SHIPPED_FOLDERS:
        raise KeyError(f"{name!r} is not a shipped data folder; known folders: {', '.join(sorted(SHIPPED_FOLDERS))}")
    pattern, count, expected = SHIPPED_FOLDERS[name]
    folder = DATA_DIR / name
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    files = sorted(folder.glob(pattern))
    if len(files) != count:
        raise OSError(f"{folder}: expected {count} files matching {pattern}, found {len(files)}. "
                      "Restore it with `git checkout -- data/`.")
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    if digest.hexdigest() != expected:
        raise OSError(f"{folder}: the files do not match the shipped ones (combined sha256 {digest.hexdigest()[:12]}…, "
                      f"expected {expected[:12]}…); one was modified. Restore them with `git checkout -- data/`.")
    return files


def cache_dir(*parts: str) -> Path:
    """A folder under ``cache/`` for generated data, created if needed."""
    path = CACHE_DIR.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _shipped_name(path: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(DATA_DIR.resolve()).as_posix()
    except ValueError:
        return None
    return rel if rel in SHIPPED else None


def read_bytes(path: str | Path) -> bytes:
    """The bytes of ``path``; a shipped file is first checked against its sha256."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    raw = path.read_bytes()
    name = _shipped_name(path)
    if name is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != SHIPPED[name]:
            raise OSError(
                f"{path}: contents do not match the shipped file (sha256 {digest[:12]}…, "
                f"expected {SHIPPED[name][:12]}…); it was modified or truncated. "
                "Restore it with `git checkout -- data/`."
            )
    return raw
