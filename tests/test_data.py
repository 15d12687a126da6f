"""Loaders: structure of the shipped data, its format traps, and clear errors on bad input."""

import shutil

import numpy as np
import pandas as pd
import pytest

import utils
from utils.paths import DATA_DIR

STOOQ_HEADER = "Date,Open,High,Low,Close,Volume,OpenInt\n"
YAHOO_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def write(tmp_path, text, name="f.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


# ----------------------------------------------------------------------------- fables
def test_fables_count_titles_and_no_front_or_back_matter():
    fables = utils.load_fables()
    assert len(fables) == 284
    assert all(isinstance(f, utils.Fable) and f._fields == ("title", "text") for f in fables)
    assert fables[0].title == "The Fox and the Grapes"
    assert fables[0].text.startswith("A hungry Fox saw some fine bunches of Grapes")
    assert fables[-1].title == "The Traveller and Fortune"
    assert len({f.title for f in fables}) == 284  # every title distinct: no two fables merged, none split
    everything = "\n".join(f.title + "\n" + f.text for f in fables)
    for marker in ["Gutenberg", "CONTENTS", "INTRODUCTION", "Illustration", "Chesterton", "\r"]:
        assert marker not in everything
    assert all(len(f.text) > 100 for f in fables)


def test_fables_moral_is_its_own_paragraph():
    goose = next(f for f in utils.load_fables() if f.title == "The Goose That Laid the Golden Eggs")
    assert goose.text.split("\n")[-1] == "Much wants more and loses all."


def test_fables_rejects_a_text_that_is_not_the_gutenberg_book(tmp_path):
    path = write(tmp_path, "Once upon a time there was a fox.\n", "story.txt")
    with pytest.raises(ValueError, match=r"story\.txt.*START OF.*not found"):
        utils.load_fables(path)


# ----------------------------------------------------------------------------- plain text
def test_load_text_shakespeare():
    text = utils.load_text(utils.data_path("text/tinyshakespeare.txt"))
    assert len(text) == 1_115_394
    assert len(set(text)) == 65
    assert text.startswith("First Citizen:")


def test_load_text_converts_crlf(tmp_path):
    assert utils.load_text(write(tmp_path, "a\r\nb\r\n", "t.txt")) == "a\nb\n"


@pytest.mark.parametrize("content", ["", "  \n\n "])
def test_load_text_empty_file(tmp_path, content):
    with pytest.raises(ValueError, match=r"empty\.txt: the file is empty"):
        utils.load_text(write(tmp_path, content, "empty.txt"))


def test_load_text_not_utf8(tmp_path):
    with pytest.raises(ValueError, match=r"latin\.txt: not UTF-8 text \(byte 0xe9 at offset 3\)"):
        utils.load_text(write(tmp_path, "caf\xe9 au lait", "latin.txt", encoding="latin-1"))


def test_load_text_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.txt: no such file"):
        utils.load_text(tmp_path / "nope.txt")


# ----------------------------------------------------------------------------- integrity
@pytest.fixture
def fake_data_dir(tmp_path, monkeypatch):
    """A copy of data/ that the loaders treat as the shipped folder."""
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    monkeypatch.setattr(utils.paths, "DATA_DIR", copy)
    return copy


def test_truncated_shipped_file_is_detected(fake_data_dir):
    path = fake_data_dir / "prices/msft.us.txt"
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(OSError, match=r"msft\.us\.txt: contents do not match.*modified or truncated"):
        utils.load_prices(path)


def test_modified_shipped_file_is_detected(fake_data_dir):
    path = fake_data_dir / "sentiment/yelp_labelled.txt"
    path.write_bytes(path.read_bytes().replace(b"\t1\n", b"\t0\n", 1))
    with pytest.raises(OSError, match=r"yelp_labelled\.txt: contents do not match"):
        utils.load_sentiment()


def test_missing_shipped_file(fake_data_dir):
    (fake_data_dir / "text/pg11339_aesops_fables_vernon_jones.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"pg11339_aesops_fables_vernon_jones\.txt: no such file"):
        utils.load_fables()


def test_shipped_folder_detects_a_changed_missing_or_extra_file(fake_data_dir):
    folder = fake_data_dir / "audio/fsdd/recordings"
    assert len(utils.paths.shipped_folder("audio/fsdd/recordings")) == 3000
    first = sorted(folder.glob("*.wav"))[0]
    raw = first.read_bytes()
    first.write_bytes(raw[:-2] + b"\x00\x01")
    with pytest.raises(OSError, match=r"recordings: the files do not match the shipped ones.*git checkout"):
        utils.paths.shipped_folder("audio/fsdd/recordings")
    first.write_bytes(raw)
    (folder / "0_extra_0.wav").write_bytes(raw)
    with pytest.raises(OSError, match=r"recordings: expected 3000 files matching \*\.wav, found 3001"):
        utils.paths.shipped_folder("audio/fsdd/recordings")
    with pytest.raises(KeyError, match="not a shipped data folder"):
        utils.paths.shipped_folder("audio/other")


def test_unknown_data_name():
    with pytest.raises(KeyError, match=r"'prices/aapl\.txt' is not a shipped data file"):
        utils.data_path("prices/aapl.txt")


def test_cache_dir_is_created_and_ignored_by_git(tmp_path, monkeypatch):
    monkeypatch.setattr(utils.paths, "CACHE_DIR", tmp_path / "cache")
    folder = utils.paths.cache_dir("videos", "clips")
    assert folder.is_dir() and folder == tmp_path / "cache" / "videos" / "clips"
    assert "cache/" in (utils.ROOT / ".gitignore").read_text().split("\n")


# ----------------------------------------------------------------------------- prices
def test_prices_shipped_msft():
    prices = utils.load_prices()
    assert list(prices.columns) == ["open", "high", "low", "close", "volume"]
    assert isinstance(prices.index, pd.DatetimeIndex) and prices.index.is_monotonic_increasing
    assert len(prices) == 7983
    assert str(prices.index[0].date()) == "1986-03-13" and str(prices.index[-1].date()) == "2017-11-10"
    assert prices["close"].iloc[0] == pytest.approx(0.07533)
    assert all(prices.dtypes == np.float64)
    assert (prices[["open", "high", "low", "close"]] > 0).all().all()


def test_prices_yahoo_layout_prefers_adjusted_close(tmp_path):
    csv = YAHOO_HEADER + "2020-01-02,10,12,9,11,5.5,100\n2020-01-03,11,11,10,10,5,200\n"
    prices = utils.load_prices(write(tmp_path, csv))
    assert list(prices.columns) == ["open", "high", "low", "close", "volume"]
    np.testing.assert_allclose(prices["close"], [5.5, 5.0])
    np.testing.assert_allclose(prices["open"], [5.0, 5.5])  # scaled by adj/close
    np.testing.assert_allclose(prices["volume"], [100, 200])


def test_prices_accepts_stooq_without_final_newline(tmp_path):
    prices = utils.load_prices(write(tmp_path, STOOQ_HEADER + "2020-01-02,1,2,1,2,10,0"))
    assert len(prices) == 1


BAD_PRICES = [
    ("Date,Open,High,Low,Volume\n2020-01-02,1,2,1,10\n", r"missing column\(s\) \['close'\]"),
    ("Datum,Open,High,Low,Close,Volume\n2020-01-02,1,2,1,2,10\n", r"missing column\(s\) \['date'\]"),
    (STOOQ_HEADER, r"header only, no rows"),
    ("", r"the file is empty"),
    (STOOQ_HEADER + "2020-01-02,1,2,1,2,10,0\n02/01/2020,1,2,1,2,10,0\n",
     r"unparsable date \(expected YYYY-MM-DD\) at line 3 \(date '02/01/2020'\)"),
    (STOOQ_HEADER + "2020-01-02,1,2,1,2,10,0\n2020-01-03,1,2,1,2,10,0\n2020-01-03,1,2,1,2,10,0\n",
     r"duplicate date at line 4 \(date '2020-01-03'\)"),
    (STOOQ_HEADER + "2020-01-03,1,2,1,2,10,0\n2020-01-02,1,2,1,2,10,0\n",
     r"date earlier than the row before \(dates must increase\) at line 3 \(date '2020-01-02'\)"),
    (STOOQ_HEADER + "2020-01-02,1,2,1,2,10,0\n2020-01-03,1,2,1,0,10,0\n",
     r"non-positive 'close' at line 3"),
    (STOOQ_HEADER + "2020-01-02,1,2,-1,2,10,0\n", r"non-positive 'low' at line 2"),
    (STOOQ_HEADER + "2020-01-02,1,2,1,2,10,0\n2020-01-03,1,2,1,abc,10,0\n",
     r"missing or non-numeric 'close' at line 3"),
    (YAHOO_HEADER + "2020-01-02,1,2,1,2,2,10\n2020-01-03,null,null,null,null,null,null\n",
     r"missing or non-numeric 'open' at line 3"),
    (STOOQ_HEADER + "2020-01-02,1,2,1,,10,0\n2020-01-03,1,2,1,,10,0\n",
     r"column 'close' has no numeric values"),
    (STOOQ_HEADER + "2020-01-02,1,2,1,2,-10,0\n", r"negative volume at line 2"),
]


def test_prices_without_a_volume_column_get_nan_volumes(tmp_path):
    prices = utils.load_prices(write(tmp_path, "Date,Open,High,Low,Close\n2020-01-02,1,2,1,2\n2020-01-03,2,3,2,3\n"))
    np.testing.assert_allclose(prices["close"], [2, 3])
    assert prices["volume"].isna().all()


def test_prices_null_rows_are_refused_with_a_hint_or_dropped_with_a_warning(tmp_path):
    csv = (YAHOO_HEADER + "2020-01-02,1,2,1,2,2,10\n2020-01-03,null,null,null,null,null,null\n"
           "2020-01-06,1,2,1,2,2,10\n2020-01-07,null,null,null,null,null,null\n2020-01-08,1,2,1,x,2,10\n")
    path = write(tmp_path, csv, "yahoo.csv")
    with pytest.raises(ValueError, match=r"yahoo\.csv: missing or non-numeric 'open' at line 3 .*drop_null_rows=True"):
        utils.load_prices(path)
    dropped = r"yahoo\.csv: dropped 2 row\(s\) without any price \(the first dated 2020-01-03\)"
    with pytest.warns(UserWarning, match=dropped):
        with pytest.raises(ValueError, match=r"non-numeric 'close' at line 6 "):   # line numbers of the file
            utils.load_prices(path, drop_null_rows=True)
    good = write(tmp_path, csv.replace(",x,", ",2,"), "yahoo_ok.csv")
    with pytest.warns(UserWarning, match="dropped 2 row"):
        prices = utils.load_prices(good, drop_null_rows=True)
    assert [str(d.date()) for d in prices.index] == ["2020-01-02", "2020-01-06", "2020-01-08"]


@pytest.mark.parametrize("csv, message", BAD_PRICES)
def test_prices_bad_input_names_file_and_problem(tmp_path, csv, message):
    with pytest.raises(ValueError, match=r"my_prices\.csv: " + message):
        utils.load_prices(write(tmp_path, csv, "my_prices.csv"))


def test_prices_shuffled_real_file_is_rejected(tmp_path):
    lines = utils.data_path("prices/msft.us.txt").read_text().split("\n")
    body = lines[1:]
    body[100], body[101] = body[101], body[100]
    path = write(tmp_path, "\n".join([lines[0], *body]), "shuffled.csv")
    with pytest.raises(ValueError, match=r"shuffled\.csv: date earlier than the row before.* at line 103"):
        utils.load_prices(path)


# ----------------------------------------------------------------------------- sentiment
def test_sentiment_has_all_3000_rows_balanced():
    frame = utils.load_sentiment()
    assert list(frame.columns) == ["sentence", "label", "source"]
    assert len(frame) == 3000
    counts = frame.groupby(["source", "label"]).size()
    assert (counts == 500).all() and len(counts) == 6
    assert frame["label"].dtype == np.int64
    assert frame["sentence"].str.len().min() > 0


def test_sentiment_imdb_traps():
    imdb = utils.load_sentiment().query("source == 'imdb'")
    # The raw file has 1,002 'lines' by str.splitlines and 748 rows by default CSV quoting.
    raw = utils.data_path("sentiment/imdb_labelled.txt").read_text(encoding="utf-8")
    assert len(raw.splitlines()) == 1002 and len(imdb) == 1000
    assert not imdb["sentence"].str.contains("[\x80-\x9f]").any()
    assert imdb["sentence"].str.contains("…").any()
    assert not imdb["sentence"].str.endswith(" ").any()
    assert imdb["sentence"].str.count('"').mod(2).eq(1).any()  # unbalanced quotes kept as text


# ----------------------------------------------------------------------------- air quality
AIR_HEADER = "No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir\n"
MULTI_HEADER = "No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station\n"
FIVE_HEADER = ("No,year,month,day,hour,season,PM_Jingan,PM_US Post,PM_Xuhui,DEWP,HUMI,PRES,TEMP,cbwd,Iws,"
               "precipitation,Iprec\n")


def air_rows(pm25_values, start_hour=0, directions=None):
    """CSV rows for consecutive hours of 2014-01-01 (then 2014-01-02...), with the given pm2.5 fields."""
    rows = []
    for i, pm in enumerate(pm25_values):
        hour = start_hour + i
        direction = directions[i] if directions else "NW"
        rows.append(f"{i + 1},2014,1,{1 + hour // 24},{hour % 24},{pm},-5,2,1020,{direction},{1.79 * (i + 1):.2f},0,0")
    return "\n".join(rows) + "\n"


def multi_rows(station, n, pm25=None, temp=None, wd=None, wspm=None, rain=None):
    """Multi-site CSV rows for n consecutive hours from 2016-03-01 00:00; each field list overrides a default."""
    pm25 = pm25 or [str(10 + i) for i in range(n)]
    temp, wd = temp or ["2.5"] * n, wd or ["NW"] * n
    wspm, rain = wspm or ["1.5"] * n, rain or ["0.0"] * n
    return "".join(f"{i + 1},2016,3,{1 + i // 24},{i % 24},{pm25[i]},NA,4,7,300,77,{temp[i]},1023.0,-18.8,{rain[i]},"
                   f"{wd[i]},{wspm[i]},{station}\n" for i in range(n))


def to_multi_site(air, stations=("Embassy",), years=0):
    """A single-site frame from ``load_air_quality`` written in the multi-site layout (UCI 501), one copy per
    station (the second and later with PM2.5 x 0.9), its years moved by ``years``. The combined directions become
    16-point ones (NE -> NNE/NE/ENE in turn, likewise NW and SE; calm -> N), snow or rain 0.3 mm."""
    points = {"NE": ["NNE", "NE", "ENE"], "NW": ["WNW", "NW", "NNW"], "SE": ["ESE", "SE", "SSE"], "cv": ["N"]}
    sector = air[["wind_NE", "wind_NW", "wind_SE", "wind_cv"]].to_numpy().argmax(axis=1)
    wd = [points[["NE", "NW", "SE", "cv"][s]][i % len(points[["NE", "NW", "SE", "cv"][s]])]
          for i, s in enumerate(sector)]
    frames = []
    for k, station in enumerate(stations):
        pm = air["pm25"].where(air["pm25_interpolated"] == 0) * (0.9 ** k)
        frames.append(pd.DataFrame({
            "year": air.index.year + years, "month": air.index.month, "day": air.index.day, "hour": air.index.hour,
            "PM2.5": pm.round(1), "PM10": np.nan, "SO2": np.nan, "NO2": np.nan, "CO": np.nan, "O3": np.nan,
            "TEMP": air["temperature"], "PRES": air["pressure"], "DEWP": air["dew_point"],
            "RAIN": np.where(air["precipitation"] > 0, 0.3, 0.0), "wd": wd, "WSPM": air["wind_speed"].round(2),
            "station": station}))
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "No", np.arange(1, len(frame) + 1))
    return frame.to_csv(index=False, na_rep="NA")


def test_air_quality_shipped_file():
    air = utils.load_air_quality()
    assert len(air) == 43_824 and isinstance(air.index, pd.DatetimeIndex)
    assert air.index[0] == pd.Timestamp("2010-01-01 00:00") and air.index[-1] == pd.Timestamp("2014-12-31 23:00")
    assert (air.index.to_series().diff().iloc[1:] == pd.Timedelta(hours=1)).all()   # a complete hourly grid
    assert list(air.columns) == ["pm25", "pm25_interpolated", "weather_interpolated", "dew_point", "temperature",
                                 "pressure", "wind_speed", "cum_wind_speed", "precipitation", "wind_NE", "wind_NW",
                                 "wind_SE", "wind_cv"]
    assert all(air.dtypes == np.float64)
    assert air.attrs["layout"] == "Beijing PM2.5 (UCI 381)" and air.attrs["station"] is None
    raw_missing = 2067                                                       # empty pm2.5 fields in the file
    assert air["pm25"].isna().sum() + air["pm25_interpolated"].sum() == raw_missing
    assert air["pm25"].iloc[:24].isna().all()                                # the first day: a leading gap, kept
    assert air["pm25"].max() == 994 and air["pm25"].min() >= 0
    assert not air.drop(columns="pm25").isna().any().any()                   # the weather is complete ...
    assert air["weather_interpolated"].sum() == 0                            # ... so nothing of it is filled
    assert (air[["wind_NE", "wind_NW", "wind_SE", "wind_cv"]].sum(axis=1) == 1).all()
    assert (air["wind_speed"] > 0).all()
    # the cumulated Iws of the first rows, 1.79, 4.92, 6.71 (same direction), becomes 1.79, 3.13, 1.79 per hour
    np.testing.assert_allclose(air["wind_speed"].iloc[:3], [1.79, 3.13, 1.79], atol=1e-9)
    # Is and Ir (hours of snow and of rain so far) become one indicator: 2,176 wet hours
    assert set(air["precipitation"].unique()) == {0.0, 1.0} and air["precipitation"].sum() == 2176


def test_air_quality_longest_gap_stays_missing():
    pm25 = utils.load_air_quality()["pm25"]
    missing = pm25.isna().to_numpy().astype(int)
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, missing, 0])))[::2]     # lengths of the missing runs
    assert runs.max() == 155 and runs.min() > 3                             # short gaps filled, long ones kept
    assert utils.load_air_quality(interpolate_hours=0)["pm25"].isna().sum() == 2067


def test_air_quality_interpolates_only_short_interior_gaps(tmp_path):
    values = ["", "10", "", "30", "40", "", "", "", "80", "90", "", "", "", "", "140", ""]
    air = utils.load_air_quality(write(tmp_path, AIR_HEADER + air_rows(values)), interpolate_hours=3)
    expected = [np.nan, 10, 20, 30, 40, 50, 60, 70, 80, 90, np.nan, np.nan, np.nan, np.nan, 140, np.nan]
    np.testing.assert_allclose(air["pm25"], expected)                     # a gap of 4 hours, and the ends, stay NaN
    assert list(air["pm25_interpolated"]) == [0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    none = utils.load_air_quality(write(tmp_path, AIR_HEADER + air_rows(values)), interpolate_hours=0)
    assert none["pm25"].isna().sum() == 10 and none["pm25_interpolated"].sum() == 0


def test_air_quality_wind_speed_restarts_with_the_direction(tmp_path):
    text = AIR_HEADER + "\n".join([
        "1,2014,1,1,0,5,-5,2,1020,NW,1.79,0,0", "2,2014,1,1,1,5,-5,2,1020,NW,5.81,0,0",
        "3,2014,1,1,2,5,-5,2,1020,cv,0.89,0,1", "4,2014,1,1,3,5,-5,2,1020,cv,1.78,0,2"]) + "\n"
    air = utils.load_air_quality(write(tmp_path, text))
    np.testing.assert_allclose(air["wind_speed"], [1.79, 4.02, 0.89, 0.89])
    assert list(air["wind_cv"]) == [0, 0, 1, 1] and list(air["precipitation"]) == [0, 0, 1, 1]


def test_air_quality_accepts_crlf_and_na(tmp_path):
    text = (AIR_HEADER + air_rows(["12", "NA", "14", "nan", "NaN", "17"])).replace("\n", "\r\n")
    air = utils.load_air_quality(write(tmp_path, text), interpolate_hours=0)
    assert len(air) == 6 and air["pm25"].isna().sum() == 3 and air["pm25"].iloc[2] == 14


def test_air_quality_missing_weather_short_gaps_filled_long_ones_kept(tmp_path):
    rows = air_rows([str(10 + i) for i in range(12)]).splitlines()
    for i in (2, 6, 7, 8, 9):                                       # TEMP missing: 1 hour, then 4 hours
        rows[i] = _swap(rows[i], ",-5,2,", ",-5,NA,")
    rows[4] = rows[4].replace(",NW,", ",NA,")                        # no wind direction for one hour
    air = utils.load_air_quality(write(tmp_path, AIR_HEADER + "\n".join(rows) + "\n"), interpolate_hours=3)
    assert air["temperature"].iloc[2] == 2 and air["temperature"].iloc[6:10].isna().all()
    assert air["wind_NW"].iloc[4] == 1 and air["wind_speed"].iloc[4:6].notna().all()   # both filled from neighbours
    assert list(np.flatnonzero(air["weather_interpolated"])) == [2, 4, 5]   # 5: its speed needs Iws of hour 4
    assert air["pm25_interpolated"].sum() == 0 and air["pm25"].notna().all()


def test_air_quality_multi_site_layout(tmp_path):
    n = 6
    text = MULTI_HEADER + multi_rows("Dongsi", n, wd=["N", "NNE", "NNE", "E", "SSW", "W"],
                                     wspm=["1.0", "2.0", "3.0", "0.5", "1.5", "2.5"],
                                     rain=["0.0", "0.0", "0.2", "0.0", "NA", "1.0"]) + multi_rows("Wanliu", n)
    with pytest.raises(ValueError, match=r"two\.csv: 2 stations \['Dongsi', 'Wanliu'\]: choose one with station="):
        utils.load_air_quality(write(tmp_path, text, "two.csv"))
    with pytest.raises(ValueError, match=r"no station 'Tiantan'; the file has \['Dongsi', 'Wanliu'\]"):
        utils.load_air_quality(write(tmp_path, text, "two.csv"), station="Tiantan")
    air = utils.load_air_quality(write(tmp_path, text, "two.csv"), station="Dongsi")
    assert air.attrs["layout"] == "Beijing Multi-Site Air-Quality (UCI 501)" and air.attrs["station"] == "Dongsi"
    assert len(air) == n and air.index[0] == pd.Timestamp("2016-03-01 00:00")
    assert list(air.columns[-4:]) == ["wind_NE", "wind_NW", "wind_SE", "wind_SW"]
    quadrants = [[.5, .5, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [.5, 0, .5, 0], [0, 0, 0, 1], [0, .5, 0, .5]]
    np.testing.assert_allclose(air[["wind_NE", "wind_NW", "wind_SE", "wind_SW"]], quadrants)   # N: half NE, half NW
    np.testing.assert_allclose(air["wind_speed"], [1.0, 2.0, 3.0, 0.5, 1.5, 2.5])      # WSPM is already hourly
    np.testing.assert_allclose(air["cum_wind_speed"], [1.0, 2.0, 5.0, 0.5, 1.5, 2.5])  # summed while wd stays
    np.testing.assert_allclose(air["precipitation"], [0, 0, 1, 0, 0.5, 1])             # a 1-hour RAIN gap filled
    assert list(air["weather_interpolated"]) == [0, 0, 0, 0, 1, 0]
    wanliu = utils.load_air_quality(write(tmp_path, text, "two.csv"), station="Wanliu")
    assert list(wanliu["pm25"]) == [10.0 + i for i in range(n)]


def test_air_quality_multi_site_copy_of_the_shipped_file(tmp_path):
    single = utils.load_air_quality()
    path = write(tmp_path, to_multi_site(single, ("Embassy", "Other"), years=4), "multi.csv")
    air = utils.load_air_quality(path, station="Embassy")
    assert air.index[0] == pd.Timestamp("2014-01-01 00:00") and len(air) == len(single)   # 2012 -> 2016: a leap year
    np.testing.assert_allclose(air["pm25"], single["pm25"])                 # the same gaps, filled the same way
    for column in ("temperature", "pressure", "dew_point", "precipitation"):
        np.testing.assert_array_equal(air[column], single[column])
    np.testing.assert_allclose(air["wind_speed"], single["wind_speed"], atol=0.006)
    np.testing.assert_allclose(air[["wind_NE", "wind_NW", "wind_SE", "wind_SW"]].sum(axis=1), 1.0)
    np.testing.assert_array_equal(air["wind_SE"] == 1, single["wind_SE"] == 1)     # ESE, SE and SSE: all SE
    other = utils.load_air_quality(path, station="Other")
    np.testing.assert_allclose(other["pm25"].dropna(), 0.9 * single["pm25"].dropna(), atol=0.06)


def test_air_quality_five_cities_layout(tmp_path):
    rows = ["1,2012,1,1,0,4,50,60,70,-5,40,1020,2,SW,1.79,0,0", "2,2012,1,1,1,4,NA,61,71,-5,40,1020,2,SW,3.58,0.4,0.4",
            "3,2012,1,1,2,4,52,62,72,-5,40,1020,2,cv,0.89,0,0.4"]
    path = write(tmp_path, "\ufeff" + FIVE_HEADER + "\n".join(rows) + "\n", "Shanghai.csv")   # with a byte-order mark
    air = utils.load_air_quality(path)
    assert air.attrs["station"] == "US Post" and list(air["pm25"]) == [60, 61, 62]      # the US post by default
    assert list(air.columns[-5:]) == ["wind_NE", "wind_NW", "wind_SE", "wind_SW", "wind_cv"]
    assert list(air["wind_SW"]) == [1, 1, 0] and list(air["precipitation"]) == [0, 1, 0]
    np.testing.assert_allclose(air["wind_speed"], [1.79, 1.79, 0.89])
    assert list(utils.load_air_quality(path, station="Xuhui")["pm25"]) == [70, 71, 72]
    with pytest.raises(ValueError, match=r"no column 'PM_Dongsi'; the PM2.5 sites are \['Jingan', 'US Post', 'Xuh"):
        utils.load_air_quality(path, station="Dongsi")


def _swap(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


GOOD_AIR = AIR_HEADER + air_rows(["10", "11", "12", "13"])
GOOD_MULTI = MULTI_HEADER + multi_rows("Dongsi", 4)
BAD_AIR = [
    (GOOD_AIR.replace(",Iws", ",WS"), r"missing column\(s\) \['Iws'\] for the Beijing PM2.5 \(UCI 381\) layout"),
    (GOOD_MULTI.replace(",WSPM", ",WS"), r"missing column\(s\) \['WSPM'\] for the Beijing Multi-Site"),
    ("date,value\n2014-01-01,3\n", r"not a UCI PRSA air-quality header: \['date', 'value'\]\. Expected one of"),
    (AIR_HEADER, r"header only, no rows"),
    ("", r"the file is empty"),
    (_swap(GOOD_AIR, "2014,1,1,2,", "2014,1,1,1,"), r"duplicated hour at line 4 \(2014-01-01 01:00\)"),
    (_swap(GOOD_AIR, "2014,1,1,2,", "2014,1,1,0,"), r"hour earlier than the row before at line 4 \(2014-01-01 00:00\)"),
    (_swap(GOOD_AIR, "2014,1,1,2,", "2014,1,1,5,"),
     r"3 missing hour\(s\) after 2014-01-01 01:00 \(every hour needs a row\) at line 4 \(2014-01-01 05:00\)"),
    (_swap(GOOD_AIR, "3,2014,", "3,NA,"), r"missing value in column 'year' at line 4"),
    (_swap(GOOD_AIR, ",11,", ",abc,"), r"non-numeric 'pm2.5' value 'abc' at line 3"),
    (_swap(GOOD_AIR, ",-5,2,1020,NW,3.58", ",-5,2,1020,NW,x"), r"non-numeric 'Iws' value 'x' at line 3"),
    (_swap(GOOD_AIR, ",-5,2,1020,NW,3.58", ",-5,-9999,1020,NW,3.58"),
     r"'TEMP' value '-9999' outside the plausible range \[-50, 50\] °C \(if it marks a missing value, write NA\) "
     r"at line 3"),
    (_swap(GOOD_AIR, ",-5,2,1020,NW,5.37", ",inf,2,1020,NW,5.37"), r"non-finite 'DEWP' value 'inf' at line 4"),
    (_swap(GOOD_MULTI, ",1023.0,-18.8,0.0,NW,1.5,", ",1023.0,-18.8,0.0,NW,-inf,"), r"non-finite 'WSPM' .* line 2"),
    (_swap(GOOD_MULTI, ",1023.0,", ",99999,"), r"'PRES' value '99999' outside .* \[850, 1100\] hPa .* line 2"),
    (_swap(GOOD_AIR, "2014,1,1,1,", "2014,2,30,1,"), r"invalid date or hour \(2014-2-30 hour 1\) at line 3"),
    (_swap(GOOD_AIR, "1020,NW,5.37", "1020,N,5.37"), r"unknown wind direction 'N' in 'cbwd' .* at line 4"),
    (_swap(GOOD_MULTI, ",NW,1.5,", ",cv,1.5,"), r"unknown wind direction 'cv' in 'wd' .* at line 2"),
    (_swap(GOOD_AIR, ",12,", ",-12,"), r"'pm2.5' value '-12' outside the plausible range \[0, 3000\] .* at line 4"),
    (_swap(GOOD_AIR, "NW,5.37", "NW,1.00"), r"cumulated wind speed 'Iws' decreases .* at line 4"),
]


@pytest.mark.parametrize("csv, message", BAD_AIR)
def test_air_quality_bad_input_names_file_and_line(tmp_path, csv, message):
    with pytest.raises(ValueError, match=r"my_air\.csv: " + message):
        utils.load_air_quality(write(tmp_path, csv, "my_air.csv"))


def test_air_quality_station_only_where_the_layout_has_one(tmp_path):
    with pytest.raises(ValueError, match=r"one site; station must be None, got 'Dongsi'"):
        utils.load_air_quality(station="Dongsi")


def test_air_quality_rejects_a_negative_interpolation_limit():
    with pytest.raises(ValueError, match="interpolate_hours must be >= 0"):
        utils.load_air_quality(interpolate_hours=-1)


def test_air_quality_real_file_with_a_row_cut_or_swapped_names_the_line(tmp_path):
    lines = utils.data_path("air_quality/PRSA_data_2010.1.1-2014.12.31.csv").read_text().split("\n")
    cut = lines[:501] + lines[502:]                                          # line 502: 2010-01-21 20:00
    with pytest.raises(ValueError, match=r"cut\.csv: 1 missing hour\(s\) after 2010-01-21 19:00 .* at line 502"):
        utils.load_air_quality(write(tmp_path, "\n".join(cut), "cut.csv"))
    swapped = lines[:600] + [lines[601], lines[600]] + lines[602:]          # lines 601 and 602 swapped
    with pytest.raises(ValueError, match=r"swapped\.csv: 1 missing hour\(s\) after .* at line 601"):
        utils.load_air_quality(write(tmp_path, "\n".join(swapped), "swapped.csv"))


def test_air_quality_error_lines_count_every_station(tmp_path):
    text = MULTI_HEADER + multi_rows("Wanliu", 3) + multi_rows("Dongsi", 3, temp=["2.5", "-9999", "2.5"])
    with pytest.raises(ValueError, match=r"'TEMP' value '-9999' .* at line 6"):   # the file's line, not Dongsi's
        utils.load_air_quality(write(tmp_path, text), station="Dongsi")


def test_modified_air_quality_file_is_detected(fake_data_dir):
    path = fake_data_dir / "air_quality/PRSA_data_2010.1.1-2014.12.31.csv"
    path.write_bytes(path.read_bytes().replace(b",NW,", b",NE,", 1))
    with pytest.raises(OSError, match=r"PRSA_data_2010\.1\.1-2014\.12\.31\.csv: contents do not match"):
        utils.load_air_quality(path)
