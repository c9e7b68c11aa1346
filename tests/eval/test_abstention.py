"""The abstention report: the threshold search on hand-made values, then the report on the real index."""

from eval.abstention import best_sentence_similarity, best_threshold, report
from eval.runner import load_questions


def test_the_threshold_refuses_at_most_five_percent_of_answerable_questions():
    positives = [0.80 + i / 100 for i in range(20)]  # 0.80 ... 0.99
    negatives = [0.78, 0.79, 0.805, 0.85]
    threshold, abstained, refused = best_threshold(negatives, positives)
    assert threshold == 0.81  # one answerable question of 20 (5 %) may be refused
    assert refused == 0.05
    assert abstained == 0.75  # 0.78, 0.79 and 0.805 fall under it, 0.85 does not


def test_a_question_the_report_answers_is_closer_than_one_it_does_not(engine):
    answered = best_sentence_similarity(engine, "Qui a parlé de la protection des enfants ?")
    unrelated = best_sentence_similarity(engine, "Quelle est la recette de la tarte Tatin ?")
    assert answered > unrelated


def test_the_report_prints_each_language(engine, capsys):
    questions = [q for q in load_questions() if q.id in {"q001", "q004", "q091", "q092"}]
    report(engine, questions)
    printed = capsys.readouterr().out
    assert "en: 1 negatives, 1 answerable" in printed and "fr: 1 negatives, 1 answerable" in printed
    assert "best single threshold" in printed
