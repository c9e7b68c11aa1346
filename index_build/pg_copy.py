"""``citeqa db copy-from FOLDER``: an index version of the embedded store moved into PostgreSQL, nothing embedded.

The folder's current version is read through the store interface (its documents, chunks, sentence and word
vectors) and written as one new version of the database, made current in the same transaction, under the
writers' advisory lock. A document already in the database with the same content (``document_key``) keeps
its rows: versions share them, as segments are shared on disk.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index_build.index_store import load_version
from index_build.lexical import EMPTY_TERM, document_terms
from index_build.pg_schema import WRITER_LOCK, connect, migrate, require_schema, term_frequencies, vector_text
from index_build.vocabulary import vocabulary_words

KEEP_VERSIONS = 3  # versions kept whatever their age, as the folder store keeps 3
GRACE_SECONDS = 300  # a replaced version stays this long for servers still answering from it


@dataclass
class CopySummary:
    """What a copy wrote."""

    version: str
    documents: int
    copied: int  # documents whose rows were written (the others were in the database already)
    chunks: int
    sentences: int
    words: int
    seconds: float

    def line(self) -> str:
        return (f"Index version {self.version} copied into PostgreSQL and made current: {self.documents} documents "
                f"({self.copied} written, {self.documents - self.copied} already there), {self.chunks} chunks, "
                f"{self.sentences} sentences, {self.words} words, in {self.seconds:.1f} s")


def document_key(entry: dict) -> str:
    """The key of a document's rows: its id and content hash (the same report, the same rows)."""
    return f"{entry['id']}@{entry['content_hash'][:16]}"


def copy_from_folder(dsn: str, index_dir: Path) -> CopySummary:
    """Copy the current version of the folder store at ``index_dir`` into the database at ``dsn``."""
    started = time.perf_counter()
    version = load_version(index_dir)
    migrate(dsn, int(version.manifest["model"]["dimension"]))  # a new database gets the schema first
    words = version.vocabulary.as_dict()
    copied = chunks_written = sentences_written = words_written = 0
    with connect(dsn) as connection, connection.cursor() as cursor:
        require_schema(connection)
        with connection.transaction():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            cursor.execute("INSERT INTO citeqa_versions (id, manifest) VALUES (%s, %s::jsonb) ON CONFLICT (id) DO NOTHING",
                           (version.version, _json(_database_manifest(version.manifest))))
            cursor.execute("DELETE FROM citeqa_version_documents WHERE version_id = %s", (version.version,))
            first_row = first_sentence = 0
            for position, entry in enumerate(version.documents):
                key = document_key(entry)
                chunks = list(version.iter_chunks(entry["id"]))
                sentence_rows = sorted({row for chunk in chunks for _, _, row in chunk.sentences})
                cursor.execute("SELECT 1 FROM citeqa_documents WHERE document_key = %s", (key,))
                if cursor.fetchone() is None:
                    counts = _copy_document(cursor, version, entry, key, chunks, sentence_rows, words)
                    copied += 1
                    chunks_written += counts[0]
                    sentences_written += counts[1]
                    words_written += counts[2]
                cursor.execute("INSERT INTO citeqa_version_documents VALUES (%s, %s, %s, %s, %s)",
                               (version.version, position, key, first_row, first_sentence))
                first_row += len(chunks)
                first_sentence += len(sentence_rows)
            make_current(cursor, version.version)
    return CopySummary(version.version, len(version.documents), copied, chunks_written, sentences_written,
                       words_written, round(time.perf_counter() - started, 2))


def make_current(cursor, version: str) -> None:
    """Make ``version`` current (in the caller's transaction), mark the one it replaces, and drop the versions
    replaced more than :data:`GRACE_SECONDS` ago beyond the newest :data:`KEEP_VERSIONS`, with the documents no
    version holds any more (their chunks, sentences and words go with them)."""
    cursor.execute("UPDATE citeqa_versions SET replaced_at = now() WHERE replaced_at IS NULL AND id <> %s AND id IN "
                   "(SELECT version_id FROM citeqa_current)", (version,))
    cursor.execute("UPDATE citeqa_versions SET replaced_at = NULL WHERE id = %s", (version,))
    cursor.execute("INSERT INTO citeqa_current (singleton, version_id) VALUES (true, %s) ON CONFLICT (singleton) "
                   "DO UPDATE SET version_id = excluded.version_id, switched_at = now()", (version,))
    cursor.execute("DELETE FROM citeqa_versions WHERE replaced_at < now() - make_interval(secs => %s) AND id NOT IN "
                   "(SELECT id FROM citeqa_versions ORDER BY created_at DESC LIMIT %s)", (GRACE_SECONDS, KEEP_VERSIONS))
    cursor.execute("DELETE FROM citeqa_documents d WHERE NOT EXISTS (SELECT 1 FROM citeqa_version_documents vd "
                   "WHERE vd.document_key = d.document_key)")


def _copy_document(cursor, version, entry: dict, key: str, chunks: list, sentence_rows: list[int],
                   words: dict) -> tuple[int, int, int]:
    """Write one document's text, chunks, sentences and words; returns their counts."""
    language = entry.get("language", "")
    text = version.document_text(entry["id"]) or ""
    cursor.execute("INSERT INTO citeqa_documents VALUES (%s, %s, %s::jsonb, %s, %s, %s, %s)",
                   (key, entry["id"], _json(entry), language, entry.get("year"), entry.get("publisher") or "", text))
    ordinal_of = {row: ordinal for ordinal, row in enumerate(sentence_rows)}
    chunk_vectors = version.chunk_vectors([chunk.id for chunk in chunks])
    owner: dict[int, int] = {}
    passages_with: Counter = Counter()  # term -> passages of the document holding it
    with cursor.copy("COPY citeqa_chunks (document_key, ordinal, page, start_char, end_char, language, text, speakers, "
                     "sentences, embedding, frequencies, term_count) FROM STDIN") as copy:
        for ordinal, (chunk, vector) in enumerate(zip(chunks, chunk_vectors)):
            sentences = [[start, end, ordinal_of[row]] for start, end, row in chunk.sentences]
            for _, _, row in chunk.sentences:
                owner.setdefault(ordinal_of[row], ordinal)
            terms = document_terms(chunk.text, language) or [EMPTY_TERM]  # as the folder's BM25 counts them
            passages_with.update(set(terms))
            copy.write_row((key, ordinal, chunk.page, chunk.start, chunk.end, language, chunk.text,
                            _json(chunk.speakers), _json(sentences), vector_text(vector), _json(term_frequencies(terms)),
                            len(terms)))
    with cursor.copy("COPY citeqa_document_terms (document_key, term, passages) FROM STDIN") as copy:
        for term, passages in passages_with.items():
            copy.write_row((key, term, passages))
    sentence_vectors = version.sentence_vectors(sentence_rows) if sentence_rows else np.zeros((0, 0))
    with cursor.copy("COPY citeqa_sentences (document_key, ordinal, chunk_ordinal, embedding) FROM STDIN") as copy:
        for ordinal, vector in enumerate(sentence_vectors):
            copy.write_row((key, ordinal, owner[ordinal], vector_text(vector)))
    own_words = sorted({word for word in vocabulary_words(text, language) if (word, language) in words})
    with cursor.copy("COPY citeqa_vocabulary (document_key, word, language, embedding) FROM STDIN") as copy:
        for word in own_words:
            copy.write_row((key, word, language, vector_text(words[(word, language)])))
    return len(chunks), len(sentence_rows), len(own_words)


def _database_manifest(manifest: dict) -> dict:
    """The version's manifest without what only the folder has (segments, checksums, file paths)."""
    return {key: value for key, value in manifest.items() if key not in ("segments", "documents")}


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
