"""Answers people can act on: who spoke, hybrid retrieval, abstention, highlights (real index, real model)."""

import pytest

from service.search import is_who_question

pytestmark = pytest.mark.slow

CHILD_PROTECTION = {"Sikander Khan", "Tomas Boček", "Delphine Moralis", "Driss Oukemeni", "Pablo César García Sáenz"}


def ask(client, question, k=5):
    response = client.post("/search", json={"question": question, "k": k})
    assert response.status_code == 200, response.text
    return response.json()


def test_who_spoke_names_the_several_people_who_did_in_french(client):
    answer = ask(client, "Qui a parlé de la protection des enfants ?")
    names = [speaker["name"] for speaker in answer["speakers"]]
    assert CHILD_PROTECTION <= set(names)
    assert len(names) == len(set(names))  # each person once


def test_who_spoke_names_at_least_four_of_them_in_english(client):
    names = {speaker["name"] for speaker in ask(client, "who spoke about child protection")["speakers"]}
    assert len(names & CHILD_PROTECTION) >= 4, names


def test_every_speaker_points_at_passages_that_carry_their_words(client):
    answer = ask(client, "who spoke about child protection")
    by_rank = {passage["rank"]: passage for passage in answer["passages"]}
    for speaker in answer["speakers"]:
        assert speaker["passages"] and speaker["organisation"] is not None
        for rank in speaker["passages"]:
            assert speaker["name"] in {s["name"] for s in by_rank[rank]["speakers"]}
    khan = next(s for s in answer["speakers"] if s["name"] == "Sikander Khan")
    assert khan["organisation"] == "UNICEF"


def test_highlight_is_a_sentence_of_its_passage(client, engine):
    answer = ask(client, "Combien d'outils de collecte de données Terre des Hommes a-t-elle mis au point ?")
    assert answer["answerable"] is True
    for passage in answer["passages"]:
        highlight = passage["highlight"]
        assert passage["start"] <= highlight["start"] < highlight["end"] <= passage["end"]
        assert engine.version.document_text(passage["document_id"])[highlight["start"]:highlight["end"]] == highlight["text"]
    assert "douze outils" in answer["passages"][0]["highlight"]["text"]


@pytest.mark.parametrize("question", ["Que dit le rapport sur la réduction des cas d'apatridie ?",
                                      "Quel rôle joue Frontex dans la surveillance des frontières extérieures de l'UE ?"])
def test_abstains_when_the_reports_do_not_answer(client, question):
    answer = ask(client, question)
    assert answer["answerable"] is False
    assert "reports" in answer["reason"]
    assert answer["passages"] and all(p["weak"] for p in answer["passages"])


@pytest.mark.parametrize("question", ["who spoke about child protection", "Qui a présenté le plan d'action du Conseil de l'Europe ?",
                                      "How many Venezuelans does Brazil now host?", "financement durable"])
def test_does_not_abstain_on_real_questions(client, question):
    answer = ask(client, question)
    assert answer["answerable"] is True and answer["reason"] == ""
    assert not any(p["weak"] for p in answer["passages"])


@pytest.mark.parametrize("question, expected", [
    ("95 500", "95 500"),                                  # a number
    ("Bocek Conseil de l'Europe", "M. Tomas Boček"),         # a name without its accent
    ("protection enfant fronteires", "l’intérêt supérieur de l’enfant"),  # a typo and missing accents
    ("guichets sante migrants mexicains", "guichets de la santé"),
    ("Slobodeniuc", "Slobodeniuc"),
])
def test_keywords_numbers_and_names_find_their_passage(client, question, expected):
    top3 = ask(client, question, k=3)["passages"]
    assert any(expected in passage["text"] for passage in top3), [p["text"][:80] for p in top3]


def test_passages_stay_short(client):
    answer = ask(client, "Quels ont été les principaux messages de la session sur le financement ?")
    assert sum(len(p["text"]) for p in answer["passages"]) <= 3000


@pytest.mark.parametrize("question, expected", [
    ("who spoke about child protection", True), ("Which speakers talked about diasporas?", True),
    ("Qui a parlé du financement ?", True), ("Quels intervenants ont abordé la santé ?", True),
    ("What did Tomas Boček say?", False), ("financement durable", False)])
def test_who_questions_are_recognised(question, expected):
    assert is_who_question(question) is expected
