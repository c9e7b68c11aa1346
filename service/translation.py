"""Question words -> the closest words of another language in the reports, for BM25 across languages.

The dictionary is induced from the embedding model (``index_build.vocabulary``): each content word of
the question is embedded and matched with the index's words of the passages' language.
"""

from __future__ import annotations

from index_build.embedding import Embedder
from index_build.vocabulary import MIN_WORD_LENGTH, Vocabulary
from index_build.lexical import question_words

# Chosen on the eval set (docs/retrieval.md, "How the defaults were chosen"):
TRANSLATIONS_PER_WORD = 3
MIN_TRANSLATION_SIMILARITY = 0.90


class QuestionTranslator:
    """Finds, for the words of a question, the words of the reports in a given language."""

    def __init__(self, embedder: Embedder, vocabulary: Vocabulary, per_word: int = TRANSLATIONS_PER_WORD,
                 min_similarity: float = MIN_TRANSLATION_SIMILARITY):
        self.embedder = embedder
        self.vocabulary = vocabulary
        self.per_word = per_word
        self.min_similarity = min_similarity
        self.languages = {language for _, language in vocabulary.entries}

    def words_in(self, question: str, language: str) -> list[str]:
        """The report words of ``language`` closest to each content word of the question, in order;
        numbers are the same in every language and pass as they are."""
        if language not in self.languages:
            return []
        content = question_words(question)
        numbers = [word for word in content if word.isdigit()]
        source = [word for word in content if len(word) >= MIN_WORD_LENGTH and not word.isdigit()]
        if not source:
            return numbers
        # the embedder keeps the vectors of words it has seen, for every index version
        closest = self.vocabulary.closest(self.embedder.embed_words(source), language, self.per_word,
                                          self.min_similarity)
        return [word for found in closest for word in found] + numbers
