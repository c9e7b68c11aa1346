"""The search stages: every vector a question needs in one call of the model, each stage timed."""

from dataclasses import replace

import pytest

from index_build.index_store import load_version
from service.search import STAGES, SearchEngine

pytestmark = pytest.mark.slow


class CountingEncoder:
    """The real encoder, counting the texts of each call."""

    def __init__(self, encoder):
        self.encoder, self.dimension, self.calls = encoder, encoder.dimension, []

    def encode(self, texts, prompt_name, show_progress=False):
        self.calls.append((prompt_name, len(texts)))
        return self.encoder.encode(texts, prompt_name, show_progress)


def test_a_question_and_its_translated_words_are_embedded_in_one_call(embedder, settings, built_index):
    version = load_version(settings.index_dir)
    question = "Who stressed the protection of children at borders?"  # English, the seed report French
    embedder.embed_words(["protection", "children", "borders", "stressed"])  # the question words, known
    counting = CountingEncoder(embedder.encoder)
    fresh = replace(embedder, encoder=counting, query_cache=0)
    engine = SearchEngine(fresh, version)
    found = engine.retrieve(question)
    assert counting.calls == [("query", 2)]  # the question and its words in French, together
    assert found.translated_dense.keys() == {"fr"} and found.translated.keys() == {"fr"}
    answer = engine.answer(found, 5)
    assert set(found.stage_ms) == set(STAGES) and all(ms >= 0 for ms in found.stage_ms.values())
    same = SearchEngine(embedder, version).search(question)  # the engine as served: the same passages
    assert [(p.document_id, p.start) for p in answer.passages] == [(p.document_id, p.start) for p in same.passages]


def test_a_keyword_query_and_bm25_need_no_translated_vector(embedder, settings, built_index):
    counting = CountingEncoder(embedder.encoder)
    engine = SearchEngine(replace(embedder, encoder=counting, query_cache=0), load_version(settings.index_dir))
    engine.retrieve("protection enfants frontières", mode="bm25")
    assert counting.calls == []  # BM25 embeds nothing
    engine.retrieve("Qui a parlé de la protection des enfants ?")  # French question, French reports only
    assert counting.calls == [("query", 1)]
