"""What an index version can do, whatever holds it: the store interface and the search filter.

The embedded FAISS folder (:mod:`index_build.index_store`) is the first implementation; a database
store is planned behind the same interface. Retrieval (``service.search``) only speaks to this interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

import numpy as np

from index_build.chunk_table import Chunk
from index_build.text import fold_accents
from index_build.vocabulary import Vocabulary


@dataclass(frozen=True)
class SearchFilter:
    """Which passages a search may return; an empty field does not restrict."""

    documents: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    publishers: tuple[str, ...] = ()  # case- and accent-insensitive substrings of the publisher
    speakers: tuple[str, ...] = ()  # substrings of a speaker's name or organisation

    @property
    def empty(self) -> bool:
        """True when the filter keeps everything."""
        return not (self.documents or self.languages or self.publishers or self.speakers
                    or self.year_from is not None or self.year_to is not None)

    def keeps_document(self, document: dict) -> bool:
        """Whether a document (its manifest entry) passes the document-level conditions."""
        year = document.get("year")
        return ((not self.documents or document["id"] in self.documents)
                and (not self.languages or document.get("language") in self.languages)
                and (self.year_from is None or (year is not None and year >= self.year_from))
                and (self.year_to is None or (year is not None and year <= self.year_to))
                and (not self.publishers or any(fold_accents(p) in fold_accents(document.get("publisher") or "")
                                                for p in self.publishers)))

    def to_dict(self) -> dict:
        """The conditions that restrict, as plain values."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in self.__dict__.items() if value not in ((), None)}


@dataclass
class Hits:
    """Rows found by one search and their scores, best first."""

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def pairs(self) -> list[tuple[int, float]]:
        """(row, score) pairs, best first."""
        return [(int(row), float(score)) for row, score in zip(self.rows, self.scores)]


@dataclass
class Renderings:
    """Passages machine-translated into other languages and embedded (:mod:`index_build.passage_translation`):
    for each rendering, the chunk row it renders and its language. Retrieval only: never cited."""

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    languages: list[str] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    texts: list[str] = field(default_factory=list)  # the translations (BM25 in their language)

    def __len__(self) -> int:
        return len(self.rows)

    def select(self, keep: np.ndarray, row_offset: int = 0) -> "Renderings":
        """The renderings where ``keep`` holds, their rows shifted by ``row_offset``."""
        positions = np.flatnonzero(keep)
        return Renderings(self.rows[positions] + row_offset, [self.languages[i] for i in positions],
                          np.asarray(self.vectors[positions], dtype=np.float32), [self.texts[i] for i in positions])


@dataclass
class DocumentPart:
    """One document as a writer takes it: its manifest entry, cleaned text, chunks (rows from 0, sentence rows
    from 0 into ``sentence_vectors``), their vectors, and its passages' renderings in other languages (rows from
    0, as the chunks')."""

    entry: dict
    text: str
    chunks: list[Chunk]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    renderings: Renderings = field(default_factory=Renderings)


class IndexWriter(Protocol):
    """Changes to the current version, made visible together by :meth:`commit` (one writer at a time)."""

    def add(self, part: DocumentPart) -> None:
        """Add a document (a document of the same id is replaced)."""

    def remove(self, document_id: str) -> None:
        """Remove a document."""

    def commit(self, manifest: dict, vocabulary: Vocabulary | None = None, order: list[str] | None = None) -> str:
        """Write the new version (``manifest``: model, chunking, pipeline, retrieval; ``vocabulary``: the words
        of the added documents; ``order``: document ids in the catalog's order) and make it current;
        returns where it is."""


class IndexStore(Protocol):
    """One readable version of the index."""

    @property
    def version(self) -> str: ...

    @property
    def manifest(self) -> dict: ...

    @property
    def documents(self) -> list[dict]: ...

    @property
    def vocabulary(self) -> Vocabulary: ...

    def count(self) -> int:
        """Chunk rows in the version: the length of every mask (rows of removed documents included until a
        merge drops them; :meth:`allowed` never keeps them)."""

    def live_count(self) -> int:
        """Chunks of the version's documents."""

    def describe(self) -> dict:
        """Counts, model, format and how vectors are searched."""

    def allowed(self, search_filter: SearchFilter | None) -> np.ndarray | None:
        """A boolean mask over chunk rows for the filter (None when it keeps every row)."""

    def languages(self) -> dict[str, np.ndarray]:
        """Report language -> boolean mask of its chunk rows."""

    def search_chunks(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        """The chunks closest to the query vector."""

    def search_sentences(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        """The chunks whose sentences are closest to the query vector (rows are chunk rows, scores the best
        sentence's), searched among the sentences of the allowed chunks."""

    def chunk_scores(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact (chunk similarity, best sentence similarity) of the given chunk rows."""

    def search_words(self, terms: list[str], k: int, allowed: np.ndarray | None) -> Hits:
        """BM25 over the chunk texts for already-analysed index terms."""

    def search_renderings(self, query: np.ndarray, language: str, k: int, allowed: np.ndarray | None) -> Hits:
        """The chunks whose rendering in ``language`` (:class:`Renderings`) is closest to the query vector
        (rows are chunk rows); none where the version holds no renderings."""

    def search_rendering_words(self, terms: list[str], language: str, k: int, allowed: np.ndarray | None) -> Hits:
        """BM25 over the renderings in ``language`` for already-analysed index terms of that language (rows are
        chunk rows)."""

    def rendering_languages(self) -> list[str]:
        """The languages the version's passages are rendered into (empty: built without a translator)."""

    def word_coverage(self, variants: list[list[str]]) -> float | None:
        """Share of the words (each a list of possible index terms) found in the version's texts."""

    def chunks(self, rows: list[int]) -> list[Chunk]:
        """The chunks at these rows, in that order."""

    def iter_chunks(self, document_id: str | None = None) -> Iterator[Chunk]:
        """Every chunk (of one document), in row order."""

    def sentence_vectors(self, rows: list[int]) -> np.ndarray:
        """The vectors of these sentence rows."""

    def document_text(self, document_id: str) -> str | None:
        """A document's cleaned text (chunk spans point into it), None when unknown."""

    def speakers(self) -> list[dict]:
        """Every speaker with role, organisation, reports and passage count."""
