"""BM25 terms: stemming in both languages, accent folding, question frames ignored; the index saved and
opened memory-mapped."""

from index_build.language import guess_language
from index_build.lexical import LexicalIndex, query_terms, query_word_variants
from index_build.text import fold_accents


def test_accents_are_folded():
    assert fold_accents("Boček Développement ÉTATS") == "bocek developpement etats"


def test_question_frames_are_not_search_terms():
    assert query_terms("Qui a parlé de la protection des enfants ?") == query_terms("protection enfants")
    assert query_terms("who spoke about child protection") == query_terms("child protection")


def test_typos_in_accents_and_plurals_still_match(tmp_path):
    built = LexicalIndex.build(["La protection des enfants aux frontières.", "Le financement durable."], ["fr", "fr"])
    built.save(tmp_path / "lexical")
    index = LexicalIndex.open(tmp_path / "lexical", 2)  # as a served version opens it
    scores = index.scores(query_terms("protection enfant frontieres"))
    assert scores[0] > 0 and scores[1] == 0
    assert index.word_coverage(query_word_variants("Frontex apatridie")) == 0.0
    assert index.word_coverage(query_word_variants("financements durables")) == 1.0


def test_language_of_a_question():
    assert guess_language("Qui a parlé de la protection des enfants ?") == "fr"
    assert guess_language("who spoke about the protection of children") == "en"
    assert guess_language("financement durable") is None
