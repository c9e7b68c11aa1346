"""BM25 terms: stemming in both languages, accent folding, question frames ignored; the index saved and
opened memory-mapped."""

import pytest

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


def test_one_index_scores_as_bm25s_does():
    import bm25s
    import numpy as np

    from index_build.lexical import document_terms

    texts = ["La protection des enfants aux frontières.", "Les enfants et les enfants.", "Le financement durable."]
    index = LexicalIndex.build(texts, ["fr"] * 3)
    reference = bm25s.BM25()
    reference.index([document_terms(text, "fr") for text in texts], show_progress=False)
    terms = query_terms("protection des enfants enfants")
    known = [term for term in terms if term in index.vocabulary]
    assert np.allclose(index.scores(terms), reference.get_scores(known), rtol=1e-6)


def test_segments_are_weighed_by_the_idf_of_them_all():
    """A word frequent in one small segment but rare in the library weighs as rare there, as in one index."""
    import numpy as np

    from index_build.lexical import combined_scores, idf

    small = LexicalIndex.build(["Les enfants.", "Les enfants migrants.", "Des enfants seuls."], ["fr"] * 3)
    large = LexicalIndex.build([f"Le financement numéro {i}." for i in range(20)] + ["Un enfant."], ["fr"] * 21)
    term = [t for t in query_terms("enfants") if t in small.vocabulary][:1]
    alone = small.scores(term)
    together = combined_scores([(small, 0), (large, 3)], term)
    factor = idf(4, 24) / idf(3, 3)  # 4 of the 24 passages hold it, against 3 of 3 in the small segment
    assert np.flatnonzero(together).tolist() == [0, 1, 2, 23]
    assert np.allclose(together[:3], alone * factor, rtol=1e-5) and factor > 1
    assert together[23] == pytest.approx(large.scores(term)[20] * idf(4, 24) / idf(1, 21), rel=1e-5)
