"""Small text helpers for speaker attribution: folding, sentence splitting, paragraph numbers."""

from __future__ import annotations

import re
import unicodedata

from index_build.speaker_lexicon import (_FEMALE_TITLES, _FOOTNOTE_DIGITS, _MALE_TITLES, _PARAGRAPH_NUMBER_RE,
                                        _SENTENCE_ABBREVIATIONS, _UPPER)

# ---------------------------------------------------------------------------------------------
# Small text helpers
# ---------------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    """Case- and accent-insensitive form used to compare names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _strip_footnote_marker(token: str) -> str:
    """Remove digits glued to a name by PDF footnote markers ("Boudraa2" -> "Boudraa")."""
    return token.rstrip(_FOOTNOTE_DIGITS)


def _is_capitalised(token: str) -> bool:
    """True for a word starting with an upper-case letter."""
    return bool(token) and token[0].isupper()


def _upper_first(text: str) -> str:
    """Capitalise the first letter only."""
    return text[:1].upper() + text[1:]


def _clean_phrase(text: str) -> str:
    """Collapse whitespace and trim punctuation around a phrase."""
    return re.sub(r"\s+", " ", text).strip(" ,;:.")


def _gender_of_title(title: str) -> str:
    """'f', 'm' or '' from a courtesy title."""
    last = title.split()[-1] if title.split() else title
    if last in _FEMALE_TITLES:
        return "f"
    if last in _MALE_TITLES:
        return "m"
    return ""


def _strip_paragraph_number(paragraph: str) -> str:
    """Drop "12. ", "(a) " or a bullet at the start of a paragraph."""
    return _PARAGRAPH_NUMBER_RE.sub("", paragraph, count=1)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences without breaking after titles, initials or abbreviations."""
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a text, trimmed of surrounding whitespace."""
    spans, start = [], 0
    for match in re.finditer(r"[.!?…][\"»”)]*\s+(?=[\"«“(]?\s?[" + _UPPER + r"0-9])", text):
        before = text[max(start, match.start() - 63):match.start() + 1]  # the last word is all that matters:
        last_word = re.findall(r"([\w.]+)\.$", before)  # a bounded tail keeps long paragraphs linear
        if last_word and _is_abbreviation(last_word[0]):
            continue
        spans.append(_trimmed(text, start, match.end()))
        start = match.end()
    if text[start:].strip():
        spans.append(_trimmed(text, start, len(text)))
    return [span for span in spans if span[1] > span[0]]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A span shrunk to exclude leading and trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(word: str) -> bool:
    """True when a period after `word` does not end a sentence (titles, initials, "p. ex.")."""
    if (len(word) == 1 and word.isupper()) or re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", word):
        return True
    return word.casefold().rstrip(".") in _SENTENCE_ABBREVIATIONS
