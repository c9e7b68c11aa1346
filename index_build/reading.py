"""Read report files (.txt, .md, .pdf) into pages of raw lines."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")
MAX_PDF_PAGES = 2000  # a report longer than this is refused before its pages are read

#: Marker line standing for a paragraph break inside a page.
PARAGRAPH_BREAK = ""
#: Marker line standing for the rule that separates body text from footnotes.
FOOTNOTE_RULE = "\x1f"

_LONE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")
_PAGE_START = re.compile(r"^ \S")
_MD_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_MD_STRONG = re.compile(r"\*\*|__")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_MD_MARKUP_ONLY = re.compile(r"^[\s#*_=`~–—-]+$")  # rules and empty headings: "\\###", "————"
_YAML_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_SENTENCE_END = re.compile(r"[.!?:;»\"”)]\s*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class UnreadableReport(ValueError):
    """The file cannot be turned into text (wrong type, no text layer, broken file)."""


@dataclass
class RawReport:
    """A report as read from disk: pages of lines, plus metadata found in the file."""

    pages: list[list[str]]
    metadata: dict[str, str] = field(default_factory=dict)
    kind: str = "txt"


def read_report(path: Path) -> RawReport:
    """Read a report file into pages of raw lines, whatever its type."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _read_pdf(path)
    if suffix not in (".txt", ".md"):
        raise UnreadableReport(
            f"{path.name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableReport(f"{path.name}: not UTF-8 text ({error.reason})") from error
    if suffix == ".md":
        return _read_markdown(text)
    return RawReport(pages=split_text_pages(text), kind="txt")


def split_text_pages(text: str) -> list[list[str]]:
    """Split extracted plain text into pages of lines, normalising break markers.

    Pages end at form feeds; in text extracted from a PDF without form feeds, a page
    also starts at a line that begins with a single space, and at a lone printed page
    number standing between paragraph breaks.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages: list[list[str]] = []
    has_form_feeds = "\f" in text
    for chunk in text.split("\f"):
        lines = _normalise_lines(chunk.split("\n"))
        if has_form_feeds:
            pages.append(lines)
        else:
            pages.extend(_split_on_page_markers(lines))
    return [page for page in pages if any(line.strip() for line in page)] or [[]]


def _normalise_lines(lines: list[str]) -> list[str]:
    """Drop the empty lines of double-spaced extractions and mark breaks and rules."""
    empty = sum(1 for line in lines if line == "")
    double_spaced = len(lines) > 4 and empty >= 0.4 * len(lines) and _alternates(lines)
    result = []
    for line in lines:
        if line == "" and double_spaced:
            continue
        if line.strip() == "":
            result.append(FOOTNOTE_RULE if len(line) >= 10 else PARAGRAPH_BREAK)
        else:
            result.append(line.rstrip())
    return result


def _alternates(lines: list[str]) -> bool:
    """True when empty lines come one at a time between text lines, as in double-spaced extractions."""
    empty = [i for i, line in enumerate(lines[:-1]) if line == ""]
    doubled_empty = sum(1 for i in empty if lines[i + 1] == "")
    return doubled_empty <= max(1, 0.05 * len(empty))


def _split_on_page_markers(lines: list[str]) -> list[list[str]]:
    """Split lines into pages at leading-space lines and lone page numbers."""
    pages: list[list[str]] = [[]]
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else PARAGRAPH_BREAK
        starts_page = bool(_PAGE_START.match(line)) or (
            bool(_LONE_NUMBER.match(line)) and previous == PARAGRAPH_BREAK
        )
        if starts_page and any(existing.strip() for existing in pages[-1]):
            pages.append([])
        pages[-1].append(line)
    return pages


def _read_markdown(text: str) -> RawReport:
    """Markdown: one page; YAML front matter becomes metadata; markup is dropped, text kept."""
    metadata: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                metadata[key.strip()] = _yaml_scalar(value.strip())
        text = text[match.end():]
    text = drop_comments(text.replace("\r\n", "\n"))
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if _MD_RULE.match(line):
            lines.append(PARAGRAPH_BREAK)
            continue
        heading = heading_text(line)
        if heading is not None or _MD_LIST_ITEM.match(line):
            lines.append(PARAGRAPH_BREAK)
        content = _md_inline(_MD_BULLET.sub("", heading if heading is not None else line))
        if content.strip() and not _MD_MARKUP_ONLY.match(content):
            lines.append(content)
        elif heading is None:
            lines.append(PARAGRAPH_BREAK)
        if heading is not None:
            lines.append(PARAGRAPH_BREAK)
    return RawReport(pages=[lines], metadata=metadata, kind="md")


# Comments, headings and links are read with string scanning in one pass: the regular expressions they replace
# (``<!--.*?-->``, ``^#{1,6}\s+(.*?)\s*#*$``, ``!?\[([^\]]*)\]\([^)]*\)``) scanned to the end of the text again
# from every "<!--" or "[" with no end, in quadratic time (tests/index_build/test_reading_linear.py holds them
# as the reference the functions are compared with).

def drop_comments(text: str) -> str:
    """The text without its ``<!-- … -->`` comments (each ends at the first "-->" after it; an unclosed
    one is kept, as is everything after it)."""
    parts: list[str] = []
    done = 0
    while (start := text.find("<!--", done)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[done:start])
        done = end + 3
    return "".join(parts) + text[done:]


def heading_text(line: str) -> str | None:
    """The text of an ATX heading line ("## Title ##" -> "Title"), None when the line is none: one to six "#",
    then a space, then the text without its closing "#"s and the spaces around it."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or level == len(line) or not line[level].isspace():
        return None
    return line[level:].lstrip().rstrip("#").rstrip()


def link_texts(line: str) -> str:
    """A line with each Markdown link or image, ``[text](target)`` or ``![text](target)``, made its text."""
    parts: list[str] = []
    done = 0
    opening = line.find("[")
    while opening >= 0:
        closing = line.find("]", opening + 1)
        if closing < 0:
            break  # no "]" after this "[": none after any later one either
        if line.startswith("(", closing + 1):
            target_end = line.find(")", closing + 2)
            if target_end < 0:
                break  # no ")" after this target: none after any later one either
            start = opening - 1 if opening > done and line[opening - 1] == "!" else opening
            parts += [line[done:start], line[opening + 1:closing]]
            done = target_end + 1
            opening = line.find("[", done)
        else:  # every "[" up to this "]" ends at it: the next candidate is after it
            opening = line.find("[", closing + 1)
    return "".join(parts) + line[done:]


def _md_inline(line: str) -> str:
    """A Markdown line's text: emphasis marks and links' targets dropped, escapes undone."""
    line = link_texts(line)
    line = _MD_STRONG.sub("", line)
    return _MD_ESCAPE.sub(r"\1", line)


def _yaml_scalar(value: str) -> str:
    """A front-matter value without its quotes; escapes of double-quoted values undone ("\\xE9", "\\_")."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _YAML_ESCAPE.sub(_yaml_unescape, value[1:-1])
    return value


def _yaml_unescape(match: re.Match) -> str:
    code = match.group(1)
    if code[0] in "xuU" and len(code) > 1:
        return chr(int(code[1:], 16))
    return {"_": " ", "n": "\n", "t": "\t", "0": ""}.get(code, code)


def _read_pdf(path: Path) -> RawReport:
    """PDF text layer, one page of lines per PDF page (1-based order kept).

    Lines come from pypdf's default extraction (its reading order copes with columns
    and text boxes); their positions on the page decide where paragraphs break.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableReport(f"{path.name}: the PDF is encrypted with a password; add an unencrypted copy")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise UnreadableReport(f"{path.name}: {len(reader.pages)} pages, more than the {MAX_PDF_PAGES} a report "
                                   "may have; split it")
        pages = [_pdf_page_lines(page) for page in reader.pages]
    except UnreadableReport:
        raise
    except (PyPdfError, ValueError, KeyError, OSError, TypeError, AttributeError, IndexError, RecursionError,
            NotImplementedError) as error:  # pypdf's own errors and what broken files make it raise
        raise UnreadableReport(f"{path.name}: not a readable PDF ({type(error).__name__}: {error})") from error
    if sum(len(line.text.strip()) for lines, _ in pages for line in lines) < 20:
        raise UnreadableReport(
            f"{path.name}: the PDF has no text layer (a scan?); run OCR on it first, then add the result"
        )
    metadata = {}
    if reader.metadata and reader.metadata.title:
        metadata["title"] = str(reader.metadata.title)
    layout = _PdfLayout.of([lines for lines, _ in pages])
    return RawReport(
        pages=[layout.page_lines(lines, box) for lines, box in pages],
        metadata=metadata,
        kind="pdf",
    )


@dataclass
class _PdfLine:
    """A line of extracted PDF text with where it sits: x and baseline y of its main text, font size."""

    text: str
    x: float | None = None
    y: float | None = None
    size: float | None = None
    footnote_mark: bool = False  # opens with a raised or smaller number, as footnotes do

    @property
    def placed(self) -> bool:
        return self.y is not None and bool(self.text.strip())


#: Share of the page height, at its top and at its bottom, where running headers and footers sit.
_MARGIN_BAND = 0.07
_PUA_BULLET = re.compile(r"^(\s*)[\uf000-\uf0ff](?=\s)")  # Symbol/Wingdings bullets of Word documents
_NUMBER = re.compile(r"^\d{1,3}$")


def _pdf_page_lines(page) -> tuple[list[_PdfLine], tuple[float, float]]:
    """A page's lines with their positions, and the page's (bottom, top) y."""
    pieces: list[list[tuple[str, tuple[float, float, float] | None]]] = [[]]

    def visit(text, cm, tm, _font, font_size) -> None:
        for number, part in enumerate(text.split("\n")):
            if number:
                pieces.append([])
            if part:
                # only the start of a chunk has a known position
                pieces[-1].append((part, _placement(cm, tm, font_size) if number == 0 else None))

    text = page.extract_text(visitor_text=visit) or ""
    box = page.mediabox
    bounds = (float(box.bottom), float(box.top))
    if "\n".join("".join(part for part, _ in line) for line in pieces) != text:
        return [_PdfLine(_PUA_BULLET.sub(r"\1•", line.rstrip())) for line in text.split("\n")], bounds
    return [_make_line(line) for line in pieces], bounds


def _placement(cm, tm, font_size) -> tuple[float, float, float] | None:
    """(x, y, font size) of a text chunk on the page, from the text and transformation matrices."""
    try:
        a, b, c, d, e, f = (float(value) for value in cm)
        _, _, tc, td, te, tf = (float(value) for value in tm)
        scale = math.hypot(tc * a + td * c, tc * b + td * d)
        return te * a + tf * c + e, te * b + tf * d + f, float(font_size) * scale
    except (TypeError, ValueError):
        return None


def _make_line(pieces: list[tuple[str, tuple[float, float, float] | None]]) -> _PdfLine:
    """Join a line's chunks; its size is the one most of its characters have, its y that text's baseline."""
    text = _PUA_BULLET.sub(r"\1•", "".join(part for part, _ in pieces).rstrip())
    placed = [(part, where) for part, where in pieces if where is not None and part.strip()]
    if not placed:
        return _PdfLine(text)
    weight: Counter[float] = Counter()
    for part, (_, _, size) in placed:
        weight[round(size * 2) / 2] += len(part.strip())
    size = weight.most_common(1)[0][0]
    main = next(where for part, where in placed if round(where[2] * 2) / 2 == size)
    first_part, (_, first_y, first_size) = placed[0]
    mark = bool(_NUMBER.match(first_part.strip())) and len(placed) > 1 and (
        first_size < 0.9 * size or first_y > main[1] + 0.2 * size)
    return _PdfLine(text, placed[0][1][0], main[1], size, mark)


@dataclass
class _Block:
    """The lines of the paragraph being built: their vertical extent and line spacing."""

    top: float
    bottom: float
    left: float
    spacing: float | None = None
    beside: bool = False  # a line went back up beside earlier ones: cells of a table row


@dataclass
class _PdfLayout:
    """What a document's lines look like: its body text size and line spacing per font size."""

    body_size: float
    spacing: dict[float, float]

    @classmethod
    def of(cls, pages: list[list[_PdfLine]]) -> "_PdfLayout":
        weight: Counter[float] = Counter()
        gaps: dict[float, list[float]] = {}
        for lines in pages:
            previous = None
            for line in lines:
                if not line.placed:
                    continue
                weight[line.size] += len(line.text.strip())
                if previous is not None and previous.size == line.size:
                    gap = previous.y - line.y
                    if 0.9 * line.size <= gap <= 2.5 * line.size:
                        gaps.setdefault(line.size, []).append(gap)
                previous = line
        spacing = {size: sorted(values)[len(values) // 4] for size, values in gaps.items()}
        return cls(weight.most_common(1)[0][0] if weight else 0.0, spacing)

    def page_lines(self, lines: list[_PdfLine], bounds: tuple[float, float]) -> list[str]:
        """A page's text lines in reading order, with paragraph breaks and the footnote rule marked.

        Lines in the top or bottom margin (running headers, footers, page numbers) that the
        extraction put among the body lines move to the start of the page (after the margin
        lines already there) or to its end, where cleaning looks for them. Footnotes are a
        trailing run of small print opened by a footnote mark.
        """
        bottom, top = bounds
        band = _MARGIN_BAND * (top - bottom)

        def high(line: _PdfLine) -> bool:
            return line.placed and line.y > top - band

        def low(line: _PdfLine) -> bool:
            return line.placed and line.y < bottom + band

        inner = [index for index, line in enumerate(lines) if line.placed and not high(line) and not low(line)]
        first, last = (inner[0], inner[-1]) if inner else (len(lines), -1)
        stray = {index for index in range(first + 1, last) if high(lines[index]) or low(lines[index])}
        for index in sorted(stray):  # with the blank lines around them: the body runs on across
            for step in (-1, 1):
                near = index + step
                while first < near < last and not lines[near].text.strip():
                    stray.add(near)
                    near += step
        head = [lines[index] for index in sorted(stray) if high(lines[index])]
        foot = [lines[index] for index in sorted(stray) if low(lines[index])]
        body = [line for index, line in enumerate(lines) if index not in stray]
        notes_at = self._footnotes_start(body, low)
        lead = next((index for index, line in enumerate(body[:notes_at])
                     if line.text.strip() and not high(line) and not low(line)), notes_at)
        result = self._with_breaks(body[:lead] + head + body[lead:notes_at])  # after the margin lines on top
        if notes_at < len(body):
            result.append(FOOTNOTE_RULE)
            result += [line.text for line in body[notes_at:] if line.text.strip()]
        if foot:
            result.append(PARAGRAPH_BREAK)
            result += [line.text for line in foot]
        return [line if line == FOOTNOTE_RULE else line.rstrip() for line in result]  # "\x1f" counts as a space

    def _footnotes_start(self, lines: list[_PdfLine], in_margin) -> int:
        """Where the footnotes at the foot of a page start: a trailing run of small lines opened by a mark.

        Lines in the bottom margin (footers, page numbers) may sit among them.
        """
        start = len(lines)
        for index in range(len(lines) - 1, -1, -1):
            line = lines[index]
            if not line.text.strip():
                continue
            if not in_margin(line) and (not line.placed or line.size >= 0.95 * self.body_size):
                break
            if line.footnote_mark:
                start = index
        if not any(line.placed and line.size >= 0.95 * self.body_size for line in lines[:start]):
            return len(lines)  # small print only: no body text for footnotes to belong to
        return start

    def _with_breaks(self, lines: list[_PdfLine]) -> list[str]:
        """Lines with a paragraph break wherever the layout starts a new block of text."""
        result: list[str] = []
        block: _Block | None = None
        previous: _PdfLine | None = None
        skipped = 0  # lines without a position since the previous placed line
        for line in lines:
            if not line.text.strip():
                result.append(PARAGRAPH_BREAK)
                block, previous = None, None
                continue
            if not line.placed:
                result.append(line.text)
                skipped += 1
                continue
            if block is not None and previous is not None and self._starts_block(line, previous, block, skipped):
                result.append(PARAGRAPH_BREAK)
                block = None
            if block is None:
                block = _Block(line.y, line.y, line.x)
            else:
                gap = (previous.y - line.y) / (skipped + 1)
                if gap < -0.3 * line.size:
                    block.beside = True
                elif 0.6 * line.size <= gap <= 2.5 * line.size:
                    block.spacing = min(gap, block.spacing or gap)
                block.top, block.bottom = max(block.top, line.y), min(block.bottom, line.y)
            result.append(line.text)
            previous, skipped = line, 0
        return result

    def _starts_block(self, line: _PdfLine, previous: _PdfLine, block: _Block, skipped: int) -> bool:
        """True when a line does not carry on the paragraph above it."""
        if max(line.size, previous.size) > 1.2 * min(line.size, previous.size):
            return True  # a heading, a caption, small print
        spacing = block.spacing or self.spacing.get(line.size) or 1.2 * line.size
        rise = line.y - previous.y
        if line.y > block.top + 2 * spacing or rise > 8 * spacing:
            # back up well above the paragraph: the next column or a text box, unless a sentence runs on
            runs_on = not _SENTENCE_END.search(previous.text) and line.text.lstrip()[:1].islower()
            return not runs_on
        if (previous.y - line.y) / (skipped + 1) > 1.3 * spacing + 0.5:
            return True  # extra space between paragraphs
        # a table row of cells side by side ends when a line comes back to the left below them all
        return block.beside and line.y < block.bottom - 0.5 * spacing and line.x <= block.left + 2
