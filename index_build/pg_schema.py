"""The PostgreSQL store's schema (pgvector), its migrations, and the connection that names what went wrong.

Rows are written once and shared by versions, as the folder store's segments are: a document's text, chunks
(vector, page, span, speakers; its index terms as postings) and sentence vectors are keyed by ``document_key`` (its id and content hash), and a version is a list of document keys with the
first row of each. Every table that Citus would distribute (documents, chunks, sentences) has
``document_key`` in its primary key (``index_build/sql/distributed.sql``); the version tables are small reference tables.

Migrations are numbered SQL scripts applied in order, each in its own transaction, under an advisory lock
(one migrator at a time across machines); ``citeqa_schema`` records the versions applied.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np


WRITER_LOCK = 0x63697465  # the advisory lock a migration or a writer's commit holds ("cite")
BUILD_LOCK = 0x63697462  # the advisory lock a build holds from start to commit ("citb": another key than the
# commit's, so that a build's own commit never waits on it)
CONNECT_TIMEOUT_S = 5

#: The indexes a first load drops and builds once after its rows (:class:`~index_build.pg_writer.PostgresWriter`):
#: the HNSW indexes of the passage and sentence vectors (pgvector's defaults: m 16, ef_construction 64) and the
#: postings and per-document term counts by term (schema 2), read index-only by BM25.
BULK_INDEXES = """
CREATE INDEX citeqa_chunks_embedding ON citeqa_chunks USING hnsw (embedding vector_ip_ops);
CREATE INDEX citeqa_sentences_embedding ON citeqa_sentences USING hnsw (embedding vector_ip_ops);
CREATE INDEX citeqa_postings_by_term ON citeqa_postings (term) INCLUDE (document_key, ordinal, tf, term_count);
CREATE INDEX citeqa_document_terms_by_term ON citeqa_document_terms (term) INCLUDE (document_key, passages);
"""
BULK_INDEX_NAMES = ("citeqa_chunks_embedding", "citeqa_sentences_embedding", "citeqa_postings_by_term",
                    "citeqa_document_terms_by_term")
# Each entry: the schema version it makes and its SQL; {dimension} is the model's vector length.
MIGRATIONS: list[tuple[int, str]] = [
    (1, """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE citeqa_settings (
    name text PRIMARY KEY,
    value jsonb NOT NULL
);
CREATE TABLE citeqa_versions (
    id text PRIMARY KEY,
    manifest jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    replaced_at timestamptz
);
CREATE TABLE citeqa_current (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version_id text NOT NULL REFERENCES citeqa_versions (id),
    switched_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE citeqa_documents (
    document_key text PRIMARY KEY,
    document_id text NOT NULL,
    entry jsonb NOT NULL,
    language text NOT NULL,
    year integer,
    publisher text NOT NULL DEFAULT '',
    text text NOT NULL
);
CREATE TABLE citeqa_version_documents (
    version_id text NOT NULL REFERENCES citeqa_versions (id) ON DELETE CASCADE,
    position integer NOT NULL,
    document_key text NOT NULL,
    first_row bigint NOT NULL,
    first_sentence bigint NOT NULL,
    entry jsonb NOT NULL,
    PRIMARY KEY (version_id, position)
);
CREATE TABLE citeqa_chunks (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    ordinal integer NOT NULL,
    page integer NOT NULL,
    start_char integer NOT NULL,
    end_char integer NOT NULL,
    language text NOT NULL,
    text text NOT NULL,
    speakers jsonb NOT NULL,
    sentences jsonb NOT NULL,
    embedding vector({dimension}) NOT NULL,
    frequencies jsonb NOT NULL,
    term_count integer NOT NULL,
    PRIMARY KEY (document_key, ordinal)
);
CREATE TABLE citeqa_sentences (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    ordinal integer NOT NULL,
    chunk_ordinal integer NOT NULL,
    embedding vector({dimension}) NOT NULL,
    PRIMARY KEY (document_key, ordinal)
);
CREATE TABLE citeqa_document_terms (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    term text NOT NULL,
    passages integer NOT NULL,
    PRIMARY KEY (document_key, term)
);
CREATE TABLE citeqa_vocabulary (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    word text NOT NULL,
    language text NOT NULL,
    embedding vector({dimension}) NOT NULL,
    PRIMARY KEY (document_key, language, word)
);
CREATE INDEX citeqa_chunks_embedding ON citeqa_chunks USING hnsw (embedding vector_ip_ops);
CREATE INDEX citeqa_sentences_embedding ON citeqa_sentences USING hnsw (embedding vector_ip_ops);
CREATE INDEX citeqa_chunks_terms ON citeqa_chunks USING gin (frequencies);
CREATE INDEX citeqa_documents_by_id ON citeqa_documents (document_id);
"""),
    # Word vectors once per model and word (a library of replicas or of one language repeats most words), each
    # document's words as small rows; a document's counts stored when written, so that opening a version of a
    # million chunks reads one row a document instead of counting its chunks; the passages' term frequencies as
    # postings (one narrow row a term and passage, read index-only by term) instead of a jsonb per passage, whose
    # rows BM25 had to fetch and parse (716 ms a search at 100k chunks); term counts by term, for the document
    # frequencies of a question's terms (by document first, they took 90 ms at 100k chunks); a version's documents
    # by key, so that a search keeps a version's rows by joining it instead of receiving its keys (8 ms a query at
    # 100k chunks to send and read 650 keys).
    (2, """
CREATE TABLE citeqa_words (
    model text NOT NULL,
    language text NOT NULL,
    word text NOT NULL,
    embedding vector({dimension}) NOT NULL,
    PRIMARY KEY (model, language, word)
);
CREATE TABLE citeqa_document_words (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    language text NOT NULL,
    word text NOT NULL,
    PRIMARY KEY (document_key, language, word)
);
CREATE INDEX citeqa_document_words_by_word ON citeqa_document_words (language, word, document_key);
INSERT INTO citeqa_words
    SELECT DISTINCT ON (language, word) coalesce(v.manifest #>> '{{model,fingerprint}}', ''), w.language, w.word,
           w.embedding
    FROM citeqa_vocabulary w CROSS JOIN LATERAL (SELECT manifest FROM citeqa_versions ORDER BY created_at DESC
                                                 LIMIT 1) v
    ORDER BY language, word;
INSERT INTO citeqa_document_words SELECT document_key, language, word FROM citeqa_vocabulary;
DROP TABLE citeqa_vocabulary;
ALTER TABLE citeqa_documents ADD COLUMN chunks integer, ADD COLUMN sentences integer, ADD COLUMN term_total bigint;
UPDATE citeqa_documents d SET
    chunks = (SELECT count(*) FROM citeqa_chunks c WHERE c.document_key = d.document_key),
    sentences = (SELECT count(*) FROM citeqa_sentences s WHERE s.document_key = d.document_key),
    term_total = (SELECT coalesce(sum(term_count), 0) FROM citeqa_chunks c WHERE c.document_key = d.document_key);
ALTER TABLE citeqa_documents ALTER COLUMN chunks SET NOT NULL, ALTER COLUMN sentences SET NOT NULL,
    ALTER COLUMN term_total SET NOT NULL;
CREATE TABLE citeqa_postings (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    ordinal integer NOT NULL,
    term text NOT NULL,
    tf integer NOT NULL,
    term_count integer NOT NULL,
    PRIMARY KEY (document_key, ordinal, term)
);
INSERT INTO citeqa_postings
    SELECT c.document_key, c.ordinal, f.key, f.value::integer, c.term_count
    FROM citeqa_chunks c CROSS JOIN LATERAL jsonb_each_text(c.frequencies) f;
DROP INDEX citeqa_chunks_terms;
ALTER TABLE citeqa_chunks DROP COLUMN frequencies;
CREATE INDEX citeqa_postings_by_term ON citeqa_postings (term) INCLUDE (document_key, ordinal, tf, term_count);
CREATE INDEX citeqa_document_terms_by_term ON citeqa_document_terms (term) INCLUDE (document_key, passages);
CREATE UNIQUE INDEX citeqa_version_documents_by_key ON citeqa_version_documents (version_id, document_key)
    INCLUDE (position);
"""),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class DatabaseProblem(RuntimeError):
    """The database cannot be reached or is not in the state asked for; the message says what to do."""


@contextlib.contextmanager
def connect(dsn: str) -> Iterator:
    """A psycopg connection, or a :class:`DatabaseProblem` that names the server and what failed."""
    import psycopg

    try:
        connection = psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as error:
        raise DatabaseProblem(f"cannot connect to PostgreSQL at {without_password(dsn)}: "
                              f"{str(error).strip().splitlines()[0]}") from None
    with connection:
        yield connection


def schema_version(connection) -> int:
    """The last migration applied (0 for a database citeqa never touched)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('citeqa_schema') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT coalesce(max(version), 0) FROM citeqa_schema")
        return int(cursor.fetchone()[0])


def migrate(dsn: str, dimension: int) -> list[int]:
    """Apply the migrations the database lacks, in order (vectors of ``dimension``); returns those applied.
    A database whose schema is newer than this citeqa is refused."""
    applied = []
    with connect(dsn) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
            try:
                cursor.execute("CREATE TABLE IF NOT EXISTS citeqa_schema (version integer PRIMARY KEY, "
                               "applied_at timestamptz NOT NULL DEFAULT now())")
                current = schema_version(connection)
                if current > SCHEMA_VERSION:
                    raise DatabaseProblem(f"the database's citeqa schema is version {current}, newer than this "
                                          f"citeqa's {SCHEMA_VERSION}: upgrade citeqa")
                if current:
                    stored = stored_dimension(connection)
                    if stored != dimension:
                        raise DatabaseProblem(f"the database holds {stored}-d vectors, the model makes {dimension}-d "
                                              "ones: use another database for this model")
                for version, script in MIGRATIONS:
                    if version <= current:
                        continue
                    with connection.transaction():
                        cursor.execute(script.format(dimension=int(dimension)))
                        if version == 1:
                            cursor.execute("INSERT INTO citeqa_settings VALUES ('dimension', %s)", (str(dimension),))
                        cursor.execute("INSERT INTO citeqa_schema (version) VALUES (%s)", (version,))
                    applied.append(version)
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))
    return applied


def stored_dimension(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM citeqa_settings WHERE name = 'dimension'")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def require_schema(connection) -> None:
    """Refuse a database whose schema is not this citeqa's, saying what to run."""
    found = schema_version(connection)
    if found != SCHEMA_VERSION:
        fix = "run `citeqa db migrate`" if found < SCHEMA_VERSION else "upgrade citeqa"
        raise DatabaseProblem(f"the database's citeqa schema is version {found}, this citeqa needs {SCHEMA_VERSION}: "
                              f"{fix}")


def vector_text(vector) -> str:
    """A vector as pgvector's text input ('[0.1,0.2,...]'), each float in its shortest exact form."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"  # tolist: Python floats at
    # once (far faster than numpy scalars one by one)


def without_password(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # an unparseable string is shown as little as possible
        return "the CITEQA_STORE address"
    parts.pop("password", None)
    return make_conninfo(**parts)
