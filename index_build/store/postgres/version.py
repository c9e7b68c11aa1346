""":class:`PostgresVersion`: one index version held in PostgreSQL (pgvector), read through the store interface.

Rows are numbered as the folder store numbers them: a version's documents in order, each from its first row,
so retrieval (``service.search``) runs unchanged over either store. Each retriever is one SQL query with the
filter in its ``WHERE``: the version's documents (``document_key = ANY(...)``), and for a filter that keeps
only some passages of a document (a speaker filter) those passages. Dense candidates come from the HNSW
indexes (``ORDER BY embedding <#> query``, pgvector's negative inner product, with an iterative scan so that a
filtered search still finds k rows); lexical candidates from the postings of the question's terms, scored by
BM25 in SQL as the folder store scores them.

The terms are citeqa's own analysis (:func:`index_build.lexical.document_terms`: the report language's Snowball
stemmer, stop words removed, accents folded), the folder's, so that a question's terms, translated terms and word
coverage mean the same in both stores; each term's document frequency is summed from ``citeqa_document_terms``
(passages holding it, per document). PostgreSQL's own ranking was measured first: a ``tsvector`` in the report
language's configuration ranked by ``ts_rank_cd`` cost 0.044 of accuracy@1 on the seed eval; BM25 over a
tsvector's positions took 366 ms a question on the library; over a jsonb of term frequencies per passage
(GIN-indexed), 6.6 ms on the library but 716 ms a search at 100k chunks, hence the postings.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from typing import Iterator

import numpy as np

from index_build.chunk_table import Chunk, speaker_patterns
from index_build.store.postgres import pool
from index_build.store.postgres.schema import (POSTING_IMPACT, SCHEMA_VERSION, DatabaseProblem, connect, require_schema,
                                               schema_version, vector_text)
from index_build.store.base import DocumentRows, Hits, Renderings, Selection, gather_speakers, seconds_left
from index_build.text import fold_accents
from index_build.vector_index import FILTERED_EXACT_LIMIT, best_of
from index_build.vocabulary import Vocabulary

BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults, which the folder store's indexes are built with
REMEMBERED_SELECTIONS = 32  # speaker filters whose matched values and rows a version keeps
MIN_EF_SEARCH = 40  # pgvector's default; raised to k for larger k
POSTINGS_DEPTH = 100  # each asked term's postings read (k, when more), best impact first (POSTING_IMPACT); the
# passages found are scored exactly with every term. Twice the 50 candidates a search asks: the library's eval
# gave the same figures as exact BM25 at 50 and at 300. An exact version (the benches' reference) sums every posting.


def open_current(dsn: str, exact: bool = False) -> "PostgresVersion":
    """The current version of the database at ``dsn``, or a :class:`DatabaseProblem` saying what to run
    (``exact``: vector searches scan every row instead of the HNSW indexes, to measure their recall)."""
    with connect(dsn) as connection:
        require_schema(connection)
        found = connection.execute("SELECT version_id FROM citeqa_current").fetchone()
        if found is None:
            raise DatabaseProblem("the database holds no index version yet: build one (`citeqa build` with CITEQA_STORE set) "
                                  "or copy one in (`citeqa db copy-from FOLDER`)")
        store = PostgresVersion.read(dsn, connection, found[0])
    store.exact = exact
    return store


def current_entries(dsn: str) -> list[dict] | None:
    """The current version's document entries, in order (None when the database holds no version yet)."""
    with connect(dsn) as connection:
        if schema_version(connection) == 0:
            return None
        require_schema(connection)
        found = connection.execute("SELECT version_id FROM citeqa_current").fetchone()
        if found is None:
            return None
        return [row[0] for row in connection.execute("SELECT entry FROM citeqa_version_documents WHERE version_id = %s "
                                                     "ORDER BY position", (found[0],))]


class PostgresVersion:
    """One index version in PostgreSQL: documents, rows and vocabulary read once, everything else per query."""

    def __init__(self, dsn: str, version: str, manifest: dict, entries: list[dict], keys: list[str],
                 first_rows: list[int], first_sentences: list[int], total_rows: int, total_sentences: int,
                 vocabulary: Vocabulary, average_terms: float = 1.0,
                 rendering_counts: dict[str, tuple[int, float]] | None = None):
        self.dsn = dsn
        self._version = version
        self._entries, self._keys = entries, keys
        self._row_offsets = np.array([*first_rows, total_rows], dtype=np.int64)
        self._sentence_offsets = np.array([*first_sentences, total_sentences], dtype=np.int64)
        self._position = {entry["id"]: index for index, entry in enumerate(entries)}
        self._key_index = {key: index for index, key in enumerate(keys)}
        self._manifest = {**manifest, "version": version, "documents": entries, "store": "postgresql",
                          "format_version": SCHEMA_VERSION,
                          "counts": {**manifest.get("counts", {}), "documents": len(entries), "chunks": total_rows}}
        self._vocabulary = vocabulary
        self._average_terms = average_terms or 1.0  # index terms per passage, for BM25's length normalisation
        # renderings per language: (how many, their average index terms), for their BM25
        self._rendering_counts = rendering_counts or {}
        self._rows = DocumentRows([(entry, int(self._row_offsets[index]), int(self._row_offsets[index + 1]))
                                   for index, entry in enumerate(entries)], total_rows)
        self._speaker_values = lru_cache(maxsize=REMEMBERED_SELECTIONS)(self._read_speaker_values)
        self._speaking_rows = lru_cache(maxsize=REMEMBERED_SELECTIONS)(self._read_speaking_rows)
        self._pool = None
        self.exact = False  # True: vector searches scan every row (the truth the HNSW indexes' recall is measured on)
        self.short_searches = 0  # vector searches the index answered with fewer rows than asked, searched again exactly
        self.document_text = lru_cache(maxsize=64)(self._read_text)

    @classmethod
    def read(cls, dsn: str, connection, version: str) -> "PostgresVersion":
        """Read a version's documents, their first rows and the vocabulary of its documents."""
        found = connection.execute("SELECT manifest FROM citeqa_versions WHERE id = %s", (version,)).fetchone()
        if found is None:
            raise DatabaseProblem(f"the database has no index version {version!r}")
        rows = connection.execute(
            "SELECT vd.document_key, vd.first_row, vd.first_sentence, vd.entry, d.chunks, d.sentences, d.term_total "
            "FROM citeqa_version_documents vd JOIN citeqa_documents d USING (document_key) "
            "WHERE vd.version_id = %s ORDER BY vd.position", (version,)).fetchall()
        keys = [row[0] for row in rows]
        words = connection.execute(
            "SELECT w.word, w.language, w.embedding::text FROM citeqa_words w WHERE w.model = %s AND "
            "(w.language, w.word) IN (SELECT language, word FROM citeqa_document_words WHERE document_key = ANY(%s)) "
            "ORDER BY w.word, w.language",
            (found[0]["model"]["fingerprint"], keys)).fetchall()
        dimension = int(found[0]["model"]["dimension"])
        vocabulary = (Vocabulary([(word, language) for word, language, _ in words],
                                 np.vstack([_vector(text) for _, _, text in words])) if words
                      else Vocabulary.empty(dimension))
        total_rows = (rows[-1][1] + rows[-1][4]) if rows else 0
        total_sentences = (rows[-1][2] + rows[-1][5]) if rows else 0
        average_terms = sum(row[6] for row in rows) / total_rows if total_rows else 1.0
        renderings = connection.execute(
            "SELECT language, count(*), avg(term_count) FROM citeqa_renderings WHERE document_key IN (SELECT "
            "document_key FROM citeqa_version_documents WHERE version_id = %s) GROUP BY language ORDER BY language",
            (version,)).fetchall()
        return cls(dsn, version, found[0], [row[3] for row in rows], keys, [row[1] for row in rows],
                   [row[2] for row in rows], int(total_rows), int(total_sentences), vocabulary, float(average_terms),
                   {language: (int(count), float(average or 1.0)) for language, count, average in renderings})

    # --- what the version is -----------------------------------------------------------------
    @property
    def version(self) -> str:
        return self._version

    @property
    def manifest(self) -> dict:
        return self._manifest

    @property
    def documents(self) -> list[dict]:
        return self._entries

    @property
    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def count(self) -> int:
        return int(self._row_offsets[-1])

    def live_count(self) -> int:
        return self.count()

    def describe(self) -> dict:
        kind = "exact" if self.exact else "hnsw"
        return {"store": "postgresql", "version": self.version, "counts": self._manifest["counts"],
                "model": self._manifest["model"], "search": {"chunks": {"kind": kind}, "sentences": {"kind": kind},
                                                             "short_searches": self.short_searches}}

    @property
    def parallel_searches(self) -> int:
        return pool.POOL_SIZE  # each search waits on the database: a question's run at once, on the process's pool

    # --- selections ----------------------------------------------------------------------------
    def report_languages(self) -> list[str]:
        return self._rows.languages

    def languages_of(self, rows: np.ndarray) -> np.ndarray:
        return self._rows.languages_of(rows)

    def count_selected(self, selection: Selection | None = None) -> int:
        if not _narrows(selection):
            return self.count()
        if selection.speakers:
            return len(self._speaking_rows(selection))
        return self._rows.count(self._rows.kept(selection.keeps_document))

    def selected_rows(self, selection: Selection | None = None) -> np.ndarray:
        if not _narrows(selection):
            return np.arange(self.count(), dtype=np.int64)
        if selection.speakers:
            return self._speaking_rows(selection)
        return self._rows.rows(self._rows.kept(selection.keeps_document))

    def _read_speaking_rows(self, selection: Selection | None = None) -> np.ndarray:
        """The rows a selection with speakers keeps, sorted."""
        where, parameters = self._where(selection, "ordinal", table="s")
        found = self._query(f"SELECT DISTINCT s.document_key, s.ordinal FROM citeqa_chunk_speakers s WHERE {where}",
                            parameters)
        return np.array(sorted(self._row(key, ordinal) for key, ordinal in found), dtype=np.int64)

    def _read_speaker_values(self, patterns: tuple[str, ...]) -> list[str]:
        """The folded speaker values (``citeqa_chunk_speakers``, folded when written) that hold one of
        ``patterns`` as a plain substring (``strpos``: ``_`` and ``%`` are not wildcards): the patterns are tested
        once per distinct value, whose chunks are then read by index (100 names: 25 ms at 10k chunks, 204 ms at
        100k; testing the patterns on every row instead took 0.3 s and 4.8 s, and folding every chunk's speakers
        in Python 8.4 s at 10k)."""
        return [value for (value,) in self._query(
            "WITH values_held AS MATERIALIZED (SELECT DISTINCT folded FROM citeqa_chunk_speakers) "
            "SELECT folded FROM values_held AS v WHERE EXISTS "
            "(SELECT 1 FROM unnest(%s::text[]) AS p(pattern) WHERE strpos(v.folded, p.pattern) > 0)", (list(patterns),))]

    # --- vectors -----------------------------------------------------------------------------
    def search_chunks(self, query: np.ndarray, k: int, selection: Selection | None = None) -> Hits:
        where, parameters = self._where(selection, "ordinal")
        found = self._nearest(f"SELECT document_key, ordinal, -(embedding <#> %s::vector) FROM citeqa_chunks WHERE {where} "
                              "ORDER BY embedding <#> %s::vector LIMIT %s",
                              (vector_text(query), *parameters, vector_text(query), k), k, selection, self.count())
        return self._hits(found, k)

    def search_sentences(self, query: np.ndarray, k: int, selection: Selection | None = None) -> Hits:
        where, parameters = self._where(selection, "chunk_ordinal")
        found = self._nearest(f"SELECT document_key, chunk_ordinal, -(embedding <#> %s::vector) FROM citeqa_sentences "
                              f"WHERE {where} ORDER BY embedding <#> %s::vector LIMIT %s",
                              (vector_text(query), *parameters, vector_text(query), k), k, selection,
                              int(self._manifest["counts"].get("sentences", k)))
        return self._hits(found, k, distinct=False)

    def search_renderings(self, query: np.ndarray, language: str, k: int, selection: Selection | None = None) -> Hits:
        if language not in self._rendering_counts:
            return Hits()
        where, parameters = self._where(selection, "ordinal")
        found = self._nearest(f"SELECT document_key, ordinal, -(embedding <#> %s::vector) FROM citeqa_renderings "
                              f"WHERE language = %s AND {where} ORDER BY embedding <#> %s::vector LIMIT %s",
                              (vector_text(query), language, *parameters, vector_text(query), k), k, selection,
                              self._rendering_counts[language][0])
        return self._hits(found, k)

    def search_rendering_words(self, terms: list[str], language: str, k: int, selection: Selection | None = None) -> Hits:
        """BM25 over the renderings in ``language``, as :meth:`search_words` over the passages (the renderings of
        the version in that language are its collection)."""
        if language not in self._rendering_counts:
            return Hits()
        total, average = self._rendering_counts[language]
        in_version, version = self._in_version()
        return self._bm25(terms, k, selection, total, average,
                          "SELECT term, count(*) AS df FROM citeqa_rendering_postings WHERE language = %s AND "
                          f"term = ANY(%s) AND {in_version} GROUP BY term", lambda asked: (language, asked, *version),
                          "citeqa_rendering_postings", language)

    def rendering_languages(self) -> list[str]:
        return sorted(self._rendering_counts)

    def document_renderings(self, document_id: str) -> Renderings:
        """A document's renderings, rows from its first chunk (a build carries them over)."""
        index = self._position.get(document_id)
        if index is None:
            return Renderings()
        found = self._query("SELECT ordinal, language, text, embedding::text FROM citeqa_renderings "
                            "WHERE document_key = %s ORDER BY language, ordinal", (self._keys[index],))
        if not found:
            return Renderings()
        return Renderings(np.array([row[0] for row in found], dtype=np.int64), [row[1] for row in found],
                          np.vstack([_vector(row[3]) for row in found]), [row[2] for row in found])

    def chunk_scores(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        keys, ordinals = self._pairs(rows)
        found = self._query(
            "SELECT w.position, -(c.embedding <#> %s::vector), (SELECT max(-(s.embedding <#> %s::vector)) "
            "FROM citeqa_sentences s WHERE s.document_key = c.document_key AND s.ordinal IN "
            "(SELECT (value->>2)::int FROM jsonb_array_elements(c.sentences))) "
            "FROM unnest(%s::text[], %s::int[]) WITH ORDINALITY AS w(document_key, ordinal, position) "
            "JOIN citeqa_chunks c ON c.document_key = w.document_key AND c.ordinal = w.ordinal",
            (vector_text(query), vector_text(query), keys, ordinals))
        chunk, best = np.zeros(len(rows), np.float32), np.zeros(len(rows), np.float32)
        for position, score, sentence in found:
            chunk[position - 1] = score
            best[position - 1] = score if sentence is None else max(score, sentence)
        return chunk, best

    def chunk_vectors(self, rows: list[int]) -> np.ndarray:
        """The vectors of these chunk rows (a build reuses them, as it does the folder's)."""
        keys, ordinals = self._pairs(np.asarray(rows, dtype=np.int64))
        found = self._query("SELECT w.position, c.embedding::text FROM unnest(%s::text[], %s::int[]) WITH ORDINALITY "
                            "AS w(document_key, ordinal, position) JOIN citeqa_chunks c "
                            "ON c.document_key = w.document_key AND c.ordinal = w.ordinal", (keys, ordinals))
        return self._vectors(found, len(keys))

    def sentence_vectors(self, rows: list[int]) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        owner = np.searchsorted(self._sentence_offsets, rows, side="right") - 1
        keys = [self._keys[index] for index in owner.tolist()]
        ordinals = (rows - self._sentence_offsets[owner]).tolist()
        found = self._query("SELECT w.position, s.embedding::text FROM unnest(%s::text[], %s::int[]) WITH ORDINALITY "
                            "AS w(document_key, ordinal, position) JOIN citeqa_sentences s "
                            "ON s.document_key = w.document_key AND s.ordinal = w.ordinal", (keys, ordinals))
        return self._vectors(found, len(rows))

    def _vectors(self, found: list[tuple], count: int) -> np.ndarray:
        """(position from 1, vector text) rows as a matrix in position order."""
        vectors = np.zeros((count, self._manifest["model"]["dimension"]), dtype=np.float32)
        for position, text in found:
            vectors[position - 1] = _vector(text)
        return vectors

    # --- words ---------------------------------------------------------------------------------
    def search_words(self, terms: list[str], k: int, selection: Selection | None = None) -> Hits:
        """BM25 as the folder store computes it (bm25s's Lucene variant, without the (k1 + 1) factor: k1 1.5,
        b 0.75, each term weighed by its IDF over the version's passages, a term asked twice counted twice), over
        the passages among each term's :data:`POSTINGS_DEPTH` best postings (every posting, exact)."""
        in_version, version = self._in_version()
        return self._bm25(terms, k, selection, self.count(), self._average_terms,
                          f"SELECT term, sum(passages) AS df FROM citeqa_document_terms WHERE {in_version} "
                          "AND term = ANY(%s) GROUP BY term", lambda asked: (*version, asked), "citeqa_postings", None)

    def _bm25(self, terms: list[str], k: int, selection: Selection | None, total: int, average: float,
              frequencies: str, frequency_parameters, postings: str, language: str | None) -> Hits:
        """BM25 of the terms over the table ``postings`` (of the renderings in ``language``, when given), each
        term's document frequency from the query ``frequencies`` (its parameters: ``frequency_parameters(terms)``),
        over a collection of ``total`` passages of ``average`` index terms."""
        counted = Counter(term for term in terms if term)
        if not counted or not total:
            return Hits()
        where, parameters = self._where(selection, "ordinal")
        asked = list(counted)
        in_language, language_parameters = ("language = %s AND ", (language,)) if language is not None else ("", ())
        weights = ("WITH asked AS (SELECT * FROM unnest(%s::text[], %s::int[]) AS a(term, times)), "
                   "weights AS MATERIALIZED (SELECT a.term, a.times * ln(1 + (%s - d.df + 0.5) / (d.df + 0.5)) "
                   f"AS weight FROM asked a JOIN ({frequencies}) AS d USING (term))")
        score = "sum(w.weight * p.tf / (p.tf + %s * (1 - %s + %s * p.term_count / %s))) AS score"
        head = (asked, list(counted.values()), total, *frequency_parameters(asked))
        if self.exact:  # every posting of every term
            sql = (f"{weights} SELECT p.document_key, p.ordinal, {score} FROM weights w JOIN "
                   f"(SELECT * FROM {postings} WHERE {in_language}{where}) p ON p.term = w.term "
                   "GROUP BY p.document_key, p.ordinal ORDER BY score DESC LIMIT %s")
            found = self._query(sql, (*head, BM25_K1, BM25_B, BM25_B, average, *language_parameters, *parameters, k))
            return self._hits(found, k)
        # the passages among each term's best postings (read from the index by term and impact, as deep as
        # POSTINGS_DEPTH), then scored with every term (their postings found by primary key)
        sql = (f"{weights}, candidates AS MATERIALIZED (SELECT DISTINCT c.document_key, c.ordinal FROM weights w "
               f"CROSS JOIN LATERAL (SELECT document_key, ordinal FROM {postings} WHERE {in_language}term = w.term "
               f"AND {where} ORDER BY {POSTING_IMPACT} DESC LIMIT %s) c) "
               f"SELECT c.document_key, c.ordinal, {score} FROM candidates c CROSS JOIN weights w "
               f"CROSS JOIN LATERAL (SELECT tf, term_count FROM {postings} WHERE {in_language}"
               "document_key = c.document_key AND ordinal = c.ordinal AND term = w.term LIMIT 1) p "  # LIMIT 1 (a primary key): a
               # lookup per candidate and term, never a whole posting list joined (what the planner picks otherwise)
               "GROUP BY c.document_key, c.ordinal ORDER BY score DESC LIMIT %s")
        found = self._query(sql, (*head, *language_parameters, *parameters, max(POSTINGS_DEPTH, k),
                                  BM25_K1, BM25_B, BM25_B, average, *language_parameters, k))
        return self._hits(found, k)

    def word_coverage(self, variants: list[list[str]]) -> float | None:
        if not variants or not self._keys:
            return None
        candidates = sorted({term for options in variants for term in options if term})
        in_version, version = self._in_version()
        present = {term for (term,) in self._query(
            f"SELECT DISTINCT term FROM citeqa_document_terms WHERE {in_version} AND term = ANY(%s)",
            (*version, candidates))}
        return sum(any(term in present for term in options) for options in variants) / len(variants)

    # --- chunks and texts ----------------------------------------------------------------------
    def chunks(self, rows: list[int]) -> list[Chunk]:
        rows = np.asarray(rows, dtype=np.int64)
        keys, ordinals = self._pairs(rows)
        found = self._query("SELECT c.document_key, c.ordinal, c.page, c.start_char, c.end_char, c.text, c.speakers, "
                            "c.sentences FROM unnest(%s::text[], %s::int[]) AS w(document_key, ordinal) "
                            "JOIN citeqa_chunks c ON c.document_key = w.document_key AND c.ordinal = w.ordinal",
                            (keys, ordinals))
        by_row = {chunk.id: chunk for chunk in map(self._chunk, found)}
        return [by_row[row] for row in rows.tolist() if row in by_row]

    def iter_chunks(self, document_id: str | None = None) -> Iterator[Chunk]:
        indexes = range(len(self._keys)) if document_id is None else (
            [self._position[document_id]] if document_id in self._position else [])
        for index in indexes:
            yield from map(self._chunk, self._query(
                "SELECT document_key, ordinal, page, start_char, end_char, text, speakers, sentences FROM citeqa_chunks "
                "WHERE document_key = %s ORDER BY ordinal", (self._keys[index],)))

    def speakers(self) -> list[dict]:
        documents = dict(zip(self._keys, (entry["id"] for entry in self._entries)))
        in_version, version = self._in_version("c")
        return gather_speakers(((fold_accents(name), role, organisation), name, role, organisation, documents[key],
                                passages) for key, name, role, organisation, passages in self._query(
            "SELECT c.document_key, s->>'name', coalesce(s->>'role', ''), coalesce(s->>'organisation', ''), count(*) "
            f"FROM citeqa_chunks c, jsonb_array_elements(c.speakers) AS s WHERE {in_version} "
            "GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4, 1", version))

    def close(self) -> None:
        """Let go of the process's pool (:mod:`.pool`: closed with the last version holding it)."""
        if self._pool is not None:
            self._pool = None
            pool.release(self.dsn, self)

    # --- inside --------------------------------------------------------------------------------
    def _read_text(self, document_id: str) -> str | None:
        index = self._position.get(document_id)
        if index is None:
            return None
        found = self._query("SELECT text FROM citeqa_documents WHERE document_key = %s", (self._keys[index],))
        return found[0][0] if found else None

    def _in_version(self, table: str = "") -> tuple[str, tuple]:
        """The version's documents as SQL over ``table``'s rows (joined by key from ``citeqa_version_documents``,
        not sent: a million-chunk version has thousands)."""
        key = f"{table}.document_key" if table else "document_key"
        return f"{key} IN (SELECT document_key FROM citeqa_version_documents WHERE version_id = %s)", (self._version,)

    def _where(self, selection: Selection | None, ordinal: str, table: str = "") -> tuple[str, tuple]:
        """The selection as SQL over ``table``'s rows: the version's documents it keeps (by position in the
        version), and with a speaker filter the passages (by the column ``ordinal``, a chunk's ordinal) where a
        speaker's folded name or organisation holds one of its substrings."""
        if not _narrows(selection):
            return self._in_version(table)
        key = f"{table}.document_key" if table else "document_key"
        ordinal = f"{table}.{ordinal}" if table else ordinal
        where = (f"{key} IN (SELECT document_key FROM citeqa_version_documents WHERE version_id = %s "
                 "AND position = ANY(%s::int[]))")
        parameters: tuple = (self._version, self._rows.kept(selection.keeps_document))
        if selection.speakers:
            where += (f" AND ({key}, {ordinal}) IN (SELECT document_key, ordinal FROM citeqa_chunk_speakers "
                      "WHERE folded = ANY(%s::text[]))")
            parameters += (self._speaker_values(tuple(speaker_patterns(selection.speakers))),)
        return where, parameters

    def _row(self, key: str, ordinal: int) -> int:
        return int(self._row_offsets[self._key_index[key]]) + int(ordinal)

    def _pairs(self, rows: np.ndarray) -> tuple[list[str], list[int]]:
        owner = np.searchsorted(self._row_offsets, rows, side="right") - 1
        return [self._keys[index] for index in owner.tolist()], (rows - self._row_offsets[owner]).tolist()

    def _hits(self, found: list[tuple], k: int, distinct: bool = True) -> Hits:
        if not found:
            return Hits()
        rows = np.array([self._row(key, ordinal) for key, ordinal, _ in found], dtype=np.int64)
        scores = np.array([score for _, _, score in found], dtype=np.float32)
        if not distinct:  # sentences: one row per sentence, best first (an iterative scan may be out of order)
            order = np.argsort(-scores, kind="stable")
            return Hits(rows[order], scores[order])
        return Hits(*best_of(rows, scores, k))

    def _chunk(self, record: tuple) -> Chunk:
        key, ordinal, page, start, end, text, speakers, sentences = record
        index = self._key_index[key]
        first_sentence = int(self._sentence_offsets[index])
        return Chunk(self._row(key, ordinal), self._entries[index]["id"], page, start, end, text, speakers,
                     [[begin, finish, first_sentence + row] for begin, finish, row in sentences])

    def _nearest(self, sql: str, parameters: tuple, k: int, selection: Selection | None, rows: int) -> list[tuple]:
        """A vector search's rows (``rows``: how many the table holds for this version): through the HNSW index, or
        exactly when the selection keeps at most :data:`FILTERED_EXACT_LIMIT` passages (the folder's rule: an index
        scan would read far more entries than the filter keeps) or when the index gave fewer rows than ``k`` where
        there are more (an iterative scan stopped at its budget, or a graph cut into islands: counted in
        :attr:`short_searches`)."""
        exact = self.exact or self._small(selection)
        found = self._query(sql, parameters, vectors=k, exact=exact)
        if not exact and len(found) < (k if _narrows(selection) else min(k, rows)):
            self.short_searches += 1
            found = self._query(sql, parameters, vectors=k, exact=True)
        return found

    def _small(self, selection: Selection | None) -> bool:
        """Whether a filtered selection keeps so few passages that scanning them beats the index."""
        return _narrows(selection) and self.count_selected(selection) <= FILTERED_EXACT_LIMIT

    def _query(self, sql: str, parameters: tuple = (), vectors: int = 0, exact: bool = False) -> list[tuple]:
        """Run one query on a connection of the process's pool (with the HNSW settings a vector search of
        ``vectors`` needs; ``exact``: no index scan); a database that does not answer, a query over its time limit
        or no connection free within :data:`~.pool.POOL_WAIT_SECONDS` is a :class:`DatabaseProblem` (a 503)."""
        import psycopg
        from psycopg_pool import PoolClosed, PoolTimeout, TooManyRequests

        left = seconds_left()  # the search's own deadline (service.search: CITEQA_SEARCH_TIMEOUT)
        if left is not None and left <= 0:
            raise DatabaseProblem("the search ran out of time (CITEQA_SEARCH_TIMEOUT) waiting on the database")
        try:
            with self._connections().connection(timeout=None if left is None else min(pool.POOL_WAIT_SECONDS,
                                                                                       left)) as connection:
                with connection.transaction():
                    if left is not None and left * 1000 < pool.SEARCH_STATEMENT_TIMEOUT_MS:
                        connection.execute("SELECT set_config('statement_timeout', %s, true)",
                                           (str(max(1, int(left * 1000))),))
                    if vectors:
                        connection.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                                           "set_config('hnsw.ef_search', %s, true), "
                                           "set_config('enable_indexscan', %s, true)",
                                           (str(max(MIN_EF_SEARCH, vectors)), "off" if exact else "on"))
                    return connection.execute(sql, parameters).fetchall()
        except (psycopg.OperationalError, PoolTimeout, TooManyRequests, PoolClosed) as error:  # QueryCanceled is one
            raise DatabaseProblem(f"the database did not answer: {str(error).strip().splitlines()[0]}") from None

    def _connections(self):
        """The process's pool for this database (asked each time: :func:`.pool.renew` may replace it), held until
        :meth:`close`."""
        self._pool = pool.hold(self.dsn, self)
        return self._pool


def _narrows(selection: Selection | None) -> bool:
    """Whether a selection keeps fewer than every passage (a filter, or one report language)."""
    return selection is not None and (selection.filter is not None or selection.language is not None)


def _vector(text: str) -> np.ndarray:
    return np.array(json.loads(text), dtype=np.float32)
