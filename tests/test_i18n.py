"""The Chinese edition: tools/i18n.py check on the repository, and that it catches what it should."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("i18n", ROOT / "tools" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)


def test_chinese_edition_is_complete_fresh_and_built():
    problems = i18n.check("zh")
    assert not problems, "\n".join(problems[:20])
    assert len(i18n.english_notebooks()) == 9
    for notebook in i18n.english_notebooks():
        assert (ROOT / "notebooks" / "zh" / notebook.name).is_file()


def test_readme_links_both_ways():
    assert "README.zh-CN.md" in (ROOT / "README.md").read_text().split("\n## ")[0]
    chinese = (ROOT / "README.zh-CN.md").read_text()
    assert "](README.md)" in chinese.split("\n## ")[0]
    english = (ROOT / "README.md").read_text()
    for command in ("python3 tools/lab.py",
                    "python3 -m pip install -r requirements.txt && python3 -m pytest --nbval-lax --nbval-current-env "
                    "tests notebooks"):
        assert command in english and command in chinese


def _toy_repository(tmp_path: Path) -> Path:
    """A repository with one notebook (two markdown cells, one code cell with output), translated and built."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "i18n" / "zh").mkdir(parents=True)
    shutil.copy(ROOT / "i18n" / "zh" / "glossary.md", tmp_path / "i18n" / "zh" / "glossary.md")
    nb = {"cells": [
        {"cell_type": "markdown", "id": "m0", "metadata": {}, "source": [
            "# Toy\n", "[badge](https://colab.research.google.com/github/o/r/blob/main/notebooks/01_toy.ipynb)\n",
            "A hidden state $h_t$ of 3 numbers; see [02](02_next.ipynb) and [data](../data/README.md)."]},
        {"cell_type": "code", "id": "c0", "metadata": {}, "execution_count": 1, "source": ["print(1)"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]},
        {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["Use `fit` for 10 epochs."]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "notebooks" / "01_toy.ipynb"
    path.write_text(json.dumps(nb, indent=1))
    i18n.set_translations(path, {
        "m0": "# 玩具\n[徽章](https://colab.research.google.com/github/o/r/blob/main/notebooks/01_toy.ipynb)\n"
              "由 3 个数组成的隐状态 $h_t$；见 [02](02_next.ipynb) 和 [数据](../data/README.md)。",
        "m1": "用 `fit` 训练 10 轮。"}, root=tmp_path)
    assert i18n.build(root=tmp_path) == []
    return path


def test_build_copies_code_and_outputs_and_translates_prose(tmp_path):
    _toy_repository(tmp_path)
    assert i18n.check(root=tmp_path) == []
    twin = json.loads((tmp_path / "notebooks" / "zh" / "01_toy.ipynb").read_text())
    english = json.loads((tmp_path / "notebooks" / "01_toy.ipynb").read_text())
    assert twin["cells"][1] == english["cells"][1]
    first = "".join(twin["cells"][0]["source"])
    assert "/blob/main/notebooks/zh/01_toy.ipynb" in first               # the badge opens the Chinese twin
    assert "](02_next.ipynb)" in first and "](../data/README.md)" in first   # sibling twin; ../ link kept
    assert "".join(twin["cells"][2]["source"]) == "用 `fit` 训练 10 轮。"


def test_a_changed_english_cell_is_stale_until_its_translation_is_updated(tmp_path):
    path = _toy_repository(tmp_path)
    nb = json.loads(path.read_text())
    nb["cells"][2]["source"] = ["Use `fit` for 20 epochs."]
    path.write_text(json.dumps(nb, indent=1))
    problems = i18n.check(root=tmp_path)
    assert any("cell m1 is stale" in p for p in problems), problems
    i18n.set_translations(path, {"m1": "用 `fit` 训练 20 轮。"}, root=tmp_path)
    assert any("not up to date" in p for p in i18n.check(root=tmp_path))     # the twin must be rebuilt too
    i18n.build(root=tmp_path)
    assert i18n.check(root=tmp_path) == []


def test_check_catches_edited_twins_missing_cells_and_unknown_ids(tmp_path):
    path = _toy_repository(tmp_path)
    twin_path = tmp_path / "notebooks" / "zh" / "01_toy.ipynb"
    twin = json.loads(twin_path.read_text())
    twin["cells"][1]["outputs"][0]["text"] = ["2\n"]
    twin_path.write_text(i18n.dumps(twin))
    assert any("code cell c0 or its outputs differ" in p for p in i18n.check(root=tmp_path))
    nb = json.loads(path.read_text())
    nb["cells"].append({"cell_type": "markdown", "id": "m2", "metadata": {}, "source": ["New text."]})
    nb["cells"][0]["id"] = "m9"
    path.write_text(json.dumps(nb, indent=1))
    problems = i18n.check(root=tmp_path)
    assert any("cell m2 has no translation" in p for p in problems)
    assert any("cell m0 is not in 01_toy.ipynb" in p for p in problems)
    with pytest.raises(ValueError, match="no markdown cell with id 'c0'"):
        i18n.set_translations(path, {"c0": "代码"}, root=tmp_path)


def test_prose_checks_equations_code_numbers_and_glossary():
    variants = i18n.glossary_variants("zh")
    assert variants["隐藏状态"] == "隐状态"
    english = "The hidden state $h_t$ after `fit`, 3 epochs and 1,000 steps."
    good = "3 轮、1000 步之后，`fit` 得到的隐状态 $h_t$。原文章称之为“隐藏状态”。"
    assert i18n.prose_problems(english, good, "x", variants) == []
    assert "equation" in i18n.prose_problems(english, good.replace("$h_t$", "$h$"), "x", variants)[0]
    assert "code span" in i18n.prose_problems(english, good.replace("`fit`", "fit"), "x", variants)[0]
    assert "number 3" in i18n.prose_problems(english, good.replace("3 轮", "三轮"), "x", variants)[0]
    bad = i18n.prose_problems(english, good + "隐藏状态。", "x", variants)
    assert bad == ["x: '隐藏状态' is not the glossary term (use '隐状态', or quote it as “隐藏状态”)"]
