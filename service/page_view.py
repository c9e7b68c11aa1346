"""The page view: a cited passage on the page of the PDF report it comes from, as the report prints it.

``GET /documents/{id}/pages/{n}?start=&end=`` shows page n as an image with the passage's lines outlined (an SVG
layer over the image, each box found by the passage's text: :mod:`service.pdf_pages`), the page number the report
prints, the passage's text for reading and for screen readers, and, for a passage over a page break, where it goes
on. ``GET /documents/{id}/pages/{n}/image`` is the page's PNG. A report that is not a PDF has no printed pages: its
page view sends the reader to its text view.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from index_build.corpus import CorpusError, ReportInfo, known_content_hash
from service.answers import citation_url, has_pages, page_url
from service.pdf_pages import PageFacts, PageProblem, PassageOnPage, PdfPages
from service.web import message_page, page, span_of

router = APIRouter(include_in_schema=False)

IMAGE_CACHE_SECONDS = 3600  # a page image is the same for as long as its report's file is (its hash is the ETag)
RENDERED_PAGES_KEPT = 64  # page images kept in memory (about 200 KB each)


class Unavailable(Exception):
    """The page cannot be shown: the HTTP status and what the reader should know."""

    def __init__(self, code: int, title: str, message: str):
        super().__init__(message)
        self.code, self.title, self.message = code, title, message


@router.get("/documents/{document_id}/pages/{number}", response_class=HTMLResponse)
def page_view(request: Request, document_id: str, number: str, start: str | None = None,
              end: str | None = None) -> Response:
    """Page ``number`` of a PDF report, the passage [start, end) of its indexed text outlined on it."""
    try:
        document, text, path = _report(request, document_id)
        span, problem = span_of(start, end, len(text))
        if problem:
            raise Unavailable(status.HTTP_422_UNPROCESSABLE_CONTENT, "Bad passage span", problem)
        if not has_pages(document.get("source_file", "")):
            target = (citation_url(document_id, 1, *span, paged=False) if span
                      else page_url(document_id, 1, paged=False))
            return RedirectResponse(target, status.HTTP_307_TEMPORARY_REDIRECT)
        with PdfPages(path) as pages:
            facts = pages.facts(_page_number(number, pages.count))
            passage = text[span[0]:span[1]] if span else ""
            here = pages.locate(facts.number, passage) if passage else PassageOnPage()
            before = pages.locate(facts.number - 1, passage) if passage and facts.number > 1 and not here.starts_here \
                else PassageOnPage()
            after = pages.locate(facts.number + 1, passage) if passage and facts.number < facts.count \
                and not here.ends_here else PassageOnPage()
    except Unavailable as refusal:
        return message_page(refusal.code, refusal.title, refusal.message)
    except PageProblem as problem:
        return message_page(status.HTTP_404_NOT_FOUND, "Page not shown", f"Report “{document_id}”: {problem}.")
    body = _body(document, facts, span, passage, here, before, after, request.app.state.live.engine().version.version)
    return page(f"{document.get('title') or document_id}, page {facts.number}", body, status.HTTP_200_OK,
                stylesheets=("/static/page.css",))


@router.get("/documents/{document_id}/pages/{number}/image")
def page_image(request: Request, document_id: str, number: str) -> Response:
    """Page ``number`` of a PDF report as a PNG image."""
    try:
        document, _, path = _report(request, document_id)
        if not has_pages(document.get("source_file", "")):
            raise Unavailable(status.HTTP_404_NOT_FOUND, "No printed pages",
                              f"Report “{document_id}” is not a PDF: it has no page images; read its text view.")
        with PdfPages(path) as pages:
            found = _page_number(number, pages.count)
    except (Unavailable, PageProblem) as refusal:
        code = getattr(refusal, "code", status.HTTP_404_NOT_FOUND)
        return Response(str(refusal), status_code=code, media_type="text/plain; charset=utf-8")
    tag = f'"{document["content_hash"][:32]}-{found}"'
    headers = {"Cache-Control": f"private, max-age={IMAGE_CACHE_SECONDS}", "ETag": tag}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(_rendered(str(path), document["content_hash"], found), media_type="image/png", headers=headers)


@lru_cache(maxsize=RENDERED_PAGES_KEPT)
def _rendered(path: str, content_hash: str, number: int) -> bytes:
    """A page's PNG (kept per file content: a replaced report is rendered again)."""
    with PdfPages(Path(path)) as pages:
        return pages.png(number)


def _report(request: Request, document_id: str) -> tuple[dict, str, Path]:
    """The served version's entry of the report, its indexed text, and its file as indexed (refused when the
    catalog's file is no longer the one this version indexed: its pages would not be the ones cited)."""
    live = request.app.state.live
    version = live.engine().version
    document = next((doc for doc in version.documents if doc["id"] == document_id), None)
    text = version.document_text(document_id) if document else None
    if document is None or text is None:
        raise Unavailable(status.HTTP_404_NOT_FOUND, "Report not found",
                          f"There is no report “{document_id}” in the index: the question page lists the reports.")
    try:
        info = ReportInfo.of_entry(document)
        path = live.store.catalog.file(info)
        current = path.is_file() and known_content_hash(path, document) == document.get("content_hash")
    except (CorpusError, OSError, ValueError) as error:
        raise Unavailable(status.HTTP_404_NOT_FOUND, "Report file not found",
                          f"The file of report “{document_id}” cannot be read here ({error}).") from None
    if not current:
        raise Unavailable(status.HTTP_409_CONFLICT, "Report changed",
                          f"The file of report “{document_id}” was replaced after the index version served was built: "
                          "its pages are not the ones cited. Ask again once the new version is served.")
    return document, text, path


def _page_number(given: str, count: int) -> int:
    """The page asked for, a whole number from 1 to ``count``."""
    try:
        number = int(given)
    except ValueError:
        number = 0
    if not 1 <= number <= count:
        raise Unavailable(status.HTTP_404_NOT_FOUND, "No such page",
                          f"The page must be a whole number from 1 to {count} (this report's pages); got “{given}”.")
    return number


def _body(document: dict, facts: PageFacts, span: tuple[int, int] | None, passage: str, here: PassageOnPage,
          before: PassageOnPage, after: PassageOnPage, version: str) -> str:
    """The view's HTML: where the page is, the image with the passage's boxes, the passage's text."""
    document_id = document["id"]
    title = document.get("title") or document_id

    def link(number: int) -> str:
        asked = {"start": span[0], "end": span[1]} if span else {}
        suffix = f"?{urlencode(asked)}" if asked else ""
        return html.escape(f"{page_url(document_id, number, paged=True)}{suffix}")

    printed = (f" · printed page number {html.escape(facts.printed)}" if facts.printed and facts.printed != str(facts.number)
               else "")
    text_view = html.escape(citation_url(document_id, facts.number, *span, paged=False) if span
                            else page_url(document_id, 1, paged=False))
    notes = _notes(facts, span, here, before, after, link)
    boxes = "\n".join(f'    <rect class="cited-box" x="{box.left:.1f}" y="{box.top:.1f}" width="{box.width:.1f}" '
                      f'height="{box.height:.1f}"/>' for box in here.boxes)
    navigation = [f'<a href="{link(facts.number - 1)}" rel="prev">← Page {facts.number - 1}</a>' if facts.number > 1 else "",
                  f'<a href="{link(facts.number + 1)}" rel="next">Page {facts.number + 1} →</a>'
                  if facts.number < facts.count else ""]
    image = html.escape(f"{page_url(document_id, facts.number, paged=True)}/image")
    quoted = (f'<section class="cited-text" aria-labelledby="cited-heading"><h2 id="cited-heading">The cited passage'
              f'</h2><blockquote id="cited" tabindex="-1"{_lang(document)}>{_lines(passage)}</blockquote></section>'
              if passage else "")
    return f"""<header>
  <p><a href="/">← citeqa: ask the reports</a></p>
  <h1>{html.escape(title)}</h1>
  <p class="meta">Page {facts.number} of {facts.count}{printed} · <a href="{text_view}">the report as indexed text</a></p>
  {notes}
  <nav class="parts" aria-label="Pages of the report"><p>{" ".join(item for item in navigation if item)}</p></nav>
</header>
<main>
  <figure class="pdf-page" data-page="{facts.number}">
    <div class="page-frame">
      <img src="{image}" width="{facts.width}" height="{facts.height}"
           alt="Page {facts.number} of {html.escape(title)}{' (the cited passage is outlined; its text follows)' if here.boxes else ''}">
      <svg class="page-marks" viewBox="0 0 {facts.width} {facts.height}" preserveAspectRatio="none" aria-hidden="true">
{boxes}
      </svg>
    </div>
    <figcaption>Page {facts.number} as printed in the report's PDF{printed}.</figcaption>
  </figure>
  {quoted}
</main>
<footer><p>Report <code>{html.escape(document_id)}</code> as indexed by citeqa (index version {html.escape(version)}):
the outlined lines are where the passage's text is found on this page.</p></footer>"""


def _notes(facts: PageFacts, span: tuple[int, int] | None, here: PassageOnPage, before: PassageOnPage,
           after: PassageOnPage, link) -> str:
    """What the reader should know about the passage on this page: found (and where it goes on), or not."""
    if not span:
        return ""
    parts = []
    if here.found:
        parts.append(f'<a href="#cited">The cited passage</a> (characters {span[0]:,}–{span[1]:,}) is outlined on this '
                     f'page ({len(here.boxes)} line{"s" if len(here.boxes) != 1 else ""}).')
    else:
        parts.append(f"The cited passage (characters {span[0]:,}–{span[1]:,}) was not found on this page's text; its "
                     "text is below.")
    if before.found:
        parts.append(f'It begins on <a href="{link(facts.number - 1)}">page {facts.number - 1}</a>.')
    if after.found:
        parts.append(f'It continues on <a href="{link(facts.number + 1)}">page {facts.number + 1}</a>.')
    return f'<p class="cited-note" role="status">{" ".join(parts)}</p>'


def _lang(document: dict) -> str:
    language = document.get("language", "")
    return f' lang="{html.escape(language)}"' if language else ""


def _lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")
