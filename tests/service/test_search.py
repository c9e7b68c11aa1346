"""The search stages: every vector a question needs in one call of the model, each stage timed."""

from dataclasses import replace

import pytest

from index_build.store.folder.versions import load_version
from index_build.machine_translation import shared_translator
from index_build.retrieval import default_settings
from service.search import STAGES, SearchEngine

pytestmark = pytest.mark.slow


class CountingEncoder:
    """The real encoder, counting the texts of each call."""

    def __init__(self, encoder):
        self.encoder, self.dimension, self.calls = encoder, encoder.dimension, []

    def encode(self, texts, prompt_name, show_progress=False):
        self.calls.append((prompt_name, len(texts)))
        return self.encoder.encode(texts, prompt_name, show_progress)


def test_a_question_and_its_translations_are_embedded_in_one_call(embedder, settings, built_index):
    version = load_version(settings.index_dir)
    question = "Who stressed the protection of children at borders?"  # English, the seed report French
    embedder.embed_words(["protection", "children", "borders", "stressed"])  # the question words, known
    counting = CountingEncoder(embedder.encoder)
    fresh = replace(embedder, encoder=counting, query_cache=0)
    engine = SearchEngine(fresh, version, default_settings().with_(translated_weight=0.5, translated_dense_weight=0.5,
                                                                   mt_dense_weight=0.5))  # the question translated
    found = engine.retrieve(question)
    translated = shared_translator() is not None and engine.settings.mt_dense_weight > 0
    # the question, its words in French and (with Apertium) the question machine-translated into French, together
    assert counting.calls == [("query", 3 if translated else 2)]
    assert found.translated_dense.keys() == {"fr"} and found.translated.keys() == {"fr"}
    assert found.machine_dense.keys() == ({"fr"} if translated else set())
    answer = engine.answer(found, 5)
    assert set(found.stage_ms) == set(STAGES) and all(ms >= 0 for ms in found.stage_ms.values())
    same = SearchEngine(embedder, version, engine.settings).search(question)  # as served: the same passages
    assert [(p.document_id, p.start) for p in answer.passages] == [(p.document_id, p.start) for p in same.passages]


def test_a_keyword_query_and_bm25_need_no_translated_vector(embedder, settings, built_index):
    counting = CountingEncoder(embedder.encoder)
    engine = SearchEngine(replace(embedder, encoder=counting, query_cache=0), load_version(settings.index_dir))
    engine.retrieve("protection enfants frontières", mode="bm25")
    assert counting.calls == []  # BM25 embeds nothing
    engine.retrieve("Qui a parlé de la protection des enfants ?")  # French question, French reports only
    assert counting.calls == [("query", 1)]


needs_apertium = pytest.mark.skipif(shared_translator() is None, reason="Apertium is not installed (make apertium)")


@needs_apertium
def test_a_question_is_also_searched_machine_translated_and_cited_from_the_original(embedder, settings, built_index):
    version = load_version(settings.index_dir)
    engine = SearchEngine(embedder, version, default_settings().with_(mt_dense_weight=1.0, mt_lexical_weight=1.0))
    answer = engine.search("Who spoke about the protection of children?", 5)  # English; the seed report is French
    assert set(answer.translations) == {"fr"} and "protection" in answer.translations["fr"]
    assert answer.answerable and answer.passages
    for passage in answer.passages:  # citations come from the report's own text, never from the translation
        assert version.document_text(passage.document_id)[passage.start:passage.end] == passage.text
    assert engine.translation_status()["enabled"] and "en>fr" in engine.translation_status()["routes"]


@needs_apertium
def test_a_spanish_question_is_taken_for_spanish_and_answered_on_a_french_report(embedder, settings, built_index):
    engine = SearchEngine(embedder, load_version(settings.index_dir))
    answer = engine.search("¿Quién habló de la protección de los niños?", 5)
    assert answer.answerable, answer.reason
    assert {"Sikander Khan", "Delphine Moralis"} & {speaker.name for speaker in answer.speakers}


def test_without_a_translator_questions_are_searched_as_asked(embedder, settings, built_index):
    engine = SearchEngine(embedder, load_version(settings.index_dir),
                          default_settings().with_(mt_dense_weight=1.0, mt_lexical_weight=1.0), machine_translator=None)
    answer = engine.search("Who spoke about the protection of children?", 5)
    assert answer.translations == {} and answer.passages
    assert engine.translation_status() == {"enabled": False, "routes": [], "reason": engine.translation_status()["reason"]}
    assert "Apertium" in engine.translation_status()["reason"]


def test_a_language_whose_best_sentence_is_only_bounded_is_searched_only_when_the_answer_depends_on_it(
        embedder, two_report_index):
    """With candidates that cannot hold every language's best (a pool of 2, searches of 1), a language missing from
    them gets a ceiling; whether the reports answer, and the reason given when not, are those of every language's
    exact best sentence (what the thresholds were fitted on), and the ceilings the answer does not depend on are
    never searched."""
    _, live = two_report_index
    narrow = default_settings().with_(dense_pool=2, dense_search=1)
    engine = SearchEngine(embedder, live.engine().version, narrow)
    questions = ["Who spoke about bees in the city?", "Qui a parlé des abeilles en ville ?",
                 "How many containers does the terminal handle?", "Combien de conteneurs le port traite-t-il ?",
                 "What is the recipe of the tarte Tatin?", "Quelle est la recette de la tarte Tatin ?"]
    left_bounded, outcomes = 0, set()
    for question in questions:
        lazy = engine.retrieve(question)
        assert lazy.bounded, question  # one search of 1 cannot hold both languages' best
        lazy_answer = engine.answer(lazy, 5)
        left_bounded += len(lazy.bounded)
        outcomes.add(lazy_answer.answerable)
        exact = engine.retrieve(question, settings=narrow.with_(tuning=True))
        assert not exact.bounded
        assert all(exact.best_sentence[language] <= lazy.best_sentence[language] + 1e-6
                   for language in lazy.bounded)  # a ceiling is at least the exact value
        exact_answer = engine.answer(exact, 5, settings=narrow)
        assert (lazy_answer.answerable, lazy_answer.reason) == (exact_answer.answerable, exact_answer.reason), question
    assert left_bounded  # some ceilings were never searched
    assert outcomes == {True, False}  # both decisions were checked
