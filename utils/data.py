"""Loaders for the shipped data sets: fables, plain text, daily prices, labelled sentences."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .paths import data_path, read_bytes

PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]
SENTIMENT_SOURCES = {
    "amazon": "sentiment/amazon_cells_labelled.txt",
    "imdb": "sentiment/imdb_labelled.txt",
    "yelp": "sentiment/yelp_labelled.txt",
}
# The imdb file holds Windows-1252 punctuation stored as C1 control characters.
_C1_PUNCTUATION = str.maketrans({"\x85": "…", "\x96": "–", "\x97": "—"})


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {raw[err.start]:#04x} at offset {err.start}); "
            "convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from None


def load_text(path: str | Path) -> str:
    """The whole UTF-8 text file as one string with ``\\n`` line ends."""
    path = Path(path)
    text = _decode(path, read_bytes(path)).replace("\r\n", "\n")
    if not text.strip():
        raise ValueError(f"{path}: the file is empty (no text to learn from)")
    return text


# --------------------------------------------------------------------------- fables
class Fable(NamedTuple):
    title: str
    text: str


_TITLE = re.compile(r"^[A-Z][A-Z ,.'\-]*[A-Z]$")
_SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to", "with"}


def _title_case(caps: str) -> str:
    words = caps.lower().split()
    return " ".join(w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words))


def load_fables(path: str | Path | None = None) -> list[Fable]:
    """The 284 Aesop fables as ``Fable(title, text)``; each text is its paragraphs, one per line.

    Only the fables are kept: the Project Gutenberg header and licence, the introduction, the
    contents and the list of illustrations are stripped. Wrapped lines are joined, so a paragraph
    (or the indented moral that ends many fables) is one line of ``text``.
    """
    path = Path(path) if path is not None else data_path("text/pg11339_aesops_fables_vernon_jones.txt")
    lines = load_text(path).split("\n")

    def find(predicate, start: int, what: str) -> int:
        for i in range(start, len(lines)):
            if predicate(lines[i]):
                return i
        raise ValueError(f"{path}: {what} not found; is this the Gutenberg eBook #11339 text?")

    start = find(lambda s: s.startswith("*** START OF"), 0, "the '*** START OF' marker")
    end = find(lambda s: s.startswith("*** END OF"), start, "the '*** END OF' marker")
    contents = find(lambda s: s.strip() == "CONTENTS", start, "the CONTENTS heading")
    first = find(lambda s: s.strip() == "AESOP'S FABLES", contents, "the heading before the fables")
    last = find(lambda s: s.strip() == "ILLUSTRATIONS", first, "the ILLUSTRATIONS heading")
    body = lines[first + 1 : min(last, end)]

    fables: list[Fable] = []
    paragraphs: list[str] = []
    current: list[str] = []
    title = None

    def close_paragraph() -> None:
        if current:
            paragraphs.append(" ".join(s.strip() for s in current))
            current.clear()

    def close_fable() -> None:
        close_paragraph()
        if title is not None:
            if not paragraphs:
                raise ValueError(f"{path}: fable {title!r} has no text")
            fables.append(Fable(_title_case(title), "\n".join(paragraphs)))
        paragraphs.clear()

    for i, line in enumerate(body):
        is_title = _TITLE.match(line) and (i == 0 or not body[i - 1].strip())
        if is_title:
            close_fable()
            title = line.strip()
        elif not line.strip():
            close_paragraph()
        else:
            current.append(line)
    close_fable()
    if not fables:
        raise ValueError(f"{path}: no fables found between CONTENTS and ILLUSTRATIONS")
    return fables


# --------------------------------------------------------------------------- prices
def _bad_row(path: Path, frame: pd.DataFrame, mask: np.ndarray, problem: str) -> ValueError:
    i = int(np.argmax(mask))
    line = i + 2  # 1-based, after the header line
    return ValueError(f"{path}: {problem} at line {line} (date {frame['date'].iloc[i]!r})")


def load_prices(path: str | Path | None = None) -> pd.DataFrame:
    """Daily prices as a DataFrame indexed by date with float columns open, high, low, close, volume.

    Reads the shipped Stooq/Kaggle layout (``Date,Open,High,Low,Close,Volume,OpenInt``) and Yahoo
    Finance exports (``Date,Open,High,Low,Close,Adj Close,Volume``). For Yahoo files the adjusted
    close is used as ``close`` and open/high/low are scaled by the same factor, so splits and
    dividends do not show up as jumps. Any malformed row raises a ValueError naming the line.
    """
    path = Path(path) if path is not None else data_path("prices/msft.us.txt")
    text = _decode(path, read_bytes(path))
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    needed = ["date", *PRICE_COLUMNS]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; found {list(frame.columns)}. Expected "
            "Date,Open,High,Low,Close,Volume (Stooq) or Date,Open,High,Low,Close,Adj Close,Volume (Yahoo)"
        )
    if frame.empty:
        raise ValueError(f"{path}: header only, no rows")
    frame["date"] = frame["date"].str.strip()

    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        raise _bad_row(path, frame, dates.isna().to_numpy(), "unparsable date (expected YYYY-MM-DD)")
    step = dates.diff().dt.days.fillna(1).to_numpy()
    if (step == 0).any():
        raise _bad_row(path, frame, step == 0, "duplicate date")
    if (step < 0).any():
        raise _bad_row(path, frame, step < 0, "date earlier than the row before (dates must increase)")

    value_columns = PRICE_COLUMNS + (["adj close"] if "adj close" in frame.columns else [])
    values = {}
    for col in value_columns:
        numbers = pd.to_numeric(frame[col].str.strip().replace({"null": "", "NaN": ""}), errors="coerce")
        if numbers.isna().all():
            raise ValueError(f"{path}: column {col!r} has no numeric values")
        if numbers.isna().any():
            raise _bad_row(path, frame, numbers.isna().to_numpy(), f"missing or non-numeric {col!r}")
        values[col] = numbers.to_numpy(dtype=float)
    prices = ["open", "high", "low", "close"] + (["adj close"] if "adj close" in values else [])
    for col in prices:
        if (values[col] <= 0).any():
            raise _bad_row(path, frame, values[col] <= 0, f"non-positive {col!r}")
    if (values["volume"] < 0).any():
        raise _bad_row(path, frame, values["volume"] < 0, "negative volume")

    if "adj close" in values:
        factor = values["adj close"] / values["close"]
        for col in ["open", "high", "low"]:
            values[col] = values[col] * factor
        values["close"] = values["adj close"]
    out = pd.DataFrame({c: values[c] for c in PRICE_COLUMNS}, index=pd.DatetimeIndex(dates, name="date"))
    return out


# --------------------------------------------------------------------------- sentiment
def load_sentiment() -> pd.DataFrame:
    """The 3,000 labelled review sentences: columns sentence (str), label (0/1), source.

    Lines are split on ``\\n`` only (imdb contains U+0085, which ``str.splitlines`` treats as a
    line break) and without CSV quoting (imdb has unbalanced quotes, which make ``pd.read_csv``
    silently merge lines). The C1 characters that stand for Windows-1252 punctuation are mapped
    to the punctuation they mean (…, –, —); trailing spaces are stripped.
    """
    rows = []
    for source, name in SENTIMENT_SOURCES.items():
        path = data_path(name)
        lines = _decode(path, read_bytes(path)).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            sentence, tab, label = line.rpartition("\t")
            if not tab or label.strip() not in {"0", "1"} or not sentence.strip():
                raise ValueError(f"{path}: line {number} is not 'sentence<TAB>0|1': {line[:60]!r}")
            rows.append((sentence.translate(_C1_PUNCTUATION).strip(), int(label), source))
        if len(lines) != 1000:
            raise ValueError(f"{path}: expected 1,000 sentences, found {len(lines):,}")
    frame = pd.DataFrame(rows, columns=["sentence", "label", "source"])
    frame["label"] = frame["label"].astype("int64")
    return frame
