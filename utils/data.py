"""Loaders for the shipped data sets: fables, plain text, daily prices, labelled sentences, hourly air quality."""

from __future__ import annotations

import re
import warnings
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
    line = frame.index[i] + 2  # 1-based, after the header line (the index counts the file's rows)
    return ValueError(f"{path}: {problem} at line {line} (date {frame['date'].iloc[i]!r})")


def load_prices(path: str | Path | None = None, drop_null_rows: bool = False) -> pd.DataFrame:
    """Daily prices as a DataFrame indexed by date with float columns open, high, low, close, volume.

    Reads the shipped Stooq/Kaggle layout (``Date,Open,High,Low,Close,Volume,OpenInt``) and Yahoo
    Finance exports (``Date,Open,High,Low,Close,Adj Close,Volume``). For Yahoo files the adjusted
    close is used as ``close`` and open/high/low are scaled by the same factor, so splits and
    dividends do not show up as jumps. A file without a volume column (currencies, indices) gets NaN
    volumes. Any malformed row raises a ValueError naming the line; with ``drop_null_rows``, rows whose
    every value is empty or ``null`` (Yahoo writes them for days without trading) are dropped instead,
    with a warning giving their number and first date.
    """
    path = Path(path) if path is not None else data_path("prices/msft.us.txt")
    text = _decode(path, read_bytes(path))
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    if "volume" not in frame.columns:
        frame["volume"] = "NaN"
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
    empty = frame[value_columns].apply(lambda col: col.str.strip().isin(["", "null", "NaN"])).to_numpy()
    null_rows = empty[:, [c != "volume" for c in value_columns]].all(axis=1)
    if drop_null_rows and null_rows.any():
        warnings.warn(f"{path}: dropped {null_rows.sum()} row(s) without any price (the first dated "
                      f"{frame['date'][null_rows].iloc[0]})", stacklevel=2)
        frame, dates = frame[~null_rows], dates[~null_rows]        # the index keeps each row's line number
        if frame.empty:
            raise ValueError(f"{path}: no row has a price")
    values = {}
    for col in value_columns:
        numbers = pd.to_numeric(frame[col].str.strip().replace({"null": "", "NaN": ""}), errors="coerce")
        if col == "volume" and numbers.isna().all():
            values[col] = numbers.to_numpy(dtype=float)       # no volumes at all: kept as NaN, never used
            continue
        if numbers.isna().all():
            raise ValueError(f"{path}: column {col!r} has no numeric values")
        if numbers.isna().any():
            error = _bad_row(path, frame, numbers.isna().to_numpy(), f"missing or non-numeric {col!r}")
            if not drop_null_rows and null_rows.any():
                error = ValueError(f"{error}; rows without any price (Yahoo writes 'null' for days without "
                                   "trading) are dropped, with a warning, by load_prices(path, drop_null_rows=True)")
            raise error
        values[col] = numbers.to_numpy(dtype=float)
    prices = ["open", "high", "low", "close"] + (["adj close"] if "adj close" in values else [])
    for col in prices:
        if (values[col] <= 0).any():
            raise _bad_row(path, frame, values[col] <= 0, f"non-positive {col!r}")
    if (values["volume"] < 0).any():  # NaN volumes compare False
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
# The UCI "PRSA" air-quality files (Song Xi Chen's group, Peking University) come in three layouts. The loader
# recognises each by its header and maps the columns it needs onto one set of names (other columns are ignored).
AIR_QUALITY_LAYOUTS = {
    "single-site": {   # UCI 381 "Beijing PM2.5 Data", 2010-2014: the shipped file
        "title": "Beijing PM2.5 (UCI 381)",
        "columns": {"pm2.5": "pm25", "DEWP": "dew_point", "TEMP": "temperature", "PRES": "pressure",
                    "cbwd": "direction", "Iws": "cum_wind", "Is": "snow_hours", "Ir": "rain_hours"}},
    "multi-site": {    # UCI 501 "Beijing Multi-Site Air-Quality Data", 12 stations, 2013-03 to 2017-02
        "title": "Beijing Multi-Site Air-Quality (UCI 501)",
        "columns": {"PM2.5": "pm25", "DEWP": "dew_point", "TEMP": "temperature", "PRES": "pressure",
                    "wd": "direction", "WSPM": "wind_speed", "RAIN": "rain_mm", "station": "station"}},
    "five-cities": {   # UCI 394 "PM2.5 Data of Five Chinese Cities", 2010-2015; one PM_<site> column per site
        "title": "PM2.5 of Five Chinese Cities (UCI 394)",
        "columns": {"DEWP": "dew_point", "TEMP": "temperature", "PRES": "pressure", "cbwd": "direction",
                    "Iws": "cum_wind", "precipitation": "rain_mm"}},
}
_CALENDAR = ["year", "month", "day", "hour"]
_MISSING = {"", "NA", "NaN", "nan"}               # how the files (and their re-exports) write a missing value
# Plausible values of each quantity; outside them a value is a unit mistake or a missing-value code such as -9999.
AIR_QUALITY_RANGES = {"pm25": (0, 3000, "µg/m³"), "dew_point": (-60, 40, "°C"), "temperature": (-50, 50, "°C"),
                      "pressure": (850, 1100, "hPa"), "cum_wind": (0, np.inf, "m/s"), "wind_speed": (0, 60, "m/s"),
                      "snow_hours": (0, 1000, "h"), "rain_hours": (0, 1000, "h"), "rain_mm": (0, 500, "mm")}
WIND_SECTORS = ["NE", "NW", "SE", "SW", "cv"]     # the combined directions (cbwd); cv: calm and variable
_COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]


def _compass_sectors(point: str) -> dict[str, float]:
    """A 16-point direction as weights of the quadrants NE, SE, SW, NW; N, E, S and W count half in each neighbour."""
    quadrants = ["NE", "SE", "SW", "NW"]            # clockwise from north
    q, r = divmod(_COMPASS.index(point), 4)
    return {quadrants[q]: 1.0} if r else {quadrants[q]: 0.5, quadrants[q - 1]: 0.5}


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


def _air_layout(path: Path, columns: list[str], station: str | None) -> tuple[str, dict[str, str], str | None]:
    """The layout of a PRSA header, its column mapping (file name -> our name) and the PM2.5 series chosen."""
    pm_sites = [c.removeprefix("PM_") for c in columns if c.startswith("PM_")]
    layout = ("single-site" if "pm2.5" in columns else "multi-site" if "wd" in columns or "WSPM" in columns
              else "five-cities" if pm_sites else None)
    if layout is None:
        raise ValueError(f"{path}: not a UCI PRSA air-quality header: {columns}. Expected one of: "
                         + "; ".join(f"{spec['title']}: year,month,day,hour,{','.join(spec['columns'])}"
                                     + (",PM_<site>" if name == "five-cities" else "")
                                     for name, spec in AIR_QUALITY_LAYOUTS.items()))
    mapping = dict(AIR_QUALITY_LAYOUTS[layout]["columns"])
    if layout == "five-cities":                    # the station chooses the PM2.5 column
        if station is None and len(pm_sites) > 1:
            station = "US Post" if "US Post" in pm_sites else None
            if station is None:
                raise ValueError(f"{path}: PM2.5 of {len(pm_sites)} sites {pm_sites}: choose one with station=")
        station = station if station is not None else pm_sites[0]
        if station not in pm_sites:
            raise ValueError(f"{path}: no column 'PM_{station}'; the PM2.5 sites are {pm_sites}")
        mapping = {f"PM_{station}": "pm25", **mapping}
    elif layout == "single-site" and station is not None:
        raise ValueError(f"{path}: the {AIR_QUALITY_LAYOUTS[layout]['title']} layout has one site; "
                         f"station must be None, got {station!r}")
    missing = [c for c in _CALENDAR + list(mapping) if c not in columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing} for the {AIR_QUALITY_LAYOUTS[layout]['title']} "
                         f"layout; found {columns}")
    return layout, mapping, station


def _numbers(path: Path, frame: pd.DataFrame, column: str, name: str | None) -> np.ndarray:
    """The column as floats (NaN where missing); a non-numeric, non-finite or implausible value raises."""
    text = frame[column]
    blank = text.isin(_MISSING)
    if name is None and blank.any():               # the calendar columns may not be missing
        raise _air_error(path, frame.index[np.argmax(blank)], None, f"missing value in column {column!r}")
    values = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & ~blank.to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise _air_error(path, frame.index[row], None, f"non-numeric {column!r} value {text.iloc[row]!r}")
    if np.isinf(values).any():
        row = int(np.argmax(np.isinf(values)))
        raise _air_error(path, frame.index[row], None, f"non-finite {column!r} value {text.iloc[row]!r}")
    if name in AIR_QUALITY_RANGES:
        low, high, unit = AIR_QUALITY_RANGES[name]
        outside = (values < low) | (values > high)
        if outside.any():
            row = int(np.argmax(outside))
            raise _air_error(path, frame.index[row], None,
                             f"{column!r} value {text.iloc[row]!r} outside the plausible range [{low:g}, {high:g}] "
                             f"{unit} (if it marks a missing value, write NA)")
    return values


def load_air_quality(path: str | Path | None = None, interpolate_hours: int = 3,
                     station: str | None = None) -> pd.DataFrame:
    """Hourly PM2.5 and weather from a UCI "PRSA" file as a DataFrame indexed by hour, float columns.

    Three layouts are recognised by their header (``AIR_QUALITY_LAYOUTS``): the single-site Beijing file (UCI 381,
    the shipped one), the Beijing multi-site files (UCI 501; ``station`` picks a station if the file holds several)
    and the five-cities files (UCI 394; ``station`` picks the ``PM_<site>`` column, default ``US Post``).

    Columns: ``pm25`` (µg/m³), ``pm25_interpolated`` and ``weather_interpolated`` (1.0 where a value was filled),
    ``dew_point``, ``temperature`` (°C), ``pressure`` (hPa), ``wind_speed`` (m/s in that hour), ``cum_wind_speed``
    (m/s summed over the hours since the wind direction last changed, as the files' ``Iws``), ``precipitation``
    (1.0 in an hour with rain or snow), and one ``wind_<sector>`` column per sector of ``WIND_SECTORS`` the layout
    has: the combined direction ``cbwd`` one-hot (NE, NW, SE, cv; SW too in the five-cities files), or the
    16-point ``wd`` of the multi-site files as weights of the quadrants NE, SE, SW, NW (N, E, S, W count half in
    each neighbour). ``Iws`` is un-cumulated (``Iws`` minus the hour before's within a run of one direction);
    the multi-site ``WSPM`` is already hourly and is summed instead.

    Missing values (empty, ``NA`` or ``NaN``) inside gaps of at most ``interpolate_hours`` hours are filled
    linearly, column by column (0 fills nothing); longer gaps stay NaN. A missing, duplicated or out-of-order
    hour, a missing column, a non-numeric, infinite or implausible value (``AIR_QUALITY_RANGES``, e.g. a -9999
    code), an unknown wind direction or an ``Iws`` that decreases within one direction raises a ValueError naming
    the file and the line.
    """
    path = Path(path) if path is not None else data_path("air_quality/PRSA_data_2010.1.1-2014.12.31.csv")
    if interpolate_hours < 0:
        raise ValueError(f"interpolate_hours must be >= 0, got {interpolate_hours}")
    text = _decode(path, read_bytes(path))
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lstrip("\ufeff") for c in frame.columns]
    layout, mapping, station = _air_layout(path, list(frame.columns), station)
    if frame.empty:
        raise ValueError(f"{path}: header only, no rows")
    frame = frame[_CALENDAR + list(mapping)].apply(lambda column: column.str.strip())
    if layout == "multi-site":
        stations = list(dict.fromkeys(frame["station"]))
        if station is None and len(stations) > 1:
            raise ValueError(f"{path}: {len(stations)} stations {stations}: choose one with station=")
        station = station if station is not None else stations[0]
        if station not in stations:
            raise ValueError(f"{path}: no station {station!r}; the file has {stations}")
        frame = frame[frame["station"] == station]        # the index keeps each row's place in the file

    numbers = {name: _numbers(path, frame, column, name) for column, name in mapping.items()
               if name not in ("direction", "station")}
    calendar = {k: _numbers(path, frame, k, None) for k in _CALENDAR}
    stamps = pd.to_datetime(pd.DataFrame(calendar), errors="coerce")
    if stamps.isna().any():
        row = int(np.argmax(stamps.isna()))
        given = "-".join(frame[k].iloc[row] for k in ["year", "month", "day"]) + f" hour {frame['hour'].iloc[row]}"
        raise _air_error(path, frame.index[row], None, f"invalid date or hour ({given})")
    step = (stamps.diff() / pd.Timedelta(hours=1)).fillna(1).to_numpy()
    if (step != 1).any():
        row = int(np.argmax(step != 1))
        problem = ("duplicated hour" if step[row] == 0 else "hour earlier than the row before" if step[row] < 0
                   else f"{step[row] - 1:.0f} missing hour(s) after {stamps.iloc[row - 1]:%Y-%m-%d %H:00} "
                        "(every hour needs a row)")
        raise _air_error(path, frame.index[row], stamps.iloc[row], problem)

    direction_column = next(c for c, name in mapping.items() if name == "direction")
    direction = frame[direction_column].where(~frame[direction_column].isin(_MISSING))   # NaN where missing
    known = ["cv", "NE", "NW", "SE"] + (["SW"] if layout == "five-cities" else []) if direction_column == "cbwd" \
        else _COMPASS
    unknown = direction.notna() & ~direction.isin(known)
    if unknown.any():
        row = int(np.argmax(unknown))
        raise _air_error(path, frame.index[row], stamps.iloc[row],
                         f"unknown wind direction {direction.iloc[row]!r} in {direction_column!r} "
                         f"(expected one of {known})")
    direction = direction.to_numpy(dtype=object)
    present = pd.notna(direction)
    same_run = np.r_[False, present[1:] & present[:-1] & (direction[1:] == direction[:-1])]
    if direction_column == "cbwd":                 # one-hot, and Iws un-cumulated within a run of one direction
        sectors = {d: np.where(present, direction == d, np.nan) for d in WIND_SECTORS if d in known}
        cum_wind = numbers["cum_wind"]
        before = np.r_[np.nan, cum_wind[:-1]]
        new_run = np.r_[True, present[1:] & present[:-1] & (direction[1:] != direction[:-1])]
        wind_speed = np.where(same_run, cum_wind - before, np.where(new_run & present, cum_wind, np.nan))
        if (wind_speed < 0).any():
            row = int(np.argmax(wind_speed < 0))
            raise _air_error(path, frame.index[row], stamps.iloc[row],
                             "cumulated wind speed 'Iws' decreases while the direction stays the same")
    else:                                          # 16 points as quadrant weights, and WSPM summed within a run
        weights = pd.DataFrame([_compass_sectors(d) if isinstance(d, str) else {} for d in direction],
                               columns=["NE", "NW", "SE", "SW"]).fillna(0.0).to_numpy()
        sectors = {d: np.where(present, weights[:, i], np.nan) for i, d in enumerate(["NE", "NW", "SE", "SW"])}
        wind_speed = numbers["wind_speed"]
        run = np.cumsum(~(same_run & ~np.isnan(np.r_[np.nan, wind_speed[:-1]])))   # a missing hour restarts it
        cum_wind = np.where(present, pd.Series(wind_speed).groupby(run).cumsum().to_numpy(), np.nan)
    wet = numbers["snow_hours"] + numbers["rain_hours"] if layout == "single-site" else numbers["rain_mm"]

    index = pd.DatetimeIndex(stamps, name="time", freq="h")
    weather = pd.DataFrame({
        "dew_point": numbers["dew_point"], "temperature": numbers["temperature"], "pressure": numbers["pressure"],
        "wind_speed": wind_speed, "cum_wind_speed": cum_wind, "precipitation": np.where(np.isnan(wet), np.nan, wet > 0),
        **{f"wind_{d}": values for d, values in sectors.items()},
    }, index=index)
    filled = weather.isna().apply(lambda column: _short_gaps(column.to_numpy(), interpolate_hours))
    weather = weather.where(~filled, weather.interpolate(limit_area="inside"))
    pm25 = pd.Series(numbers["pm25"], index=index)
    pm_filled = _short_gaps(pm25.isna().to_numpy(), interpolate_hours)
    pm25 = pm25.where(~pm_filled, pm25.interpolate(limit_area="inside"))
    air = pd.concat([pd.DataFrame({"pm25": pm25, "pm25_interpolated": pm_filled.astype(float),
                                   "weather_interpolated": filled.any(axis=1).astype(float)}, index=index),
                     weather], axis=1)
    air.attrs.update(layout=AIR_QUALITY_LAYOUTS[layout]["title"], station=station, path=str(path))
    return air
