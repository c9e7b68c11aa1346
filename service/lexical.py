"""BM25 over the chunk table, with each report language's stemming and accent folding (bm25s + PyStemmer)."""

from __future__ import annotations

import unicodedata

import bm25s
import numpy as np
import Stemmer

from index_build.language import (ALL_QUESTION_FRAME, ALL_STOPWORDS, LANGUAGES, STOPWORDS,  # noqa: F401
                                  guess_language, words)  # guess_language re-exported

_STEMMERS = {code: Stemmer.Stemmer(language.stemmer) for code, language in LANGUAGES.items()}


def fold_accents(text: str) -> str:
    """Lowercase and strip accents: 'Boček' -> 'bocek', 'Développement' -> 'developpement'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def document_terms(text: str, language: str) -> list[str]:
    """Index terms of a passage: words stemmed in the passage's language, then accent-folded."""
    stopwords = STOPWORDS.get(language, set())
    kept = [word for word in words(text) if word not in stopwords]
    stemmer = _STEMMERS.get(language)  # a language citeqa does not know: its words unstemmed
    return [fold_accents(stem) for stem in (stemmer.stemWords(kept) if stemmer else kept)]


def query_terms(text: str) -> list[str]:
    """Query terms: each word stemmed in every known language (the question's language is unknown)."""
    return [term for variants in query_word_variants(text) for term in variants]


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


class LexicalIndex:
    """BM25 scores of every chunk for a question."""

    def __init__(self, texts: list[str], languages: list[str]):
        self._count = len(texts)
        self._bm25 = bm25s.BM25()
        corpus = [document_terms(text, language) or ["\u2205"] for text, language in zip(texts, languages)]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._vocabulary = set(getattr(self._bm25, "vocab_dict", None) or {})

    def word_coverage(self, question: str) -> float | None:
        """Share of the question's content words that occur anywhere in the passages (None if it has none)."""
        words = query_word_variants(question)
        if not words or not self._vocabulary:
            return None
        return sum(any(term in self._vocabulary for term in variants) for variants in words) / len(words)

    def scores(self, question: str) -> np.ndarray:
        """One BM25 score per chunk (same order as the texts given), 0 where nothing matches."""
        return self._scores(query_terms(question))

    def scores_of_words(self, words_of_language: list[str], language: str) -> np.ndarray:
        """BM25 scores for words already in one language (stemmed as that language's words)."""
        return self._scores([term for word in words_of_language for term in document_terms(word, language)])

    def _scores(self, terms: list[str]) -> np.ndarray:
        terms = [term for term in terms if term in self._vocabulary]
        if not terms:
            return np.zeros(self._count, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
