"""The HTTP API end to end: an index built from corpus/, the real model, the real app."""

import pytest

pytestmark = pytest.mark.slow

CHILD_PROTECTION_SPEAKERS = {"Sikander Khan", "Tomas Boček", "Delphine Moralis"}


def speakers_named(passages: list[dict]) -> set[str]:
    """The people whose statements the passages carry: in their speakers, or named in their text."""
    names = {speaker["name"] for passage in passages for speaker in passage["speakers"]}
    names |= {name for name in CHILD_PROTECTION_SPEAKERS for p in passages if name.split()[-1] in p["text"]}
    return names


@pytest.mark.parametrize("question", ["who spoke about child protection", "Qui a parlé de la protection des enfants ?"])
def test_child_protection_names_at_least_two_of_its_speakers(client, question):
    response = client.post("/search", json={"question": question})
    assert response.status_code == 200
    passages = response.json()["passages"]
    assert len(passages) == 5
    assert len(speakers_named(passages) & CHILD_PROTECTION_SPEAKERS) >= 2, [p["text"][:80] for p in passages]


def test_every_citation_points_at_exactly_its_text(client, engine):
    passages = client.get("/search", params={"q": "financement durable du développement des capacités", "k": 20}).json()["passages"]
    assert len(passages) == 20
    for passage in passages:
        text = engine.version.document_text(passage["document_id"])
        assert text[passage["start"]:passage["end"]] == passage["text"]
        document = next(d for d in engine.version.documents if d["id"] == passage["document_id"])
        assert 1 <= passage["page"] <= document["pages"]
        assert passage["title"] == document["title"]
    assert [p["rank"] for p in passages] == list(range(1, 21))
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)


def test_pages_in_citations_are_the_report_pages(client):
    passages = client.get("/search", params={"q": "Tomas Boček Conseil de l'Europe", "k": 3}).json()["passages"]
    bocek = next(p for p in passages if "M. Tomas Boček" in p["text"])
    assert bocek["page"] == 6


def test_get_and_post_give_the_same_answer(client):
    post = client.post("/search", json={"question": "diaspora de la République de Moldova", "k": 3}).json()
    get = client.get("/search", params={"q": "diaspora de la République de Moldova", "k": 3}).json()
    assert [p["start"] for p in post["passages"]] == [p["start"] for p in get["passages"]]
    assert "Slobodeniuc" in post["passages"][0]["text"]


@pytest.mark.parametrize("body, fragment", [
    ({"question": ""}, "at least 1 character"),
    ({"question": "   \n "}, "must not be empty or blank"),
    ({"question": "x" * 2001}, "at most 2000 characters"),
    ({"question": "ok", "k": 0}, "greater than or equal to 1"),
    ({"question": "ok", "k": 51}, "less than or equal to 50"),
    ({}, "Field required"),
    ({"question": "ok", "top_k": 3}, "Extra inputs are not permitted"),  # the schema says additionalProperties: false
    ({"question": "ok", "k": True}, "whole number"),  # JSON Schema's integer, not pydantic's lax one
    ({"question": "ok", "k": "5"}, "whole number"),
])
def test_bad_questions_get_a_422_that_says_what_to_fix(client, body, fragment):
    response = client.post("/search", json=body)
    assert response.status_code == 422
    assert fragment in response.text


@pytest.mark.parametrize("params", [{"q": " "}, {"q": "x" * 2001}, {"q": "ok", "k": 0}, {"q": "ok", "k": 99}, {}])
def test_bad_get_queries_get_a_422(client, params):
    assert client.get("/search", params=params).status_code == 422


def test_health_and_documents(client, built_index):
    health = client.get("/health").json()
    assert health["ready"] is True
    assert health["documents"] == 1 and health["chunks"] == built_index.chunks > 50
    assert health["model"] == "multilingual-e5-small"
    assert health["index_version"] == built_index.version
    [document] = client.get("/documents").json()
    assert document["id"] == "idm-2018-capacity-development.fr"
    assert document["language"] == "fr" and document["pages"] == 13
    assert len(document["content_hash"]) == 64


def test_openapi_docs_show_real_examples(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "who spoke about child protection" in str(spec["components"]["schemas"]["SearchRequest"])


def test_the_docs_page_loads_nothing_from_elsewhere(client):
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert sources and all(not source.startswith(("http:", "https:", "//")) for source in sources), sources
    for source in sources:
        if source.endswith((".js", ".css")):
            assert client.get(source).status_code == 200, source


def test_metrics_count_requests_by_route_and_status_and_show_the_index(client, built_index):
    client.get("/search", params={"q": "abeilles"})
    client.get("/search", params={"q": ""})  # a 422
    text = client.get("/metrics").text
    assert 'citeqa_requests_total{method="GET",route="/search",status="200"}' in text
    assert 'citeqa_requests_total{method="GET",route="/search",status="422"}' in text
    assert 'citeqa_request_seconds_bucket{le="0.5",method="GET",route="/search"}' in text
    assert f"citeqa_index_chunks {float(built_index.chunks)}" in text
    assert f'citeqa_index_version_info{{version="{built_index.version}"}} 1.0' in text


def test_a_wrong_method_is_told_every_method_of_the_path(client):
    response = client.request("OPTIONS", "/search")
    assert response.status_code == 405 and set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    assert client.put("/health").headers["allow"] == "GET"


def test_a_refused_lone_surrogate_is_echoed_escaped_not_a_500(client):
    response = client.post("/search", content=b'{"question": "\\ud800"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["input"] == "\\ud800"


def test_health_tells_anyone_the_state_and_error_code_and_only_the_admin_the_message(tmp_path, seed_index):
    import time

    from fastapi.testclient import TestClient

    from service.app import create_app

    token = "health-test-admin-token-of-32-characters-or-more"
    settings, live = seed_index(tmp_path, admin_token=token)
    damaged = settings.index_dir / "versions" / "20991231T000000000000Z"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json", encoding="utf-8")
    (settings.index_dir / "current").unlink()
    (settings.index_dir / "current").symlink_to(f"versions/{damaged.name}")
    with TestClient(create_app(live, settings)) as client:
        deadline = time.monotonic() + 30
        while (anyone := client.get("/health")).json()["state"] != "switch_failing":  # the switch fails in a thread
            assert time.monotonic() < deadline, anyone.json()
            time.sleep(0.1)
        admin = client.get("/health", headers={"Authorization": f"Bearer {token}"}).json()
        wrong = client.get("/health", headers={"Authorization": "Bearer wrong"})
        other_scheme = client.get("/health", headers={"Authorization": "Basic Y2l0ZXFhOnB3"})
    assert anyone.status_code == 200 and anyone.json()["last_error"] == "IndexProblem"
    assert str(tmp_path) not in anyone.text and "versions/" not in anyone.text and "manifest.json" not in anyone.text
    assert admin["state"] == "switch_failing" and admin["last_error"].startswith("IndexProblem: ")
    assert str(settings.index_dir) in admin["last_error"] and "manifest.json" in admin["last_error"]
    assert wrong.status_code == 403  # a wrong token is refused (and throttled) as on the admin API
    assert other_scheme.status_code == 200 and other_scheme.json()["last_error"] == "IndexProblem"
