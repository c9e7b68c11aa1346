"""`citeqa db copy-from`: an index folder's current version in PostgreSQL, exactly, nothing embedded."""

import numpy as np
import psycopg
import pytest

from index_build.store.folder.versions import load_version
from index_build.store.postgres.copy import copy_from_folder
from index_build.store.postgres.writer import document_key
from index_build.lexical import document_terms
from index_build.store.postgres.schema import SCHEMA_VERSION, vector_text
from service.cli import main

pytestmark = pytest.mark.slow


def test_the_current_version_is_copied_row_for_row_and_made_current(postgres_dsn, settings, built_index, embedder):
    version = load_version(settings.index_dir)
    summary = copy_from_folder(postgres_dsn, settings.index_dir)
    chunks = list(version.iter_chunks())
    sentence_rows = sorted({row for chunk in chunks for _, _, row in chunk.sentences})
    assert (summary.version, summary.documents, summary.copied) == (version.version, len(version.documents), 1)
    assert (summary.chunks, summary.sentences) == (version.live_count(), len(sentence_rows))
    with psycopg.connect(postgres_dsn) as connection:
        assert connection.execute("SELECT version_id FROM citeqa_current").fetchone()[0] == version.version
        rows = connection.execute("SELECT ordinal, page, start_char, end_char, text, embedding::text FROM citeqa_chunks "
                                  "ORDER BY ordinal").fetchall()
        assert [(r[1], r[2], r[3], r[4]) for r in rows] == [(c.page, c.start, c.end, c.text) for c in chunks]
        stored = np.array([np.fromstring(r[5].strip("[]"), sep=",") for r in rows], dtype=np.float32)
        assert np.array_equal(stored, version.chunk_vectors([c.id for c in chunks]))  # the vectors, bit for bit
        text = connection.execute("SELECT text FROM citeqa_documents").fetchone()[0]
        assert text == version.document_text(version.documents[0]["id"])
        question = embedder.embed_query("Qui a parlé de la protection des enfants aux frontières ?")
        nearest = connection.execute("SELECT ordinal FROM citeqa_chunks ORDER BY embedding <#> %s::vector LIMIT 3",
                                     (vector_text(question),)).fetchall()
        assert [r[0] for r in nearest] == version.search_chunks(question, 3, None).rows.tolist()
        found = connection.execute("SELECT count(*) FROM citeqa_postings WHERE term = 'enfant'").fetchone()[0]
        assert found == sum("enfant" in document_terms(c.text, "fr") for c in chunks) > 0  # enfant(s), stemmed
        words = connection.execute("SELECT count(*) FROM citeqa_words").fetchone()[0]
        assert words == summary.words and 0 < words <= len(version.vocabulary.entries)
        used = connection.execute("SELECT count(*) FROM citeqa_document_words").fetchone()[0]
        assert used == words  # one document: each word it uses, once


def test_copying_the_same_version_again_writes_no_rows_twice(postgres_dsn, settings, built_index):
    first = copy_from_folder(postgres_dsn, settings.index_dir)
    again = copy_from_folder(postgres_dsn, settings.index_dir)
    assert again.copied == 0 and again.chunks == 0 and again.version == first.version
    with psycopg.connect(postgres_dsn) as connection:
        assert connection.execute("SELECT count(*) FROM citeqa_chunks").fetchone()[0] == first.chunks
        assert connection.execute("SELECT document_key FROM citeqa_version_documents").fetchall() == [
            (document_key(load_version(settings.index_dir).documents[0], load_version(settings.index_dir).manifest),)]


def test_the_command_line_migrates_copies_and_says_what_failed(postgres_dsn, settings, built_index, capsys, tmp_path):
    assert main(["db", "--dsn", postgres_dsn, "migrate"]) == 0
    applied = ", ".join(map(str, range(1, SCHEMA_VERSION + 1)))
    assert f"Schema version {SCHEMA_VERSION}: applied {applied}" in capsys.readouterr().out
    assert main(["db", "--dsn", postgres_dsn, "copy-from", str(settings.index_dir)]) == 0
    assert "made current" in capsys.readouterr().out
    assert main(["db", "--dsn", postgres_dsn, "copy-from", str(tmp_path / "nothing")]) == 2
    assert "citeqa build" in capsys.readouterr().err  # no index there: what to run
