"""Text primitives shared by the build, the service and the eval: accent folding and sentence splitting.

Each lives here only: the index's sentences (what a highlight can be), the speakers' name matching, the BM25
terms, the report ids made from file names and the eval's speaker matching all use these functions.
"""

from __future__ import annotations

import re
import unicodedata

#: Upper- and lower-case letters for regular-expression character classes (ASCII and Latin-1 to Latin
#: Extended-B: "É", "Č", "Ø", ...).
UPPER = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper())
LOWER = "a-z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.islower())

#: Words after which a period does not end a sentence (titles, "p.", "e.g", "n°"...), case-folded.
SENTENCE_ABBREVIATIONS = {
    "m", "mm", "mme", "mr", "mrs", "ms", "dr", "pr", "prof", "st", "no", "nos", "art", "p", "pp",
    "ex", "cf", "e.g", "i.e", "vol", "inc", "ltd", "co", "messrs", "jr", "sr", "op", "cit", "n°",
    "sra", "sras", "sres", "srta", "dra", "dip", "lic", "núm", "fracc", "ud", "uds",
}


# ---------------------------------------------------------------------------------------------
# Accent folding
# ---------------------------------------------------------------------------------------------

def strip_accents(text: str) -> str:
    """The text without its accents, case kept: 'Déclaration' -> 'Declaration', 'Boček' -> 'Bocek'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_accents(text: str) -> str:
    """Case- and accent-insensitive form: 'Boček' -> 'bocek', 'Développement ÉTATS' -> 'developpement etats'."""
    return strip_accents(text.casefold())


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…][\"»”)]*\s+(?=[\"«“(]?\s?[" + UPPER + r"0-9])")
_LAST_WORD = re.compile(r"(?<![\w.])([\w.]+)\.$")  # from the start of the word only: one try per word
_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]?")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences without breaking after titles, initials or abbreviations."""
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a text, trimmed of surrounding whitespace."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        before = text[max(start, match.start() - 63):match.start() + 1]  # the last word is all that matters:
        last_word = _LAST_WORD.findall(before)  # a bounded tail keeps long paragraphs linear
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
    if (len(word) == 1 and word.isupper()) or _INITIALS.fullmatch(word):
        return True
    return word.casefold().rstrip(".") in SENTENCE_ABBREVIATIONS
