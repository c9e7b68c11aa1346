"""The PostgreSQL schema: migrations applied once, in order, refused on a mismatch, on a real server."""

import json

import psycopg
import pytest

from eval.live_server import free_port
from index_build.store.postgres.schema import (POSTING_IMPACT, SCHEMA_VERSION, DatabaseProblem, connect, migrate, require_schema, schema_version,
                                   without_password)


def test_migrations_apply_once_and_record_the_schema(postgres_dsn):
    assert migrate(postgres_dsn, 384) == list(range(1, SCHEMA_VERSION + 1))
    assert migrate(postgres_dsn, 384) == []  # up to date: nothing again
    with connect(postgres_dsn) as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        require_schema(connection)
        extension = connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        assert extension is not None
        indexes = {row[0]: row[1] for row in connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'citeqa_%'")}
    assert "hnsw" in indexes["citeqa_chunks_embedding"] and "vector_ip_ops" in indexes["citeqa_chunks_embedding"]
    assert "INCLUDE (document_key, ordinal, tf, term_count)" in indexes["citeqa_postings_by_impact"]
    assert "citeqa_postings_by_term" not in indexes  # schema 6 reads postings by impact only
    for table in ("chunks", "sentences", "renderings"):  # schema 7: graphs of 96 links a vector at the bottom layer
        assert "WITH (m='48', ef_construction='128')" in indexes[f"citeqa_{table}_embedding"], indexes[f"citeqa_{table}_embedding"]


def test_a_database_for_other_vectors_or_without_the_schema_is_refused_with_what_to_run(postgres_dsn):
    with connect(postgres_dsn) as connection, pytest.raises(DatabaseProblem, match="run `citeqa db migrate`"):
        require_schema(connection)
    migrate(postgres_dsn, 384)
    with pytest.raises(DatabaseProblem, match="384-d vectors, the model makes 768-d"):
        migrate(postgres_dsn, 768)


def test_an_unreachable_server_is_named_without_its_password():
    dsn = f"postgresql://citeqa:secret@127.0.0.1:{free_port()}/citeqa"
    with pytest.raises(DatabaseProblem, match="cannot connect to PostgreSQL") as refused:
        with connect(dsn):
            pass
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize("dsn, shown", [
    ("postgresql://citeqa:pw1@db:5432/citeqa?sslmode=require&sslpassword=pw2",
     "postgresql://citeqa:***@db:5432/citeqa?sslmode=require&sslpassword=***"),
    ("host=db user=citeqa password=pw1 sslpassword=pw2", "user=citeqa password=*** host=db sslpassword=***"),
    ("postgresql+psycopg://citeqa:pw1@db/citeqa?my_pass=pw2", "postgresql+psycopg://citeqa:***@db/citeqa?my_pass=***"),
    ("postgresql://citeqa:pw1/pw2@db/citeqa", "postgresql://citeqa:***@db/citeqa"),  # a / left unescaped
    ("host=db password=pw1 pw2", "(not shown)"),  # libpq cannot tell where the password ends
])
def test_an_address_is_shown_with_every_password_masked(dsn, shown):
    assert without_password(dsn) == shown


@pytest.mark.parametrize("dsn", ["host=127.0.0.1 password=pw1 pw2", "postgresql://citeqa:pw1 pw2@127.0.0.1/citeqa",
                                 "postgresql://citeqa:pw1@127.0.0.1/citeqa?sslpasword=pw2"])  # a mistyped name
def test_an_address_libpq_cannot_parse_is_refused_without_its_password(dsn):
    with pytest.raises(DatabaseProblem, match="is not a libpq connection string or URI") as refused:
        with connect(dsn):
            pass
    assert "pw1" not in str(refused.value) and "pw2" not in str(refused.value), refused.value


def test_bm25_reads_the_best_postings_of_a_term_from_its_index(postgres_dsn):
    migrate(postgres_dsn, 384)
    with psycopg.connect(postgres_dsn) as connection:
        connection.execute("SET enable_seqscan = off")  # the table is empty: without these, a scan (or a bitmap
        connection.execute("SET enable_bitmapscan = off")  # scan and a sort) is cheaper
        plan = "\n".join(row[0] for row in connection.execute(
            "EXPLAIN SELECT document_key, ordinal FROM citeqa_postings WHERE term = 'enfant' "
            f"ORDER BY {POSTING_IMPACT} DESC LIMIT 300").fetchall())
    assert "citeqa_postings_by_impact" in plan and "Sort" not in plan  # read in order from the index, no sort


def test_migration_2_keeps_the_words_and_counts_of_a_schema_1_database(postgres_dsn, monkeypatch):
    from index_build.store.postgres import schema as pg_schema

    monkeypatch.setattr(pg_schema, "MIGRATIONS", pg_schema.MIGRATIONS[:1])  # this citeqa as it was at schema 1
    monkeypatch.setattr(pg_schema, "SCHEMA_VERSION", 1)
    assert migrate(postgres_dsn, 3) == [1]
    manifest = '{"model": {"name": "m", "fingerprint": "f", "dimension": 3}}'
    with psycopg.connect(postgres_dsn) as connection:
        connection.execute("INSERT INTO citeqa_versions (id, manifest) VALUES ('v1', %s::jsonb)", (manifest,))
        for key in ("a@1", "b@1"):
            connection.execute("INSERT INTO citeqa_documents VALUES (%s, %s, '{}', 'fr', NULL, '', 'Les abeilles.')",
                               (key, key[0]))
            connection.execute("INSERT INTO citeqa_chunks VALUES (%s, 0, 1, 0, 13, 'fr', 'Les abeilles.', '[]', '[]', "
                               "'[1,0,0]', '{\"abeil\": 1}', 1)", (key,))
            connection.execute("INSERT INTO citeqa_vocabulary VALUES (%s, 'abeilles', 'fr', '[0,1,0]')", (key,))
    monkeypatch.undo()
    assert migrate(postgres_dsn, 3) == list(range(2, SCHEMA_VERSION + 1))  # and the later ones
    with psycopg.connect(postgres_dsn) as connection:
        assert connection.execute("SELECT model, language, word, embedding::text FROM citeqa_words").fetchall() == [
            ("f", "fr", "abeilles", "[0,1,0]")]  # once, for the model of the newest version
        assert connection.execute("SELECT document_key FROM citeqa_document_words ORDER BY 1").fetchall() == [
            ("a@1",), ("b@1",)]
        assert connection.execute("SELECT chunks, sentences, term_total FROM citeqa_documents").fetchall() == [
            (1, 0, 1), (1, 0, 1)]
        assert connection.execute("SELECT to_regclass('citeqa_vocabulary')").fetchone()[0] is None
        assert connection.execute("SELECT document_key, ordinal, term, tf, term_count FROM citeqa_postings "
                                  "ORDER BY 1").fetchall() == [("a@1", 0, "abeil", 1, 1), ("b@1", 0, "abeil", 1, 1)]


def test_migration_3_folds_the_speakers_a_schema_2_database_holds(postgres_dsn, monkeypatch):
    """A database written before the speakers were folded when written (issue 22, M3) is refused until
    `citeqa db migrate`, which folds the speakers of the chunks it holds; a speaker filter then runs in SQL."""
    import numpy as np

    from index_build.store.postgres import schema as pg_schema
    from index_build.store.postgres.version import open_current
    from index_build.store.base import Selection, SearchFilter, Selection

    monkeypatch.setattr(pg_schema, "MIGRATIONS", pg_schema.MIGRATIONS[:2])  # this citeqa as it was at schema 2
    monkeypatch.setattr(pg_schema, "SCHEMA_VERSION", 2)
    assert migrate(postgres_dsn, 3) == [1, 2]
    speakers = {"a": [{"name": "Émilie du Châtelet", "role": "", "organisation": "OIM"}],
                "b": [{"name": "agent_007", "role": "", "organisation": "100% Migrants"}]}
    with psycopg.connect(postgres_dsn) as connection:
        connection.execute("INSERT INTO citeqa_versions (id, manifest) VALUES ('v1', %s::jsonb)",
                           ('{"model": {"name": "m", "fingerprint": "f", "dimension": 3}}',))
        for position, key in enumerate(("a@1", "b@1")):
            connection.execute("INSERT INTO citeqa_documents VALUES (%s, %s, %s::jsonb, 'fr', NULL, '', "
                               "'Les abeilles. Les ruches.', 2, 0, 2)", (key, key[0], f'{{"id": "{key[0]}"}}'))
            for ordinal in (0, 1):
                connection.execute("INSERT INTO citeqa_chunks VALUES (%s, %s, 1, 0, 13, 'fr', 'Les abeilles.', "
                                   "%s::jsonb, '[]', '[1,0,0]', 1)", (key, ordinal, json.dumps(speakers[key[0]])))
            connection.execute("INSERT INTO citeqa_version_documents VALUES ('v1', %s, %s, %s, 0, %s::jsonb)",
                               (position, key, 2 * position, f'{{"id": "{key[0]}"}}'))
        connection.execute("INSERT INTO citeqa_current (version_id) VALUES ('v1')")
    monkeypatch.undo()
    with pytest.raises(DatabaseProblem, match="schema is version 2, this citeqa needs .*: run `citeqa db migrate`"):
        open_current(postgres_dsn)
    assert migrate(postgres_dsn, 3) == list(range(3, SCHEMA_VERSION + 1))
    with psycopg.connect(postgres_dsn) as connection:
        folded = connection.execute("SELECT document_key, ordinal, folded FROM citeqa_chunk_speakers").fetchall()
    assert sorted(folded) == [(key, ordinal, value) for key, values in (("a@1", ["emilie du chatelet", "oim"]),
                                                                          ("b@1", ["100% migrants", "agent_007"]))
                              for ordinal in (0, 1) for value in values]
    database = open_current(postgres_dsn)
    try:
        for names, rows in [(("_",), [2, 3]), (("%",), [2, 3]), (("CHÂTELET",), [0, 1]), (("oim", "agent"), [0, 1, 2, 3])]:
            assert database.selected_rows(Selection.of(SearchFilter(speakers=names))).tolist() == rows, names
    finally:
        database.close()
