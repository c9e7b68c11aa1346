"""An answer exported as Markdown and CSV (service/export.py): by the real engine over the real index, through
``GET /search/export`` of the real app and through ``citeqa ask --format``; and hostile report text kept inert."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

from service.answers import Answer, Passage, Speaker, SpeakerAnswer
from service.export import CSV_COLUMNS, escape_markdown, guard_cell, to_csv, to_markdown, unguard_cell

pytestmark = pytest.mark.slow

WHO = "who spoke about child protection"
ABSENT = "Que dit le rapport sur la réduction des cas d'apatridie ?"
SEED = "idm-2018-capacity-development.fr"
BASE = "https://citeqa.example.org:8443/"


def csv_rows(text: str) -> list[dict[str, str]]:
    """The CSV's rows under its header (which must be :data:`CSV_COLUMNS`)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]


def markdown_tokens(text: str):
    """The Markdown as CommonMark with GitHub's tables and strikethrough reads it."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)


def inline_text(token) -> str:
    """The text an inline token renders (escapes resolved), line breaks as spaces."""
    return "".join(" " if child.type in ("softbreak", "hardbreak") else child.content for child in token.children)


def quoted_texts(text: str) -> list[str]:
    """The text of each blockquote of the Markdown, its paragraphs joined by a space."""
    quotes, inside = [], 0
    for token in markdown_tokens(text):
        if token.type == "blockquote_open":
            inside += 1
            quotes.append([])
        elif token.type == "blockquote_close":
            inside -= 1
        elif inside and token.type == "inline":
            quotes[-1].append(inline_text(token))
    return [" ".join(parts) for parts in quotes]


def blank_normalised(text: str) -> str:
    return " ".join(text.split())


# ---- a real answer ---------------------------------------------------------------------------------


def test_markdown_and_csv_carry_every_passage_report_page_span_and_link(engine):
    answer = engine.search(WHO, 5)
    assert answer.answerable and len(answer.passages) == 5
    markdown, table = to_markdown(answer, BASE), to_csv(answer, BASE)

    assert f"**Question:** {WHO}" in markdown and "**Answered:** yes" in markdown
    assert f"**Index version:** {escape_markdown(answer.index_version)}" in markdown
    assert "Sikander Khan (UNICEF)" in markdown.split("## Passages")[0]  # who answers, before the passages
    quotes = quoted_texts(markdown)
    assert len(quotes) == len(answer.passages)
    for passage, quoted in zip(answer.passages, quotes):
        link = "https://citeqa.example.org:8443" + passage.url
        assert passage.url.startswith(f"/documents/{SEED}/")
        assert f"### {passage.rank}. {escape_markdown(passage.title)}\n" in markdown
        assert f"- Report: {escape_markdown(passage.title)} ({escape_markdown(passage.document_id)})" in markdown
        assert f"- Page: {passage.page}\n- Characters: {passage.start}–{passage.end}\n" in markdown
        assert f"- Link: <{link}>\n" in markdown
        assert quoted == blank_normalised(passage.text)  # the blockquote renders the passage's text

    rows = csv_rows(table)
    assert len(rows) == len(answer.passages)
    for passage, row in zip(answer.passages, rows):
        document_text = engine.version.document_text(passage.document_id)
        assert unguard_cell(row["text"]) == document_text[passage.start:passage.end] == passage.text
        assert (int(row["rank"]), row["document_id"], row["title"]) == (passage.rank, passage.document_id, passage.title)
        assert (int(row["page"]), int(row["start"]), int(row["end"])) == (passage.page, passage.start, passage.end)
        assert float(row["score"]) == passage.score and row["weak"] == "false"
        assert row["link"] == "https://citeqa.example.org:8443" + passage.url
        assert row["speakers"] == "; ".join(f"{s.name} ({s.organisation})" if s.organisation else s.name
                                            for s in passage.speakers)
    assert any("Sikander Khan (UNICEF)" in row["speakers"] for row in rows)
    assert table.encode("utf-8")[:3] != b"\xef\xbb\xbf" and "\r\n" in table  # no BOM; RFC 4180 line ends


def test_an_unanswered_question_says_why_and_labels_its_passages_weak(engine):
    answer = engine.search(ABSENT, 3)
    assert not answer.answerable and answer.passages
    markdown = to_markdown(answer, BASE)
    assert f"**Answered:** no — {escape_markdown(answer.reason)}" in markdown
    assert "## Nearest passages — weak, not an answer" in markdown and "## Passages" not in markdown
    assert markdown.count("(weak: not an answer)") == markdown.count("**Weak passage:**") == len(answer.passages)
    assert [row["weak"] for row in csv_rows(to_csv(answer, BASE))] == ["true"] * len(answer.passages)


# ---- hostile text ----------------------------------------------------------------------------------

HOSTILE = ("# Not a heading\n> not a quote\n- not a list\n+ nor this\n1. nor this\n2) nor this\n===\n---\n"
           "    not code\n```\nnot a fence\n```\n| a | b |\n|---|---|\n\n<script>alert(1)</script> &amp; *em* "
           "__strong__ [link](https://evil.example) ![img](x.png) <https://evil.example> ~~gone~~ $x$ end\\")


def hostile_answer() -> Answer:
    passage = Passage(rank=1, score=0.5, text=HOSTILE, document_id="r|1", title="# Title | <b>bold</b> [x](y)",
                      page=2, start=10, end=10 + len(HOSTILE), weak=False,
                      speakers=[Speaker(name="*Bob* `x`", organisation="<i>Org</i>")],
                      url="/documents/r%7C1/view?start=10&end=20#cited")
    return Answer(question="who? <img src=x>\n# h1 | [a](b)", answerable=True, reason="",
                  speakers=[SpeakerAnswer(name="*Bob* `x`", organisation="<i>Org</i>", passages=[1])],
                  passages=[passage], translations={"fr": "qui ? <b>"}, took_ms=1.0, index_version="v_1")


def test_markdown_escapes_report_text_so_that_it_cannot_add_markup():
    markdown = to_markdown(hostile_answer(), "http://localhost:8000")
    tokens = markdown_tokens(markdown)
    kinds = {token.type for token in tokens} | {child.type for token in tokens for child in token.children or []}
    assert not kinds & {"html_block", "html_inline", "table_open", "code_block", "fence", "image", "s_open",
                        "em_open", "hr", "ordered_list_open"}
    strong = [children[i + 1].content for token in tokens for children in [token.children or []]
              for i, child in enumerate(children) if child.type == "strong_open"]
    assert strong == ["Question:", "Answered:", "Who answers:", "Also searched, machine-translated:", "Index version:"]
    headings = [inline_text(tokens[i + 1]) for i, token in enumerate(tokens) if token.type == "heading_open"]
    assert headings == ["citeqa answer", "Passages", "1. # Title | <b>bold</b> [x](y)"]
    links = [child.attrs["href"] for token in tokens for child in token.children or [] if child.type == "link_open"]
    assert links == ["http://localhost:8000/documents/r%7C1/view?start=10&end=20#cited"]  # the passage's, only
    assert quoted_texts(markdown) == [blank_normalised(HOSTILE)]  # one blockquote, rendering the text as it is
    paragraphs = [inline_text(tokens[i + 1]) for i, token in enumerate(tokens) if token.type == "paragraph_open"]
    assert "Question: who? <img src=x> # h1 | [a](b)" in paragraphs
    assert "Who answers: *Bob* `x` (<i>Org</i>), passage 1" in paragraphs
    assert "Also searched, machine-translated: fr: qui ? <b>" in paragraphs


@pytest.mark.parametrize("base_url, href", [
    ("", "/documents/r%7C1/view?start=10&end=20#cited"),  # no scheme: a link, not an autolink
    ("http://h:8000/a b>(c)", "http://h:8000/a%20b%3E%28c%29/documents/r%7C1/view?start=10&end=20#cited"),
])
def test_a_link_stays_one_link_whatever_the_base_url(base_url, href):
    tokens = markdown_tokens(to_markdown(hostile_answer(), base_url))
    links = [child.attrs["href"] for token in tokens for child in token.children or [] if child.type == "link_open"]
    assert links == [href]
    assert not {token.type for token in tokens} & {"html_block"}


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1",
                                  "'=already quoted", "'plain"])
def test_csv_guards_cells_that_would_be_read_as_formulas(text):
    answer = hostile_answer()
    passage = answer.passages[0].model_copy(update={"text": text, "title": text, "document_id": text,
                                                     "speakers": [Speaker(name=text)], "score": -0.25})
    [row] = csv_rows(to_csv(answer.model_copy(update={"passages": [passage]}), "http://localhost:8000"))
    for column in ("document_id", "title", "speakers", "text"):
        assert row[column] == "'" + text and unguard_cell(row[column]) == text
    assert row["score"] == "-0.25"  # a number the service writes is not text: left as it is


def test_guard_leaves_ordinary_text_alone():
    assert guard_cell("Mme Ada Lovelace a parlé") == "Mme Ada Lovelace a parlé"
    assert guard_cell("") == "" and unguard_cell("x") == "x"
    assert guard_cell("a = b - c") == "a = b - c"  # only the first character can make a formula


# ---- GET /search/export ----------------------------------------------------------------------------


def test_export_route_returns_the_files_of_the_answer_get_search_gives(client):
    params = {"q": WHO, "k": 4, "documents": [SEED], "year_from": 2018, "languages": ["fr"]}
    expected = client.get("/search", params=params).json()
    table = client.get("/search/export", params={**params, "format": "csv"})
    assert table.status_code == 200, table.text
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    assert table.headers["content-disposition"] == 'attachment; filename="citeqa-answer.csv"'
    rows = csv_rows(table.content.decode("utf-8"))
    assert [(r["document_id"], int(r["page"]), int(r["start"]), int(r["end"]), unguard_cell(r["text"]))
            for r in rows] == [(p["document_id"], p["page"], p["start"], p["end"], p["text"])
                               for p in expected["passages"]]
    assert [r["link"] for r in rows] == ["http://testserver" + p["url"] for p in expected["passages"]]

    markdown = client.get("/search/export", params={**params, "format": "markdown"})
    assert markdown.status_code == 200, markdown.text
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.headers["content-disposition"] == 'attachment; filename="citeqa-answer.md"'
    assert quoted_texts(markdown.text) == [blank_normalised(p["text"]) for p in expected["passages"]]
    for passage in expected["passages"]:
        assert f"<http://testserver{passage['url']}>" in markdown.text


def test_export_route_applies_the_filters_as_search_does(client):
    kept_nothing = client.get("/search/export", params={"q": WHO, "year_from": 2030, "format": "markdown"})
    assert kept_nothing.status_code == 200
    reason = client.get("/search", params={"q": WHO, "year_from": 2030}).json()["reason"]
    assert f"**Answered:** no — {escape_markdown(reason)}" in kept_nothing.text
    assert "No passage found." in kept_nothing.text


@pytest.mark.parametrize("params, field, fragment", [
    ({"q": WHO}, "format", "Field required"),
    ({"q": WHO, "format": "pdf"}, "format", "'markdown' or 'csv'"),
    ({"q": "   ", "format": "csv"}, "q", "must not be empty or blank"),
    ({"format": "csv"}, "q", "Field required"),
    ({"q": WHO, "k": 0, "format": "csv"}, "k", "greater than or equal to 1"),
    ({"q": WHO, "documents": ["nope"], "format": "csv"}, "documents", "no report with id 'nope'"),
    ({"q": WHO, "year_from": 2020, "year_to": 2010, "format": "markdown"}, "year_to", "before year_from"),
])
def test_export_route_refuses_bad_input_with_a_clear_422(client, params, field, fragment):
    refused = client.get("/search/export", params=params)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/json"
    details = refused.json()["detail"]
    assert any(item["loc"][-1] == field and fragment in item["msg"] for item in details), details


def test_export_waits_in_the_search_queue_and_gets_its_503(engine, store, settings, tmp_path):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.live import LiveIndex

    one_at_a_time = settings.model_copy(update={"audit_log": tmp_path / "audit.jsonl", "search_concurrency": 1,
                                                "max_waiting_searches": 0})
    params = {"q": WHO, "k": 1, "format": "csv"}
    with TestClient(create_app(LiveIndex(engine, store), one_at_a_time)) as http:
        assert http.get("/search/export", params=params).status_code == 200  # makes the limiter
        limiter, borrower = http.app.state.search_limiter, object()
        http.portal.call(limiter.acquire_on_behalf_of, borrower)  # a search running: the one place is taken
        try:
            busy = http.get("/search/export", params=params)
        finally:
            http.portal.call(limiter.release_on_behalf_of, borrower)
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        assert "CITEQA_MAX_WAITING_SEARCHES" in busy.json()["detail"]
        assert http.get("/search/export", params=params).status_code == 200


def test_export_route_is_documented_with_both_media_types(client):
    operation = client.get("/openapi.json").json()["paths"]["/search/export"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/markdown", "text/csv"}
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"q", "k", "documents", "languages", "year_from", "year_to", "publishers", "speakers", "format"}


# ---- citeqa ask --format ---------------------------------------------------------------------------


def citeqa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, env=os.environ | env,
                          timeout=300)


def test_ask_prints_the_answer_as_json_markdown_or_csv(settings, built_index, engine):
    env = {"HF_HUB_OFFLINE": "1", "CITEQA_INDEX_DIR": str(settings.index_dir), "HOST": "127.0.0.1", "PORT": "8123"}
    asked = ["ask", WHO, "-k", "3", "--document", SEED]
    as_json = citeqa(*asked, "--format", "json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    answer = Answer.model_validate_json(as_json.stdout)
    assert len(answer.passages) == 3 and json.loads(as_json.stdout)["question"] == WHO

    as_csv = citeqa(*asked, "--format", "csv", "--base-url", "https://reports.example.org/citeqa/", env=env)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = csv_rows(as_csv.stdout.decode("utf-8"))
    assert [(r["document_id"], int(r["start"]), int(r["end"])) for r in rows] == \
        [(p.document_id, p.start, p.end) for p in answer.passages]
    for row in rows:
        text = engine.version.document_text(row["document_id"])
        assert unguard_cell(row["text"]) == text[int(row["start"]):int(row["end"])]
    assert [r["link"] for r in rows] == ["https://reports.example.org/citeqa" + p.url for p in answer.passages]

    as_markdown = citeqa(*asked, "--format", "markdown", env=env)  # links to where `citeqa serve` listens
    assert as_markdown.returncode == 0, as_markdown.stderr
    markdown = as_markdown.stdout.decode("utf-8")
    assert markdown.startswith("# citeqa answer\n") and f"**Question:** {WHO}" in markdown
    assert all(f"<http://127.0.0.1:8123{p.url}>" in markdown for p in answer.passages)
    assert b"Model " in as_markdown.stderr and b"Model " not in as_markdown.stdout  # stdout holds the file only


# ---- the web page's download links -----------------------------------------------------------------


@pytest.fixture(scope="module")
def two_report_server(two_report_index, serve_in_thread):
    from service.app import create_app

    settings, live = two_report_index
    with serve_in_thread(create_app(live, settings)) as running:
        yield running


def test_the_page_links_the_answer_it_shows_as_markdown_and_csv(browser, two_report_server, tmp_path):
    from urllib.parse import parse_qs, urlsplit

    from playwright.sync_api import expect

    from tests.service.browsing import assert_local, ask, open_page

    question = "who keeps bees on the roofs?"
    page, requests, errors = open_page(browser, two_report_server.url)
    page.goto("/")
    page.wait_for_selector("#filter-reports option[value=harbour]")
    assert page.locator("#downloads").is_hidden()  # nothing to download before an answer
    page.select_option("#filter-reports", ["harbour"])
    page.fill("#year-from", "2020")
    page.fill("#year-to", "2022")
    ask(page, question)
    page.locator("article.passage").first.wait_for()

    markdown = page.get_by_role("link", name="Download Markdown")
    table = page.get_by_role("link", name="Download CSV")
    expect(table).to_be_visible()
    asked = {"q": [question], "k": ["5"], "documents": ["harbour"], "year_from": ["2020"], "year_to": ["2022"]}
    for link, format, name in [(markdown, "markdown", "citeqa-answer.md"), (table, "csv", "citeqa-answer.csv")]:
        href = urlsplit(link.get_attribute("href"))
        assert href.path == "/search/export" and parse_qs(href.query) == {**asked, "format": [format]}
        assert link.get_attribute("download") == name
    table.focus()  # keyboard reachable: a real link, focused and followed with Enter
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    download = started.value
    assert download.suggested_filename == "citeqa-answer.csv"
    saved = tmp_path / "answer.csv"
    download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    shown = page.locator("article.passage").count()
    assert len(rows) - 1 == shown and {row[1] for row in rows[1:]} == {"harbour"}  # the filter held
    assert rows[1][0] == "1" and rows[1][10].startswith(f"{two_report_server.url}/documents/harbour/")

    ask(page, "")  # refused in the page: the answer and its links stay those of the last question
    expect(table).to_be_visible()
    assert errors == []
    assert_local(requests, two_report_server.url)
