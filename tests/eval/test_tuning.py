"""Cross-validation of the retrieval settings: folds, and a fit on the real seed index."""

from collections import Counter

import pytest

from eval.runner import load_questions
from eval.library import QUESTIONS_FILE as LIBRARY_QUESTIONS
from eval.runner import Question
from eval.tuning import GRID, Tuner, folds_of, grid, report_folds_of, report_groups
from index_build.retrieval import RetrievalSettings


def test_folds_are_stratified_by_language_and_kind():
    questions = load_questions()
    folds = folds_of(questions, 5)
    assert sorted(Counter(folds).values())[-1] - sorted(Counter(folds).values())[0] <= 1
    for language in ("en", "fr"):
        counts = Counter(f for f, q in zip(folds, questions) if q.lang == language)
        assert max(counts.values()) - min(counts.values()) <= 2
    assert folds == folds_of(questions, 5)  # the same split every time


def _question(qid: str, document_id: str, *others: str, kind: str = "fact") -> Question:
    return Question(qid, "?", "en", kind, [], ["x"] * (1 + len(others)), "", document_id,
                    evidence_documents=[document_id, *others] if others else [])


def test_report_folds_keep_every_question_of_a_report_in_one_fold():
    questions = [_question("a1", "a"), _question("b1", "b"), _question("a2", "a"), _question("c1", "c", "d"),
                 _question("d1", "d"), _question("n1", "", kind="negative"), _question("n2", "", kind="negative")]
    assert report_groups(questions) == [frozenset("a"), frozenset("b"), frozenset("cd")]
    folds = report_folds_of(questions)
    assert folds[0] == folds[2] and folds[3] == folds[4]  # a report, and a report with its translation
    assert len({folds[0], folds[1], folds[3]}) == 3  # leave-one-report-out: a fold per report group
    assert folds[5] != folds[6]  # negatives dealt over the folds
    assert set(report_folds_of(questions, 2)) == {0, 1}


def test_the_library_questions_never_share_a_report_across_folds():
    questions = load_questions() + load_questions(LIBRARY_QUESTIONS)
    folds = report_folds_of(questions, 5)
    by_report: dict[str, set[int]] = {}
    for fold, question in zip(folds, questions):
        for report in filter(None, [question.document_id, *question.evidence_documents]):
            by_report.setdefault(report, set()).add(fold)
    assert by_report and all(len(found) == 1 for found in by_report.values())


def test_the_grid_tries_every_combination():
    sizes = [len(values) for values in GRID.values()]
    assert len(grid()) == __import__("math").prod(sizes)


@pytest.mark.slow
def test_a_fit_picks_a_candidate_and_thresholds_that_refuse_no_training_question(engine):
    questions = [q for q in load_questions() if q.id in {"q001", "q004", "q010", "q020", "q091", "q092"}]
    tuner = Tuner(engine, questions)
    candidates = [RetrievalSettings(sentence_weight=0.3), RetrievalSettings(sentence_weight=0.7)]
    fitted = tuner.fit(list(range(len(questions))), candidates, margin=0.0)
    assert fitted.sentence_weight in (0.3, 0.7)
    for index, question in enumerate(questions):
        if not question.is_negative:
            assert engine.answerability(tuner.retrieved[index], fitted)[0], question.id


def test_a_lever_is_the_grid_with_other_values_for_its_settings():
    from eval.tuning import LEVERS

    off = grid({**GRID, **LEVERS["no renderings (no translation at all)"]})
    assert all(c.rendering_weight == 0 and c.rendering_lexical_weight == 0 for c in off)
    assert len(off) == len(grid()) // (len(GRID["rendering_weight"]) * len(GRID["rendering_lexical_weight"]))
    both = grid({**GRID, **LEVERS["renderings, and the question translated too"]})
    assert len(both) == 8 * len(grid()) and {c.mt_dense_weight for c in both} == {0.0, 0.5}


def test_another_chunking_is_read_as_size_and_overlap_and_never_written():
    from eval.tuning import _chunking, main

    assert _chunking("400/80") == (400, 80) and _chunking(None) is None
    with pytest.raises(SystemExit):
        main(["--chunking", "400/80", "--write"])


def test_write_stores_an_encoders_choice_in_its_own_section_and_keeps_the_rest(tmp_path):
    import json

    from eval.tuning import TUNED, write_defaults
    from index_build.retrieval import DEFAULTS_FILE, default_settings, settings_for_version

    file = tmp_path / "retrieval.json"
    file.write_text(DEFAULTS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    shipped = json.loads(file.read_text(encoding="utf-8"))
    int8 = "sha256:1a2b3c4d+onnx-int8:3c4d5e6f"
    chosen = default_settings(file=file).with_(abstain_below={"en>en": 0.7}, sentence_weight=0.7, tuning=True)
    assert write_defaults(chosen, int8, 0.005, "13 folds", 287, file).endswith("encoders.onnx-int8")
    written = json.loads(file.read_text(encoding="utf-8"))
    assert {key: value for key, value in written.items() if key != "encoders"} == {
        key: value for key, value in shipped.items() if key != "encoders"}  # fp32's defaults untouched
    section = written["encoders"]["onnx-int8"]
    assert set(section["settings"]) == set(TUNED) and section["vectors"] == int8
    assert section["threshold_margin"] == 0.005
    served = settings_for_version({"model": {"fingerprint": int8}, "retrieval": default_settings(file=file).to_dict()},
                                  file=file)
    assert served == chosen.with_(tuning=False)  # what the folds chose on int8's vectors is what they are served with
    # fp32's next --write replaces the top level and keeps the encoders' sections
    write_defaults(default_settings(file=file).with_(rrf_k=30.0), "sha256:1a2b3c4d", 0.0, "13 folds", 287, file)
    again = json.loads(file.read_text(encoding="utf-8"))
    assert again["settings"]["rrf_k"] == 30.0 and again["encoders"]["onnx-int8"] == section
