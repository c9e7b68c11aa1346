"""The store interface, one contract for both stores: the folder and PostgreSQL hold the same version alike.

The folder version of the seed index is copied into a real PostgreSQL (pgvector) and each method of
:class:`~index_build.store.base.Version` is asked the same things of both: the same rows, the same scores.
"""

import numpy as np
import pytest

from eval import library
from eval.cli import score_sets
from eval.runner import load_questions, summarise
from index_build.store.folder.versions import load_version
from index_build.lexical import query_terms
from index_build.store.postgres.copy import copy_from_folder
from index_build.store.postgres import version as version_module
from index_build.store.postgres.version import open_current
from index_build.store.base import SearchFilter, Selection
from service.search import SearchEngine

pytestmark = pytest.mark.slow

QUESTIONS = ["Qui a parlé de la protection des enfants aux frontières ?", "who spoke about data on migration",
             "Combien de femmes parmi les orateurs ?", "capacity development of border management"]


@pytest.fixture(scope="module")
def stores(postgres_server, settings, built_index):
    """(folder store, PostgreSQL store) of the same version."""
    import uuid

    import psycopg

    name = f"contract_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    dsn = postgres_server.dsn.rsplit("/", 1)[0] + f"/{name}"
    copy_from_folder(dsn, settings.index_dir)
    database = open_current(dsn)
    yield load_version(settings.index_dir), database
    database.close()


def test_the_version_its_documents_rows_and_vocabulary_are_the_same(stores):
    folder, database = stores
    where_in_folder = ("segment", "first_row")  # the folder's own bookkeeping
    assert database.version == folder.version
    assert database.documents == [{k: v for k, v in doc.items() if k not in where_in_folder} for doc in folder.documents]
    assert (database.count(), database.live_count()) == (folder.count(), folder.live_count())
    assert database.manifest["model"] == folder.manifest["model"]
    assert database.manifest["counts"]["chunks"] == folder.manifest["counts"]["chunks"]
    every = np.arange(folder.count())
    assert database.report_languages() == folder.report_languages()
    assert database.languages_of(every).tolist() == folder.languages_of(every).tolist()
    assert database.vocabulary.entries == folder.vocabulary.entries
    assert np.array_equal(database.vocabulary.vectors, folder.vocabulary.vectors)


def test_chunks_texts_sentences_and_speakers_are_the_same(stores):
    folder, database = stores
    chunks = list(folder.iter_chunks())
    assert [vars(c) for c in database.iter_chunks()] == [vars(c) for c in chunks]
    rows = [7, 0, 42, len(chunks) - 1]
    assert [vars(c) for c in database.chunks(rows)] == [vars(c) for c in folder.chunks(rows)]
    document = folder.documents[0]["id"]
    assert database.document_text(document) == folder.document_text(document)
    assert database.document_text("no-such-report") is None
    sentence_rows = [row for _, _, row in chunks[3].sentences]
    assert np.array_equal(database.sentence_vectors(sentence_rows), folder.sentence_vectors(sentence_rows))
    assert np.array_equal(database.chunk_vectors(rows), folder.chunk_vectors(rows))
    assert database.speakers() == folder.speakers()


@pytest.mark.parametrize("search_filter", [None, SearchFilter(languages=("fr",)), SearchFilter(speakers=("khan",)),
                                           SearchFilter(speakers=("unicef", "Boček"))])
def test_filters_and_dense_search_find_the_same_rows(stores, embedder, search_filter):
    folder, database = stores
    allowed = mine = Selection.of(search_filter)
    assert database.selected_rows(mine).tolist() == folder.selected_rows(allowed).tolist()
    assert database.count_selected(mine) == folder.count_selected(allowed)
    for question in QUESTIONS:
        query = embedder.embed_query(question)
        for k in (1, 5, 20):
            expected, found = folder.search_chunks(query, k, allowed), database.search_chunks(query, k, mine)
            assert found.rows.tolist() == expected.rows.tolist()
            assert np.allclose(found.scores, expected.scores, atol=1e-5)
            expected, found = folder.search_sentences(query, k, allowed), database.search_sentences(query, k, mine)
            assert found.rows.tolist() == expected.rows.tolist()
            assert np.allclose(found.scores, expected.scores, atol=1e-5)
        rows = np.array([3, 50, 9, 110])
        for mine_scores, expected_scores in zip(database.chunk_scores(query, rows), folder.chunk_scores(query, rows)):
            assert np.allclose(mine_scores, expected_scores, atol=1e-5)


@pytest.mark.parametrize("search_filter", [None, SearchFilter(speakers=("khan",))])
def test_bm25_gives_the_folders_scores_and_the_coverage_is_the_same(stores, search_filter):
    folder, database = stores
    matched = 0
    for question in QUESTIONS:
        terms = query_terms(question) + query_terms(question)[:2]  # a term asked twice counts twice
        for k in (5, 200):
            expected = folder.search_words(terms, k, Selection.of(search_filter))
            found = database.search_words(terms, k, Selection.of(search_filter))
            assert len(found.rows) == len(expected.rows)
            matched += len(found.rows)
            assert np.allclose(found.scores, expected.scores, rtol=1e-4)
            assert found.rows.tolist() == expected.rows.tolist()
        assert database.word_coverage([[t] for t in terms]) == folder.word_coverage([[t] for t in terms])
    assert matched > 0
    assert len(database.search_words(["zzzunknown"], 5, None).rows) == 0
    assert len(database.search_words([], 5, None).rows) == 0


@pytest.mark.parametrize("search_filter", [None, SearchFilter(speakers=("khan",))])
def test_bm25_reads_each_terms_best_postings_and_scores_what_it_finds_exactly(stores, monkeypatch, search_filter):
    """Read only 3 postings a term (by impact): the passages found keep their exact BM25 score, every term counted."""
    _, database = stores
    exact = open_current(database.dsn, exact=True)
    monkeypatch.setattr(version_module, "POSTINGS_DEPTH", 3)
    try:
        checked = 0
        for question in QUESTIONS:
            terms = query_terms(question)
            found = database.search_words(terms, 3, Selection.of(search_filter))
            every = exact.search_words(terms, 1000, Selection.of(search_filter))
            scores = dict(zip(every.rows.tolist(), every.scores.tolist()))
            assert bool(len(found.rows)) == bool(scores)  # a passage to find is found
            assert set(found.rows.tolist()) <= set(scores)
            assert np.allclose(found.scores, [scores[row] for row in found.rows.tolist()], rtol=1e-4)
            checked += len(found.rows)
        assert checked
    finally:
        exact.close()


@pytest.mark.parametrize("search_filter", [None, SearchFilter(speakers=("khan",))])
def test_renderings_are_the_same_and_searched_alike(stores, embedder, search_filter):
    folder, database = stores
    assert database.rendering_languages() == folder.rendering_languages()
    document = folder.documents[0]["id"]
    mine, expected = database.document_renderings(document), folder.document_renderings(document)
    order = np.lexsort((expected.rows, np.array(expected.languages)))
    assert mine.rows.tolist() == expected.rows[order].tolist() and mine.texts == [expected.texts[i] for i in order]
    assert np.allclose(mine.vectors, expected.vectors[order], atol=1e-6)
    for language in folder.rendering_languages():
        for question in ["Who spoke about the protection of children at borders?", "datos sobre la migración"]:
            query = embedder.embed_query(question)
            for k in (1, 5, 20):
                wanted = folder.search_renderings(query, language, k, Selection.of(search_filter))
                found = database.search_renderings(query, language, k, Selection.of(search_filter))
                assert found.rows.tolist() == wanted.rows.tolist()
                assert np.allclose(found.scores, wanted.scores, atol=1e-5)
            terms = query_terms(question)
            wanted = folder.search_rendering_words(terms, language, 50, Selection.of(search_filter))
            found = database.search_rendering_words(terms, language, 50, Selection.of(search_filter))
            assert len(found.rows) == len(wanted.rows)
            assert np.allclose(found.scores, wanted.scores, rtol=1e-4)


def test_the_eval_on_postgresql_is_within_002_of_the_folder(stores, embedder):  # measured: every figure equal
    folder, database = stores
    questions = {"seed": load_questions()}
    on_folder = summarise(score_sets(SearchEngine(embedder, folder), questions)["seed"])
    on_database = summarise(score_sets(SearchEngine(embedder, database), questions)["seed"])
    for metric, value in on_folder.items():
        if metric.startswith(("latency", "chars")) or value is None:
            continue
        assert abs(on_database[metric] - value) <= 0.02, (metric, on_database[metric], value)


@pytest.mark.skipif(library.library_dir() is None, reason=library.missing_library_message())
def test_the_library_eval_on_postgresql_is_within_002_of_the_folder(postgres_dsn, embedder, capsys):
    """`citeqa eval --library-store DSN`'s library part, against the same sets scored on the folder."""
    import argparse
    from types import SimpleNamespace

    from eval.cli import _library_sets
    from eval.runner import QUESTIONS_FILE

    index_dir = library.ensure_library_index(embedder, show_progress=False)
    copy_from_folder(postgres_dsn, index_dir)  # the same rows: the eval's check finds the database up to date
    on_database = _library_sets(argparse.Namespace(questions=QUESTIONS_FILE, library_store=postgres_dsn),
                                SimpleNamespace(embedder=embedder))
    printed = capsys.readouterr()
    assert "PostgreSQL)" in printed.out and "Index version" not in printed.err  # scored there, nothing rebuilt
    sets = library.library_question_sets()
    on_folder = score_sets(SearchEngine(embedder, load_version(index_dir)), sets)
    assert set(on_database) == set(sets)
    for name in sets:
        expected, found = summarise(on_folder[name]), summarise(on_database[name])
        for metric, value in expected.items():
            if metric.startswith(("latency", "chars")) or value is None:
                continue
            assert abs(found[metric] - value) <= 0.02, (name, metric, found[metric], value)


def test_exact_search_scans_every_row_and_agrees_with_the_folder(stores, embedder):
    folder, database = stores
    exact = open_current(database.dsn, exact=True)
    try:
        assert exact.describe()["search"]["chunks"]["kind"] == "exact"
        question = embedder.embed_query("Qui a parlé de la protection des enfants ?")
        for search in ("search_chunks", "search_sentences"):
            found, expected = getattr(exact, search)(question, 10, None), getattr(folder, search)(question, 10, None)
            assert found.rows.tolist() == expected.rows.tolist()
            assert np.allclose(found.scores, expected.scores, atol=1e-5)
    finally:
        exact.close()


def test_a_search_the_index_answers_short_is_searched_again_exactly(postgres_server, settings, built_index, embedder,
                                                                    monkeypatch):
    """An HNSW scan that stops before it has k rows (here: its iterative scan allowed one tuple, as a selective
    filter exhausts hnsw.max_scan_tuples, or a graph cut into islands runs out of nodes) is searched again exactly;
    a selection of at most FILTERED_EXACT_LIMIT passages is searched exactly from the start."""
    import uuid

    import psycopg

    name = f"short_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
        connection.execute(f"ALTER DATABASE {name} SET enable_seqscan = off")  # the index, even for a small table
        connection.execute(f"ALTER DATABASE {name} SET hnsw.max_scan_tuples = 1")
    dsn = postgres_server.dsn.rsplit("/", 1)[0] + f"/{name}"
    copy_from_folder(dsn, settings.index_dir)
    database, exact = open_current(dsn), open_current(dsn, exact=True)
    try:
        question = embedder.embed_query("capacity development of border management")
        unicef = Selection(SearchFilter(speakers=("unicef",)))
        expected = exact.search_chunks(question, 5, unicef)
        assert 0 < len(expected.rows) < 5  # the few passages where UNICEF speaks
        found = database.search_chunks(question, 5, unicef)  # at most 5,000 passages kept: exact from the start
        assert found.rows.tolist() == expected.rows.tolist() and database.short_searches == 0
        monkeypatch.setattr(version_module, "FILTERED_EXACT_LIMIT", 0)  # every filter through the index
        found = database.search_chunks(question, 5, unicef)
        assert database.short_searches == 1  # the index's scan stopped short ...
        assert found.rows.tolist() == expected.rows.tolist()  # ... and the exact search found every passage
        assert database.describe()["search"]["short_searches"] == 1
    finally:
        database.close()
        exact.close()


# --- the speaker filter, the same on both stores (issue 22, M3) ----------------------------------------------
#: Speakers whose names hold the characters SQL's LIKE reads as wildcards, accents and an organisation with "%".
SPEAKING = {"a": [{"name": "Émilie du Châtelet", "role": "", "organisation": "OIM"}],
            "b": [{"name": "agent_007", "role": "", "organisation": "100% Migrants"}], "c": [],
            "d": [{"name": "Alan Turing", "role": "", "organisation": ""}]}


def speaking_folder(small_versions):
    """A folder version of the four small documents (two passages each: rows 0-7) with :data:`SPEAKING`."""
    from index_build.store.folder.writer import FolderWriter
    from index_build.store.folder.versions import writer_lock
    from index_build.vocabulary import Vocabulary

    index_dir = small_versions.index_dir
    with writer_lock(index_dir):
        writer = FolderWriter(index_dir, None)
        for document_id in "abcd":
            made = small_versions.part(document_id)
            for chunk in made.chunks:
                chunk.speakers = SPEAKING[document_id]
            writer.add(made)
        writer.commit({"model": {"name": "m", "fingerprint": "f", "dimension": 8}}, Vocabulary.empty(8))
    return load_version(index_dir)


@pytest.mark.parametrize("speakers, documents, expected", [
    (("_",), (), [2, 3]),  # a letter like any other, not "any character" (the folder's LIKE kept rows 0-7)
    (("%",), (), [2, 3]),  # not "anything"
    (("%migr",), (), []),  # "100% Migrants" holds "% migr", not "%migr"
    (("100%",), (), [2, 3]),
    (("Émilie",), (), [0, 1]), (("emilie",), (), [0, 1]), (("CHÂTELET",), (), [0, 1]), (("chatelet",), (), [0, 1]),
    (("nobody", "TURING"), (), [6, 7]),
    (("_", "émilie"), ("a", "b"), [0, 1, 2, 3]), (("_",), ("a",), []),
])
def test_a_speaker_filter_keeps_the_same_passages_on_both_stores(small_versions, postgres_dsn, speakers, documents,
                                                                 expected):
    folder = speaking_folder(small_versions)
    copy_from_folder(postgres_dsn, small_versions.index_dir)
    database = open_current(postgres_dsn)
    try:
        search_filter = SearchFilter(documents=documents, speakers=speakers)
        kept_by_folder, kept_by_database = Selection.of(search_filter), Selection.of(search_filter)
        assert folder.selected_rows(kept_by_folder).tolist() == expected
        assert database.selected_rows(kept_by_database).tolist() == expected
        assert folder.count_selected(kept_by_folder) == database.count_selected(kept_by_database) == len(expected)
        query = np.ones(8, dtype=np.float32) / np.sqrt(8)
        found, wanted = database.search_chunks(query, 8, kept_by_database), folder.search_chunks(query, 8, kept_by_folder)
        assert found.rows.tolist() == wanted.rows.tolist() and np.allclose(found.scores, wanted.scores, atol=1e-6)
    finally:
        database.close()
