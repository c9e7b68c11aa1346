"""BM25 over the chunk texts, with each report language's stemming and accent folding (bm25s + PyStemmer).

The index is built when a version is written and saved in it; serving opens it memory-mapped, so
start-up never re-reads the corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import bm25s
import numpy as np
import Stemmer

from index_build.language import ALL_QUESTION_FRAME, ALL_STOPWORDS, LANGUAGES, STOPWORDS, words
from index_build.text import fold_accents

_STEMMERS = {code: Stemmer.Stemmer(language.stemmer) for code, language in LANGUAGES.items()}
EMPTY_TERM = "\u2205"  # the one term of a passage with no content word (bm25s needs one)


def document_terms(text: str, language: str) -> list[str]:
    """Index terms of a passage: words stemmed in the passage's language, then accent-folded."""
    stopwords = STOPWORDS.get(language, set())
    kept = [word for word in words(text) if word not in stopwords]
    stemmer = _STEMMERS.get(language)  # a language citeqa does not know: its words unstemmed
    return [fold_accents(stem) for stem in (stemmer.stemWords(kept) if stemmer else kept)]


def question_words(text: str) -> list[str]:
    """The words of a question that name its topic: no function words, no question frame."""
    stop = ALL_STOPWORDS | ALL_QUESTION_FRAME
    return [word for word in words(text) if word not in stop]


def query_word_variants(text: str) -> list[list[str]]:
    """For each content word of a question, its possible index terms (its stem in each language, accents folded)."""
    found = []
    for word in question_words(text):
        variants = {fold_accents(stemmer.stemWord(word)) for stemmer in _STEMMERS.values()}
        variants |= {fold_accents(stemmer.stemWord(fold_accents(word))) for stemmer in _STEMMERS.values()}
        found.append(sorted(variants))
    return found


def query_terms(text: str) -> list[str]:
    """Query terms: each word stemmed in every known language (the question's language is unknown)."""
    return [term for variants in query_word_variants(text) for term in variants]


def terms_of_words(words_of_language: list[str], language: str) -> list[str]:
    """Index terms of words already in one language (stemmed as that language's words)."""
    return [term for word in words_of_language for term in document_terms(word, language)]


class LexicalIndex:
    """BM25 scores of every chunk for a list of index terms."""

    def __init__(self, bm25: bm25s.BM25 | None, count: int):
        self._bm25 = bm25
        self._count = count
        self.vocabulary = frozenset(getattr(bm25, "vocab_dict", None) or {}) - {""}

    @classmethod
    def build(cls, texts: Iterable[str], languages: Iterable[str]) -> "LexicalIndex":
        """Analyse and index passages (a text met twice is analysed once)."""
        analysed: dict[tuple[str, str], list[str]] = {}
        corpus = []
        for text, language in zip(texts, languages):
            key = (text, language)
            if key not in analysed:
                analysed[key] = document_terms(text, language) or [EMPTY_TERM]
            corpus.append(analysed[key])
        if not corpus:
            return cls(None, 0)
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        return cls(bm25, len(corpus))

    def save(self, folder: Path) -> None:
        """Write the index into a folder of its own."""
        folder.mkdir()
        if self._bm25 is not None:
            self._bm25.save(str(folder))

    @classmethod
    def open(cls, folder: Path, count: int) -> "LexicalIndex":
        """Open a saved index, memory-mapped."""
        if count == 0:
            return cls(None, 0)
        return cls(bm25s.BM25.load(str(folder), mmap=True), count)

    def word_coverage(self, variants: list[list[str]]) -> float | None:
        """Share of the words (each a list of possible terms) that occur anywhere (None if none asked)."""
        if not variants or not self.vocabulary:
            return None
        return sum(any(term in self.vocabulary for term in options) for options in variants) / len(variants)

    def scores(self, terms: list[str]) -> np.ndarray:
        """One BM25 score per chunk, 0 where nothing matches."""
        terms = [term for term in terms if term in self.vocabulary]
        if not terms or self._bm25 is None:
            return np.zeros(self._count, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
