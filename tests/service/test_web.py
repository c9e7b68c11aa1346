"""The web page in a real headless Chromium (Debian's chromium, driven by Playwright) against a real
uvicorn server on 127.0.0.1: asking, speakers, cited passages, the report viewer, abstention, errors,
admin upload and removal; and no request ever leaves the server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.live import LiveIndex
from index_build.store.folder.store import FolderStore
from tests.service.browsing import assert_local, ask, open_page  # the `browser` fixture is in conftest

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
WHO = "who spoke about child protection"
ABSENT = "Que dit le rapport sur la réduction des cas d'apatridie ?"
TOKEN = "web-s3cret-token-for-the-browser-tests"
HARBOUR = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
           "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days.")


@pytest.fixture(scope="module")
def server(engine, settings, built_index, serve_in_thread):
    with serve_in_thread(create_app(LiveIndex(engine, FolderStore(settings.index_dir, settings.corpus_dir)), settings)) as running:
        yield running


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory, seed_index, serve_in_thread):
    settings, live = seed_index(tmp_path_factory.mktemp("web-admin"), admin_token=TOKEN)
    with serve_in_thread(create_app(live, settings)) as running:
        yield running


@pytest.fixture(scope="module")
def filter_server(two_report_index, serve_in_thread):
    settings, live = two_report_index
    with serve_in_thread(create_app(live, settings)) as running:
        yield running


def test_page_loads_with_the_question_focused_and_the_reports_listed(browser, server):
    page, requests, errors = open_page(browser, server.url)
    response = page.goto("/")
    assert response.status == 200
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.locator("label[for=q]").inner_text() == "Your question"
    for landmark in ("header", "main", "footer"):
        assert page.locator(f"body > {landmark}").count() == 1
    page.wait_for_selector("#reports li[data-id]")
    report = page.locator("#reports li[data-id='idm-2018-capacity-development.fr']")
    assert "Dialogue international sur la migration 2018" in report.inner_text()
    assert "fr" in report.inner_text() and "pages" in report.inner_text() and "passages" in report.inner_text()
    assert page.locator("#reports button").count() == 0  # no remove buttons without a token
    assert errors == []
    assert_local(requests, server.url)


def test_who_question_shows_speaker_chips_and_highlighted_passages(browser, server):
    expected = httpx.post(f"{server.url}/search", json={"question": WHO, "k": 5}).json()
    page, requests, errors = open_page(browser, server.url)
    page.goto("/")
    ask(page, WHO)
    page.wait_for_selector(".chip")
    chips = page.locator(".chip .chip-name").all_inner_texts()
    assert "Sikander Khan" in chips
    assert chips == [speaker["name"] for speaker in expected["speakers"]]
    assert "Sikander Khan" in page.locator("#status").inner_text()
    cards = page.locator("article.passage")
    assert cards.count() == len(expected["passages"]) >= 1
    for card, passage in zip(cards.all(), expected["passages"]):
        assert passage["title"] in card.locator("h4").inner_text()
        assert f"page {passage['page']}" in card.locator(".meta").inner_text()
        assert card.locator("blockquote").inner_text().strip() == passage["text"].strip()
        assert card.locator("mark").inner_text() == passage["highlight"]["text"]
        link = card.get_by_role("link", name="see in the report")
        assert link.get_attribute("href") == (f"/documents/{passage['document_id']}/view?start={passage['start']}"
                                              f"&end={passage['end']}#cited")
    assert "q=who+spoke" in page.url or "q=who%20spoke" in page.url
    if expected["translations"]:  # the question also searched machine-translated: the page says how
        shown = page.locator(".translations").inner_text()
        assert "Also searched in French as:" in shown and expected["translations"]["fr"] in shown
    else:
        assert page.locator(".translations").count() == 0

    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    page.screenshot(path=str(out / "answered.png"), full_page=True)
    print(f"\nscreenshot: {out / 'answered.png'}")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "horizontal scroll at 375px"
    page.screenshot(path=str(out / "answered-375.png"))
    print(f"screenshot: {out / 'answered-375.png'}")

    khan = next(s for s in expected["speakers"] if s["name"] == "Sikander Khan")
    page.get_by_role("button", name="Sikander Khan").click()
    page.wait_for_function(f"document.activeElement.id === 'passage-{khan['passages'][0]}'")
    assert errors == []
    assert_local(requests, server.url)


def test_citation_link_opens_the_report_with_the_span_marked(browser, server):
    page, requests, errors = open_page(browser, server.url)
    page.goto("/")
    ask(page, WHO)
    first = page.locator("article.passage").first
    first.wait_for()
    passage_start = first.locator("blockquote").inner_text().strip()[:60]
    first.get_by_role("link", name="see in the report").click()
    page.wait_for_url("**/documents/idm-2018-capacity-development.fr/view?**")
    cited = page.locator("mark#cited")
    assert cited.inner_text().startswith(passage_start)
    assert "Dialogue international sur la migration 2018" in page.locator("h1").inner_text()
    assert page.locator("article.report").get_attribute("lang") == "fr"
    assert page.locator("article.report p").count() > 20  # paragraphs kept
    page.wait_for_function("document.activeElement.id === 'cited'")
    box = cited.bounding_box()
    assert box and 0 <= box["y"] < page.viewport_size["height"], "the cited span is not scrolled into view"
    page.go_back()
    page.wait_for_selector("article.passage")  # the question is asked again from the URL
    assert page.input_value("#q") == WHO
    assert errors == []
    assert_local(requests, server.url)


def test_viewer_refuses_unknown_reports_and_bad_spans(server):
    unknown = httpx.get(f"{server.url}/documents/nope/view", params={"start": 0, "end": 5})
    assert unknown.status_code == 404 and "nope" in unknown.text and "text/html" in unknown.headers["content-type"]
    for start, end in [(10, 5), (-1, 4), (0, 10**9), ("a", 3)]:
        bad = httpx.get(f"{server.url}/documents/idm-2018-capacity-development.fr/view",
                        params={"start": start, "end": end})
        assert bad.status_code == 422 and ("span" in bad.text or "numbers" in bad.text), (start, end, bad.text)
    whole = httpx.get(f"{server.url}/documents/idm-2018-capacity-development.fr/view")
    assert whole.status_code == 200 and "<mark" not in whole.text
    assert httpx.get(f"{server.url}/static/..%2Fweb.py").status_code == 404
    assert httpx.get(f"{server.url}/static/app.css").status_code == 200


def test_abstention_shows_the_reason_and_folds_the_weak_passages(browser, server):
    expected = httpx.post(f"{server.url}/search", json={"question": ABSENT, "k": 5}).json()
    assert expected["answerable"] is False
    page, requests, errors = open_page(browser, server.url)
    page.goto("/")
    ask(page, ABSENT)
    box = page.locator(".abstain")
    box.wait_for()
    assert box.locator("h3").inner_text() == "The answer is not in the reports"
    assert expected["reason"] in box.inner_text()
    details = box.locator("details")
    assert details.get_attribute("open") is None
    assert details.locator("article.passage.weak").count() == len(expected["passages"])
    assert not details.locator("article.passage").first.is_visible()
    details.locator("summary").click()
    assert details.locator("article.passage").first.is_visible()
    assert page.locator(".chip").count() == 0
    assert errors == []
    assert_local(requests, server.url)


def test_a_too_long_question_shows_the_api_message(browser, server):
    page, requests, _ = open_page(browser, server.url)
    page.goto("/")
    ask(page, "a" * 2001)
    alert = page.get_by_role("alert").filter(has_text="2000")
    alert.wait_for()
    assert "(422)" in alert.inner_text() and "question" in alert.inner_text()
    assert "at most 2000 characters" in alert.inner_text()
    assert page.get_attribute("#q", "aria-invalid") == "true"
    assert page.locator("#answer").is_hidden()
    assert_local(requests, server.url)


def test_admin_uploads_and_removes_a_report(browser, admin_server, tmp_path):
    page, requests, errors = open_page(browser, admin_server.url)
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.goto("/")
    page.wait_for_selector("#reports li[data-id=seed]")
    page.locator("#admin summary").click()
    harbour = tmp_path / "harbour.txt"
    harbour.write_text(HARBOUR, encoding="utf-8")
    page.set_input_files("#file", str(harbour))
    page.fill("#title", "Harbour <b>report</b>")
    page.fill("#language", "en")

    page.fill("#token", "wrong")
    page.click("#upload-button")
    page.get_by_role("alert").filter(has_text="Wrong admin token").wait_for()
    assert "(403)" in page.locator("#admin-error").inner_text()

    page.fill("#token", TOKEN)
    assert page.evaluate("sessionStorage.getItem('citeqa-admin-token')") == TOKEN
    assert page.evaluate("localStorage.length") == 0
    page.click("#upload-button")
    page.locator("#admin-status").filter(has_text="harbour").wait_for(timeout=120_000)
    assert "added" in page.locator("#admin-status").inner_text()
    item = page.locator("#reports li[data-id=harbour]")
    item.wait_for()
    assert item.locator(".report-title").inner_text() == "Harbour <b>report</b>"  # text, never HTML
    assert page.input_value("#title") == ""  # the form is reset
    viewer = httpx.get(f"{admin_server.url}/documents/harbour/view").text
    assert "<h1>Harbour &lt;b&gt;report&lt;/b&gt;</h1>" in viewer and "Grace Hopper" in viewer

    ask(page, "How many containers does the Valparaíso terminal handle?")
    page.locator("article.passage").first.wait_for()
    assert "Grace Hopper" in page.locator(".chip").first.inner_text() or \
        "Valparaíso" in page.locator("article.passage").first.inner_text()

    item.get_by_role("button", name="Remove").click()
    page.locator("#reports li[data-id=harbour]").wait_for(state="detached", timeout=120_000)
    assert dialogs and "harbour" in dialogs[0]
    assert "Removed" in page.locator("#reports-status").inner_text()
    assert page.locator("#reports li[data-id]").count() == 1

    page.reload()  # the token stays for the tab's session
    assert page.input_value("#token") == TOKEN and page.locator("#admin").get_attribute("open") is not None
    assert errors == [] or all("403" in e for e in errors)  # the refused upload may be logged by the browser
    assert_local(requests, admin_server.url)



def test_a_report_and_a_year_range_keep_every_passage_to_that_report(browser, filter_server):
    from playwright.sync_api import expect

    question = "who keeps bees on the roofs?"
    unfiltered = httpx.post(f"{filter_server.url}/search", json={"question": question, "k": 5}).json()
    assert {p["document_id"] for p in unfiltered["passages"]} == {"seed", "harbour"}  # the filter has work to do
    expected = httpx.post(f"{filter_server.url}/search", json={"question": question, "k": 5, "documents": ["harbour"],
                                                                "year_from": 2020, "year_to": 2022}).json()
    assert expected["answerable"] and expected["passages"]
    page, requests, errors = open_page(browser, filter_server.url)
    page.goto("/")
    page.wait_for_selector("#filter-reports option[value=harbour]")
    selected = "sel => Array.from(sel.options).filter(o => o.selected).map(o => o.value)"
    assert sorted(page.eval_on_selector("#filter-reports", selected)) == ["harbour", "seed"]  # all, at first
    assert page.locator("label[for=filter-reports]").inner_text() == "Reports"

    page.select_option("#filter-reports", ["harbour"])
    page.fill("#year-from", "2022")
    page.fill("#year-to", "2020")
    ask(page, question)
    page.get_by_role("alert").filter(has_text="run backwards").wait_for()
    assert page.get_attribute("#year-to", "aria-invalid") == "true"
    assert not [url for url in requests if url.endswith("/search")]  # refused in the page, nothing sent

    page.fill("#year-from", "2020")
    page.fill("#year-to", "2022")
    with page.expect_request(lambda request: request.url.endswith("/search") and request.method == "POST") as sent:
        page.click("#ask button[type=submit]")
    assert json.loads(sent.value.post_data) == {"question": question, "k": 5, "documents": ["harbour"],
                                                "year_from": 2020, "year_to": 2022}
    page.locator("article.passage").first.wait_for()
    cards = page.locator("article.passage")
    assert cards.count() == len(expected["passages"])
    for card in cards.all():  # every passage shown is from the report picked
        assert "Harbour Authority annual review" in card.locator("h4").inner_text()
        href = card.get_by_role("link", name="see in the report").get_attribute("href")
        assert href.startswith("/documents/harbour/view?"), href
    note = page.locator("#filter-note")
    assert note.is_visible()
    assert note.inner_text() == ("Searched only in 1 of 2 reports (“Harbour Authority annual review”); "
                                 "reports of 2020 to 2022.")
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    page.screenshot(path=str(out / "filtered.png"), full_page=True)

    page.click("#filter-all")  # all reports again, no years: no filter, and no note
    page.fill("#year-from", "")
    page.fill("#year-to", "")
    with page.expect_request(lambda request: request.url.endswith("/search") and request.method == "POST") as sent:
        page.click("#ask button[type=submit]")
    assert json.loads(sent.value.post_data) == {"question": question, "k": 5}
    expect(page.locator("article.passage")).to_have_count(5)  # (a string wait_for_function would break the CSP)
    assert note.is_hidden()
    assert errors == []
    assert_local(requests, filter_server.url)



def test_the_viewer_shows_a_report_in_parts_of_at_most_the_cap_and_pages_on(server, engine):
    """Issue 22 L4: a report is sent in parts (VIEW_CHARS characters by default, ?chars= up to MAX_VIEW_CHARS),
    which together show every paragraph once; the page says when there is more and links the next part; a
    cited span opens the part that holds it."""
    import html
    import re

    from service.web import MAX_VIEW_CHARS, VIEW_CHARS

    report = "idm-2018-capacity-development.fr"
    view = f"{server.url}/documents/{report}/view"
    text = engine.version.document_text(report)
    assert len(text) > 2 * VIEW_CHARS  # the seed report: three parts or more

    def paragraphs(page: str) -> list[str]:
        article = page.split('aria-label="Report text">', 1)[1].split("</article>", 1)[0]
        return [html.unescape(re.sub(r"<[^>]+>", "", found)).strip()
                for found in re.findall(r"<p>(.*?)</p>", article, re.DOTALL)]

    for size in (VIEW_CHARS, 5000):
        asked, number, last_end = ({} if size == VIEW_CHARS else {"chars": size}), 1, 0
        while True:
            page = httpx.get(view, params={**asked, "part": number})
            assert page.status_code == 200, page.text
            where = re.search(r"Part (\d+) of (\d+): characters ([\d,]+)–([\d,]+) of ([\d,]+)", page.text)
            first, end = (int(where[3].replace(",", "")), int(where[4].replace(",", "")))
            assert int(where[1]) == number and first == last_end and end - first <= size  # parts tile the text
            assert paragraphs(page.text) == [p.strip() for p in text[first:end].split("\n\n") if p.strip()]
            last_end = end
            if number == int(where[2]):
                assert "The report goes on" not in page.text and end == len(text)
                break
            assert "The report goes on" in page.text and f'part={number + 1}' in page.text
            number += 1
        assert number >= len(text) / size
    start = text.rindex("\n\n") + 2  # the last paragraph: in the last part
    parts = int(re.search(r"Part 1 of (\d+)", httpx.get(view).text)[1])
    cited = httpx.get(view, params={"start": start, "end": start + 30})
    assert '<mark id="cited"' in cited.text and f"Part {parts} of {parts}" in cited.text
    elsewhere = httpx.get(view, params={"start": start, "end": start + 30, "part": 1})
    assert "<mark" not in elsewhere.text and f"The cited passage (characters {start:,}–{start + 30:,}) is in" in elsewhere.text
    for params, message in [({"chars": MAX_VIEW_CHARS + 1}, "chars must be from 100 to 200,000"),
                            ({"chars": "many"}, "chars must be a whole number"), ({"part": 99}, "part must be from 1 to"),
                            ({"part": 0}, "part must be from 1 to")]:
        refused = httpx.get(view, params=params)
        assert refused.status_code == 422 and message in refused.text, (params, refused.text[-600:])
