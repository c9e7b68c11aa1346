"""The page view: a citation of a PDF report shown on its page as printed, the passage's lines outlined where its
text is; on an index really built from a PDF and a Markdown report of the library, served by the real app, and in
a real Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pypdfium2 as pdfium
import pytest

from eval.library import library_dir, library_reports, missing_library_message
from index_build.builder import build_index
from index_build.store.folder.store import FolderStore
from index_build.store.folder.versions import load_version
from service.app import create_app
from service.live import LiveIndex
from service.pdf_pages import RENDER_SCALE, PdfPages, fold
from service.search import SearchEngine
from service.settings import Settings
from tests.service.browsing import assert_local, ask, open_page

pytestmark = [pytest.mark.slow, pytest.mark.skipif(library_dir() is None, reason=missing_library_message())]

REPO = Path(__file__).parents[2]
PDF_REPORT = "iom-eval-haiti-rd-reponse-direction-2025.fr"  # 12 pages: a management response, French and English
TEXT_REPORT = "declaration-los-angeles-migrations-protection-2022.fr"  # Markdown: no printed pages
QUESTION = "Quelles actions clés la direction propose-t-elle pour le dialogue binational ?"


@pytest.fixture(scope="module")
def paged(tmp_path_factory, embedder):
    """(Settings, LiveIndex) over an index of a PDF report and a Markdown report, copied from the library."""
    root = tmp_path_factory.mktemp("paged")
    corpus = root / "corpus"
    corpus.mkdir()
    chosen = [report for report in library_reports() if report.id in (PDF_REPORT, TEXT_REPORT)]
    for report in chosen:
        shutil.copy(library_dir() / report.source_file, corpus / report.source_file)
    (corpus / "reports.json").write_text(json.dumps({"reports": [report.model_dump() for report in chosen]}),
                                         encoding="utf-8")
    settings = Settings(index_dir=root / "index", corpus_dir=corpus, audit_log=root / "audit.jsonl")
    build_index(FolderStore(settings.index_dir, corpus), embedder, show_progress=False)
    engine = SearchEngine(embedder, load_version(settings.index_dir, fingerprint=embedder.fingerprint,
                                                 dimension=embedder.dimension))
    return settings, LiveIndex(engine, FolderStore(settings.index_dir, corpus))


@pytest.fixture(scope="module")
def paged_client(paged):
    from fastapi.testclient import TestClient

    settings, live = paged
    with TestClient(create_app(live, settings)) as client:
        yield client


def pdf_path(paged) -> Path:
    settings, live = paged
    source = next(doc["source_file"] for doc in live.engine().version.documents if doc["id"] == PDF_REPORT)
    return settings.corpus_dir / source


def text_under(path: Path, number: int, boxes) -> str:
    """The page's text inside the boxes (image pixels turned back into PDF points), folded."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[number - 1]
        text_page, height = page.get_textpage(), page.get_height()
        found = [text_page.get_text_bounded(box.left / RENDER_SCALE, height - (box.top + box.height) / RENDER_SCALE,
                                            (box.left + box.width) / RENDER_SCALE, height - box.top / RENDER_SCALE)
                 for box in boxes]
    finally:
        pdf.close()
    return fold(" ".join(found))[0]


def test_every_passage_of_the_pdf_is_found_on_its_page_and_the_text_under_its_boxes_is_its_own(paged):
    _, live = paged
    chunks = list(live.engine().version.iter_chunks(PDF_REPORT))
    assert len(chunks) > 20
    over_a_break = 0
    with PdfPages(pdf_path(paged)) as pages:
        for chunk in chunks:
            here = pages.locate(chunk.page, chunk.text)
            share = here.share
            if not here.ends_here and chunk.page < pages.count:
                after = pages.locate(chunk.page + 1, chunk.text)
                if after.found:
                    over_a_break += 1
                    share += after.share
            if len(fold(chunk.text)[0]) >= 100:
                assert share >= 0.6, (chunk.page, chunk.text[:80])
            passage = fold(chunk.text)[0]
            under = text_under(pdf_path(paged), chunk.page, here.boxes)
            # every outlined line is the passage's: most of its text is in the passage (a box's line may carry a
            # few letters of the words before or after the span)
            assert here.boxes and under, chunk.text[:80]
            assert sum(piece in passage for piece in _pieces(under)) >= 0.8 * len(_pieces(under)), chunk.text[:80]
    assert over_a_break >= 1  # this report has passages over a page break


def _pieces(folded: str, size: int = 8) -> list[str]:
    return [folded[at:at + size] for at in range(0, max(len(folded) - size + 1, 1), size)]


def test_a_passage_over_a_page_break_is_outlined_on_both_pages(paged, paged_client):
    _, live = paged
    with PdfPages(pdf_path(paged)) as pages:
        spanning = next(chunk for chunk in live.engine().version.iter_chunks(PDF_REPORT)
                        if chunk.page < pages.count and not pages.locate(chunk.page, chunk.text).ends_here
                        and pages.locate(chunk.page + 1, chunk.text).found)
    first = paged_client.get(f"/documents/{PDF_REPORT}/pages/{spanning.page}",
                             params={"start": spanning.start, "end": spanning.end})
    second = paged_client.get(f"/documents/{PDF_REPORT}/pages/{spanning.page + 1}",
                              params={"start": spanning.start, "end": spanning.end})
    assert first.status_code == second.status_code == 200
    assert 'class="cited-box"' in first.text and 'class="cited-box"' in second.text
    assert f"It continues on <a href=\"/documents/{PDF_REPORT}/pages/{spanning.page + 1}?" in first.text
    assert f"It begins on <a href=\"/documents/{PDF_REPORT}/pages/{spanning.page}?" in second.text


def test_a_pdf_citation_links_to_its_page_and_a_markdown_one_to_the_text(paged_client):
    answer = paged_client.post("/search", json={"question": QUESTION, "k": 10}).json()
    urls = {passage["document_id"]: passage["url"] for passage in answer["passages"]}
    pdf = next(p for p in answer["passages"] if p["document_id"] == PDF_REPORT)
    assert pdf["url"] == f"/documents/{PDF_REPORT}/pages/{pdf['page']}?start={pdf['start']}&end={pdf['end']}"
    if TEXT_REPORT in urls:
        assert urls[TEXT_REPORT].startswith(f"/documents/{TEXT_REPORT}/view?start=")


def test_the_page_image_is_the_page_rendered_and_cached_by_its_file(paged, paged_client):
    with PdfPages(pdf_path(paged)) as pages:
        facts = pages.facts(3)
    image = paged_client.get(f"/documents/{PDF_REPORT}/pages/3/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(image.content[16:20], "big"), int.from_bytes(image.content[20:24], "big")
    assert (width, height) == (facts.width, facts.height)
    again = paged_client.get(f"/documents/{PDF_REPORT}/pages/3/image", headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304


def test_the_page_view_refuses_what_it_cannot_show_with_a_clear_message(paged_client):
    unknown = paged_client.get("/documents/no-such-report/pages/1")
    assert unknown.status_code == 404 and "no report “no-such-report”" in unknown.text
    beyond = paged_client.get(f"/documents/{PDF_REPORT}/pages/13")
    assert beyond.status_code == 404 and "from 1 to 12" in beyond.text
    not_a_number = paged_client.get(f"/documents/{PDF_REPORT}/pages/two/image")
    assert not_a_number.status_code == 404 and "from 1 to 12" in not_a_number.text
    bad_span = paged_client.get(f"/documents/{PDF_REPORT}/pages/1", params={"start": 50, "end": 10})
    assert bad_span.status_code == 422 and "0 ≤ start &lt; end" in bad_span.text
    markdown = paged_client.get(f"/documents/{TEXT_REPORT}/pages/1", params={"start": 0, "end": 40},
                                follow_redirects=False)
    assert markdown.status_code == 307
    assert markdown.headers["location"] == f"/documents/{TEXT_REPORT}/view?start=0&end=40#cited"
    assert paged_client.get(f"/documents/{TEXT_REPORT}/pages/1/image").status_code == 404


def test_a_replaced_file_is_not_shown_as_the_cited_page(paged, paged_client):
    path = pdf_path(paged)
    kept = path.read_bytes()
    try:
        path.write_bytes(kept + b"\n%% changed\n")  # another file than the one indexed, same name
        refused = paged_client.get(f"/documents/{PDF_REPORT}/pages/1")
        assert refused.status_code == 409 and "was replaced after the index version served was built" in refused.text
        assert paged_client.get(f"/documents/{PDF_REPORT}/pages/1/image").status_code == 409
    finally:
        path.write_bytes(kept)
    assert paged_client.get(f"/documents/{PDF_REPORT}/pages/1").status_code == 200


def test_in_chromium_a_citation_opens_its_page_with_the_passage_outlined_on_the_image(paged, browser, serve_in_thread):
    settings, live = paged
    with serve_in_thread(create_app(live, settings)) as server:
        page, requests, errors = open_page(browser, server.url, width=1100, height=900)
        page.goto("/")
        ask(page, QUESTION)
        card = page.locator("article.passage", has=page.get_by_role("link", name="see on page")).first
        card.wait_for()
        link = card.get_by_role("link", name="see on page")
        cited_page = int(link.inner_text().split("page")[1].split()[0])
        link.click()
        page.wait_for_url(f"**/documents/{PDF_REPORT}/pages/{cited_page}?start=*")
        image = page.locator(".pdf-page img")
        page.wait_for_function("document.querySelector('.pdf-page img').complete "
                               "&& document.querySelector('.pdf-page img').naturalWidth > 0")
        assert f"Page {cited_page} of 12" in page.locator("p.meta").inner_text()
        frame = image.bounding_box()
        boxes = page.locator("rect.cited-box")
        assert boxes.count() >= 1
        for index in range(boxes.count()):
            box = boxes.nth(index).bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0
            assert frame["x"] - 1 <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
            assert frame["y"] - 1 <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
        first = boxes.first.bounding_box()
        assert 0 <= first["y"] < page.viewport_size["height"], "the outlined passage is not scrolled into view"
        page.wait_for_function("document.activeElement.id === 'cited'")  # its text has the focus
        assert page.locator("blockquote#cited").get_attribute("lang") == "fr"
        assert page.locator(".pdf-page img").get_attribute("alt").startswith(f"Page {cited_page} of ")
        (REPO / "test-output").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "test-output" / "page-view.png"))
        assert errors == []
        assert_local(requests, server.url)
        assert any(url.endswith(f"/pages/{cited_page}/image") for url in requests)
        page.context.close()
        assert httpx.get(f"{server.url}/documents/{PDF_REPORT}/pages/{cited_page}/image").status_code == 200
