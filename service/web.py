"""The web page: the question page, a report viewer with the cited span marked, and their static files.

Everything is served from this process (no CDN, no web fonts); every text from the index is escaped.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlencode

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

#: The report viewer shows a report in parts of at most this many characters (?chars= asks for other parts, from
#: MIN_VIEW_CHARS to MAX_VIEW_CHARS), cut between paragraphs where one ends in the part's second half.
VIEW_CHARS = 20_000
MIN_VIEW_CHARS, MAX_VIEW_CHARS = 100, 200_000

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
def view_document(request: Request, document_id: str, start: str | None = None, end: str | None = None,
                  part: str | None = None, chars: str | None = None) -> HTMLResponse:
    """A report's text, one part of at most ``chars`` characters at a time (:data:`VIEW_CHARS`; ``part``: which,
    from 1; by default the one holding the span), with the span [start, end) marked and scrolled into view."""
    version = request.app.state.live.engine().version
    document = next((doc for doc in version.documents if doc["id"] == document_id), None)
    text = version.document_text(document_id)
    if document is None or text is None:
        return message_page(status.HTTP_404_NOT_FOUND, "Report not found",
                             f"There is no report “{document_id}” in the index.")
    span, problem = span_of(start, end, len(text))
    if problem:
        return message_page(status.HTTP_422_UNPROCESSABLE_CONTENT, "Bad passage span", problem)
    size, problem = _bounded("chars", chars, MIN_VIEW_CHARS, MAX_VIEW_CHARS, VIEW_CHARS)
    if problem:
        return message_page(status.HTTP_422_UNPROCESSABLE_CONTENT, "Bad part size", problem)
    parts = _parts(text, size)
    holding = _part_of(parts, span[0]) if span else 0
    number, problem = _bounded("part", part, 1, len(parts), holding + 1)
    if problem:
        return message_page(status.HTTP_422_UNPROCESSABLE_CONTENT, "No such part", problem)
    window = parts[number - 1]

    def link(to: int) -> str:
        asked = {"start": start, "end": end} if span else {}
        asked |= {"part": to} | ({"chars": size} if size != VIEW_CHARS else {})
        return html.escape(f"/documents/{quote(document_id, safe='')}/view?{urlencode(asked)}")

    title = document.get("title") or document_id
    language = document.get("language", "")
    facts = [f"Language: {language}" if language else "", f"{document['pages']} pages" if document.get("pages") else "",
             str(document["year"]) if document.get("year") else "", document.get("publisher", "")]
    about = " · ".join(html.escape(fact) for fact in facts if fact)
    cited = ""
    if span and holding == number - 1:
        cited = (f'<p class="cited-note"><a href="#cited">Go to the cited passage</a> '
                 f'(characters {span[0]:,}–{span[1]:,} of {len(text):,})</p>')
    elif span:
        cited = (f'<p class="cited-note">The cited passage (characters {span[0]:,}–{span[1]:,}) is in '
                 f'<a href="{link(holding + 1)}#cited">part {holding + 1}</a>.</p>')
    navigation = _navigation(number, len(parts), window, len(text), link)
    body = f"""<header>
  <p><a href="/">← citeqa: ask the reports</a></p>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{about}</p>
  {cited}
  {navigation}
</header>
<main>
  <article class="report"{_lang(language)} aria-label="Report text">
{_paragraphs(text, span, window)}
  </article>
  {_more(number, len(parts), window, len(text), link)}
</main>
<footer><p>Report <code>{html.escape(document_id)}</code> as indexed by citeqa (index version
{html.escape(version.version)}): citation offsets point into this text.</p></footer>"""
    return page(title, body, status.HTTP_200_OK)


def span_of(start: str | None, end: str | None, length: int) -> tuple[tuple[int, int] | None, str]:
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


def _bounded(name: str, given: str | None, lowest: int, highest: int, default: int) -> tuple[int, str]:
    """A whole-number query parameter within [lowest, highest] (``default`` when not given), or why not."""
    if given in (None, ""):
        return default, ""
    try:
        value = int(given)
    except ValueError:
        return default, f"{name} must be a whole number from {lowest:,} to {highest:,}."
    if not lowest <= value <= highest:
        return default, f"{name} must be from {lowest:,} to {highest:,}; got {value:,}."
    return value, ""


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """(begin, end) of each paragraph of the text, as ``text.split("\\n\\n")`` cuts them."""
    begin = 0
    while (cut := text.find("\n\n", begin)) >= 0:
        yield begin, cut
        begin = cut + 2
    yield begin, len(text)


def _parts(text: str, size: int) -> list[tuple[int, int]]:
    """The text cut into parts of at most ``size`` characters: each ends where a paragraph starts, if one
    starts in its second half, else at ``size`` (a paragraph longer than that is cut)."""
    starts = [begin for begin, _ in _paragraph_spans(text)]
    parts, first = [], 0
    while True:
        last = first + size
        if last >= len(text):
            parts.append((first, len(text)))
            return parts
        found = bisect_right(starts, last) - 1
        if starts[found] > first + size // 2:
            last = starts[found]
        parts.append((first, last))
        first = last


def _part_of(parts: list[tuple[int, int]], offset: int) -> int:
    """The index of the part that holds the character at ``offset``."""
    return max(0, bisect_right([first for first, _ in parts], offset) - 1)


def _navigation(number: int, count: int, window: tuple[int, int], length: int, link) -> str:
    """Where this part is and the links to its neighbours (nothing for a report shown whole)."""
    if count == 1:
        return ""
    links = [f'<a href="{link(number - 1)}" rel="prev">← Part {number - 1}</a>' if number > 1 else "",
             f'<a href="{link(number + 1)}" rel="next">Part {number + 1} →</a>' if number < count else ""]
    return (f'<nav class="parts" aria-label="Parts of the report"><p>Part {number} of {count}: characters '
            f'{window[0]:,}–{window[1]:,} of {length:,}. {" ".join(item for item in links if item)}</p></nav>')


def _more(number: int, count: int, window: tuple[int, int], length: int, link) -> str:
    """At the end of a part that is not the last, that the report goes on."""
    if number >= count:
        return ""
    return (f'<p class="more">The report goes on ({length - window[1]:,} more characters): '
            f'<a href="{link(number + 1)}" rel="next">part {number + 1} of {count} →</a></p>')


def _paragraphs(text: str, span: tuple[int, int] | None, window: tuple[int, int]) -> str:
    """The paragraphs (split on blank lines) of the text within ``window`` as <p>, the parts inside the span
    in <mark>."""
    out, first_mark = [], True
    for begin, finish in _paragraph_spans(text):
        if finish <= window[0] or begin >= window[1]:
            continue
        begin, finish = max(begin, window[0]), min(finish, window[1])
        paragraph = text[begin:finish]
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


def message_page(code: int, title: str, message: str) -> HTMLResponse:
    """A page that says why what was asked cannot be shown."""
    body = f"""<header><p><a href="/">← citeqa: ask the reports</a></p><h1>{html.escape(title)}</h1></header>
<main><p role="alert">{html.escape(message)}</p></main>"""
    return page(title, body, code)


def page(title: str, body: str, code: int, stylesheets: tuple[str, ...] = ()) -> HTMLResponse:
    """A page of the viewer: the body in the common head (its stylesheet and script, and ``stylesheets``)."""
    extra = "".join(f'\n<link rel="stylesheet" href="{html.escape(sheet)}">' for sheet in stylesheets)
    document = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — citeqa</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">{extra}
<script src="/static/view.js" defer></script>
</head>
<body class="viewer">
{body}
</body>
</html>
"""
    return HTMLResponse(document, status_code=code, headers=SECURITY_HEADERS)
