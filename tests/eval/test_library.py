"""The library eval set (eval/library/questions.jsonl) against the real report files, and the library corpus."""

import json
from collections import Counter
from pathlib import Path

import pytest

from eval import library
from index_build.corpus import load_catalog

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

QUESTIONS = [json.loads(line) for line in library.QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
REPORTS = {report.id: report for report in library.library_reports()}
FOLDER = library.library_dir()
needs_library = pytest.mark.skipif(FOLDER is None, reason=library.missing_library_message())


def test_the_set_covers_every_report_in_every_language_of_the_library():
    answerable = [q for q in QUESTIONS if q["kind"] != "negative"]
    assert len(QUESTIONS) >= 190 and sum(q["kind"] == "negative" for q in QUESTIONS) >= 15
    assert set(Counter(q["document_id"] for q in answerable)) == set(REPORTS)
    assert {report.language for report in REPORTS.values()} == {"en", "fr", "es"}
    shares = {language: sum(q["lang"] == language for q in QUESTIONS) / len(QUESTIONS) for language in ("en", "fr", "es")}
    assert 0.35 <= shares["en"] <= 0.6 and shares["fr"] >= 0.2 and shares["es"] >= 0.1, shares
    other = sum(q["lang"] != REPORTS[q["document_id"]].language for q in answerable) / len(answerable)
    assert other >= 0.3, f"only {other:.0%} of the questions are asked in another language than their report"
    assert len({q["id"] for q in QUESTIONS}) == len(QUESTIONS)


def test_who_questions_name_their_speakers_and_negatives_have_no_evidence():
    for question in QUESTIONS:
        if question["kind"] == "negative":
            assert question["evidence"] == [] and question["document_id"] == "" and not question["expected_speakers"]
        else:
            assert question["evidence"] and len(question["evidence_pages"]) == len(question["evidence"])
        if question["kind"] in ("speaker", "multi_speaker"):
            assert len(question["expected_speakers"]) >= (2 if question["kind"] == "multi_speaker" else 1), question["id"]


@needs_library
def test_every_evidence_string_is_on_its_page_of_the_real_report():
    problems = library.check_questions(QUESTIONS, library.report_paths(CORPUS, FOLDER))
    assert problems == []


def test_the_checker_refuses_a_wrong_page_and_a_missing_string():
    if FOLDER is None:
        pytest.skip(library.missing_library_message())
    question = {"id": "x", "document_id": "un-a-80-48-committee-migrant-workers-2025.en", "kind": "fact",
                "evidence": ["He stressed the obvious link between migration and refugee issues",
                             "no report has this sentence in it", "Committee"], "evidence_pages": [3, 1, 1]}
    problems = [p.problem for p in library.check_questions([question], library.report_paths(CORPUS, FOLDER))]
    assert len(problems) == 3 and "starts on page 9, not 3" in problems[0] and "not in" in problems[1]
    assert "starts on each of pages [1, " in problems[2] and "give them all" in problems[2]  # a repeated string


@needs_library
def test_the_library_corpus_links_the_files_it_does_not_copy(tmp_path):
    corpus = library.make_library_corpus(tmp_path / "corpus", CORPUS, FOLDER)
    catalog = load_catalog(corpus)
    assert [report.id for report in catalog] == [r.id for r in load_catalog(CORPUS)] + list(REPORTS)
    assert all((corpus / report.source_file).is_symlink() for report in catalog)
    library.make_library_corpus(tmp_path / "corpus", CORPUS, FOLDER)  # again: unchanged, no error
    assert len(load_catalog(corpus)) == len(catalog)


def test_without_the_library_files_it_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(library.LIBRARY_ENV, str(tmp_path / "absent"))
    assert library.library_dir() is None
    assert "skipped" in library.missing_library_message() and str(tmp_path / "absent") in library.missing_library_message()
    assert library.main(["check"]) == 0


def test_each_encoders_vectors_get_a_library_index_of_their_own(tmp_path):
    model = "sha256:1a2b3c4d"
    assert library.work_dir_for(model) == library.DEFAULT_WORK_DIR  # fp32 ONNX and torch: the model's own vectors
    assert library.work_dir_for(f"{model}+onnx-int8:3c4d5e6f") == library.REPO / "var" / "library-onnx-int8"
    assert library.work_dir_for(f"{model}+onnx-q4:7a8b9c0d", tmp_path / "lib") == tmp_path / "lib-onnx-q4"
    store = library.library_store(tmp_path / "lib-onnx-q4" / "index")  # its corpus is beside its index
    try:
        assert store.catalog.corpus_dir == tmp_path / "lib-onnx-q4" / "corpus"
    finally:
        store.close()
