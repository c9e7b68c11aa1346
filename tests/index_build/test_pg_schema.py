"""The PostgreSQL schema: migrations applied once, in order, refused on a mismatch, on a real server."""

import psycopg
import pytest

from eval.live_server import free_port
from index_build.pg_schema import SCHEMA_VERSION, DatabaseProblem, connect, migrate, require_schema, schema_version


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
    assert "(term) INCLUDE (document_key, ordinal, tf, term_count)" in indexes["citeqa_postings_by_term"]


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


def test_bm25_reads_the_postings_of_a_term_from_its_index(postgres_dsn):
    migrate(postgres_dsn, 384)
    with psycopg.connect(postgres_dsn) as connection:
        connection.execute("SET enable_seqscan = off")  # the table is empty: without this, a scan is cheaper
        plan = "\n".join(row[0] for row in connection.execute(
            "EXPLAIN SELECT document_key, ordinal, tf, term_count FROM citeqa_postings WHERE term = 'enfant'").fetchall())
    assert "citeqa_postings_by_term" in plan  # index-only once vacuumed (a first load is)


def test_migration_2_keeps_the_words_and_counts_of_a_schema_1_database(postgres_dsn, monkeypatch):
    from index_build import pg_schema

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
    assert migrate(postgres_dsn, 3) == [2]
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
