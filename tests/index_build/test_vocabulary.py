"""The reports' words with their vectors: which words, reuse of known vectors, closest words."""

import numpy as np

from index_build.vocabulary import Vocabulary, build_vocabulary, vocabulary_words


def test_function_words_numbers_and_short_words_are_left_out():
    assert vocabulary_words("Les 36 orateurs ont parlé de la protection des enfants, M. Khan aussi.", "fr") == {
        "orateurs", "parlé", "protection", "enfants", "khan", "aussi"}


def test_only_new_words_are_embedded():
    embedded: list[list[str]] = []

    def embed(words):
        embedded.append(list(words))
        return np.ones((len(words), 4), dtype=np.float32) / 2

    first = build_vocabulary([("la protection des enfants", "fr")], embed, 4)
    assert first.entries == [("enfants", "fr"), ("protection", "fr")]
    second = build_vocabulary([("la protection des enfants", "fr"), ("child protection", "en")], embed, 4, first)
    assert embedded == [["enfants", "protection"], ["child", "protection"]]
    assert second.entries == [("child", "en"), ("enfants", "fr"), ("protection", "en"), ("protection", "fr")]
    assert build_vocabulary([], embed, 4).vectors.shape == (0, 4)


def test_closest_words_of_one_language_above_a_similarity():
    vocabulary = Vocabulary([("enfant", "fr"), ("child", "en"), ("financement", "fr")],
                            np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32))
    question = np.array([[0.96, 0.28], [0.0, 1.0]], dtype=np.float32)
    assert vocabulary.closest(question, "fr", per_word=2, min_similarity=0.9) == [["enfant"], ["financement"]]
    assert vocabulary.closest(question, "en", per_word=2, min_similarity=0.9) == [["child"], []]
    assert vocabulary.closest(question, "de", per_word=2, min_similarity=0.9) == [[], []]
