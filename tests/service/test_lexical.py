"""BM25 terms: stemming in both languages, accent folding, question frames ignored."""

from service.lexical import LexicalIndex, fold_accents, guess_language, query_terms


def test_accents_are_folded():
    assert fold_accents("Boček Développement ÉTATS") == "bocek developpement etats"


def test_question_frames_are_not_search_terms():
    assert query_terms("Qui a parlé de la protection des enfants ?") == query_terms("protection enfants")
    assert query_terms("who spoke about child protection") == query_terms("child protection")


def test_typos_in_accents_and_plurals_still_match():
    index = LexicalIndex(["La protection des enfants aux frontières.", "Le financement durable."], ["fr", "fr"])
    scores = index.scores("protection enfant frontieres")
    assert scores[0] > 0 and scores[1] == 0
    assert index.word_coverage("Frontex apatridie") == 0.0
    assert index.word_coverage("financements durables") == 1.0


def test_language_of_a_question():
    assert guess_language("Qui a parlé de la protection des enfants ?") == "fr"
    assert guess_language("who spoke about the protection of children") == "en"
    assert guess_language("financement durable") is None
