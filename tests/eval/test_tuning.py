"""Cross-validation of the retrieval settings: folds, and a fit on the real seed index."""

from collections import Counter

import pytest

from eval.runner import load_questions
from eval.tuning import GRID, Tuner, folds_of, grid
from index_build.retrieval import RetrievalSettings


def test_folds_are_stratified_by_language_and_kind():
    questions = load_questions()
    folds = folds_of(questions, 5)
    assert sorted(Counter(folds).values())[-1] - sorted(Counter(folds).values())[0] <= 1
    for language in ("en", "fr"):
        counts = Counter(f for f, q in zip(folds, questions) if q.lang == language)
        assert max(counts.values()) - min(counts.values()) <= 2
    assert folds == folds_of(questions, 5)  # the same split every time


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
