"""The embedding model's word vectors: kept once made, shared by every index version of a process."""

import numpy as np
import pytest

from index_build.store.folder.versions import load_version
from service.search import SearchEngine

pytestmark = pytest.mark.slow


def test_word_vectors_are_the_same_in_any_order_and_none_gives_an_empty_array(embedder):
    first = embedder.embed_words(["ruches", "abeilles", "ruches"])
    assert first.shape == (3, embedder.dimension) and first.dtype == np.float32
    assert np.array_equal(first[0], first[2])
    assert np.array_equal(embedder.embed_words(["abeilles", "ruches"]), first[[1, 0]])
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_words([]).shape == (0, embedder.dimension)


def test_a_new_engine_reuses_the_word_vectors_an_earlier_one_made(embedder, settings, built_index):
    question = "Which countries cooperated on hydrographic surveys of glaciers?"
    old = SearchEngine(embedder, load_version(settings.index_dir)).search(question)
    known = dict(embedder._word_vectors)  # what the first engine's question left with the model
    assert {"hydrographic", "glaciers"} <= known.keys()  # an English question's words, to translate into French
    new = SearchEngine(embedder, load_version(settings.index_dir)).search(question)
    assert embedder._word_vectors.keys() == known.keys()  # nothing embedded again
    assert [(p.document_id, p.start) for p in new.passages] == [(p.document_id, p.start) for p in old.passages]


def test_a_full_word_cache_starts_again_without_losing_the_words_asked(embedder, monkeypatch):
    import index_build.embedding

    monkeypatch.setattr(index_build.embedding, "CACHED_WORDS", 3)
    monkeypatch.setattr(embedder, "_word_vectors", {})
    embedder.embed_words(["ruches", "abeilles"])
    vectors = embedder.embed_words(["ruches", "miel", "cire"])  # 4 distinct words: past the cap (was a KeyError)
    assert vectors.shape == (3, embedder.dimension)
    assert len(embedder._word_vectors) <= 3 and {"miel", "cire"} <= embedder._word_vectors.keys()


class CountingEncoder:
    """The real encoder, counting the texts of each call."""

    def __init__(self, encoder):
        self.encoder, self.dimension, self.calls = encoder, encoder.dimension, []

    def encode(self, texts, prompt_name, show_progress=False):
        self.calls.append(len(texts))
        return self.encoder.encode(texts, prompt_name, show_progress)


def test_questions_are_embedded_in_one_call_and_a_kept_one_is_not_embedded_again(embedder):
    from dataclasses import replace

    counting = CountingEncoder(embedder.encoder)
    fresh = replace(embedder, encoder=counting, _query_vectors={}, _word_vectors={})
    vectors = fresh.embed_queries(["who spoke about bees", "ruches abeilles", "who spoke about bees"])
    assert counting.calls == [2] and np.array_equal(vectors[0], vectors[2])  # the same text once
    assert np.allclose(vectors[1], embedder.embed_query("ruches abeilles", remember=False), atol=1e-5)
    fresh.embed_query("ruches abeilles")
    assert counting.calls == [2]  # kept
    none_kept = replace(fresh, query_cache=0, _query_vectors={})
    none_kept.embed_query("ruches abeilles")
    none_kept.embed_query("ruches abeilles")
    assert counting.calls == [2, 1, 1] and none_kept._query_vectors == {}


def test_the_query_cache_size_comes_from_the_environment(monkeypatch, settings):
    from index_build.embedding import Embedder

    monkeypatch.setenv("CITEQA_QUERY_CACHE", "0")
    assert Embedder.load(settings.model, settings.model_cache_dir).query_cache == 0
    monkeypatch.setenv("CITEQA_QUERY_CACHE", "-1")
    with pytest.raises(ValueError, match="query_cache"):
        Embedder.load(settings.model, settings.model_cache_dir)
