"""The embedding model's word vectors: kept once made, shared by every index version of a process."""

import numpy as np
import pytest

from index_build.index_store import load_version
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
