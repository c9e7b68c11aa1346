"""The PostgreSQL store's schema (pgvector), its migrations, and the connection that names what went wrong.

Rows are written once and shared by versions, as the folder store's segments are: a document's text, chunks
(vector, page, span, speakers; its index terms as postings) and sentence vectors are keyed by ``document_key`` (its id and content hash), and a version is a list of document keys with the
first row of each. Every table that Citus would distribute (documents, chunks, sentences) has
``document_key`` in its primary key (``index_build/store/postgres/sql/distributed.sql``); the version tables are small reference tables.

Migrations are numbered SQL scripts applied in order, each in its own transaction, under an advisory lock
(one migrator at a time across machines); ``citeqa_schema`` records the versions applied.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Iterator

import numpy as np

from index_build.chunk_table import folded_speakers
from index_build.store.base import DatabaseProblem

WRITER_LOCK = 0x63697465  # the advisory lock a migration or a writer's commit holds ("cite")
BUILD_LOCK = 0x63697462  # the advisory lock a build holds from start to commit ("citb": another key than the
# commit's, so that a build's own commit never waits on it)
CONNECT_TIMEOUT_S = 5  # an address that does not answer is given up after this long
#: Every connection's limits, set at connect (:func:`connection_options`): a statement that runs longer is cancelled,
#: a wait for a table or row lock longer is given up, and a network that stops answering is noticed by TCP (keepalives
#: and the user timeout) instead of hanging a thread. The control path (the current version, the catalog, opening a
#: version: its vocabulary of a million-chunk library takes seconds) has 60 s; searches have their own (:mod:`.pool`),
#: writers and migrations :data:`BULK_STATEMENT_TIMEOUT_MS`.
STATEMENT_TIMEOUT_MS = 60_000
LOCK_TIMEOUT_MS = 30_000
BULK_STATEMENT_TIMEOUT_MS = 6 * 3600 * 1000  # a commit's or a migration's statement: a first load of a million rows
# builds its HNSW indexes in one statement (tens of minutes on two cores)
TCP_USER_TIMEOUT_MS = 30_000  # data sent but not acknowledged this long: the connection is broken
WRITER_LOCK_WAIT_SECONDS = 60.0  # how long a migration or a commit waits for another one's WRITER_LOCK
LOCK_RETRY_SECONDS = 0.5  # between two tries of an advisory lock

#: A posting's BM25 weight in a passage of 60 index terms (k1 1.5, b 0.75): the order in which a search reads a
#: term's postings, best first, as deep as it needs (schema 6). Only the order: scores use the version's own
#: average length, computed on the passages read.
POSTING_IMPACT = "(tf::real / (tf + 1.5 * (0.25 + 0.75 * term_count / 60.0)))"

#: The HNSW graphs' links (schema 7): each vector keeps 2·m = 96 neighbours in the graph's bottom layer. A group of
#: passages that are nearly the same (the synthetic library's 67 replicas of each passage; a library's boilerplate
#: repeated in every report of a series) fills a smaller neighbour list with itself, and pgvector's default m 16 (32
#: neighbours) cut the graph into islands a search never leaves: recall@10 0.15 at 100k whatever ef_search, 0.997 at
#: m 48 (docs/postgresql.md). ef_construction must be at least 2·m.
HNSW_OPTIONS = "WITH (m = 48, ef_construction = 128)"

#: The indexes a first load drops and builds once after its rows (:class:`~index_build.store.postgres.writer.PostgresWriter`):
#: the HNSW indexes of the passage, sentence and rendering vectors (:data:`HNSW_OPTIONS`), the postings by term and
#: impact (schema 6; renderings' too) and the per-document term counts by term (schema 2).
BULK_INDEXES = f"""
CREATE INDEX citeqa_chunks_embedding ON citeqa_chunks USING hnsw (embedding vector_ip_ops) {HNSW_OPTIONS};
CREATE INDEX citeqa_sentences_embedding ON citeqa_sentences USING hnsw (embedding vector_ip_ops) {HNSW_OPTIONS};
CREATE INDEX citeqa_postings_by_impact ON citeqa_postings (term, {POSTING_IMPACT} DESC)
    INCLUDE (document_key, ordinal, tf, term_count);
CREATE INDEX citeqa_document_terms_by_term ON citeqa_document_terms (term) INCLUDE (document_key, passages);
CREATE INDEX citeqa_renderings_embedding ON citeqa_renderings USING hnsw (embedding vector_ip_ops) {HNSW_OPTIONS};
CREATE INDEX citeqa_rendering_postings_by_impact ON citeqa_rendering_postings (language, term, {POSTING_IMPACT} DESC)
    INCLUDE (document_key, ordinal, tf, term_count);
"""
BULK_INDEX_NAMES = ("citeqa_chunks_embedding", "citeqa_sentences_embedding", "citeqa_postings_by_impact",
                    "citeqa_document_terms_by_term", "citeqa_renderings_embedding", "citeqa_rendering_postings_by_impact")
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
    # A speaker filter in SQL: each chunk's speaker names and organisations folded once when written
    # (index_build.text.fold_accents, which SQL does not have: the rows a database holds already are folded by
    # :func:`fold_existing_speakers` in the same transaction), as the folder's chunk table holds them. A filter
    # used to read every chunk with speakers and fold them in Python at each request (8.4 s with 100 names at
    # 10k chunks).
    (3, """
CREATE TABLE citeqa_chunk_speakers (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    ordinal integer NOT NULL,
    folded text NOT NULL,
    PRIMARY KEY (document_key, ordinal, folded)
);
CREATE INDEX citeqa_chunk_speakers_by_value ON citeqa_chunk_speakers (folded) INCLUDE (document_key, ordinal);
"""),
    # Renderings (index_build.passage_translation): each passage machine-translated into the other languages when
    # indexed, embedded and analysed as a passage of that language. A database built before has none: its
    # documents are rendered when they are next built (the build's pipeline names the translator's routes).
    (4, """
CREATE TABLE citeqa_renderings (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    language text NOT NULL,
    ordinal integer NOT NULL,
    text text NOT NULL,
    embedding vector({dimension}) NOT NULL,
    term_count integer NOT NULL,
    PRIMARY KEY (document_key, language, ordinal)
);
CREATE INDEX citeqa_renderings_embedding ON citeqa_renderings USING hnsw (embedding vector_ip_ops);
CREATE TABLE citeqa_rendering_postings (
    document_key text NOT NULL REFERENCES citeqa_documents (document_key) ON DELETE CASCADE,
    language text NOT NULL,
    ordinal integer NOT NULL,
    term text NOT NULL,
    tf integer NOT NULL,
    term_count integer NOT NULL,
    PRIMARY KEY (document_key, language, ordinal, term)
);
CREATE INDEX citeqa_rendering_postings_by_term ON citeqa_rendering_postings (language, term)
    INCLUDE (document_key, ordinal, tf, term_count);
"""),
    # The catalog in the database (schema 5): each report file's bytes by sha256, so that any machine that reaches
    # the database can add, replace or remove a report (a version's document entries are the catalog: ids,
    # titles, languages, years, publishers and hashes); and the servers' leases on the versions they serve, which
    # cleanup keeps while a lease lasts.
    (5, """
CREATE TABLE citeqa_report_files (
    sha256 text PRIMARY KEY,
    name text NOT NULL,
    size bigint NOT NULL,
    content bytea NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE citeqa_servers (
    server_id text NOT NULL,
    version_id text NOT NULL,
    host text NOT NULL,
    renewed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, version_id)
);
"""),
    # BM25 without summing whole posting lists (schema 6): each term's postings by impact, so that a search reads
    # the best hundred or so of each and scores those passages exactly (a word of a million passages has hundreds of
    # thousands of postings). The postings by term alone are no longer read.
    (6, f"""
CREATE INDEX citeqa_postings_by_impact ON citeqa_postings (term, {POSTING_IMPACT} DESC)
    INCLUDE (document_key, ordinal, tf, term_count);
DROP INDEX citeqa_postings_by_term;
CREATE INDEX citeqa_rendering_postings_by_impact ON citeqa_rendering_postings (language, term, {POSTING_IMPACT} DESC)
    INCLUDE (document_key, ordinal, tf, term_count);
DROP INDEX citeqa_rendering_postings_by_term;
"""),
    # HNSW graphs that near-identical passages do not cut into islands (schema 7): the vector indexes built again
    # with :data:`HNSW_OPTIONS` (on a large database this migration takes as long as those indexes' first build).
    (7, f"""
SET LOCAL maintenance_work_mem = '1GB';
DROP INDEX citeqa_chunks_embedding;
CREATE INDEX citeqa_chunks_embedding ON citeqa_chunks USING hnsw (embedding vector_ip_ops) {HNSW_OPTIONS};
DROP INDEX citeqa_sentences_embedding;
CREATE INDEX citeqa_sentences_embedding ON citeqa_sentences USING hnsw (embedding vector_ip_ops) {HNSW_OPTIONS};
DROP INDEX citeqa_renderings_embedding;
CREATE INDEX citeqa_renderings_embedding ON citeqa_renderings USING hnsw (embedding vector_ip_ops) {HNSW_OPTIONS};
"""),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def connection_options(dsn: str, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
                       lock_timeout_ms: int = LOCK_TIMEOUT_MS, application_name: str = "citeqa") -> dict:
    """The keyword arguments of every citeqa connection to ``dsn``: its connect timeout, TCP keepalives and user
    timeout, and ``statement_timeout`` and ``lock_timeout`` through ``options`` (after any the address gives,
    which ours override); ``application_name`` unless the address names one (``pg_stat_activity`` shows it)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        given = conninfo_to_dict(dsn)
    except Exception:  # refused by psycopg.connect itself, which says why (:func:`connect`)
        given = {}
    options = f"-c statement_timeout={int(statement_timeout_ms)} -c lock_timeout={int(lock_timeout_ms)}"
    found = {"connect_timeout": CONNECT_TIMEOUT_S, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
             "keepalives_count": 3, "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
             "options": f"{given['options']} {options}" if given.get("options") else options}
    if not given.get("application_name"):
        found["application_name"] = application_name
    return found


@contextlib.contextmanager
def connect(dsn: str, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS, lock_timeout_ms: int = LOCK_TIMEOUT_MS,
            application_name: str = "citeqa") -> Iterator:
    """A psycopg connection with :func:`connection_options`' limits, or a :class:`DatabaseProblem` that names the
    server and what failed."""
    import psycopg

    try:
        connection = psycopg.connect(dsn, **connection_options(dsn, statement_timeout_ms, lock_timeout_ms,
                                                               application_name))
    except psycopg.OperationalError as error:
        raise DatabaseProblem(f"cannot connect to PostgreSQL at {without_password(dsn)}: "
                              f"{str(error).strip().splitlines()[0]}") from None
    except psycopg.ProgrammingError as error:  # libpq cannot parse the address: its message quotes any part of it
        reason = re.sub(r'"[^"]*"', '"…"', str(error).strip().splitlines()[0])  # a password's, too: not shown
        raise DatabaseProblem(f"the PostgreSQL address {without_password(dsn)} is not a libpq connection string "
                              f"or URI ({reason})") from None
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


def try_advisory_lock(cursor, key: int, seconds: float, transaction: bool = False) -> bool:
    """Take the advisory lock ``key`` (a session's, or with ``transaction`` the transaction's), trying again until
    ``seconds`` have passed; False when another session held it all along."""
    function = "pg_try_advisory_xact_lock" if transaction else "pg_try_advisory_lock"
    deadline = time.monotonic() + seconds
    while True:
        cursor.execute(f"SELECT {function}(%s)", (key,))
        if cursor.fetchone()[0]:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(LOCK_RETRY_SECONDS, left))


def lock_holder(cursor, key: int) -> tuple[int, str] | None:
    """Who holds the advisory lock ``key``, for a message: its backend's pid and a description (application,
    client, since when); None when nobody does now, or it cannot be seen."""
    try:
        cursor.execute("SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'a local socket'), "
                       "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM pg_locks l "
                       "JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND "
                       "l.classid = %s AND l.objid = %s AND l.objsubid = 1 LIMIT 1", (key >> 32, key & 0xFFFFFFFF))
        found = cursor.fetchone()
    except Exception:  # the message is clear without it
        return None
    if found is None:
        return None
    pid, application, client, started = found
    return pid, (f"PostgreSQL session {pid} ({application or 'no application name'}, from {client}, connected "
                 f"{started} UTC)")


def held_by(cursor, key: int) -> str:
    """A sentence naming who holds the advisory lock ``key`` and how to free it when it is stuck ("" when unknown)."""
    holder = lock_holder(cursor, key)
    if holder is None:
        return ""
    pid, described = holder
    return (f" The lock is held by {described}; if no citeqa process is working through that session any more, "
            f"`SELECT pg_terminate_backend({pid})` releases it.")


def migrate(dsn: str, dimension: int) -> list[int]:
    """Apply the migrations the database lacks, in order (vectors of ``dimension``); returns those applied.
    A database whose schema is newer than this citeqa is refused. A database up to date is only read (no lock);
    otherwise the migrations wait at most :data:`WRITER_LOCK_WAIT_SECONDS` for another migration or commit."""
    applied = []
    with connect(dsn, statement_timeout_ms=BULK_STATEMENT_TIMEOUT_MS) as connection:
        connection.autocommit = True
        if schema_version(connection) == SCHEMA_VERSION and stored_dimension(connection) == dimension:
            return applied  # every commit and copy calls this first: no need to wait on a writer's lock
        with connection.cursor() as cursor:
            if not try_advisory_lock(cursor, WRITER_LOCK, WRITER_LOCK_WAIT_SECONDS):
                raise DatabaseProblem(f"another citeqa process has been migrating or writing a version into the "
                                      f"database for over {WRITER_LOCK_WAIT_SECONDS:.0f} s: try again when it is "
                                      f"done.{held_by(cursor, WRITER_LOCK)}")
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
                        if version == 3:
                            fold_existing_speakers(cursor)
                        cursor.execute("INSERT INTO citeqa_schema (version) VALUES (%s)", (version,))
                    applied.append(version)
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))
    return applied


def fold_existing_speakers(cursor) -> int:
    """Migration 3's rows: the folded speaker values of every chunk the database holds (as the writer folds
    them); returns how many were written."""
    written = 0
    with cursor.connection.cursor(name="citeqa_speakers_to_fold") as chunks:  # server-side: read in batches
        chunks.execute("SELECT document_key, ordinal, speakers FROM citeqa_chunks WHERE speakers <> '[]'::jsonb")
        while batch := chunks.fetchmany(10_000):
            with cursor.copy("COPY citeqa_chunk_speakers (document_key, ordinal, folded) FROM STDIN") as copy:
                for key, ordinal, speakers in batch:
                    for value in folded_speakers(speakers):
                        copy.write_row((key, ordinal, value))
                        written += 1
    return written


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


#: Connection parameters whose values are secrets: libpq's ``password`` and ``sslpassword``, and any other whose
#: name says it is one (a mistyped address may carry one under any name).
SECRET_PARAMETER = re.compile(r"pass|pasw|pwd|secret|token", re.IGNORECASE)
MASK = "***"


def without_password(dsn: str) -> str:
    """``dsn`` as it may be shown: every secret masked (a URI's password, ``password``, ``sslpassword``, any
    parameter named like one), also in an address libpq refuses (``postgresql+psycopg://…``, bad quoting)."""
    scheme, separator, rest = dsn.partition("://")
    if separator:  # a URI, as written (whatever its scheme): masked as text, never parsed by libpq
        return scheme + separator + _masked_uri(rest)
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # a key=value string libpq cannot parse: where a secret ends is unknown, nothing is shown
        return "(not shown)"
    return make_conninfo(**{name: MASK if SECRET_PARAMETER.search(name) else value for name, value in parts.items()})


def _masked_uri(rest: str) -> str:
    """What follows ``scheme://``, its password and secret query parameters masked. The user information runs to
    the last ``@`` (a mistyped password may hold ``/``, ``?`` or ``#`` unescaped): more is masked, never less."""
    at = rest.rfind("@")
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        rest = user + (colon and colon + MASK) + rest[at:]
    base, question, query = rest.partition("?")
    parameters = (parameter.partition("=") for parameter in query.split("&")) if question else ()
    return base + question + "&".join(name + equals + (MASK if equals and SECRET_PARAMETER.search(name) else value)
                                      for name, equals, value in parameters)
