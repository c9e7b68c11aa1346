"""A PDF report's pages as printed: a page rendered as an image (pypdfium2, PDFium's renderer), its printed page
number, and where a cited passage lies on it.

A passage is found on a page by its text, not by offsets: the page's characters (PDFium's text layer) and the
passage's (the indexed text) are both folded to letters and digits (case, accents, spaces, punctuation and the
hyphens of line breaks dropped), and the runs they share, in order, are the passage's marks. Cleaning may have
dropped a running header or joined a hyphenated word; the runs on either side still match.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

#: Pixels per PDF point of the page image (72 points an inch: 2.0 is 144 dots an inch, an A4 page 1,190 px wide).
RENDER_SCALE = 2.0
#: Shared runs shorter than this many folded characters are not marks (a lone word that happens to match).
MIN_RUN = 12
#: A page "holds" a passage when at least this share of the passage's folded characters is found on it.
HOLDS_SHARE = 0.05
#: Boxes on one line at most this many line heights apart are one line's (a word gap); farther, another column.
LINE_GAP = 2.0
_PRINTED_NUMBER = re.compile(r"^(?:page|pág(?:ina)?\.?|p\.)?\s*(\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:/|of|de|sur)\s*\d{1,4})?$",
                             re.IGNORECASE)
_PAGE_LIKE = re.compile(r"\d{1,3}|[ivxlc]{1,6}", re.IGNORECASE)  # a page number in a running line (not a year)
RUNNING_LINE_WORDS = 6
_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe: one call into it at a time in the process


class PageProblem(ValueError):
    """The page cannot be shown: the file is not a PDF PDFium reads, or it has no such page."""


@dataclass(frozen=True)
class Box:
    """A rectangle on the page image, in pixels from its top left corner."""

    left: float
    top: float
    width: float
    height: float


@dataclass
class PassageOnPage:
    """Where a passage lies on one page: its boxes on the image and the share of its text found there."""

    boxes: list[Box] = field(default_factory=list)
    share: float = 0.0  # of the passage's folded characters found on this page
    starts_here: bool = False  # the passage's first folded characters are on this page
    ends_here: bool = False  # and its last

    @property
    def found(self) -> bool:
        return self.share >= HOLDS_SHARE


@dataclass(frozen=True)
class PageFacts:
    """A page's size on its image and the number the report prints on it ("" when none is found)."""

    number: int
    count: int
    width: int
    height: int
    printed: str


def fold(text: str) -> tuple[str, list[int]]:
    """The text as letters and digits only, lower case, without accents; and for each folded character the index of
    the character of ``text`` it comes from."""
    folded, origin = [], []
    for index, character in enumerate(text):
        for piece in unicodedata.normalize("NFKD", character).casefold():
            if piece.isalnum() and not unicodedata.combining(piece):
                folded.append(piece)
                origin.append(index)
    return "".join(folded), origin


class PdfPages:
    """One PDF file opened by PDFium; use as a context manager (the file is closed at the end)."""

    def __init__(self, path: Path):
        try:
            with _PDFIUM_LOCK:
                self._pdf = pdfium.PdfDocument(str(path))
                self.count = len(self._pdf)
        except pdfium.PdfiumError as error:
            raise PageProblem(f"the report's file cannot be read as a PDF ({error})") from None

    def __enter__(self) -> "PdfPages":
        return self

    def __exit__(self, *exc) -> None:
        with _PDFIUM_LOCK:
            self._pdf.close()

    def _page(self, number: int):
        if not 1 <= number <= self.count:
            raise PageProblem(f"page must be from 1 to {self.count} (the report's pages); got {number}")
        return self._pdf[number - 1]

    def facts(self, number: int) -> PageFacts:
        """The page's image size and printed number."""
        with _PDFIUM_LOCK:
            page = self._page(number)
            width, height = page.get_size()
            label = self._pdf.get_page_label(number - 1) or self._running_number(number)
        return PageFacts(number, self.count, round(width * RENDER_SCALE), round(height * RENDER_SCALE), label)

    def _running_number(self, number: int) -> str:
        """The number printed on the page, kept only when a neighbouring page prints the number before or after it
        (running page numbers count up by one; a lone "48" on a cover is not a page number)."""
        printed = _printed_number(_page_text(self._pdf[number - 1].get_textpage()))
        value = _page_value(printed)
        if value is None:
            return ""
        for neighbour, step in ((number - 1, -1), (number + 1, 1)):
            if 1 <= neighbour <= self.count:
                if _page_value(_printed_number(_page_text(self._pdf[neighbour - 1].get_textpage()))) == value + step:
                    return printed
        return ""

    def text(self, number: int) -> str:
        """The page's text layer, as PDFium reads it."""
        with _PDFIUM_LOCK:
            return _page_text(self._page(number).get_textpage())

    def png(self, number: int) -> bytes:
        """The page rendered as a PNG image of :data:`RENDER_SCALE` pixels a point."""
        import io

        with _PDFIUM_LOCK:
            image = self._page(number).render(scale=RENDER_SCALE).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()

    def locate(self, number: int, passage: str) -> PassageOnPage:
        """Where ``passage`` lies on the page: the runs of its folded text found there, as boxes on the image."""
        wanted, _ = fold(passage)
        if not wanted:
            return PassageOnPage()
        with _PDFIUM_LOCK:
            page = self._page(number)
            text_page = page.get_textpage()
            folded, origin = fold(_page_text(text_page))
            runs = [run for run in SequenceMatcher(None, wanted, folded, autojunk=False).get_matching_blocks()
                    if run.size >= MIN_RUN]
            width, height = page.get_size()
            to_image = pdfium.PdfPosConv(page, (0, 0, round(width * RENDER_SCALE), round(height * RENDER_SCALE), 0))
            boxes = [box for run in runs
                     for box in _boxes(text_page, origin[run.b], origin[run.b + run.size - 1] + 1, to_image)]
        if not runs:
            return PassageOnPage()
        found = sum(run.size for run in runs)
        return PassageOnPage(boxes=boxes, share=found / len(wanted), starts_here=runs[0].a < MIN_RUN,
                             ends_here=runs[-1].a + runs[-1].size > len(wanted) - MIN_RUN)


def _page_text(text_page) -> str:
    """The page's characters, one for each of PDFium's character indices (so an index is a position in it)."""
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(text_page.raw, index)) for index in range(text_page.count_chars()))


def _boxes(text_page, first: int, end: int, to_image: pdfium.PdfPosConv) -> list[Box]:
    """The line rectangles of characters [first, end) (as PDFium selects text), on the page image (its crop box
    and rotation as rendered)."""
    boxes = []
    for index in range(text_page.count_rects(first, end - first)):
        left, bottom, right, top = text_page.get_rect(index)
        (x1, y1), (x2, y2) = to_image.to_bitmap(left, top), to_image.to_bitmap(right, bottom)
        boxes.append(Box(min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)))
    return _lines(boxes)


def _lines(boxes: list[Box]) -> list[Box]:
    """Boxes side by side on one line (runs of different fonts) joined into one; boxes of another column (more
    than :data:`LINE_GAP` line heights apart) or another line kept apart."""
    joined: list[Box] = []
    for box in boxes:
        last = joined[-1] if joined else None
        same_line = last is not None and abs((last.top + last.height / 2) - (box.top + box.height / 2)) < \
            max(last.height, box.height) / 2
        if same_line and 0 <= box.left - (last.left + last.width) <= LINE_GAP * max(last.height, box.height):
            top, bottom = min(last.top, box.top), max(last.top + last.height, box.top + box.height)
            joined[-1] = Box(last.left, top, box.left + box.width - last.left, bottom - top)
        else:
            joined.append(box)
    return joined


def _page_value(printed: str) -> int | None:
    """A printed page number's value (Roman numerals read), None when there is none."""
    if printed.isdigit():
        return int(printed)
    numerals, value = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}, 0
    digits = [numerals.get(letter) for letter in printed.lower()]
    if not digits or None in digits:
        return None
    for at, digit in enumerate(digits):
        value += -digit if at + 1 < len(digits) and digit < digits[at + 1] else digit
    return value


def _printed_number(text: str) -> str:
    """The page number printed in the page's first or last lines ("" when none): a line that is only a number
    ("3", "Page 3", "3 / 12", a Roman numeral), else a short header or footer line (at most
    :data:`RUNNING_LINE_WORDS` words) that begins or ends with one ("5 UNHCR", "GE.25-10053 (E) 300625 iii")."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    edges = lines[:2] + lines[-2:]
    for line in edges:
        found = _PRINTED_NUMBER.match(line)
        if found:
            return found.group(1)
    for line in edges:
        words = line.split()
        if 1 < len(words) <= RUNNING_LINE_WORDS:
            for word in (words[0], words[-1]):
                if _PAGE_LIKE.fullmatch(word):
                    return word
    return ""
