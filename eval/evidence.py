"""Evidence strings: how they are compared with passages, and where they stand in a report."""

from __future__ import annotations

import re

from index_build.cleaning import CleanDocument

_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def normalise(text: str) -> str:
    """Collapse whitespace and unify apostrophes, to compare evidence with passages."""
    return _SPACES.sub(" ", text.translate(_APOSTROPHES)).strip()


def normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`normalise` of a text, and for each of its characters the offset it came from."""
    characters: list[str] = []
    offsets: list[int] = []
    in_space = True  # leading whitespace is dropped
    for offset, character in enumerate(text.translate(_APOSTROPHES)):
        if character.isspace():
            if not in_space:
                characters.append(" ")
                offsets.append(offset)
            in_space = True
            continue
        characters.append(character)
        offsets.append(offset)
        in_space = False
    return "".join(characters), offsets


class EvidenceLocator:
    """Finds evidence strings in one cleaned report and gives the page where each starts."""

    def __init__(self, document: CleanDocument):
        self.document = document
        self._text, self._offsets = normalised_with_offsets(document.text)

    def offset(self, evidence: str) -> int | None:
        """Offset in the report's cleaned text where the evidence starts (None when it is not there)."""
        found = self._text.find(normalise(evidence))
        return None if found < 0 else self._offsets[found]

    def pages(self, evidence: str) -> list[int]:
        """Every page where the evidence starts, in order (a running header repeats on each page)."""
        wanted, found, pages = normalise(evidence), 0, []
        while wanted and (found := self._text.find(wanted, found)) >= 0:
            page = self.document.page_at(self._offsets[found])
            if page not in pages:
                pages.append(page)
            found += 1
        return pages

    def page(self, evidence: str) -> int | None:
        """The page where the evidence starts (None when it is not in the report)."""
        offset = self.offset(evidence)
        return None if offset is None else self.document.page_at(offset)
