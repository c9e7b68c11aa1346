"""The words of the reports, language by language, with a vector each.

A question in English about a French report shares few words with it, so BM25 alone cannot help.
With a vector for every word of the reports (same multilingual model, ``query:`` prompt on both
sides), the service finds, for each word of a question, the closest words of the report's language
("child" -> "enfant", "funding" -> "financement") and searches those: a dictionary induced from the
embeddings instead of a translation model. The vectors are computed at build time, once per word.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from index_build.language import STOPWORDS, words
from index_build.vector_index import best_of

MIN_WORD_LENGTH = 3


def vocabulary_words(text: str, language: str) -> set[str]:
    """The words of a text worth translating to: lower-cased, not function words, not numbers."""
    stopwords = STOPWORDS.get(language, set())
    return {word for word in words(text) if len(word) >= MIN_WORD_LENGTH and not word.isdigit() and word not in stopwords}


@dataclass
class Vocabulary:
    """Words with their language and a normalised vector each (row i belongs to entries[i])."""

    entries: list[tuple[str, str]]  # (word, language)
    vectors: np.ndarray

    @cached_property
    def _by_language(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """Each language's words and vectors, made once (not on every question)."""
        by_language = {}
        for language in {lang for _, lang in self.entries}:
            rows = [row for row, (_, lang) in enumerate(self.entries) if lang == language]
            by_language[language] = ([self.entries[row][0] for row in rows], self.vectors[rows])
        return by_language

    @classmethod
    def empty(cls, dimension: int) -> "Vocabulary":
        return cls([], np.zeros((0, dimension), dtype=np.float32))

    def as_dict(self) -> dict[tuple[str, str], np.ndarray]:
        """(word, language) -> vector."""
        return {entry: self.vectors[row] for row, entry in enumerate(self.entries)}

    def closest(self, vectors: np.ndarray, language: str, per_word: int, min_similarity: float) -> list[list[str]]:
        """For each given word vector, the closest words of ``language`` (at most ``per_word``, each at
        least ``min_similarity`` away in cosine), best first."""
        words, matrix = self._by_language.get(language, ([], None))
        if not words or not len(vectors):
            return [[] for _ in range(len(vectors))]
        similarities = vectors @ matrix.T
        rows = np.arange(len(words))
        found = []
        for scores in similarities:
            best, best_scores = best_of(rows, scores, per_word)  # a partition, not a sort of every word
            found.append([words[i] for i, score in zip(best, best_scores) if score >= min_similarity])
        return found


def build_vocabulary(texts: list[tuple[str, str]], embed_words: Callable[[list[str]], np.ndarray], dimension: int,
                     previous: Vocabulary | None = None) -> Vocabulary:
    """The vocabulary of (text, language) pairs; words already in ``previous`` keep their vector,
    the others are embedded with ``embed_words`` (list of words -> normalised vectors)."""
    entries = sorted({(word, language) for text, language in texts for word in vocabulary_words(text, language)})
    known = previous.as_dict() if previous is not None else {}
    missing = [entry for entry in entries if entry not in known]
    if missing:
        fresh = embed_words([word for word, _ in missing])
        known.update(zip(missing, fresh))
    if not entries:
        return Vocabulary.empty(dimension)
    return Vocabulary(entries, np.vstack([known[entry] for entry in entries]).astype(np.float32))
