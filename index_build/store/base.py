"""What every store is and does, whichever backend holds it: the :class:`Store` (one index and its report
catalog), the :class:`Version` it opens for reading, the :class:`Writer` of a new version, the
:class:`Catalog` of reports, and what the backends share (the search filter, hits, :class:`PreviousVersion`,
:func:`check_model`).

Two backends implement them: the index folder (:mod:`index_build.store.folder`) and PostgreSQL
(:mod:`index_build.store.postgres`); :func:`index_build.store.factory.open_store` is the only place that picks
one. Retrieval (``service.search``), the command line, the admin jobs and the eval only speak to these interfaces.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from index_build.chunk_table import Chunk
from index_build.corpus import ReportInfo
from index_build.retrieval import vectors_encoder
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


@dataclass(frozen=True)
class Selection:
    """The passages a search may look at: those a filter keeps, and (``language`` set) only those of reports in
    that language. Each store translates it itself: a boolean mask over its rows for the folder, a ``WHERE`` for
    PostgreSQL."""

    filter: SearchFilter | None = None
    language: str | None = None

    @classmethod
    def of(cls, search_filter: SearchFilter | None) -> "Selection":
        """Everything a filter keeps (an empty filter keeps every passage)."""
        return cls(None if search_filter is None or search_filter.empty else search_filter)

    def within(self, language: str) -> "Selection":
        """Only what this selection keeps of the reports in ``language``."""
        return Selection(self.filter, language)

    def keeps_document(self, document: dict) -> bool:
        """Whether a document passes the document-level conditions (its passages may still be filtered by speaker)."""
        return ((self.language is None or document.get("language", "") == self.language)
                and (self.filter is None or self.filter.keeps_document(document)))

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speaker substrings the passages must hold (none: every passage of a kept document)."""
        return self.filter.speakers if self.filter is not None else ()


class DocumentRows:
    """Where each document's chunk rows lie in a version (both stores number rows the same way): the rows of the
    documents a selection keeps, and the report language of rows."""

    def __init__(self, ranges: list[tuple[dict, int, int]], total: int):
        self.ranges = ranges  # (document entry, first row, end row), in the version's order
        self.total = total  # rows, those of removed documents included (the folder keeps them until a merge)
        self.languages = sorted({entry.get("language", "") for entry, _, _ in ranges})
        self._starts = np.array([start for _, start, _ in ranges], dtype=np.int64)
        self._ends = np.array([end for _, _, end in ranges], dtype=np.int64)
        self._order = np.argsort(self._starts, kind="stable")
        self._codes = np.array([self.languages.index(entry.get("language", "")) for entry, _, _ in ranges],
                               dtype=np.int64)

    def mask(self, keep) -> np.ndarray:
        """Boolean mask over the rows of the documents ``keep(entry)`` accepts."""
        mask = np.zeros(self.total, dtype=bool)
        for entry, start, end in self.ranges:
            if keep(entry):
                mask[start:end] = True
        return mask

    def kept(self, keep) -> list[int]:
        """Positions (in the version's order) of the documents ``keep(entry)`` accepts."""
        return [position for position, (entry, _, _) in enumerate(self.ranges) if keep(entry)]

    def count(self, positions: list[int]) -> int:
        """Rows of the documents at these positions."""
        return int(sum(self._ends[positions] - self._starts[positions])) if positions else 0

    def rows(self, positions: list[int]) -> np.ndarray:
        """The rows of the documents at these positions, in order."""
        spans = [np.arange(self._starts[p], self._ends[p]) for p in sorted(positions, key=lambda p: self._starts[p])]
        return np.concatenate(spans).astype(np.int64) if spans else np.zeros(0, dtype=np.int64)

    def languages_of(self, rows: np.ndarray) -> np.ndarray:
        """The report language of each row ("" for a row no document of the version holds)."""
        rows = np.asarray(rows, dtype=np.int64)
        found = np.full(len(rows), "", dtype=object)
        if not len(self.ranges) or not len(rows):
            return found
        starts = self._starts[self._order]
        owner = np.searchsorted(starts, rows, side="right") - 1
        held = owner >= 0
        documents = self._order[np.clip(owner, 0, None)]
        held &= rows < self._ends[documents]
        found[held] = np.array(self.languages, dtype=object)[self._codes[documents[held]]]
        return found


def gather_speakers(records) -> list[dict]:
    """Speaker entries (name, role, organisation, documents, passages) from ``(key, name, role, organisation,
    document id, passages)`` records, one entry per key, sorted by key: both stores list speakers this way."""
    found: dict[tuple, dict] = {}
    for key, name, role, organisation, document_id, passages in records:
        entry = found.setdefault(key, {"name": name, "role": role, "organisation": organisation, "documents": [],
                                       "passages": 0})
        if document_id not in entry["documents"]:
            entry["documents"].append(document_id)
        entry["passages"] += passages
    return [found[key] for key in sorted(found)]


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
                          np.asarray(self.vectors[positions]), [self.texts[i] for i in positions])

    def shifted(self, row_offset: int) -> "Renderings":
        """All of them, their rows shifted by ``row_offset`` (the vectors shared, not copied)."""
        return Renderings(self.rows + row_offset, self.languages, self.vectors, self.texts)


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


class Version(Protocol):
    """One readable version of the index (what :meth:`Store.open` gives)."""

    @property
    def version(self) -> str: ...

    @property
    def manifest(self) -> dict: ...

    @property
    def documents(self) -> list[dict]: ...

    @property
    def vocabulary(self) -> Vocabulary: ...

    def count(self) -> int:
        """Chunk rows in the version (rows of removed documents included until a merge drops them; no selection
        keeps them)."""

    def live_count(self) -> int:
        """Chunks of the version's documents."""

    def describe(self) -> dict:
        """Counts, model, format and how vectors are searched."""

    @property
    def parallel_searches(self) -> int:
        """How many of its searches are worth running at once for one question: 1 where a search is this
        process's own work (the folder's), more where it waits on a server (a database's queries)."""

    def report_languages(self) -> list[str]:
        """The languages of the version's reports."""

    def languages_of(self, rows: np.ndarray) -> np.ndarray:
        """The report language of each chunk row."""

    def count_selected(self, selection: Selection | None = None) -> int:
        """How many passages the selection keeps (a selection of None, in this and every search: every passage)."""

    def selected_rows(self, selection: Selection | None = None) -> np.ndarray:
        """The rows the selection keeps, in order (for selections small enough to score every passage)."""

    def search_chunks(self, query: np.ndarray, k: int, selection: Selection | None = None) -> Hits:
        """The chunks closest to the query vector."""

    def search_sentences(self, query: np.ndarray, k: int, selection: Selection | None = None) -> Hits:
        """The chunks whose sentences are closest to the query vector (rows are chunk rows, scores the best
        sentence's), searched among the sentences of the selected chunks."""

    def chunk_scores(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact (chunk similarity, best sentence similarity) of the given chunk rows."""

    def search_words(self, terms: list[str], k: int, selection: Selection | None = None) -> Hits:
        """BM25 over the chunk texts for already-analysed index terms."""

    def search_renderings(self, query: np.ndarray, language: str, k: int, selection: Selection | None = None) -> Hits:
        """The chunks whose rendering in ``language`` (:class:`Renderings`) is closest to the query vector
        (rows are chunk rows); none where the version holds no renderings."""

    def search_rendering_words(self, terms: list[str], language: str, k: int, selection: Selection | None = None) -> Hits:
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

    def chunk_vectors(self, rows: list[int]) -> np.ndarray:
        """The vectors of these chunk rows."""

    def document_renderings(self, document_id: str) -> Renderings:
        """A document's renderings (rows from its first chunk)."""

    def close(self) -> None:
        """Let go of what the version holds open (connections); the folder's has nothing to close."""


_deadline: ContextVar[float | None] = ContextVar("citeqa_search_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Give the store's queries made in this block (this thread or task) ``seconds`` in all (None: no limit)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float | None:
    """What is left of the current :func:`deadline` (None: no deadline)."""
    found = _deadline.get()
    return None if found is None else found - time.monotonic()


class DatabaseProblem(RuntimeError):
    """The store's database cannot be reached, or is not in the state asked for; the message says what to do (the
    API answers 503)."""


class IndexProblem(RuntimeError):
    """The index is missing, corrupt, busy or does not match the model; the message says what to run."""


class StoreBusy(IndexProblem):
    """Another change holds the store's writer lock, past the wait allowed (CITEQA_LOCK_TIMEOUT): try again."""


def check_model(version, model_name: str | None, fingerprint: str | None, dimension: int | None) -> None:
    """The index must have been built with the model that will embed the questions."""
    model = version.manifest["model"]
    if dimension is not None and model["dimension"] != dimension:
        raise IndexProblem(f"The index holds {model['dimension']}-d vectors but the model {model_name!r} makes "
                           f"{dimension}-d ones. Rebuild the index with this model: `citeqa build`.")
    if fingerprint is not None and model["fingerprint"] != fingerprint:
        built = vectors_encoder(model["fingerprint"]) or "onnx"  # a quantized encoder tags the fingerprint
        asked = vectors_encoder(fingerprint) or "onnx"
        if built != asked and model["fingerprint"].split("+")[0] == fingerprint.split("+")[0]:
            # the same model, another encoder's vectors
            raise IndexProblem(f"The index was built with the {built} encoder of {model['name']!r} "
                               f"({model['fingerprint']}), not with this one ({fingerprint}). "
                               f"Rebuild it: `citeqa build`, or set CITEQA_ENCODER={built}.")
        raise IndexProblem(f"The index was built with model {model['name']!r} ({model['fingerprint']}), not with "
                           f"{model_name!r} ({fingerprint}). Rebuild it: `citeqa build`, or set CITEQA_MODEL={model['name']}.")


class PreviousVersion:
    """The current version as a build sees it: its documents, and each one's chunks, vectors, text and
    renderings to carry over without embedding (from either backend, or from an older folder format)."""

    def __init__(self, version):
        self.version = version
        self.manifest = version.manifest
        self.documents = version.manifest["documents"] if "documents" in version.manifest else version.documents
        self.document_ids = {doc["id"] for doc in self.documents}
        self.vocabulary = version.vocabulary

    def document(self, document_id: str) -> tuple[list[Chunk], np.ndarray, np.ndarray, str]:
        """A document's chunks (their sentence rows renumbered from 0), their vectors, its sentence vectors
        (row i for sentence row i) and its text: what a new version carries over without embedding."""
        chunks = list(self.version.iter_chunks(document_id))
        vectors, text = self.version.chunk_vectors([c.id for c in chunks]), self.version.document_text(document_id)
        rows = sorted({row for chunk in chunks for _, _, row in chunk.sentences})
        renumber = {row: new for new, row in enumerate(rows)}
        for chunk in chunks:
            chunk.sentences = [[start, end, renumber[row]] for start, end, row in chunk.sentences]
        sentence_vectors = self.version.sentence_vectors(rows)
        return chunks, vectors, sentence_vectors.astype(np.float32).reshape(len(rows), vectors.shape[1]), text

    def part(self, document_id: str, fields: dict | None = None) -> DocumentPart:
        """A document carried over without embedding, as a writer takes it: its entry (where it lay dropped,
        ``fields`` from the catalog on top), text, chunks and vectors."""
        chunks, vectors, sentence_vectors, text = self.document(document_id)
        old = next(doc for doc in self.documents if doc["id"] == document_id)
        entry = {key: value for key, value in {**old, **(fields or {})}.items() if key not in ("first_row", "segment")}
        return DocumentPart(entry, text, chunks, vectors, sentence_vectors, self.renderings(document_id))

    def renderings(self, document_id: str) -> Renderings:
        """A document's renderings in other languages (rows from its first chunk)."""
        return self.version.document_renderings(document_id)


@dataclass
class Committed:
    """A version a build made current."""

    version: str
    where: str  # the version's folder, or the database
    documents: int
    chunks: int


@dataclass
class Maintained:
    """What :meth:`Store.maintain` did."""

    done: bool  # something changed (a new version is current)
    line: str  # for people


class Writer(Protocol):
    """The changes of one build, made current together by :meth:`commit` (one writer at a time: the store's lock)."""

    @property
    def added(self) -> list[DocumentPart]:
        """The documents added with their rows (their words go into the version's vocabulary)."""

    def add(self, part: DocumentPart) -> None:
        """Add a document with its rows (a document of the same id is replaced)."""

    def carry_over(self, previous: PreviousVersion, document_id: str, fields: dict) -> None:
        """Keep an unchanged document of ``previous`` (``fields``: its catalog fields now), not embedded again."""

    def remove(self, document_id: str) -> None:
        """Leave a document out of the new version."""

    def commit(self, manifest: dict, vocabulary: Vocabulary, order: list[str]) -> Committed:
        """Write the new version and make it current (refused with an :class:`IndexProblem` when another writer
        made a version current since this one started)."""


class Changes:
    """What both backends' writers share: documents added, carried over (their rows kept as they are when the
    backend can, else written again from ``previous`` without embedding) and removed."""

    def __init__(self, writer, keeps_rows: bool):
        self._writer, self._keeps_rows = writer, keeps_rows

    @property
    def added(self) -> list[DocumentPart]:
        return self._writer.added

    def add(self, part: DocumentPart) -> None:
        self._writer.add(part)

    def carry_over(self, previous: PreviousVersion, document_id: str, fields: dict) -> None:
        old = next(doc for doc in previous.documents if doc["id"] == document_id)
        if self._keeps_rows and old.get("language") == fields.get("language"):
            self._keep(old, fields)  # its rows stay; only the catalog's fields (title, year…) may change
        else:  # an older folder format, or another stemmer: written again, not embedded
            self._writer.add(previous.part(document_id, fields))

    def remove(self, document_id: str) -> None:
        self._writer.remove(document_id)

    def _keep(self, old: dict, fields: dict) -> None:
        raise NotImplementedError


class Catalog(Protocol):
    """The reports of one store (ids, titles, languages, years, publishers, hashes) and their files, kept where
    the index is: any process that reaches the store sees the same catalog."""

    def reports(self) -> list[ReportInfo]:
        """The reports, in the catalog's order (read under the store's lock by a writer: the latest)."""

    def content_hash(self, info: ReportInfo, indexed: dict | None) -> str:
        """The sha256 of a report's file (``indexed``: its entry in the current version, which may know it)."""

    def recorded(self, info: ReportInfo) -> dict:
        """What a version records of the report's file besides its hash (the folder's file stamp)."""

    def file(self, info: ReportInfo) -> Path:
        """A readable copy of the report's file on this machine."""

    def put_file(self, source: Path, info: ReportInfo, digest: str) -> bool:
        """Keep a new report file under ``info.source_file``; True when something was written that
        :meth:`discard_file` must undo if the change fails."""

    def discard_file(self, info: ReportInfo) -> None:
        """Undo :meth:`put_file` after a change failed."""

    def record(self, reports: list[ReportInfo]) -> None:
        """Make ``reports`` the catalog a build reads (the folder's ``reports.json``; the database's catalog is
        the version a build commits, so there nothing is written here)."""

    def drop_unlisted(self, before: list[ReportInfo], after: list[ReportInfo]) -> None:
        """After a change is committed: forget the files of reports ``after`` no longer lists."""


class Store(Protocol):
    """One index and its catalog, in one backend: open the current version, write a new one (one writer at a
    time), keep it in shape, and say whether it can serve."""

    catalog: Catalog

    def describe(self) -> str:
        """Where the store is, for messages (no password)."""

    def current_name(self) -> str:
        """The current version's name ("" when there is none, or it cannot be read now)."""

    def name_of(self, version: Version) -> str:
        """The name :meth:`current_name` gives for a version that is open."""

    def open(self, *, model_name: str | None = None, fingerprint: str | None = None, dimension: int | None = None,
             served: Version | None = None, exact: bool = False) -> Version:
        """The current version, checked against the model (``served``: the version open until now, whose parts
        can be shared; ``exact``: vectors searched exactly, to measure the approximate indexes)."""

    def lock(self, wait: bool = True) -> contextlib.AbstractContextManager[None]:
        """Be the only writer until the block ends (``wait=False``, or the wait's deadline passed: an
        :class:`IndexProblem` saying another writer holds it)."""

    def has_current(self) -> bool:
        """Whether a version is current, in this citeqa's format."""

    def current_documents(self) -> dict[str, dict]:
        """The current version's document entries by id ({} when there is none)."""

    def previous(self, fingerprint: str, dimension: int) -> PreviousVersion | None:
        """The current version, when a build with this model can reuse it (None: none, or another model)."""

    def writer(self, previous: PreviousVersion | None, same_pipeline: bool) -> Writer:
        """A writer of the next version (``same_pipeline``: ``previous`` was made by this pipeline, its rows can
        be kept as they are)."""

    def needs_maintenance(self, version: Version) -> bool:
        """Whether :meth:`maintain` would do something for this version (the folder's merge policy)."""

    def maintain(self, everything: bool = False) -> "Maintained":
        """Keep the store in shape after changes (the folder merges segments; ``everything``: into one)."""

    def serving(self, version: Version) -> None:
        """Record that this process serves ``version`` (PostgreSQL keeps it from cleanup while the lease lasts)."""

    def released(self, version: Version) -> None:
        """Record that this process no longer has ``version`` open (its requests are done)."""

    def problem(self, version: Version | None = None) -> str:
        """Why the store cannot answer now ("" when it can): the database unreachable, or ``version`` gone."""

    def close(self) -> None:
        """Stop following the current version and close connections."""
