"""The embedded store over one version folder: filters as row masks, sentences, speakers, words."""

import numpy as np
import pytest

from index_build.store.folder.writer import write_version
from index_build.store.folder.versions import Chunk, load_version, writer_lock
from index_build.lexical import query_terms
from index_build.store.base import SearchFilter, Selection

HALF = 1e-3  # vectors are stored in float16 (about 3 significant digits) and scored in float32

TEXTS = {"a": "Les enfants migrants. La protection des enfants.", "b": "Labour migration in Asia.",
         "c": "Droits des travailleurs migrants."}
DOCUMENTS = [{"id": "a", "title": "A", "language": "fr", "year": 2018, "publisher": "OIM / IOM", "content_hash": "1"},
             {"id": "b", "title": "B", "language": "en", "year": 2022, "publisher": "UNHCR", "content_hash": "2"},
             {"id": "c", "title": "C", "language": "fr", "year": 2025, "publisher": "Nations Unies", "content_hash": "3"}]
KHAN = {"name": "Sikander Khan", "role": "Directeur", "organisation": "UNICEF"}
BOCEK = {"name": "Tomas Boček", "role": "", "organisation": "Conseil de l'Europe"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("store")
    chunks = [Chunk(0, "a", 1, 0, 21, TEXTS["a"][0:21], [KHAN], [[0, 21, 0]]),
              Chunk(1, "a", 1, 22, 48, TEXTS["a"][22:48], [KHAN, BOCEK], [[22, 48, 1]]),
              Chunk(2, "b", 3, 0, 25, TEXTS["b"], [], [[0, 25, 2]]),
              Chunk(3, "c", 2, 0, 33, TEXTS["c"], [BOCEK], [[0, 33, 3]])]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(4, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentences = rng.normal(size=(4, 8)).astype(np.float32)
    sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
    manifest = {"model": {"name": "m", "fingerprint": "f", "dimension": 8}, "documents": DOCUMENTS}
    with writer_lock(index_dir):
        write_version(index_dir, manifest, vectors, chunks, TEXTS, sentences)
    return load_version(index_dir), vectors, sentences


def rows(mask):
    return None if mask is None else np.flatnonzero(mask).tolist()


def test_each_filter_keeps_the_chunks_of_its_reports(store):
    version, _, _ = store
    assert version.selected_rows(Selection.of(SearchFilter())).tolist() == [0, 1, 2, 3]
    assert version.selected_rows(Selection.of(SearchFilter(documents=("b",)))).tolist() == [2]
    assert version.selected_rows(Selection.of(SearchFilter(languages=("fr",)))).tolist() == [0, 1, 3]
    assert version.selected_rows(Selection.of(SearchFilter(year_from=2020))).tolist() == [2, 3]
    assert version.selected_rows(Selection.of(SearchFilter(year_to=2022, year_from=2019))).tolist() == [2]
    assert version.selected_rows(Selection.of(SearchFilter(publishers=("iom",)))).tolist() == [0, 1]
    assert version.selected_rows(Selection.of(SearchFilter(speakers=("bocek",)))).tolist() == [1, 3]  # accents and case folded
    assert version.selected_rows(Selection.of(SearchFilter(speakers=("unicef",)))).tolist() == [0, 1]  # an organisation
    assert version.selected_rows(Selection.of(SearchFilter(speakers=("Boček",), languages=("fr",), year_to=2018))).tolist() == [1]
    assert version.selected_rows(Selection.of(SearchFilter(documents=("nothing",)))).tolist() == []


def test_sentence_search_gives_the_owning_chunk_that_passes_the_filter(store):
    version, _, sentences = store
    hits = version.search_sentences(sentences[3], 1, None)
    assert hits.rows.tolist() == [3] and hits.scores[0] == pytest.approx(1.0, abs=HALF)
    allowed = Selection.of(SearchFilter(documents=("a",)))
    assert set(version.search_sentences(sentences[3], 4, allowed).rows.tolist()) <= {0, 1}


def test_chunk_scores_are_the_chunk_and_its_best_sentence(store):
    version, vectors, sentences = store
    query = vectors[0]
    chunk, best = version.chunk_scores(query, np.array([0, 2]))
    assert np.allclose(chunk, vectors[[0, 2]] @ query, atol=HALF)
    assert np.allclose(best, np.maximum(vectors[[0, 2]] @ query, sentences[[0, 2]] @ query), atol=HALF)
    whole_chunk, whole_best = version.chunk_scores(query, np.arange(4))
    assert np.allclose(whole_best[[0, 2]], best, atol=1e-6)


def test_words_are_searched_within_the_filter(store):
    version, _, _ = store
    everywhere = version.search_words(query_terms("migrants"), 10, None)
    assert set(everywhere.rows.tolist()) == {0, 3}
    assert version.search_words(query_terms("migrants"), 10, Selection.of(SearchFilter(documents=("c",)))).rows.tolist() == [3]
    assert version.word_coverage([["enfant"], ["zebre"]]) == 0.5


def test_speakers_are_listed_with_their_reports_and_passages(store):
    version, _, _ = store
    speakers = {s["name"]: s for s in version.speakers()}
    assert speakers["Tomas Boček"]["documents"] == ["a", "c"] and speakers["Tomas Boček"]["passages"] == 2
    assert speakers["Sikander Khan"]["organisation"] == "UNICEF" and speakers["Sikander Khan"]["passages"] == 2


def test_texts_and_chunks_are_read_on_demand(store):
    version, _, _ = store
    assert version.document_text("b") == TEXTS["b"] and version.document_text("zzz") is None
    assert [c.id for c in version.chunks([3, 0])] == [3, 0]
    assert [c.id for c in version.iter_chunks("a")] == [0, 1]
    assert version.describe()["counts"] == {"documents": 3, "chunks": 4, "sentences": 4, "segments": 1}
