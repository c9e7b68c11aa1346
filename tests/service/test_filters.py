"""Filters over HTTP (issue 12): by report, language, year, publisher and speaker, on a real two-report
index (the real model); the speaker directory and one report's entry; refusals before any search."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.app import create_app

pytestmark = pytest.mark.slow

BEES = "Qui a parlé des abeilles et des ruches ?"


@pytest.fixture(scope="module")
def client(two_report_index):
    settings, live = two_report_index
    with TestClient(create_app(live, settings)) as test_client:
        yield test_client


def search(client, **body) -> dict:
    response = client.post("/search", json={"question": BEES, **body})
    assert response.status_code == 200, response.text
    return response.json()


def documents_of(answer: dict) -> set[str]:
    return {passage["document_id"] for passage in answer["passages"]}


def test_the_index_has_two_reports_of_several_passages(client):
    chunks = {doc["id"]: doc["chunks"] for doc in client.get("/documents").json()}
    assert set(chunks) == {"seed", "harbour"} and min(chunks.values()) >= 3, chunks
    assert documents_of(search(client, k=6)) == {"seed", "harbour"}  # unfiltered, both answer


@pytest.mark.parametrize("report", ["harbour", "seed"])
def test_a_report_filter_returns_k_passages_all_from_that_report(client, report):
    answer = search(client, k=3, documents=[report])
    assert len(answer["passages"]) == 3 and documents_of(answer) == {report}
    assert [p["rank"] for p in answer["passages"]] == [1, 2, 3]
    assert all(document == report for speaker in answer["speakers"] for document in speaker["documents"])


def test_get_takes_repeated_query_parameters_and_agrees_with_post(client):
    query = [("q", BEES), ("k", "3"), ("documents", "harbour"), ("documents", "seed"), ("documents", "harbour")]
    get = client.get("/search", params=query)
    assert get.status_code == 200, get.text
    post = search(client, k=3, documents=["harbour", "seed"])
    assert [(p["document_id"], p["start"]) for p in get.json()["passages"]] == \
        [(p["document_id"], p["start"]) for p in post["passages"]]
    only = client.get("/search", params=[("q", BEES), ("k", "3"), ("documents", "harbour")]).json()
    assert len(only["passages"]) == 3 and documents_of(only) == {"harbour"}


def test_year_language_and_publisher_filters(client):
    assert documents_of(search(client, k=3, year_from=2020)) == {"harbour"}  # seed has no year: left out
    assert documents_of(search(client, k=3, year_from=2021, year_to=2021)) == {"harbour"}
    assert documents_of(search(client, k=3, languages=["fr"])) == {"seed"}
    assert documents_of(search(client, k=3, publishers=["valparaiso"])) == {"harbour"}  # accents and case ignored
    got = client.get("/search", params={"q": BEES, "k": 3, "year_from": 2019, "year_to": 2022})
    assert got.status_code == 200 and documents_of(got.json()) == {"harbour"}


def test_a_speaker_filter_keeps_the_passages_where_they_speak(client):
    answer = search(client, k=3, speakers=["hedy lamarr"])
    assert answer["passages"] and all(any(s["name"] == "Hedy Lamarr" for s in p["speakers"])
                                      for p in answer["passages"])
    by_organisation = search(client, k=5, speakers=["harbour authority"])  # Grace Hopper's organisation
    assert by_organisation["passages"] and all(any(s["name"] == "Grace Hopper" for s in p["speakers"])
                                               for p in by_organisation["passages"])
    chatelet = search(client, k=5, speakers=["CHATELET"])
    assert chatelet["passages"] and all(any(s["name"] == "Émilie du Châtelet" for s in p["speakers"])
                                        for p in chatelet["passages"])


def test_a_filter_that_keeps_nothing_is_answered_not_refused(client):
    for body in [{"year_to": 2020}, {"languages": ["de"]}, {"speakers": ["nobody at all"]},
                 {"documents": ["seed"], "year_from": 2021}]:
        answer = search(client, k=3, **body)
        assert answer["answerable"] is False and answer["passages"] == [] and answer["speakers"] == []
        assert "filter" in answer["reason"] and "widen" in answer["reason"], answer["reason"]


@pytest.mark.parametrize("body, field, fragment", [
    ({"documents": ["harbour", "nope", "neither"]}, "documents", "'nope', 'neither'"),
    ({"year_from": 2022, "year_to": 2020}, "year_to", "before year_from"),
    ({"languages": ["french"]}, "languages", "two-letter ISO 639-1"),
    ({"languages": ["FR"]}, "languages", "two-letter ISO 639-1"),
    ({"documents": ["harbour"] * 101}, "documents", "at most 100 items"),
    ({"speakers": ["x" * 201]}, "speakers", "at most 200 characters"),
    ({"publishers": ["   "]}, "publishers", "must not be empty or blank"),
    ({"year_from": "2020"}, "year_from", "whole number"),
    ({"year_to": 99999}, "year_to", "less than or equal to 9999"),
    ({"documents": "harbour"}, "documents", "valid list"),
])
def test_bad_filters_get_a_422_that_says_what_to_fix(client, body, field, fragment):
    response = client.post("/search", json={"question": BEES, **body})
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"][:2] == ["body", field] and fragment in problem["msg"], problem


def test_an_unknown_report_says_which_and_where_to_see_the_known_ones(client):
    problem = client.post("/search", json={"question": BEES, "documents": ["nope"]}).json()["detail"][0]
    assert "'nope'" in problem["msg"] and "GET /documents" in problem["msg"]
    many = client.post("/search", json={"question": BEES, "documents": [f"r{i}" for i in range(40)]})
    assert "and 35 more" in many.json()["detail"][0]["msg"]  # named, but not forty of them
    got = client.get("/search", params=[("q", BEES), ("documents", "nope")])
    assert got.status_code == 422 and got.json()["detail"][0]["loc"] == ["query", "documents"]
    backwards = client.get("/search", params={"q": BEES, "year_from": 2022, "year_to": 2020})
    assert backwards.status_code == 422 and "before year_from" in backwards.text


def test_the_speaker_directory(client):
    everyone = client.get("/speakers").json()
    names = {entry["name"]: entry for entry in everyone}
    assert {"Ada Lovelace", "Blaise Pascal", "Grace Hopper", "Alan Turing", "Hedy Lamarr"} <= set(names), names
    hopper = names["Grace Hopper"]
    assert hopper["documents"] == ["harbour"] and hopper["passages"] >= 1
    assert hopper["organisation"] and set(hopper) == {"name", "role", "organisation", "documents", "passages"}
    assert [e["name"] for e in client.get("/speakers", params={"q": "chatelet"}).json()] == ["Émilie du Châtelet"]
    assert {e["name"] for e in client.get("/speakers", params={"q": "HARBOUR AUTHORITY"}).json()} == {"Grace Hopper"}
    in_harbour = client.get("/speakers", params={"documents": "harbour"}).json()
    assert in_harbour and all(entry["documents"] == ["harbour"] for entry in in_harbour)
    assert {e["name"] for e in in_harbour} == {e["name"] for e in everyone if "harbour" in e["documents"]}
    assert {e["name"] for e in client.get("/speakers", params={"languages": "fr"}).json()} == \
        {e["name"] for e in everyone if "seed" in e["documents"]}
    assert client.get("/speakers", params={"year_from": 2022}).json() == []
    refused = client.get("/speakers", params={"documents": "nope"})
    assert refused.status_code == 422 and "'nope'" in refused.text


def test_the_directory_counts_only_the_passages_of_the_reports_kept(client):
    shared = [entry for entry in client.get("/speakers").json() if len(entry["documents"]) > 1]
    assert [entry["name"] for entry in shared] == ["Hedy Lamarr"]  # she speaks in both reports
    for entry in shared:
        parts = [client.get("/speakers", params={"q": entry["name"], "documents": document}).json()
                 for document in entry["documents"]]
        counts = [next(e["passages"] for e in part if e["name"] == entry["name"] and e["role"] == entry["role"])
                  for part in parts]
        assert sum(counts) == entry["passages"], (entry, counts)


def test_one_report_entry_and_an_unknown_one(client):
    listed = {doc["id"]: doc for doc in client.get("/documents").json()}
    response = client.get("/documents/harbour")
    assert response.status_code == 200 and response.json() == listed["harbour"]
    assert response.json()["year"] == 2021 and response.json()["publisher"] == "Harbour Authority of Valparaíso"
    missing = client.get("/documents/nope")
    assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]
    assert "GET /documents" in missing.json()["detail"]


def test_the_openapi_schema_describes_the_filters(client):
    spec = client.get("/openapi.json").json()
    body = spec["components"]["schemas"]["SearchRequest"]["properties"]
    assert body["documents"]["maxItems"] == 100 and body["documents"]["items"]["maxLength"] == 200
    assert body["languages"]["items"]["pattern"] == "^[a-z]{2}$"
    assert {"year_from", "year_to", "publishers", "speakers"} <= set(body)
    get = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert {"q", "k", "documents", "languages", "year_from", "year_to", "publishers", "speakers"} == set(get)
    assert get["documents"]["schema"]["type"] == "array" and get["documents"]["schema"]["maxItems"] == 100
    speakers = {p["name"] for p in spec["paths"]["/speakers"]["get"]["parameters"]}
    assert {"q", "documents", "languages", "year_from", "year_to", "publishers"} == speakers
    assert "404" in spec["paths"]["/documents/{document_id}"]["get"]["responses"]
