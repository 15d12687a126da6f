"""Loaders for the shipped data sets: fables, plain text, daily prices, labelled sentences, hourly air quality."""

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


# --------------------------------------------------------------------------- air quality
AIR_QUALITY_COLUMNS = ["year", "month", "day", "hour", "pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
WIND_DIRECTIONS = ["NE", "NW", "SE", "cv"]  # cv: calm and variable


def _air_error(path: Path, row: int, stamp: pd.Timestamp | None, problem: str) -> ValueError:
    when = f" ({stamp:%Y-%m-%d %H:00})" if isinstance(stamp, pd.Timestamp) else ""
    return ValueError(f"{path}: {problem} at line {row + 2}{when}")  # 1-based, after the header line


def _short_gaps(missing: np.ndarray, max_hours: int) -> np.ndarray:
    """True on the missing values that lie in an interior run of at most ``max_hours`` missing values."""
    edges = np.diff(np.r_[0, missing.astype(int), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)   # run i covers starts[i]:ends[i]
    short = np.zeros(len(missing), dtype=bool)
    for start, end in zip(starts, ends, strict=True):
        if end - start <= max_hours and start > 0 and end < len(missing):
            short[start:end] = True
    return short


def load_air_quality(path: str | Path | None = None, interpolate_hours: int = 3) -> pd.DataFrame:
    """Hourly Beijing PM2.5 and weather (UCI "PRSA" layout) as a DataFrame indexed by hour, float columns.

    Columns: ``pm25`` (µg/m³), ``pm25_interpolated`` (1.0 where filled), ``dew_point``, ``temperature`` (°C),
    ``pressure`` (hPa), ``wind_speed`` (m/s in that hour), ``cum_wind_speed`` (the file's ``Iws``), ``snow_hours``
    and ``rain_hours`` (the file's ``Is``, ``Ir``), and ``wind_NE``, ``wind_NW``, ``wind_SE``, ``wind_cv`` (one-hot).

    ``Iws``, ``Is`` and ``Ir`` are *cumulated*: they add up since the wind direction last changed, or since the
    snow or rain began, and restart then. ``wind_speed`` undoes the sum (``Iws`` minus the hour before's,
    within a run of one direction). Missing PM2.5 values inside gaps of at most ``interpolate_hours`` hours
    are filled linearly (0 fills nothing); longer gaps stay NaN. A missing, duplicated or out-of-order hour,
    a missing column, a non-numeric or negative value or an unknown wind direction raises a ValueError
    naming the file and the line.
    """
    path = Path(path) if path is not None else data_path("air_quality/PRSA_data_2010.1.1-2014.12.31.csv")
    if interpolate_hours < 0:
        raise ValueError(f"interpolate_hours must be >= 0, got {interpolate_hours}")
    text = _decode(path, read_bytes(path))
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in AIR_QUALITY_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}. Expected "
                         "No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir")
    if frame.empty:
        raise ValueError(f"{path}: header only, no rows")
    frame = frame[AIR_QUALITY_COLUMNS].apply(lambda column: column.str.strip())

    numbers = {}
    for col in AIR_QUALITY_COLUMNS:
        if col == "cbwd":
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        blank = frame[col].isin(["", "NA"])
        if col != "pm2.5" and blank.any():
            raise _air_error(path, int(np.argmax(blank)), None, f"missing value in column {col!r}")
        bad = values.isna() & ~blank
        if bad.any():
            row = int(np.argmax(bad))
            raise _air_error(path, row, None, f"non-numeric {col!r} value {frame[col].iloc[row]!r}")
        numbers[col] = values.to_numpy(dtype=float)

    calendar = {k: numbers[k] for k in ["year", "month", "day", "hour"]}
    stamps = pd.to_datetime(pd.DataFrame(calendar), errors="coerce")
    if stamps.isna().any():
        row = int(np.argmax(stamps.isna()))
        given = "-".join(frame[k].iloc[row] for k in ["year", "month", "day"]) + f" hour {frame['hour'].iloc[row]}"
        raise _air_error(path, row, None, f"invalid date or hour ({given})")
    step = (stamps.diff() / pd.Timedelta(hours=1)).fillna(1).to_numpy()
    if (step != 1).any():
        row = int(np.argmax(step != 1))
        problem = ("duplicated hour" if step[row] == 0 else "hour earlier than the row before" if step[row] < 0
                   else f"{step[row] - 1:.0f} missing hour(s) after {stamps.iloc[row - 1]:%Y-%m-%d %H:00} "
                        "(every hour needs a row)")
        raise _air_error(path, row, stamps.iloc[row], problem)

    direction = frame["cbwd"].to_numpy()
    unknown = ~np.isin(direction, WIND_DIRECTIONS)
    if unknown.any():
        row = int(np.argmax(unknown))
        raise _air_error(path, row, stamps.iloc[row],
                         f"unknown wind direction {direction[row]!r} (expected one of {WIND_DIRECTIONS})")
    for col in ["pm2.5", "Iws", "Is", "Ir"]:
        negative = numbers[col] < 0
        if negative.any():
            row = int(np.argmax(negative))
            raise _air_error(path, row, stamps.iloc[row], f"negative {col!r}")
    same_run = np.r_[False, direction[1:] == direction[:-1]]
    wind_speed = numbers["Iws"] - np.where(same_run, np.r_[0.0, numbers["Iws"][:-1]], 0.0)
    if (wind_speed < 0).any():
        row = int(np.argmax(wind_speed < 0))
        raise _air_error(path, row, stamps.iloc[row], "cumulated wind speed 'Iws' decreases while the direction "
                         "stays the same")

    index = pd.DatetimeIndex(stamps, name="time", freq="h")
    pm25 = pd.Series(numbers["pm2.5"], index=index)
    filled = _short_gaps(pm25.isna().to_numpy(), interpolate_hours)
    pm25 = pm25.where(~filled, pm25.interpolate(limit_area="inside"))
    return pd.DataFrame({
        "pm25": pm25, "pm25_interpolated": filled.astype(float),
        "dew_point": numbers["DEWP"], "temperature": numbers["TEMP"], "pressure": numbers["PRES"],
        "wind_speed": wind_speed, "cum_wind_speed": numbers["Iws"],
        "snow_hours": numbers["Is"], "rain_hours": numbers["Ir"],
        **{f"wind_{d}": (direction == d).astype(float) for d in WIND_DIRECTIONS},
    }, index=index)
