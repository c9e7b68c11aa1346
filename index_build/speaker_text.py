"""Small text helpers for speaker attribution: capitals, phrases, titles' genders, paragraph numbers, sentences.

Accent folding and sentence splitting are :mod:`index_build.text`'s (the service and the eval use them too).
"""

from __future__ import annotations

import re

from index_build.speaker_lexicon import (
    _EXTRA_TITLE_ABBREVIATIONS, _FEMALE_TITLES, _FOOTNOTE_DIGITS, _MALE_TITLES, _PARAGRAPH_NUMBER_RE,
)
from index_build.text import split_sentences

# ---------------------------------------------------------------------------------------------
# Small text helpers
# ---------------------------------------------------------------------------------------------

def _strip_footnote_marker(token: str) -> str:
    """Remove digits glued to a name by PDF footnote markers ("Boudraa2" -> "Boudraa")."""
    return token.rstrip(_FOOTNOTE_DIGITS)


def _is_capitalised(token: str) -> bool:
    """True for a word starting with an upper-case letter."""
    return bool(token) and token[0].isupper()


def _upper_first(text: str) -> str:
    """Capitalise the first letter only."""
    return text[:1].upper() + text[1:]


_SPACES_RE = re.compile(r"\s+")


def _clean_phrase(text: str) -> str:
    """Collapse whitespace and trim punctuation around a phrase."""
    return _SPACES_RE.sub(" ", text).strip(" ,;:.")


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


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    """True if `span` intersects any span in `taken`."""
    return any(span[0] < end and start < span[1] for start, end in taken)


_TITLE_ENDING_RE = re.compile(r"(?:^|[\s(])([\w.]+)\.$")


def speaker_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, never cut after a title abbreviation ("La Sra. | Ana Gómez" stays one)."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        if sentences and _ends_with_title(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {sentence}"
        else:
            sentences.append(sentence)
    return sentences


def _ends_with_title(sentence: str) -> bool:
    """True when a sentence piece stops at an abbreviation :mod:`index_build.text` does not know ("Sra.", "Dip.")."""
    match = _TITLE_ENDING_RE.search(sentence[-12:])
    return bool(match) and match.group(1).casefold() in _EXTRA_TITLE_ABBREVIATIONS
