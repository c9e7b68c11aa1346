"""Turn pages of raw extracted lines into clean paragraphs that know their page."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from index_build.reading import FOOTNOTE_RULE, PARAGRAPH_BREAK

PARAGRAPH_SEPARATOR = "\n\n"

_LONE_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?\s*(?:/\s*\d{1,4})?\s*$", re.IGNORECASE)
_FOOTNOTE_START = re.compile(r"^\s*\d{1,2}\s+\S")
_SENTENCE_END = re.compile(r"[.!?:;»\"”)]\s*$")
_BULLET = re.compile(r"^\s*(?:[•▪◦●■\-–*]|\(?[0-9a-z]{1,2}[.)])\s+")
_CUT_WORD = re.compile(r"(\w)-$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a document's cleaned text, with its page and character span."""

    text: str
    page: int
    start: int
    end: int
    is_footnote: bool = False


@dataclass(frozen=True)
class CleanDocument:
    """A document's cleaned text and its paragraphs (``text[p.start:p.end] == p.text``)."""

    text: str
    paragraphs: list[Paragraph]
    page_count: int
    page_starts: list[tuple[int, int]]  # (offset, page) wherever the page changes

    def page_at(self, offset: int) -> int:
        """The page that holds a character offset of the text."""
        index = bisect.bisect_right([start for start, _ in self.page_starts], offset) - 1
        return self.page_starts[index][1] if index >= 0 else 1


@dataclass
class _Line:
    text: str
    page: int


def clean_pages(pages: list[list[str]], *, join_wrapped_lines: bool = True) -> CleanDocument:
    """Clean pages of raw lines into paragraphs joined by blank lines.

    Drops lone page numbers and headers/footers repeated on many pages, keeps
    footnotes as their own paragraphs, joins hard-wrapped lines (also across page
    breaks, when a sentence runs on) and mends words cut by a hyphen at a line end.
    """
    repeated = _repeated_margin_lines(pages)
    body: list[_Line | None] = []  # None marks a paragraph break
    footnotes: list[tuple[int, list[_Line]]] = []  # (position in body, footnote lines)
    for page_number, lines in enumerate(pages, start=1):
        lines = _strip_margins(lines, repeated)
        main, notes = _split_footnotes(lines)
        if body:
            body.append(_page_break_marker(body))
        for line in main:
            body.append(None if line in (PARAGRAPH_BREAK, FOOTNOTE_RULE) else _Line(line, page_number))
        for note in notes:
            footnotes.append((len(body), [_Line(text, page_number) for text in note]))
    blocks = _group_paragraphs(body, footnotes, join_wrapped_lines, _typical_line_length(pages))
    return _assemble(blocks, len(pages))


def _page_break_marker(body: list[_Line | None]) -> _Line | None:
    """A page break ends the paragraph only when the text before it ends a sentence."""
    last = next((line for line in reversed(body) if line is not None), None)
    if last is None or _SENTENCE_END.search(last.text):
        return None
    return _CONTINUE


_CONTINUE = _Line("", 0)  # sentinel: paragraph runs on across a page break


def _strip_margins(lines: list[str], repeated: set[str]) -> list[str]:
    """Drop lone page numbers and repeated headers/footers at the top and bottom of a page."""
    lines = list(lines)
    for edge in (0, -1):
        for _ in range(3):
            content = [i for i, line in enumerate(lines) if line.strip() and line != FOOTNOTE_RULE]
            if not content:
                break
            index = content[edge]
            text = lines[index]
            if _LONE_PAGE_NUMBER.match(text) or _margin_key(text) in repeated:
                del lines[index]
            else:
                break
    while lines and lines[0] in (PARAGRAPH_BREAK,):
        lines.pop(0)
    while lines and lines[-1] in (PARAGRAPH_BREAK, FOOTNOTE_RULE):
        lines.pop()
    return lines


def _margin_key(line: str) -> str:
    """A line with digits and spacing normalised, to recognise running headers/footers."""
    return _SPACES.sub(" ", re.sub(r"\d+", "#", line.strip().lower()))


def _repeated_margin_lines(pages: list[list[str]]) -> set[str]:
    """Lines that open or close at least 3 pages and 40 % of them: headers and footers."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        content = [line for line in lines if line.strip() and line != FOOTNOTE_RULE]
        edges = {_margin_key(line) for line in content[:2] + content[-2:]}
        counts.update(key for key in edges if len(key) > 1)
    threshold = max(3, 0.4 * len(pages))
    return {key for key, count in counts.items() if count >= threshold}


def _split_footnotes(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """Separate the footnotes under a page's footnote rule from its body lines."""
    if FOOTNOTE_RULE not in lines:
        return lines, []
    cut = len(lines) - 1 - lines[::-1].index(FOOTNOTE_RULE)
    notes: list[list[str]] = []
    for line in lines[cut + 1:]:
        if not line.strip() or line == FOOTNOTE_RULE:
            continue
        if _FOOTNOTE_START.match(line) or not notes:
            notes.append([line])
        else:
            notes[-1].append(line)
    if not notes:
        return lines[:cut], []
    return lines[:cut], notes


def _typical_line_length(pages: list[list[str]]) -> float:
    """The length of a full line of body text (80th percentile)."""
    lengths = sorted(len(line.strip()) for page in pages for line in page if len(line.strip()) > 1)
    if len(lengths) < 5:
        return 0.0
    return float(lengths[int(0.8 * (len(lengths) - 1))])


def _group_paragraphs(
    body: list[_Line | None],
    footnotes: list[tuple[int, list[_Line]]],
    join_wrapped_lines: bool,
    full_line: float,
) -> list[tuple[list[_Line], bool]]:
    """Group lines into paragraphs; footnotes follow the paragraph they interrupt."""
    blocks: list[tuple[list[_Line], bool]] = []
    current: list[_Line] = []
    pending_notes: list[list[_Line]] = []
    notes_at = {position: [] for position, _ in footnotes}
    for position, note in footnotes:
        notes_at[position].append(note)

    def close() -> None:
        nonlocal current
        if current:
            blocks.append((current, False))
        current = []
        for note in pending_notes:
            blocks.append((note, True))
        pending_notes.clear()

    for position, line in enumerate(body + [None]):
        pending_notes.extend(notes_at.get(position, []))
        if line is None:
            close()
            continue
        if line is _CONTINUE:
            continue
        if not join_wrapped_lines:
            current.append(line)
            continue
        if current and _BULLET.match(line.text):
            close()
        current.append(line)
        if full_line and _SENTENCE_END.search(line.text) and len(line.text.strip()) < 0.7 * full_line:
            close()
    close()
    return blocks


def _join_lines(lines: list[_Line]) -> tuple[str, list[tuple[int, int]]]:
    """Join wrapped lines with single spaces, mending words cut by a hyphen.

    Also returns where pages change inside the paragraph, as (offset, page) pairs.
    """
    text = ""
    page_changes: list[tuple[int, int]] = []
    page = lines[0].page if lines else 1
    for line in lines:
        part = _SPACES.sub(" ", line.text).strip()
        if not part:
            continue
        if text and _CUT_WORD.search(text) and part[0].islower():
            text = text[:-1]
        elif text:
            text += " "
        if line.page != page:
            page = line.page
            page_changes.append((len(text), page))
        text += part
    return text, page_changes


def _assemble(blocks: list[tuple[list[_Line], bool]], page_count: int) -> CleanDocument:
    """Join paragraphs into one text, recording each paragraph's span and where pages start."""
    paragraphs: list[Paragraph] = []
    page_starts: list[tuple[int, int]] = []
    parts: list[str] = []
    offset = 0
    for lines, is_footnote in blocks:
        text, page_changes = _join_lines(lines)
        if not text:
            continue
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        paragraphs.append(Paragraph(text, lines[0].page, offset, offset + len(text), is_footnote))
        page_starts.append((offset, lines[0].page))
        page_starts.extend((offset + at, page) for at, page in page_changes)
        parts.append(text)
        offset += len(text)
    return CleanDocument(PARAGRAPH_SEPARATOR.join(parts), paragraphs, page_count, page_starts)
