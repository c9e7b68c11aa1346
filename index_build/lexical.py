"""BM25 over the chunk texts, with each report language's stemming and accent folding (bm25s + PyStemmer).

Each segment of a version has its own index, built when the segment is written and opened memory-mapped,
so start-up never re-reads the corpus. bm25s stores each term's score per passage with the segment's
IDF baked in; :func:`combined_scores` rescales it to the IDF of the whole version (document frequencies
summed over the segments), so that a term rare in the library but frequent in one small segment is
weighed as rare everywhere, as one index over every passage would weigh it.
"""

from __future__ import annotations

import math
from collections import Counter
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

    def __len__(self) -> int:
        return self._count

    def document_frequency(self, term: str) -> int:
        """How many passages hold the term."""
        token = self._token(term)
        if token is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[token + 1] - indptr[token])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the passages that hold the term: its BM25 score there, with this index's IDF."""
        token = self._token(term)
        if token is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        scores = self._bm25.scores
        start, end = int(scores["indptr"][token]), int(scores["indptr"][token + 1])
        return scores["indices"][start:end], scores["data"][start:end]

    def scores(self, terms: list[str]) -> np.ndarray:
        """One BM25 score per chunk, 0 where nothing matches (this index alone: its own IDF)."""
        return combined_scores([(self, 0)], terms)

    def _token(self, term: str) -> int | None:
        if self._bm25 is None or term not in self.vocabulary:
            return None
        return int(self._bm25.vocab_dict[term])


def idf(document_frequency: int, documents: int) -> float:
    """BM25's IDF, Lucene's variant (bm25s's default, the one the per-segment scores carry)."""
    return math.log(1 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def combined_scores(indexes: list[tuple[LexicalIndex, int]], terms: list[str]) -> np.ndarray:
    """BM25 over several indexes as one: a score per passage of them all (each index's rows from its offset),
    0 where no term occurs; each term weighed by its IDF over all the indexes' passages (a term asked twice
    counts twice, as in bm25s). Length normalisation stays each index's own."""
    total = sum(len(index) for index, _ in indexes)
    scores = np.zeros(total, dtype=np.float32)
    for term, times in Counter(terms).items():
        frequencies = [index.document_frequency(term) for index, _ in indexes]
        if not any(frequencies):
            continue
        weight = idf(sum(frequencies), total)
        for (index, offset), frequency in zip(indexes, frequencies):
            if frequency:
                rows, values = index.postings(term)
                factor = times * weight / idf(frequency, len(index))  # exactly `times` with one index
                np.add.at(scores[offset:offset + len(index)], rows, values if factor == 1 else values * np.float32(factor))
    return scores
