"""Read report files (.txt, .md, .pdf) into pages of raw lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")

#: Marker line standing for a paragraph break inside a page.
PARAGRAPH_BREAK = ""
#: Marker line standing for the rule that separates body text from footnotes.
FOOTNOTE_RULE = "\x1f"

_LONE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")
_PAGE_START = re.compile(r"^ \S")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_MD_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
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
    """Markdown: one page; YAML front matter becomes metadata."""
    metadata: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                metadata[key.strip()] = value.strip().strip("'\"")
        text = text[match.end():]
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.rstrip()
        heading = _MD_HEADING.match(line)
        if heading or _MD_LIST_ITEM.match(line):
            lines.append(PARAGRAPH_BREAK)
        lines.append(heading.group(1) if heading else line)
        if heading:
            lines.append(PARAGRAPH_BREAK)
    return RawReport(pages=[lines], metadata=metadata, kind="md")


def _read_pdf(path: Path) -> RawReport:
    """PDF text layer, one page of lines per PDF page (1-based order kept)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise UnreadableReport(f"{path.name}: not a readable PDF ({error})") from error
    if sum(len(page.strip()) for page in pages) < 20:
        raise UnreadableReport(
            f"{path.name}: the PDF has no text layer (a scan?); run OCR on it first, then add the result"
        )
    metadata = {}
    if reader.metadata and reader.metadata.title:
        metadata["title"] = str(reader.metadata.title)
    return RawReport(
        pages=[[line.rstrip() for line in page.replace("\r", "").split("\n")] for page in pages],
        metadata=metadata,
        kind="pdf",
    )
