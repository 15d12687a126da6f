#!/usr/bin/env python3
"""Translated editions of the notebooks: code and outputs from the English notebook, prose from i18n/<lang>/.

    python3 tools/i18n.py build            # write notebooks/zh/*.ipynb from notebooks/*.ipynb + i18n/zh/*.json
    python3 tools/i18n.py check            # every markdown cell translated and fresh, twins up to date, glossary
    python3 tools/i18n.py status           # the cells whose translation is missing or stale, per notebook
    python3 tools/i18n.py set NOTEBOOK FILE.json  # store translations {cell id: text}, stamped with the English hash

A translation file ``i18n/<lang>/<notebook stem>.json`` maps each markdown cell's ``id`` to the translated text
and the sha256 of the English text it translates; when the English cell changes, the hash no longer matches and
``check`` reports the cell as stale until its translation is updated (``set`` re-stamps it). The twins are
generated, never edited: code cells, outputs and metadata are copied unchanged from the executed English notebook.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
I18N = ROOT / "i18n"
CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)     # inline code, also over a line break
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.S)       # found after the code spans are taken out
PROSE = re.compile(r"(?<!\\)\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")   # "$3.50 vs $0.67": dollars, not an equation
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*(?![\d-]*D\b)")  # "1-D", "3-D" may become 一维, 三维
QUOTED = re.compile(r"“[^”]*”")
LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)")
SIBLING = re.compile(r"\d\d_[\w-]+\.ipynb(#.*)?")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def english_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None


def translations_path(notebook: Path, lang: str, root: Path = ROOT) -> Path:
    return root / "i18n" / lang / f"{notebook.stem}.json"


def load_translations(notebook: Path, lang: str, root: Path = ROOT) -> dict[str, dict]:
    """{cell id: {"en_sha256": ..., lang: text}} for one notebook ({} if it has no translation file yet)."""
    path = translations_path(notebook, lang, root)
    if not path.is_file():
        return {}
    cells = read_json(path).get("cells")
    if not isinstance(cells, dict):
        raise ValueError(f"{path}: expected an object with a 'cells' mapping")
    for cell_id, entry in cells.items():
        if not isinstance(entry, dict) or not isinstance(entry.get(lang), str) or "en_sha256" not in entry:
            raise ValueError(f"{path}: cell {cell_id!r} needs 'en_sha256' and a '{lang}' text")
    return cells


def localise(text: str, notebook: Path, lang: str) -> str:
    """The translated text as the twin shows it: the Colab badge and relative links pointing from notebooks/<lang>/."""
    text = text.replace(f"/blob/main/notebooks/{notebook.name}", f"/blob/main/notebooks/{lang}/{notebook.name}")

    def relink(match: re.Match) -> str:
        target = match.group(1)
        if SIBLING.fullmatch(target) or target.startswith("../"):
            return match.group(0)            # a sibling notebook: its twin sits next to this one
        return f"]({'../' + target})"

    return LINK.sub(relink, text)


def twin(notebook: Path, lang: str, root: Path = ROOT) -> tuple[dict, list[str]]:
    """(the translated notebook, problems): markdown replaced by fresh translations, everything else copied."""
    nb = read_json(notebook)
    entries = load_translations(notebook, lang, root)
    problems = []
    out = copy.deepcopy(nb)
    ids = set()
    for cell in out["cells"]:
        ids.add(cell.get("id"))
        if cell["cell_type"] != "markdown":
            continue
        english, entry = source(cell), entries.get(cell.get("id"))
        first_line = english.strip().splitlines()[0][:70] if english.strip() else ""
        if entry is None:
            problems.append(f"{notebook.name}: markdown cell {cell.get('id')} has no translation ({first_line!r})")
            continue
        if entry["en_sha256"] != sha256(english):
            problems.append(f"{notebook.name}: the translation of cell {cell.get('id')} is stale: the English "
                            f"changed ({first_line!r}); update it and run `tools/i18n.py set`")
        cell["source"] = localise(entry[lang], notebook, lang).splitlines(keepends=True)
    for cell_id in sorted(set(entries) - ids):
        problems.append(f"{translations_path(notebook, lang, root).name}: cell {cell_id} is not in {notebook.name}")
    out.setdefault("metadata", {})["language"] = lang
    return out, problems


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def glossary_variants(lang: str, root: Path = ROOT) -> dict[str, str]:
    """{variant to avoid: the glossary term}, from the third column of i18n/<lang>/glossary.md."""
    path = root / "i18n" / lang / "glossary.md"
    variants = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) == 3 and cols[0] and not set(cols[0]) <= set("-") and cols[0] != "English":
            for variant in filter(None, (v.strip() for v in cols[2].split(","))):
                variants[variant] = cols[1]
    return variants


def prose_problems(english: str, text: str, where: str, variants: dict[str, str]) -> list[str]:
    """Equations, code spans and numbers of the English kept in the translation; no glossary variant outside “…”."""
    problems = []
    codes = [m.group(0) for m in CODE.finditer(english)]
    equations = [m for m in MATH.findall(CODE.sub(" ", english)) if not PROSE.search(m)]
    for name, found in (("code span", codes), ("equation", equations)):
        missing = [s for s in found if s not in text]
        if missing:
            problems.append(f"{where}: {name} {missing[0][:60]!r} of the English is not in the translation")
    plain = MATH.sub(" ", CODE.sub(" ", english))
    numbers = set(NUMBER.findall(MATH.sub(" ", CODE.sub(" ", text))))
    missing = [n for n in NUMBER.findall(plain) if n not in numbers and n.replace(",", "") not in numbers]
    if missing:
        problems.append(f"{where}: the number {missing[0]} of the English is not in the translation")
    unquoted = QUOTED.sub(" ", text)
    terms = {t.strip() for term in variants.values() for t in term.split("/")}
    for variant, term in variants.items():
        rest = unquoted
        for t in terms:
            if variant in t and t != variant:
                rest = rest.replace(t, " ")      # 时间反向传播 inside 通过时间反向传播 is the glossary term itself
        if variant in rest:
            problems.append(f"{where}: {variant!r} is not the glossary term (use {term!r}, or quote it as “{variant}”)")
    return problems


def check(lang: str = "zh", root: Path = ROOT) -> list[str]:
    """Everything wrong with the <lang> edition: missing or stale translations, out-of-date twins, prose problems."""
    problems = []
    variants = glossary_variants(lang, root)
    for notebook in english_notebooks(root):
        expected, found = twin(notebook, lang, root)
        problems += found
        path = root / "notebooks" / lang / notebook.name
        if not path.is_file():
            problems.append(f"{path.relative_to(root)}: missing; run `python3 tools/i18n.py build`")
            continue
        current = read_json(path)
        english = read_json(notebook)
        if len(current["cells"]) != len(english["cells"]):
            problems.append(f"{path.relative_to(root)}: {len(current['cells'])} cells, the English has "
                            f"{len(english['cells'])}; run build")
        else:
            for mine, theirs in zip(current["cells"], english["cells"], strict=True):
                if theirs["cell_type"] != "markdown" and mine != theirs:
                    problems.append(f"{path.relative_to(root)}: code cell {theirs.get('id')} or its outputs differ "
                                    "from the English notebook; run build")
        if path.read_text(encoding="utf-8") != dumps(expected):
            problems.append(f"{path.relative_to(root)}: not up to date with the English notebook and "
                            f"{translations_path(notebook, lang, root).relative_to(root)}; run build")
        entries = load_translations(notebook, lang, root)
        for cell in english["cells"]:
            entry = entries.get(cell.get("id"))
            if cell["cell_type"] == "markdown" and entry is not None:
                problems += prose_problems(source(cell), entry[lang], f"{notebook.name} cell {cell['id']}", variants)
    return problems


def build(lang: str = "zh", root: Path = ROOT) -> list[str]:
    """Write notebooks/<lang>/*.ipynb; returns the problems found (missing or stale translations are still
    written, with whatever translation there is, so that a reader sees them; `check` fails on them)."""
    problems = []
    (root / "notebooks" / lang).mkdir(exist_ok=True)
    for notebook in english_notebooks(root):
        nb, found = twin(notebook, lang, root)
        problems += found
        (root / "notebooks" / lang / notebook.name).write_text(dumps(nb), encoding="utf-8")
    return problems


def set_translations(notebook: Path, texts: dict[str, str], lang: str = "zh", root: Path = ROOT) -> int:
    """Store translations {cell id: text} for markdown cells of ``notebook``, stamped with the current English hash."""
    english = {c.get("id"): source(c) for c in read_json(notebook)["cells"] if c["cell_type"] == "markdown"}
    unknown = sorted(set(texts) - set(english))
    if unknown:
        raise ValueError(f"{notebook.name} has no markdown cell with id {unknown[0]!r}")
    path = translations_path(notebook, lang, root)
    entries = load_translations(notebook, lang, root)
    for cell_id, text in texts.items():
        entries[cell_id] = {"en_sha256": sha256(english[cell_id]), lang: text}
    order = list(english)
    entries = {k: entries[k] for k in sorted(entries, key=lambda k: order.index(k) if k in order else len(order))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"notebook": f"notebooks/{notebook.name}", "cells": entries}, indent=1,
                               ensure_ascii=False) + "\n", encoding="utf-8")
    return len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "check", "status", "set"])
    parser.add_argument("args", nargs="*", help="for set: NOTEBOOK FILE.json")
    parser.add_argument("--lang", default="zh")
    args = parser.parse_args(argv)
    if args.command == "set":
        if len(args.args) != 2:
            parser.error("set takes NOTEBOOK FILE.json")
        n = set_translations(Path(args.args[0]).resolve(), read_json(Path(args.args[1])), args.lang)
        print(f"stored {n} translations for {Path(args.args[0]).name}")
        return 0
    if args.command == "build":
        problems = build(args.lang)
        print(f"wrote {len(english_notebooks())} notebooks to notebooks/{args.lang}/")
    elif args.command == "status":
        problems = [p for nb in english_notebooks() for p in twin(nb, args.lang)[1]]
    else:
        problems = check(args.lang)
    for problem in problems:
        print(problem)
    if args.command != "build":
        print(f"{len(problems)} problem(s)" if problems else "all translations fresh and twins up to date")
    return 1 if problems and args.command != "build" else 0


if __name__ == "__main__":
    sys.exit(main())
