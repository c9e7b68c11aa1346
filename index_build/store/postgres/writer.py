""":class:`PostgresWriter`: a new version of the PostgreSQL store, written as :class:`~index_build.store.base.Writer` asks.

Changes to the current version are gathered (documents added with their rows, documents kept as they are,
documents removed) and written by :meth:`PostgresWriter.commit` in one transaction under the writers'
advisory lock: the rows of documents the database does not hold yet, the new version (its documents in order,
each with its entry and first rows), and the switch of ``citeqa_current`` to it, with the cleanup of versions
replaced long enough ago. A document whose content is in the database already keeps its rows.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index_build.chunk_table import folded_speakers
from index_build.lexical import EMPTY_TERM, document_terms
from index_build.store.postgres.schema import (BULK_INDEX_NAMES, BULK_INDEXES, BULK_STATEMENT_TIMEOUT_MS, WRITER_LOCK,
                                               WRITER_LOCK_WAIT_SECONDS, connect, held_by, migrate, require_schema,
                                               schema_version, try_advisory_lock, vector_text)
from index_build.store.base import DocumentPart, IndexProblem
from index_build.vocabulary import Vocabulary, vocabulary_words

KEEP_VERSIONS = 3  # versions kept whatever their age, as the folder store keeps 3
GRACE_SECONDS = 300  # a replaced version stays this long for servers still answering from it
LEASE_SECONDS = 60  # a version a server serves (citeqa_servers, renewed at each poll: every second) is kept while its
# lease was renewed this recently: a server whose switch keeps failing still has its version's rows
INDEX_MEMORY = "1GB"  # maintenance_work_mem for building the HNSW indexes of a first load (a graph that fits is
# built in memory; the server's own setting is used for everything else)
_VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"  # as the folder's version ids: they sort in creation order


def document_key(entry: dict, manifest: dict) -> str:
    """The key of a document's rows: its id and a hash of what makes them (its content and language, the
    model, the chunking and the pipeline of the version's ``manifest``): the same key, the same rows."""
    made_by = json.dumps([entry["content_hash"], entry.get("language", ""), manifest["model"]["fingerprint"],
                          manifest.get("chunking"), manifest.get("pipeline")], sort_keys=True)
    return f"{entry['id']}@{hashlib.sha256(made_by.encode()).hexdigest()[:16]}"


def held_documents(dsn: str, entries: list[dict], manifest: dict) -> set[str]:
    """The ids of the documents among ``entries`` whose rows the database holds for this ``manifest``."""
    keys = {document_key(entry, manifest): entry["id"] for entry in entries}
    with connect(dsn) as connection:
        if schema_version(connection) == 0:
            return set()
        require_schema(connection)
        found = connection.execute("SELECT document_key FROM citeqa_documents WHERE document_key = ANY(%s)",
                                   (list(keys),)).fetchall()
    return {keys[key] for (key,) in found}


@dataclass
class WriteSummary:
    """What a commit wrote."""

    version: str = ""
    documents: int = 0
    written: int = 0  # documents whose rows were written (the others were in the database already)
    chunks: int = 0
    sentences: int = 0
    words: int = 0
    chunk_rows: int = field(default=0, repr=False)  # the version's chunks


class PostgresWriter:
    """Add, keep and remove documents of the database's current version, then :meth:`commit` them as a new one."""

    def __init__(self, dsn: str, base_documents: list[dict] | None = None, expected_current: str | None = None):
        self.dsn = dsn
        self.files: dict[str, tuple[Path, str]] = {}  # report files stored with the version: sha256 -> (file, name)
        self.expected_current = expected_current  # the version current when the change began ("": none); None: any
        self._entries: dict[str, dict] = {entry["id"]: entry for entry in base_documents or []}
        self._parts: dict[str, DocumentPart] = {}

    @property
    def added(self) -> list[DocumentPart]:
        return list(self._parts.values())

    def add(self, part: DocumentPart) -> None:
        """Add a document with its rows (a document of the same id is replaced)."""
        self._entries[part.entry["id"]] = part.entry
        self._parts[part.entry["id"]] = part

    def keep(self, entry: dict) -> None:
        """Hold a document whose rows the database has already (its entry may carry new catalog fields)."""
        self._entries[entry["id"]] = entry
        self._parts.pop(entry["id"], None)

    def remove(self, document_id: str) -> None:
        self._entries.pop(document_id, None)
        self._parts.pop(document_id, None)

    def commit(self, manifest: dict, vocabulary: Vocabulary | None = None, order: list[str] | None = None,
               version: str | None = None, index_memory: str = INDEX_MEMORY) -> WriteSummary:
        """Write the new version (``order``: document ids in the catalog's order; ``version``: its id, by
        default a new one) and make it current; returns what was written.

        Into a database that holds no rows yet (a first load: nothing is served), the HNSW and term indexes
        (:data:`~index_build.store.postgres.schema.BULK_INDEXES`) are dropped and built once after the rows, with
        ``index_memory`` of ``maintenance_work_mem``: far faster than inserting a million vectors into the graph
        one by one."""
        version = version or datetime.now(timezone.utc).strftime(_VERSION_FORMAT)
        order = [document for document in (order or []) if document in self._entries]
        order += [document for document in self._entries if document not in order]
        words = vocabulary.as_dict() if vocabulary is not None else {}
        summary = WriteSummary(version=version, documents=len(order))
        migrate(self.dsn, int(manifest["model"]["dimension"]))  # a new database gets the schema first
        with connect(self.dsn, statement_timeout_ms=BULK_STATEMENT_TIMEOUT_MS) as connection, \
                connection.cursor() as cursor:  # a first load builds its HNSW indexes in one statement
            require_schema(connection)
            with connection.transaction():
                if not try_advisory_lock(cursor, WRITER_LOCK, WRITER_LOCK_WAIT_SECONDS, transaction=True):
                    raise IndexProblem(f"another citeqa process has been writing a version into the database for over "
                                       f"{WRITER_LOCK_WAIT_SECONDS:.0f} s: nothing was written; run the change again "
                                       f"when it is done.{held_by(cursor, WRITER_LOCK)}")
                if self.expected_current is not None:
                    cursor.execute("SELECT version_id FROM citeqa_current")
                    now = (cursor.fetchone() or ("",))[0]
                    if now != self.expected_current:  # another writer went past the build lock (or it was lost)
                        raise IndexProblem(f"the index changed while this change was made (version {now or 'none'} is "
                                           f"current now, not {self.expected_current or 'none'}): nothing was written; "
                                           "run the change again")
                cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM citeqa_documents)")
                first_load = bool(self._parts) and cursor.fetchone()[0]
                if first_load:
                    cursor.execute(f"DROP INDEX {', '.join(BULK_INDEX_NAMES)}")
                rows = []
                fingerprint = manifest["model"]["fingerprint"]
                for document_id in order:
                    entry = self._entries[document_id]
                    key = document_key(entry, manifest)
                    cursor.execute("SELECT chunks, sentences FROM citeqa_documents WHERE document_key = %s", (key,))
                    present = cursor.fetchone()
                    if present is not None:
                        chunks, sentences = present
                    else:
                        part = self._parts.get(document_id)
                        if part is None:
                            raise ValueError(f"the database holds no rows for {document_id!r} ({key}): add it with "
                                             "its rows")
                        chunks, sentences = _write_document(cursor, part, key, words)
                        summary.written += 1
                        summary.chunks += chunks
                        summary.sentences += sentences
                    rows.append((entry, key, chunks, sentences))
                summary.words = _write_words(cursor, fingerprint, words)
                for digest, (path, name) in self.files.items():  # the catalog's new files, with the version
                    content = Path(path).read_bytes()
                    cursor.execute("INSERT INTO citeqa_report_files (sha256, name, size, content) VALUES "
                                   "(%s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING", (digest, name, len(content), content))
                if first_load:
                    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", (index_memory,))
                    cursor.execute(BULK_INDEXES)
                    cursor.execute("ANALYZE citeqa_chunks, citeqa_sentences, citeqa_postings, citeqa_document_terms, "
                                   "citeqa_documents, citeqa_document_words, citeqa_chunk_speakers")  # a first
                    # load's plans need statistics
                counts = {"documents": len(rows), "chunks": sum(row[2] for row in rows)}
                stored = {key: value for key, value in manifest.items() if key not in ("segments", "documents")}
                cursor.execute("INSERT INTO citeqa_versions (id, manifest) VALUES (%s, %s::jsonb) ON CONFLICT (id) "
                               "DO UPDATE SET manifest = excluded.manifest",
                               (version, _json({**stored, "version": version, "counts": counts})))
                cursor.execute("DELETE FROM citeqa_version_documents WHERE version_id = %s", (version,))
                first_row = first_sentence = 0
                for position, (entry, key, chunks, sentences) in enumerate(rows):
                    shown = {name: value for name, value in entry.items() if name not in ("first_row", "segment")}
                    cursor.execute("INSERT INTO citeqa_version_documents VALUES (%s, %s, %s, %s, %s, %s::jsonb)",
                                   (version, position, key, first_row, first_sentence, _json(shown)))
                    first_row += chunks
                    first_sentence += sentences
                summary.chunk_rows = first_row
                make_current(cursor, version)
            if first_load:  # the visibility map, so that BM25 reads the postings index-only from the first question
                connection.commit()
                connection.autocommit = True
                cursor.execute("VACUUM citeqa_postings, citeqa_document_terms")
        return summary


def make_current(cursor, version: str) -> None:
    """Make ``version`` current (in the caller's transaction), mark the one it replaces, and drop the versions
    replaced more than :data:`GRACE_SECONDS` ago beyond the newest :data:`KEEP_VERSIONS` that no server's lease
    renewed within :data:`LEASE_SECONDS` names, with the documents no version holds any more (their chunks,
    sentences, terms and words go with them); expired leases are dropped."""
    cursor.execute("UPDATE citeqa_versions SET replaced_at = now() WHERE replaced_at IS NULL AND id <> %s AND id IN "
                   "(SELECT version_id FROM citeqa_current)", (version,))
    cursor.execute("UPDATE citeqa_versions SET replaced_at = NULL WHERE id = %s", (version,))
    cursor.execute("INSERT INTO citeqa_current (singleton, version_id) VALUES (true, %s) ON CONFLICT (singleton) "
                   "DO UPDATE SET version_id = excluded.version_id, switched_at = now()", (version,))
    cursor.execute("DELETE FROM citeqa_servers WHERE renewed_at < now() - make_interval(secs => %s)", (LEASE_SECONDS,))
    cursor.execute("DELETE FROM citeqa_versions WHERE replaced_at < now() - make_interval(secs => %s) AND id NOT IN "
                   "(SELECT id FROM citeqa_versions ORDER BY created_at DESC LIMIT %s) AND id NOT IN "
                   "(SELECT version_id FROM citeqa_servers WHERE renewed_at >= now() - make_interval(secs => %s))",
                   (GRACE_SECONDS, KEEP_VERSIONS, LEASE_SECONDS))
    cursor.execute("DELETE FROM citeqa_report_files f WHERE NOT EXISTS (SELECT 1 FROM citeqa_version_documents vd "
                   "WHERE vd.entry->>'content_hash' = f.sha256)")  # the files no kept version lists
    cursor.execute("DELETE FROM citeqa_documents d WHERE NOT EXISTS (SELECT 1 FROM citeqa_version_documents vd "
                   "WHERE vd.document_key = d.document_key)")
    if cursor.rowcount:  # the word vectors no document uses any more (found first, then deleted by key: Citus
        # does not let a change of a reference table read a distributed one)
        cursor.execute("SELECT language, word FROM citeqa_words EXCEPT SELECT language, word FROM citeqa_document_words")
        unused = cursor.fetchall()
        if unused:
            cursor.execute("DELETE FROM citeqa_words w USING unnest(%s::text[], %s::text[]) AS t(language, word) "
                           "WHERE w.language = t.language AND w.word = t.word",
                           ([language for language, _ in unused], [word for _, word in unused]))


def _write_document(cursor, part: DocumentPart, key: str, words: dict) -> tuple[int, int]:
    """One document's text, chunks, sentences, term counts and the list of its words (their vectors are
    :func:`_write_words`'); returns (chunks, sentences)."""
    entry, language = part.entry, part.entry.get("language", "")
    sentence_vectors = np.asarray(part.sentence_vectors, dtype=np.float32)
    chunk_terms = [document_terms(chunk.text, language) or [EMPTY_TERM] for chunk in part.chunks]  # as the folder's
    # BM25 counts them
    cursor.execute("INSERT INTO citeqa_documents (document_key, document_id, entry, language, year, publisher, text, "
                   "chunks, sentences, term_total) VALUES (%s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s)",
                   (key, entry["id"], _json(entry), language, entry.get("year"), entry.get("publisher") or "", part.text,
                    len(part.chunks), len(sentence_vectors), sum(len(terms) for terms in chunk_terms)))
    owner: dict[int, int] = {}
    passages_with: Counter = Counter()  # term -> passages of the document holding it
    with cursor.copy("COPY citeqa_chunks (document_key, ordinal, page, start_char, end_char, language, text, speakers, "
                     "sentences, embedding, term_count) FROM STDIN") as copy:
        for ordinal, (chunk, vector, terms) in enumerate(zip(part.chunks, part.vectors, chunk_terms)):
            for _, _, row in chunk.sentences:
                owner.setdefault(row, ordinal)
            passages_with.update(set(terms))
            copy.write_row((key, ordinal, chunk.page, chunk.start, chunk.end, language, chunk.text,
                            _json(chunk.speakers), _json(chunk.sentences), vector_text(vector), len(terms)))
    with cursor.copy("COPY citeqa_chunk_speakers (document_key, ordinal, folded) FROM STDIN") as copy:
        for ordinal, chunk in enumerate(part.chunks):
            for value in folded_speakers(chunk.speakers):
                copy.write_row((key, ordinal, value))
    with cursor.copy("COPY citeqa_postings (document_key, ordinal, term, tf, term_count) FROM STDIN") as copy:
        for ordinal, terms in enumerate(chunk_terms):
            for term, frequency in Counter(terms).items():
                copy.write_row((key, ordinal, term, frequency, len(terms)))
    with cursor.copy("COPY citeqa_document_terms (document_key, term, passages) FROM STDIN") as copy:
        for term, passages in passages_with.items():
            copy.write_row((key, term, passages))
    with cursor.copy("COPY citeqa_sentences (document_key, ordinal, chunk_ordinal, embedding) FROM STDIN") as copy:
        for ordinal, vector in enumerate(sentence_vectors):
            copy.write_row((key, ordinal, owner.get(ordinal, 0), vector_text(vector)))
    _write_renderings(cursor, part, key)
    own_words = sorted({word for word in vocabulary_words(part.text, language) if (word, language) in words})
    with cursor.copy("COPY citeqa_document_words (document_key, language, word) FROM STDIN") as copy:
        for word in own_words:
            copy.write_row((key, language, word))
    return len(part.chunks), len(sentence_vectors)


def _write_renderings(cursor, part: DocumentPart, key: str) -> None:
    """A document's renderings (index_build.passage_translation): vectors, texts and their postings, analysed in
    the rendering's language as the folder's BM25 analyses them."""
    renderings = part.renderings
    if not len(renderings):
        return
    terms = [document_terms(text, language) or [EMPTY_TERM] for text, language in zip(renderings.texts,
                                                                                       renderings.languages)]
    with cursor.copy("COPY citeqa_renderings (document_key, language, ordinal, text, embedding, term_count) "
                     "FROM STDIN") as copy:
        for row, language, text, vector, analysed in zip(renderings.rows.tolist(), renderings.languages,
                                                         renderings.texts, renderings.vectors, terms):
            copy.write_row((key, language, row, text, vector_text(vector), len(analysed)))
    with cursor.copy("COPY citeqa_rendering_postings (document_key, language, ordinal, term, tf, term_count) "
                     "FROM STDIN") as copy:
        for row, language, analysed in zip(renderings.rows.tolist(), renderings.languages, terms):
            for term, frequency in Counter(analysed).items():
                copy.write_row((key, language, row, term, frequency, len(analysed)))


def _write_words(cursor, model: str, words: dict) -> int:
    """The vectors of the words the database does not hold yet for this model; returns how many were written."""
    if not words:
        return 0
    languages, texts = zip(*((language, word) for word, language in words))
    cursor.execute("SELECT t.language, t.word FROM unnest(%s::text[], %s::text[]) AS t(language, word) "
                   "WHERE NOT EXISTS (SELECT 1 FROM citeqa_words w WHERE w.model = %s AND w.language = t.language "
                   "AND w.word = t.word)", (list(languages), list(texts), model))
    missing = cursor.fetchall()
    with cursor.copy("COPY citeqa_words (model, language, word, embedding) FROM STDIN") as copy:
        for language, word in missing:
            copy.write_row((model, language, word, vector_text(words[(word, language)])))
    return len(missing)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
