"""The eval runner: metrics on hand-made answers, then the real eval against the real index and its floors."""

import argparse
import json
import math

import pytest

from eval.cli import add_arguments, run
from eval.runner import FLOORS_FILE, Question, check_floors, evaluate, load_questions, score_answer, summarise


def question(**overrides):
    fields = dict(id="t1", question="who spoke about child protection", lang="en", kind="multi_speaker",
                  expected_speakers=["Sikander Khan", "Tomas Boček"], evidence=["l’intérêt supérieur de l’enfant",
                                                                                 "protection des enfants"], answer="")
    return Question(**(fields | overrides))


def passage(text, *speakers):
    return {"text": text, "speakers": [{"name": s} for s in speakers]}


def test_metrics_of_one_answer():
    answer = {"passages": [passage("Rien à voir."), passage("déterminer l'intérêt   supérieur de l'enfant", "Sikander Khan"),
                           passage("Encore autre chose.")]}
    metrics = score_answer(question(), answer, latency_ms=12.0)
    assert metrics["accuracy@1"] == 0.0 and metrics["accuracy@3"] == 1.0 and metrics["accuracy@5"] == 1.0
    assert metrics["MRR@10"] == 0.5
    assert metrics["recall@5"] == 0.5  # one of the two evidence strings
    assert metrics["speaker_recall@5"] == 0.5  # Khan listed, Boček not
    assert metrics["chars@5"] == sum(len(p["text"]) for p in answer["passages"])
    assert metrics["abstention"] is None and metrics["false_abstention"] == 0.0


def test_answer_level_speakers_and_abstention():
    answer = {"answerable": False, "speakers": [{"name": "Tomas Bocek"}],
              "passages": [passage("M. Boček a parlé de la protection des enfants.")]}
    metrics = score_answer(question(), answer, latency_ms=1.0)
    assert metrics["speaker_recall@5"] == 0.5  # accents folded
    assert metrics["false_abstention"] == 1.0
    negative = score_answer(question(kind="negative", evidence=[], expected_speakers=[]), answer, 1.0)
    assert negative["abstention"] == 1.0 and negative["accuracy@5"] is None


def test_page_accuracy_takes_the_page_of_the_evidence_or_the_one_before():
    asked = question(evidence=["protection des enfants", "autre chose"], evidence_pages=[4, 9])
    on = lambda page: {"passages": [{"text": "la protection des enfants", "page": page, "speakers": []}]}  # noqa: E731
    assert score_answer(asked, on(4), 1.0)["page_accuracy"] == 1.0
    assert score_answer(asked, on(3), 1.0)["page_accuracy"] == 1.0  # the passage runs over the page break
    assert score_answer(asked, on(9), 1.0)["page_accuracy"] == 0.0  # the page of the other evidence string
    assert score_answer(question(), on(4), 1.0)["page_accuracy"] is None  # no pages in the eval set
    assert score_answer(asked, {"passages": []}, 1.0)["page_accuracy"] is None  # nothing found: not a page error


def test_speaker_recall_counts_the_speakers_of_the_top_passages_by_name_or_organisation():
    answer = {"passages": [passage("protection des enfants")] * 6,
              "speakers": [{"name": "Representative of UNICEF", "organisation": "Sikander Khan", "passages": [2]},
                           {"name": "Tomas Boček", "passages": [6]}]}
    metrics = score_answer(question(), answer, 1.0)
    assert metrics["speaker_recall@5"] == 0.5  # Khan matched by organisation; Boček only on rank 6


def chunk(text, start, end, document_id="r"):
    return {"text": text, "document_id": document_id, "start": start, "end": end, "speakers": []}


def test_ndcg_judges_relevance_by_chunk_and_counts_overlapping_chunks_once_each():
    # chunks overlap by 100 characters: two neighbouring chunks can both hold the one evidence string
    asked = question(evidence=["protection des enfants"])
    first = chunk("… a abordé la protection des enfants", 0, 600)
    second = chunk("la protection des enfants dans les contextes de migration …", 500, 1100)
    unrelated = chunk("Rien à voir.", 2000, 2600)
    both = {("r", 0, 600), ("r", 500, 1100)}
    at = lambda *ranks: sum(1 / math.log2(rank + 1) for rank in ranks)  # noqa: E731
    ndcg = lambda passages, relevant=None: score_answer(asked, {"passages": passages}, 1.0, relevant)["nDCG@10"]  # noqa: E731
    # without the chunk table (citeqa eval --url): the two supporting chunks are the relevant set, not one per
    # evidence string (that made it 1 + 1/log2(3) = 1.63)
    assert ndcg([first, second]) == pytest.approx(1.0)
    assert ndcg([unrelated, first, second]) == pytest.approx(at(2, 3) / at(1, 2))
    # in process: the ideal DCG is over the index's relevant chunks, each counted once
    assert ndcg([first, second], both) == pytest.approx(1.0)
    assert ndcg([unrelated, second], both) == pytest.approx(at(2) / at(1, 2))
    assert ndcg([first, first, second], both) == pytest.approx(at(1, 3) / at(1, 2))  # a repeated chunk counts once
    assert ndcg([unrelated], set()) == 0.0  # no chunk of the index holds the evidence
    # an evidence string no passage holds stands for one more relevant chunk
    two = question(evidence=["protection des enfants", "autre chose"])
    assert score_answer(two, {"passages": [first]}, 1.0)["nDCG@10"] == pytest.approx(at(1) / at(1, 2))
    for passages in ([first, second], [first, first, second, unrelated], [second, first, first]):
        assert 0.0 <= ndcg(passages) <= 1.0 and 0.0 <= ndcg(passages, both) <= 1.0


def test_floors_and_ceilings():
    summary = {"accuracy@5": 0.9, "false_abstention": 0.1}
    assert check_floors(summary, {"accuracy@5": 0.8, "false_abstention": 0.2}) == []
    assert len(check_floors(summary, {"accuracy@5": 0.95, "false_abstention": 0.05, "MRR@10": 0.5})) == 3


def test_summary_means_skip_metrics_that_do_not_apply():
    results = evaluate(lambda q, k: {"passages": [passage("protection des enfants")]},
                       [question(), question(id="t2", kind="negative", evidence=[], expected_speakers=[])])
    summary = summarise(results)
    assert summary["accuracy@5"] == 1.0 and summary["abstention"] == 0.0
    assert summary["latency_p95_ms"] >= summary["latency_p50_ms"]


@pytest.mark.slow
def test_the_real_eval_holds_its_floors(engine, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "eval.json"
    code = run(parser.parse_args(["--floors", str(FLOORS_FILE), "--json", str(out)]), engine)
    printed = capsys.readouterr().out
    assert "BM25 only" in printed and "dense only" in printed and "full system" in printed
    assert code == 0, printed
    results = json.loads(out.read_text(encoding="utf-8"))
    assert len(results["full system"]["questions"]) == len(load_questions())


@pytest.mark.slow
def test_a_broken_floor_fails(engine, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args(["--min", "accuracy@5=1.01", "--no-library"]), engine) == 1
    assert "FLOOR BROKEN" in capsys.readouterr().out


def test_speakers_match_without_their_leading_articles():
    asked = question(expected_speakers=["la Barbade", "l’OIM"])
    answer = {"passages": [passage("protection des enfants")],
              "speakers": [{"name": "Barbade", "passages": [1]}, {"name": "OIM", "passages": [1]}]}
    assert score_answer(asked, answer, 1.0)["speaker_recall@5"] == 1.0


def test_a_repeated_evidence_string_is_cited_right_on_any_of_its_pages():
    from eval.runner import Question, score_answer

    question = Question("x", "When was it updated?", "en", "date", [], ["Updated in May"], "", "doc",
                        evidence_pages=[[1, 2]])
    for page, expected in ((1, 1.0), (2, 1.0), (3, 0.0)):  # any of its pages (or the one before: a page break)
        answer = {"passages": [{"text": "Updated in May. Wasps do not.", "document_id": "doc", "page": page,
                                "start": 0, "end": 10}]}
        assert score_answer(question, answer, 0.0)["page_accuracy"] == expected
