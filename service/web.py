"""The web page: the question page, a report viewer with the cited span marked, and their static files.

Everything is served from this process (no CDN, no web fonts); every text from the index is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse

from service.asgi import ResponseWatcher

STATIC_DIR = Path(__file__).parent / "static"
# The pages load nothing from elsewhere, and no inline script or style runs.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: Sent with every response of the service, JSON included (the pages add their CSP above).
EVERY_RESPONSE_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}

router = APIRouter(include_in_schema=False)


class SecurityHeaders(ResponseWatcher):
    """ASGI middleware: :data:`EVERY_RESPONSE_HEADERS` on every response that does not set them."""

    def headers(self, scope, context: dict) -> dict[str, str]:
        return EVERY_RESPONSE_HEADERS


@router.get("/")
def index_page() -> FileResponse:
    """The question page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    """A file of service/static (by plain name only: no sub-folders, no paths)."""
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No static file {name!r}.")
    return FileResponse(path, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


@router.get("/documents/{document_id}/view", response_class=HTMLResponse)
def view_document(request: Request, document_id: str, start: str | None = None, end: str | None = None) -> HTMLResponse:
    """The whole text of a report, with the span [start, end) marked and scrolled into view."""
    version = request.app.state.live.engine().version
    document = next((doc for doc in version.documents if doc["id"] == document_id), None)
    text = version.document_text(document_id)
    if document is None or text is None:
        return _message_page(status.HTTP_404_NOT_FOUND, "Report not found",
                             f"There is no report “{document_id}” in the index.")
    span, problem = _span(start, end, len(text))
    if problem:
        return _message_page(status.HTTP_422_UNPROCESSABLE_CONTENT, "Bad passage span", problem)
    title = document.get("title") or document_id
    language = document.get("language", "")
    facts = [f"Language: {language}" if language else "", f"{document['pages']} pages" if document.get("pages") else "",
             str(document["year"]) if document.get("year") else "", document.get("publisher", "")]
    about = " · ".join(html.escape(fact) for fact in facts if fact)
    cited = ""
    if span:
        cited = (f'<p class="cited-note"><a href="#cited">Go to the cited passage</a> '
                 f'(characters {span[0]:,}–{span[1]:,} of {len(text):,})</p>')
    body = f"""<header>
  <p><a href="/">← citeqa: ask the reports</a></p>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{about}</p>
  {cited}
</header>
<main>
  <article class="report"{_lang(language)} aria-label="Report text">
{_paragraphs(text, span)}
  </article>
</main>
<footer><p>Report <code>{html.escape(document_id)}</code> as indexed by citeqa (index version
{html.escape(version.version)}): citation offsets point into this text.</p></footer>"""
    return _page(title, body, status.HTTP_200_OK)


def _span(start: str | None, end: str | None, length: int) -> tuple[tuple[int, int] | None, str]:
    """The span asked for (None when none), or why it is wrong."""
    if start in (None, "") and end in (None, ""):
        return None, ""
    try:
        first, last = int(start or ""), int(end or "")
    except ValueError:
        return None, "start and end must both be whole numbers, e.g. ?start=120&end=480."
    if not 0 <= first < last <= length:
        return None, f"The span must satisfy 0 ≤ start < end ≤ {length:,} (the length of this report); got {first}–{last}."
    return (first, last), ""


def _paragraphs(text: str, span: tuple[int, int] | None) -> str:
    """The text as <p> paragraphs (split on blank lines), the parts inside the span in <mark>."""
    out, offset, first_mark = [], 0, True
    for paragraph in text.split("\n\n"):
        begin, finish = offset, offset + len(paragraph)
        offset = finish + 2
        if not paragraph.strip():
            continue
        if span and span[0] < finish and begin < span[1]:
            a, b = max(span[0], begin) - begin, min(span[1], finish) - begin
            attributes = ' id="cited" tabindex="-1"' if first_mark else ' class="cited-more"'
            first_mark = False
            inner = f"{_lines(paragraph[:a])}<mark{attributes}>{_lines(paragraph[a:b])}</mark>{_lines(paragraph[b:])}"
        else:
            inner = _lines(paragraph)
        out.append(f"    <p>{inner}</p>")
    return "\n".join(out)


def _lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


def _lang(language: str) -> str:
    return f' lang="{html.escape(language)}"' if language else ""


def _message_page(code: int, title: str, message: str) -> HTMLResponse:
    body = f"""<header><p><a href="/">← citeqa: ask the reports</a></p><h1>{html.escape(title)}</h1></header>
<main><p role="alert">{html.escape(message)}</p></main>"""
    return _page(title, body, code)


def _page(title: str, body: str, code: int) -> HTMLResponse:
    document = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — citeqa</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/view.js" defer></script>
</head>
<body class="viewer">
{body}
</body>
</html>
"""
    return HTMLResponse(document, status_code=code, headers=SECURITY_HEADERS)
