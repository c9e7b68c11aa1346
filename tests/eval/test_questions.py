"""Sanity checks for the hand-written eval set (eval/questions.jsonl).

Self-contained on purpose: imports nothing from the project, only the standard
library and pytest.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
CORPUS = ROOT / "corpus"

KINDS = {"speaker", "multi_speaker", "fact", "number", "paraphrase", "keyword", "negative"}
LANGS = {"fr", "en"}
FIELDS = {
    "id": str,
    "document_id": str,
    "question": str,
    "lang": str,
    "kind": str,
    "expected_speakers": list,
    "evidence": list,
    "answer": str,
}


def normalise(text: str) -> str:
    """Collapse every whitespace run to one space and map curly quotes to '."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()


def _load():
    rows = []
    with QUESTIONS.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            rows.append((lineno, json.loads(line)))
    return rows


ROWS = _load()
_DOCS: dict[str, str] = {}


def _doc(document_id: str) -> str:
    if document_id not in _DOCS:
        path = CORPUS / f"{document_id}.txt"
        assert path.is_file(), f"no report file {path}"
        _DOCS[document_id] = normalise(path.read_text(encoding="utf-8"))
    return _DOCS[document_id]


def _ids(rows):
    return [r.get("id", f"line{n}") for n, r in rows]


def test_enough_questions():
    assert len(ROWS) >= 50


def test_ids_unique():
    ids = [r["id"] for _, r in ROWS]
    dupes = [i for i, c in Counter(ids).items() if c > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_english_share():
    en = sum(1 for _, r in ROWS if r["lang"] == "en")
    share = en / len(ROWS)
    assert 0.30 <= share <= 0.50, f"English share {share:.0%}"


@pytest.mark.parametrize("lineno,row", ROWS, ids=_ids(ROWS))
def test_schema(lineno, row):
    missing = set(FIELDS) - set(row)
    assert not missing, f"line {lineno}: missing {missing}"
    for name, typ in FIELDS.items():
        assert isinstance(row[name], typ), f"line {lineno}: {name} should be {typ.__name__}"
    assert row["question"].strip()
    assert row["kind"] in KINDS, row["kind"]
    assert row["lang"] in LANGS, row["lang"]
    assert all(isinstance(s, str) and s.strip() for s in row["expected_speakers"])
    assert all(isinstance(e, str) and e.strip() for e in row["evidence"])
    assert len(row["evidence"]) <= 3


@pytest.mark.parametrize("lineno,row", ROWS, ids=_ids(ROWS))
def test_negative_iff_no_evidence(lineno, row):
    if row["kind"] == "negative":
        assert row["evidence"] == [], f"line {lineno}: negative with evidence"
        assert row["expected_speakers"] == []
        assert row["answer"] == ""
    else:
        assert row["evidence"], f"line {lineno}: non-negative without evidence"
        assert row["answer"].strip()


@pytest.mark.parametrize("lineno,row", ROWS, ids=_ids(ROWS))
def test_speaker_kinds_name_people(lineno, row):
    if row["kind"] == "speaker":
        assert row["expected_speakers"], f"line {lineno}: speaker question without speaker"
    if row["kind"] == "multi_speaker":
        assert len(row["expected_speakers"]) >= 2, f"line {lineno}: multi_speaker needs 2+"


@pytest.mark.parametrize("lineno,row", ROWS, ids=_ids(ROWS))
def test_evidence_in_report(lineno, row):
    doc = _doc(row["document_id"])
    for ev in row["evidence"]:
        assert normalise(ev) in doc, f"line {lineno}: evidence not in report: {ev!r}"


@pytest.mark.parametrize("lineno,row", ROWS, ids=_ids(ROWS))
def test_speakers_in_report(lineno, row):
    doc = _doc(row["document_id"])
    for name in row["expected_speakers"]:
        surname = normalise(name).split(" ")[-1]
        assert re.search(rf"\b{re.escape(surname)}", doc), (
            f"line {lineno}: surname of {name!r} not in report"
        )
        # the full name, as the report spells it (footnote digits may follow)
        assert normalise(name) in doc, f"line {lineno}: full name {name!r} not in report"
