"""Turn pages of raw extracted lines into clean paragraphs that know their page."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from index_build.reading import FOOTNOTE_RULE, PARAGRAPH_BREAK

PARAGRAPH_SEPARATOR = "\n\n"
#: Characters of a paragraph read back from a line-end hyphen for the compound it cuts ("Community-Based-"):
#: a longer run of letters and hyphens is read from its last 200 characters only.
HYPHEN_WINDOW = 200

# Runs of spaces are taken whole (possessive "*+", "++": nothing after them can start with a space), and a
# search starts only where a run starts ("(?<!\s)"): a line of 40 000 spaces costs its length, not its square
# or its cube (tests/index_build/test_linear_patterns.py).
_LONE_PAGE_NUMBER = re.compile(
    r"^\s*+(?:(?i:page|p\.)\s*+)?[-–—]?\s*+(?:\d{1,4}|[ivxlc]{1,7})\s*+[-–—]?\s*+(?:(?i:/|of|sur|de)\s*+\d{1,4})?\s*+$")
_EDGE_NUMBER = r"(?:(?:page|p\.)\s*+)?(?:#|[ivxlc]{1,7})(?:\s*+(?:/|of|sur|de)\s*+#)?"
_EDGE_SEPARATOR = r"(?:\s*+[|•·]\s*+|\s++[-–—]\s++|\s++)"
_KEY_EDGES = (re.compile(rf"^{_EDGE_NUMBER}(?:{_EDGE_SEPARATOR}|$)"),
              re.compile(rf"(?<!\s){_EDGE_SEPARATOR}{_EDGE_NUMBER}$"))
_DIGITS = re.compile(r"\d+")
_FOOTNOTE_START = re.compile(r"^\s*\d{1,2}\s+\S")
_SENTENCE_END = re.compile(r"[.!?:;»\"”)]\s*$")
_PARAGRAPH_END = re.compile(r"(?:[.!?;»\"”]|[.!?]\))\s*$")  # not a colon or a bare ")": a list, a table cell follows
_BULLET = re.compile(r"^\s*(?:[•▪◦●■\-–*]|\(?[0-9a-z]{1,2}[.)])\s+")
_CUT_WORD = re.compile(r"(\w)-$")
_SPACED_CUT = re.compile(r"(?<=\w) -$")  # "co -" at a line end: a compound's hyphen, spaced by the extraction
_PAGE_NUMBER = re.compile(r"\d{1,4}|[ivxlc]{1,7}")  # the page number of a contents line
_TOC_ENTRY = re.compile(r" \.\.\. (?:\d{1,4}|[ivxlc]{1,7})$")  # a contents line once its leaders are mended
_WORD = re.compile(r"[^\W\d_]+")
_STANDALONE_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?![^\W\d_])(?![’'])")  # not elided: "d’" is no word
_HYPHENATED = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:-[^\W\d_]+)+")  # from a word start only: linear on long words
_SPACE_BEFORE_HYPHEN = re.compile(r"(?<=[^\W_]) -(?=[^\W_])")  # "co -construction", "COVID -19"
_SPACE_AFTER_HYPHEN = re.compile(r"(?<![^\W\d_])([^\W\d_]+)- ([^\W\d_]+)")  # "suivi- évaluation"
# two words with one space between, the second not elided by an apostrophe ("s’appuie")
_WORD_PAIR = re.compile(r"(?<![^\W\d_])([^\W\d_]+) (?=([^\W\d_]+)(?![^\W\d_])(?![’']))")
_SPACE_BEFORE_COMMA = re.compile(r"(?<=[^\W_]) +(?=,(?:\s|$))")  # "documentaire , collecte"
_SPACES = re.compile(r"\s+")


def is_leader_line(line: str) -> bool:
    """A table-of-contents entry: dot leaders (four or more dots) then a page number at the line's end.
    Read from the end in one pass (a regular expression searched for it backtracked on long dotted lines)."""
    stripped = line.rstrip()
    start = len(stripped)
    while start > 0 and stripped[start - 1].isalnum():
        start -= 1
    if not _PAGE_NUMBER.fullmatch(stripped[start:]):
        return False
    before = stripped[:start]
    return before[len(before.rstrip(". \t")):].count(".") >= 4


def mend_leaders(line: str) -> str:
    """Each run of four or more dot leaders ("....", ". . . ."; one space at most between two dots), with the
    spaces around it, made " ... ". String scanning in one pass: the regular expression it replaces,
    ``\\s*(?:\\.\\s?){4,}\\s*``, was searched from every space of a long run of spaces, in quadratic time."""
    parts: list[str] = []
    done = 0  # the line up to here is in parts
    dot = line.find(".")
    while dot >= 0:
        after, dots = dot, 0  # after: past the last dot of the run that starts here
        while after < len(line) and line[after] == ".":
            dots += 1
            after += 1
            if after + 1 < len(line) and line[after].isspace() and line[after + 1] == ".":
                after += 1
        if dots >= 4:
            start, end = dot, after
            while start > done and line[start - 1].isspace():
                start -= 1
            while end < len(line) and line[end].isspace():
                end += 1
            parts += [line[done:start], " ... "]
            done = after = end
        dot = line.find(".", after)
    return "".join(parts) + line[done:]


def hyphen_head(text: str) -> str | None:
    """The word a line-end hyphen cuts, with the compound it ends ("porte-" -> "porte", "a-t-" -> "a-t");
    None when the line does not end with a hyphen after a letter. One pass from the end: a long line of
    "a-a-a-…" costs its length, not its square (a regular expression searched for it backtracked)."""
    if not text.endswith("-"):
        return None
    start = len(text) - 1
    while start > 0 and (text[start - 1] == "-" or (text[start - 1].isalpha() and text[start - 1] != "_")):
        start -= 1
    parts = text[start:-1].split("-")
    kept: list[str] = []
    for part in reversed(parts):  # letters joined by single hyphens, up to the first double hyphen
        if not part:
            break
        kept.append(part)
    return "-".join(reversed(kept)) or None


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
        index = bisect.bisect_right(self._page_offsets, offset) - 1
        return self.page_starts[index][1] if index >= 0 else 1

    @cached_property
    def _page_offsets(self) -> list[int]:  # made once, not for every chunk (a report of 50 000 pages)
        return [start for start, _ in self.page_starts]


@dataclass
class _Line:
    text: str
    page: int


def clean_pages(pages: list[list[str]], *, join_wrapped_lines: bool = True) -> CleanDocument:
    """Clean pages of raw lines into paragraphs joined by blank lines.

    Drops lone page numbers and headers/footers repeated on many pages, keeps
    footnotes as their own paragraphs, joins hard-wrapped lines (also across page
    breaks, when a sentence runs on), mends words cut by a hyphen at a line end and,
    where the rest of the document shows the whole word, words cut by stray spaces.
    """
    repeated = _repeated_margin_lines(pages)
    full_line = _typical_line_length(pages)
    stripped = [_strip_margins(lines, repeated) for lines in pages]
    words = _Vocabulary.of(stripped)
    body: list[_Line | None] = []  # None marks a paragraph break
    footnotes: list[tuple[int, list[_Line]]] = []  # (position in body, footnote lines)
    after_blank_page = False
    for page_number, lines in enumerate(stripped, start=1):
        main, notes = _split_footnotes(lines)
        while main and main[-1] in (PARAGRAPH_BREAK, FOOTNOTE_RULE):
            main.pop()  # a break before the footnotes does not end the paragraph they interrupt
        main = [line if line in (PARAGRAPH_BREAK, FOOTNOTE_RULE) else words.mend(line) for line in main]
        first = next((line for line in main if line not in (PARAGRAPH_BREAK, FOOTNOTE_RULE)), None)
        if body:
            body.append(None if after_blank_page or first is None else _page_break_marker(body, first, full_line))
        after_blank_page = first is None and not notes
        for line in main:
            body.append(None if line in (PARAGRAPH_BREAK, FOOTNOTE_RULE) else _Line(line, page_number))
        for note in notes:
            footnotes.append((len(body), [_Line(words.mend(text), page_number) for text in note]))
    blocks = _group_paragraphs(body, footnotes, join_wrapped_lines, full_line)
    return _assemble(blocks, len(pages), words)


def _page_break_marker(body: list[_Line | None], first: str, full_line: float) -> _Line | None:
    """A page break ends the paragraph unless the sentence before it runs on.

    It runs on when the page's text does not end a sentence, and either fills its
    last line or the next page goes on in lower case: a short last line with no stop
    is a title or a heading, not the start of a sentence.
    """
    last = next((line for line in reversed(body) if line is not None and line is not _CONTINUE), None)
    if last is None or _SENTENCE_END.search(last.text):
        return None
    if full_line and len(last.text.strip()) < 0.6 * full_line and not first.lstrip()[:1].islower():
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
    """A line with digits and spacing normalised and page numbers cut off its ends, to recognise
    running headers/footers ("3 | IOM" and "IOM | 4", "GE.25-10053 1" and "2 GE.25-10053")."""
    key = _SPACES.sub(" ", _DIGITS.sub("#", line.strip().lower()))
    for edge in _KEY_EDGES:
        key = edge.sub("", key)
    return key


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
        if _TOC_ENTRY.search(line.text):
            close()
        elif (full_line and _PARAGRAPH_END.search(line.text) and len(line.text.strip()) < 0.7 * full_line
              and not _goes_on_in_lower_case(body, position)):
            close()
    close()
    return blocks


def _goes_on_in_lower_case(body: list[_Line | None], position: int) -> bool:
    """The next line, on the same page, starts in lower case: a short line that ends in a
    stop (narrow columns, a closing quote) does not end its paragraph then."""
    following = body[position + 1] if position + 1 < len(body) else None
    return following is not None and following is not _CONTINUE and following.text.lstrip()[:1].islower()


def _join_lines(lines: list[_Line], words: "_Vocabulary | None" = None) -> tuple[str, list[tuple[int, int]]]:
    """Join wrapped lines with single spaces, mending words cut by a hyphen.

    A hyphen at a line end is dropped ("gouverne-" + "ments"), unless the document
    writes the hyphenated word elsewhere and never the joined one ("multi-" +
    "acteurs"), or a space stands before it ("co -" + "construction"), the mark of a
    compound's own hyphen. Also returns where pages change inside the paragraph,
    as (offset, page) pairs.
    """
    text = _GrowingText()
    page_changes: list[tuple[int, int]] = []
    page = lines[0].page if lines else 1
    for line in lines:
        part = _SPACES.sub(" ", line.text).strip()
        if not part:
            continue
        end = text.tail(3)  # what the patterns read: the text's end, not the whole paragraph again on every line
        if end and _SPACED_CUT.search(end) and part[0].islower():
            text.drop(2)
            text.add("-")
        elif end and _CUT_WORD.search(end) and part[0].islower():
            if not (words and words.keeps_hyphen(text.tail(HYPHEN_WINDOW), part)):
                text.drop(1)
        elif end and _CUT_WORD.search(end) and words and words.hyphen_evidence(text.tail(HYPHEN_WINDOW), part):
            pass  # a compound written whole elsewhere: "Community-" + "Based"
        elif end:
            text.add(" ")
        if line.page != page:
            page = line.page
            page_changes.append((text.length, page))
        text.add(part)
    return text.value(), page_changes


class _GrowingText:
    """A paragraph's text as it is joined, in pieces: reading or cutting its end costs what is read or cut, not
    the length of the paragraph (a paragraph of 10 000 hyphenated lines is joined in linear time)."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.length = 0

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.length += len(piece)

    def tail(self, count: int) -> str:
        """The last ``count`` characters (fewer when the text is shorter)."""
        taken: list[str] = []
        for piece in reversed(self.pieces):
            if count <= 0:
                break
            taken.append(piece[-count:])
            count -= len(piece)
        return "".join(reversed(taken))

    def drop(self, count: int) -> None:
        """Cut the last ``count`` characters."""
        while count > 0:
            last = self.pieces.pop()
            self.length -= min(count, len(last))
            if len(last) > count:
                self.pieces.append(last[:-count])
            count -= len(last)

    def value(self) -> str:
        return "".join(self.pieces)


def _assemble(blocks: list[tuple[list[_Line], bool]], page_count: int,
              words: "_Vocabulary | None" = None) -> CleanDocument:
    """Join paragraphs into one text, recording each paragraph's span and where pages start."""
    paragraphs: list[Paragraph] = []
    page_starts: list[tuple[int, int]] = []
    parts: list[str] = []
    offset = 0
    for lines, is_footnote in blocks:
        text, page_changes = _join_lines(lines, words)
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


class _Vocabulary:
    """The words a document uses, as evidence for mending words that extraction broke.

    PDF extraction sometimes puts a space inside a word ("Ré publique", "d es") or
    before a compound's hyphen ("co -construction"). A split is mended only when the
    document writes the whole word elsewhere and no fragment is a word of its own
    (standing alone elsewhere, not elided like "d’"); or when one fragment is a word,
    the whole word comes at least twice and the document shows splits of the first
    kind: "a gents" is mended in a document that also has "c ertaines", "a round"
    is left alone in one that has none.
    """

    def __init__(self, words: Counter[str], hyphenated: Counter[str], in_splits: Counter[str]) -> None:
        self.words = words  # words standing alone, lower case
        self.hyphenated = hyphenated
        self.in_splits = in_splits  # how often a fragment occurs in a candidate split
        self.cuts_words = False  # the document has splits with no word among their fragments
        self.keeps_line_end_hyphens = False  # most line-end hyphens it shows evidence for are compounds

    @classmethod
    def of(cls, pages: list[list[str]]) -> "_Vocabulary":
        lines = [_SPACE_BEFORE_HYPHEN.sub("-", line) for page in pages for line in page
                 if line not in (PARAGRAPH_BREAK, FOOTNOTE_RULE)]
        words = Counter(word.lower() for line in lines for word in _STANDALONE_WORD.findall(line))
        hyphenated = Counter(word.lower() for line in lines for word in _HYPHENATED.findall(line))
        vocabulary = cls(words, hyphenated, Counter())
        pairs = [(match.group(1), match.group(2)) for line in lines for match in _WORD_PAIR.finditer(line)]
        pairs = [(first, second) for first, second in pairs
                 if vocabulary._split_shape(first, second) and words[(first + second).lower()]]
        for first, second in pairs:
            vocabulary.in_splits.update((first.lower(), second.lower()))
        verdicts = [vocabulary.hyphen_evidence(_SPACES.sub(" ", line).strip(), following.strip())
                     for page in pages for line, following in zip(page, page[1:])
                     if _CUT_WORD.search(line.rstrip()) and following.strip()[:1].islower()]
        vocabulary.keeps_line_end_hyphens = verdicts.count(True) > verdicts.count(False)
        vocabulary.cuts_words = any(not vocabulary.is_word(first) and not vocabulary.is_word(second)
                                    for first, second in pairs)
        return vocabulary

    def is_word(self, fragment: str) -> bool:
        """The fragment stands alone somewhere in the document, not only inside splits."""
        fragment = fragment.lower()
        return self.words[fragment] > self.in_splits[fragment]

    @staticmethod
    def _split_shape(first: str, second: str) -> bool:
        return len(first) + len(second) >= 3 and max(len(first), len(second)) >= 2 and (
            second[0].islower() or (first.isupper() and second.isupper()))

    def joins(self, first: str, second: str) -> bool:
        """Whether "first second" is one word cut by a stray space."""
        if not self._split_shape(first, second):
            return False
        whole = self.words[(first + second).lower()]
        words = self.is_word(first) + self.is_word(second)
        return (words == 0 and whole >= 1) or (words == 1 and whole >= 2 and self.cuts_words)

    def keeps_hyphen(self, text: str, part: str) -> bool:
        """Whether a word cut at a line end by a hyphen is a hyphenated compound.

        The document decides: the compound written elsewhere keeps its hyphen, the joined
        word written elsewhere loses it; so does any other, unless the document's line-end
        hyphens are mostly compounds' (word processors break lines only at real hyphens).
        """
        verdict = self.hyphen_evidence(text, part)
        return self.keeps_line_end_hyphens if verdict is None else verdict

    def hyphen_evidence(self, text: str, part: str) -> bool | None:
        head = hyphen_head(text)
        tail = _WORD.match(part)
        if not head or not tail:
            return None
        first, second = head.lower(), tail.group(0).lower()
        if "-" in first:
            return True  # a chain like "a-t-" + "il"
        compound, joined = self.hyphenated[f"{first}-{second}"], self.words[first + second]
        if compound and not joined:
            return True
        if joined and not compound:
            return False
        return None

    def mend(self, line: str) -> str:
        """A line with its stray-space splits, spaced hyphens and dot leaders mended."""
        line = _SPACE_BEFORE_HYPHEN.sub("-", line)
        line = _SPACE_BEFORE_COMMA.sub("", line)
        line = _SPACE_AFTER_HYPHEN.sub(self._hyphen_space, line)
        line = _WORD_PAIR.sub(lambda match: match.group(1) if self.joins(match.group(1), match.group(2))
                              else match.group(0), line)
        return mend_leaders(line) if is_leader_line(line) else line

    def _hyphen_space(self, match: re.Match) -> str:
        first, second = match.group(1), match.group(2)
        if self.hyphenated[f"{first}-{second}".lower()]:
            return f"{first}-{second}"
        if self.words[(first + second).lower()]:
            return first + second
        return match.group(0)
