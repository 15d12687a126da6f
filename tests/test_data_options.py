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


# --------------------------------------------------------------------------- 02: CORPUS
def test_02_runs_on_shakespeare_with_the_fable_claims_reported(tmp_path):
    cells = run_notebook("02_text_generation.ipynb", tmp_path, CORPUS="shakespeare", EPOCHS=1, WORD_EPOCHS=1,
                         UNITS=32, GENERATE_CHARS=20)
    out = printed(cells)
    assert "on your data: the LSTM beats the best n-gram" in out and "20 pieces" not in out
    assert "LSTM - " in out and "(mean ± SE over 20)" in out                # the 20 test pieces as documents


def test_02_runs_on_a_lower_case_text_without_the_prompts_characters(tmp_path):
    import argparse
    import inspect

    source = Path(inspect.getsourcefile(argparse)).read_text(encoding="utf-8").lower()    # no capitals, so no "T"
    path = tmp_path / "my text.txt"
    path.write_text(source[:60_000], encoding="utf-8")
    cells = run_notebook("02_text_generation.ipynb", tmp_path, CORPUS=str(path), EPOCHS=1, WORD_EPOCHS=1, UNITS=32,
                         GENERATE_CHARS=20)
    assert "on your data: the word LSTM beats the word unigram" in printed(cells)


def test_02_refuses_a_text_too_short_to_split(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("a short text. " * 100, encoding="utf-8")
    papermill = pytest.importorskip("papermill")
    with pytest.raises(papermill.PapermillExecutionError, match=r"short\.txt: 1,400 characters leave 140"):
        run_notebook("02_text_generation.ipynb", tmp_path, CORPUS=str(path))


# --------------------------------------------------------------------------- 03: PRICES
def yahoo_file(tmp_path: Path, start: str) -> Path:
    """The shipped prices from ``start`` on, written as a Yahoo Finance export (adjusted close, 'null' rows)."""
    import pandas as pd

    prices = pd.read_csv(ROOT / "data" / "prices" / "msft.us.txt", parse_dates=["Date"])
    prices = prices[prices["Date"] >= start]
    on_friday = prices.index[prices["Date"].dt.weekday == 4]
    fridays = {on_friday[10], on_friday[len(on_friday) // 2]}
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for index, row in zip(prices.index, prices.itertuples(), strict=True):
        lines.append(f"{row.Date:%Y-%m-%d},{2 * row.Open},{2 * row.High},{2 * row.Low},{2 * row.Close},{row.Close},"
                     f"{row.Volume}")
        if index in fridays:                                  # a Saturday as Yahoo writes a day without trading
            lines.append(f"{row.Date + pd.Timedelta(days=1):%Y-%m-%d},null,null,null,null,null,null")
    path = tmp_path / "yahoo.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_03_runs_on_a_yahoo_file_with_spans_from_its_own_dates(tmp_path):
    cells = run_notebook("03_price_forecasting.ipynb", tmp_path, PRICES=str(yahoo_file(tmp_path, "2009-01-01")),
                         PRICE_EPOCHS=1, EPOCHS=1, PRICE_WINDOW=20, WINDOW=20)
    out = printed(cells)
    assert "training to 2015-" in out and "walk-forward years (2015, 2016, 2017)" in out
    assert "on your data: no gain over persistence beyond two standard errors" in out


def test_03_refuses_a_file_too_short_for_the_walk_forward(tmp_path):
    papermill = pytest.importorskip("papermill")
    with pytest.raises(papermill.PapermillExecutionError, match=r"the file runs from 2014-01-02 to 2017-11-10"):
        run_notebook("03_price_forecasting.ipynb", tmp_path, PRICES=str(yahoo_file(tmp_path, "2014-01-01")))


# --------------------------------------------------------------------------- 06: TRANSLATION_FILE
def test_06_runs_on_a_translation_file_of_ones_own(tmp_path):
    lines = (ROOT / "data" / "translation" / "cmn.txt").read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "my pairs.txt"
    path.write_text("\n".join(lines[::5]) + "\n", encoding="utf-8")      # a fifth of the pairs, in a file of its own
    cells = run_notebook("06_translation_seq2seq.ipynb", tmp_path, TRANSLATION_FILE=str(path), EPOCHS=1, EMBED=16,
                         UNITS=32, BEAM_SENTENCES=5, BOOTSTRAP=50)
    assert "on your data: both networks beat the character bigram" in printed(cells)


# --------------------------------------------------------------------------- 07: AIR_QUALITY, STATION
def test_07_runs_on_a_multi_site_file_and_a_station(tmp_path):
    from test_data import to_multi_site

    import utils

    path = tmp_path / "PRSA_multi.csv"
    path.write_text(to_multi_site(utils.load_air_quality(), ("Embassy", "Other"), years=4))
    cells = run_notebook("07_air_quality_forecasting.ipynb", tmp_path, AIR_QUALITY=str(path), STATION="Other",
                         EPOCHS=1, UNITS=8, TRAIN_STRIDE=24, GBM_HORIZONS=[1, 24],   # a list: papermill passes
                         GBM_TREES=20)                                                # a tuple as its text
    out = printed(cells)
    assert "Other" in out and "on your data: the next-hour LSTM beats persistence" in out


# --------------------------------------------------------------------------- 04: DATA_DIR, SPLIT_LISTS
def video_folder(tmp_path: Path, names: str) -> Path:
    """A tiny folder of one's own videos: classes Left, Right and Up, 16 clips each of 8 frames, 32x32.

    ``names="ucf"``: UCF101 names v_<Class>_gXX_cYY.avi, 4 groups of 4 clips; ``"person"``: <person>_NN.avi,
    4 persons of 4 clips each. A stray README.txt in one folder.
    """
    import numpy as np

    from utils import video

    rng, root = np.random.default_rng(0), tmp_path / "my videos"
    for name in ("Left", "Right", "Up"):
        for k in range(16):
            group, clip = k // 4 + 1, k % 4 + 1
            stem = f"v_{name}_g{group:02d}_c{clip:02d}" if names == "ucf" else f"{'abcd'[group - 1]}person_{k:02d}"
            video.write_clip(root / name / f"{stem}.avi", video.motion_clip(name.lower(), rng, frames=8, size=32))
    (root / "Left" / "README.txt").write_text("not a video")
    return root


SMALL_04 = {"FRAMES": 4, "SIZE": 16, "EPOCHS": 1, "BATCH_SIZE": 8}


def test_04_runs_on_a_folder_of_ones_own_videos_grouped_by_person(tmp_path):
    root = video_folder(tmp_path, "person")
    cells = run_notebook("04_video_classification.ipynb", tmp_path, DATA_DIR=str(root), CLASSES=["Left", "Up"],
                         GROUP_BY=r"^[a-d]person", CACHE_DIR=str(tmp_path / "clip cache"), **SMALL_04)
    out = printed(cells)
    assert "32 clips in 2 classes: ['Left', 'Up']" in out and "skipped 1 file(s)" in out
    assert "split by group (4 groups)" in out
    assert "on your data: the CNN + LSTM beats the frame-average baseline" in out        # reported, not asserted
    assert "(held out, class " in out and "concern the generated classes" in out
    assert {f.name.split("-")[0] for f in (tmp_path / "clip cache").iterdir()} == {"train", "validation", "test"}


def test_04_runs_on_a_ucf101_style_folder_with_official_lists(tmp_path):
    root = video_folder(tmp_path, "ucf")
    for part, groups in (("train", (2, 3, 4)), ("test", (1,))):
        lines = [f"{p.parent.name}/{p.name}" + (" 1" if part == "train" else "") for p in sorted(root.glob("*/*.avi"))
                 if int(p.stem.split("_g")[1][:2]) in groups]
        (tmp_path / f"{part}list01.txt").write_text("\n".join(lines) + "\n")
    cells = run_notebook("04_video_classification.ipynb", tmp_path, DATA_DIR=str(root),
                         SPLIT_LISTS=[str(tmp_path / "trainlist01.txt"), str(tmp_path / "testlist01.txt")], **SMALL_04)
    out = printed(cells)
    assert "official split (trainlist01.txt / testlist01.txt); validation by groups" in out
    assert "test         12 clips" in out                                         # group g01 of each class
    assert "on your data: shuffling the frames costs the CNN + LSTM accuracy" in out


def test_05_runs_with_yelp_held_out_and_names_it(tmp_path):
    import re

    cells = run_notebook("05_text_classification.ipynb", tmp_path, CROSS_DOMAIN_TEST="yelp", EPOCHS=1,
                         EMBEDDING_DIM=8, BATCH_SIZE=128)
    out = printed(cells)
    assert re.search(r"accuracy on the same \d+ Yelp test sentences", out)
    assert "cross-domain accuracy on all 994 Yelp sentences" in out             # 1,000 less 6 repeats
    assert "on your data: both cross-domain models transfer something to Yelp" in out    # reported, not asserted
    assert "on your data: all three networks are far above chance" in out    # one epoch: other settings, reported
    headline = "".join("".join(o["data"]["text/plain"]) for o in cells[-1]["outputs"] if "data" in o)
    assert "Yelp test, TF-IDF + LR, cross-domain" in headline and "all Yelp, bidirectional GRU" in headline
    assert "IMDb" not in headline


def test_05_refuses_a_source_it_does_not_have(tmp_path):
    papermill = pytest.importorskip("papermill")
    with pytest.raises(papermill.PapermillExecutionError, match="CROSS_DOMAIN_TEST must be one of"):
        run_notebook("05_text_classification.ipynb", tmp_path, CROSS_DOMAIN_TEST="movies")
