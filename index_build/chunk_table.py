"""The chunk table of an index version: SQLite (standard library), read on demand, never loaded whole.

One row per chunk (its row number is its position in the vector matrix) and one row per (chunk,
speaker), its name and organisation folded when written (:func:`index_build.text.fold_accents`), so that a
speaker filter and the speaker directory are one indexed query. A filter's names are matched as plain
substrings of the folded values (``instr``, not ``LIKE``: ``_`` and ``%`` are letters like any other), first
against each distinct value, then the chunks of the values matched are read by index, as PostgreSQL does
(its store's speaker selection).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from index_build.text import fold_accents

SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    speakers TEXT NOT NULL,
    sentences TEXT NOT NULL
);
CREATE TABLE chunk_speakers (
    chunk_row INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    name TEXT NOT NULL,
    folded TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation TEXT NOT NULL,
    folded_organisation TEXT NOT NULL
);
CREATE INDEX chunks_by_document ON chunks (document_id);
CREATE INDEX speakers_by_name ON chunk_speakers (folded);
CREATE INDEX speakers_by_organisation ON chunk_speakers (folded_organisation);
"""


@dataclass
class Chunk:
    """One passage of a document, as stored in the chunk table."""

    id: int  # its row: the position of its vector
    document_id: str
    page: int
    start: int
    end: int
    text: str
    speakers: list[dict] = field(default_factory=list)
    sentences: list[list[int]] = field(default_factory=list)  # [start, end, row in the sentence vectors]


def write_chunk_table(path: Path, chunks: Iterable[Chunk]) -> None:
    """Write every chunk (ids must be their rows, in order) into a new SQLite file."""
    with sqlite3.connect(path) as connection:
        connection.executescript(SCHEMA)
        for chunk in chunks:
            connection.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (chunk.id, chunk.document_id, chunk.page, chunk.start, chunk.end, chunk.text,
                                json.dumps(chunk.speakers, ensure_ascii=False), json.dumps(chunk.sentences)))
            connection.executemany(
                "INSERT INTO chunk_speakers VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(chunk.id, chunk.document_id, s["name"], fold_accents(s["name"]), s.get("role", ""),
                  s.get("organisation", ""), fold_accents(s.get("organisation", ""))) for s in chunk.speakers])
    connection.close()


class ChunkTable:
    """Read access to a version's chunk table, one read-only connection per thread."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self.count = int(self._connection().execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:  # immutable: a version never changes once written
            connection = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            self._local.connection = connection
        return connection

    def chunks(self, rows: Iterable[int]) -> list[Chunk]:
        """The chunks at these rows, in the order asked."""
        rows = [int(row) for row in rows]
        found: dict[int, Chunk] = {}
        for start in range(0, len(rows), 900):  # SQLite's bound-parameter limit
            part = rows[start:start + 900]
            query = f"SELECT * FROM chunks WHERE row IN ({','.join('?' * len(part))})"
            for record in self._connection().execute(query, part):
                found[record[0]] = _chunk(record)
        return [found[row] for row in rows if row in found]

    def chunk(self, row: int) -> Chunk:
        """One chunk."""
        found = self.chunks([row])
        if not found:
            raise KeyError(row)
        return found[0]

    def iter_chunks(self, document_id: str | None = None) -> Iterator[Chunk]:
        """Every chunk in row order (of one document when given)."""
        if document_id is None:
            cursor = self._connection().execute("SELECT * FROM chunks ORDER BY row")
        else:
            cursor = self._connection().execute("SELECT * FROM chunks WHERE document_id = ? ORDER BY row",
                                                (document_id,))
        for record in cursor:
            yield _chunk(record)

    def speaker_rows(self, names: Iterable[str]) -> list[int]:
        """Rows of the chunks where a speaker whose name or organisation contains one of ``names`` speaks
        (case and accents ignored; every character of a name taken as itself)."""
        patterns = json.dumps(speaker_patterns(names), ensure_ascii=False)
        found = self._connection().execute(
            "WITH wanted(pattern) AS MATERIALIZED (SELECT value FROM json_each(?)), "
            "names(value) AS (SELECT DISTINCT folded FROM chunk_speakers), "
            "organisations(value) AS (SELECT DISTINCT folded_organisation FROM chunk_speakers) "
            "SELECT chunk_row FROM chunk_speakers WHERE folded IN (SELECT value FROM names WHERE EXISTS "
            "(SELECT 1 FROM wanted WHERE instr(value, pattern) > 0)) "
            "UNION SELECT chunk_row FROM chunk_speakers WHERE folded_organisation IN (SELECT value FROM organisations "
            "WHERE EXISTS (SELECT 1 FROM wanted WHERE instr(value, pattern) > 0)) ORDER BY 1", (patterns,))
        return [row for (row,) in found]

    def speaker_passages(self) -> Iterator[tuple[tuple[str, str, str], str, str, str, str, int]]:
        """Who speaks in which report: (key, name, role, organisation, document id, passages), where the key
        (folded name, role, organisation) is the same for the same speaker in every segment."""
        query = ("SELECT name, role, organisation, document_id, COUNT(*) FROM chunk_speakers "
                 "GROUP BY folded, role, organisation, document_id ORDER BY folded, role, organisation")
        for name, role, organisation, document_id, passages in self._connection().execute(query):
            yield (fold_accents(name), role, organisation), name, role, organisation, document_id, passages


def folded_speakers(speakers: list[dict]) -> list[str]:
    """What a speaker filter matches in a chunk, folded once when it is written: each speaker's name and
    organisation (empty ones included, as the folder's rows hold them), each value once, in order."""
    return sorted({fold_accents(speaker.get(field) or "") for speaker in speakers for field in ("name", "organisation")})


def speaker_patterns(names: Iterable[str]) -> list[str]:
    """A speaker filter's names as both stores match them: folded and stripped, each once, in order."""
    return sorted({fold_accents(name).strip() for name in names})


def _chunk(record: tuple) -> Chunk:
    row, document_id, page, start, end, text, speakers, sentences = record
    return Chunk(row, document_id, page, start, end, text, json.loads(speakers), json.loads(sentences))
