"""An index version on disk (format 4) and :class:`FolderVersion`, the embedded store that reads it.

A version is a manifest that lists segments (:mod:`index_build.store.folder.segment`), each written once by a build,
an add or a merge and shared by the versions that keep it, and the documents each one holds::

    versions/<version>/manifest.json   model, chunking, retrieval settings, the documents (each with its
                                       segment and its rows there), the segments in row order (each with
                                       its counts, search kinds, checksums and its tombstones: the ids of
                                       its documents this version no longer holds)
    segments/<segment>/                the files of one segment

Rows are global within a version: a segment's rows follow the previous segment's. A removed or replaced
document stays in its segment until a merge rewrites it; its rows are masked out of every search.
Format 3 (one folder holding the files of a single segment) is still read, as one segment, and format 2
(a FAISS flat file and a JSON-lines chunk table) by :func:`read_legacy`, so that the first build after
an upgrade reuses every vector.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from index_build.chunk_table import Chunk
from index_build.lexical import combined_scores
from index_build.store.folder.segment import TEXTS_DIR, Segment, StoreProblem, read_vocabulary
from index_build.store.base import DocumentRows, Hits, Renderings, Selection, gather_speakers
from index_build.vector_index import best_of
from index_build.vocabulary import Vocabulary

FORMAT_VERSION = 4
MANIFEST_FILE = "manifest.json"
SEGMENTS_DIR = "segments"
LEGACY_VECTORS_FILE = "vectors.faiss"  # format 2
LEGACY_CHUNKS_FILE = "chunks.jsonl"
LEGACY_SENTENCES_FILE = "sentences.npy"
FORMAT_3 = 3

REMEMBERED_SELECTIONS = 32  # filtered selections whose masks a version keeps (a filter asked again is not rebuilt)
__all__ = ["FORMAT_VERSION", "FolderVersion", "LegacyVersion", "StoreProblem", "read_legacy"]


class FolderVersion:
    """One index version: its segments open side by side, rows numbered across them, tombstones masked."""

    def __init__(self, manifest: dict, segments: list[Segment], path: Path):
        self.path = path
        self._manifest = manifest
        self.segments = segments
        sizes = [segment.count for segment in segments]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        sentence_sizes = [len(segment.sentences) for segment in segments]
        self._sentence_offsets = np.concatenate([[0], np.cumsum(sentence_sizes)]).astype(np.int64)
        self._position = {segment.id: i for i, segment in enumerate(segments)}
        self._ranges: list[tuple[dict, int, int]] = []  # (document entry, first global row, end)
        for doc in manifest["documents"]:
            index = self._position.get(doc.get("segment"))
            if index is None:
                raise StoreProblem(f"{MANIFEST_FILE}: document {doc['id']!r} is in segment {doc.get('segment')!r}, "
                                   "which the version does not list")
            first, chunks = segments[index].document_rows.get(doc["id"], (None, None))
            if first is None or chunks != doc["chunks"]:
                raise StoreProblem(f"{MANIFEST_FILE}: document {doc['id']!r} is not in segment {doc['segment']} "
                                   "as the manifest says")
            start = int(self._offsets[index]) + first
            self._ranges.append((doc, start, start + chunks))
        self._rows = DocumentRows(self._ranges, self.count())
        self._live_count = sum(end - start for _, start, end in self._ranges)
        self._live_documents = {(doc["segment"], doc["id"]) for doc in manifest["documents"]}
        self._document_segment = {doc["id"]: self._position[doc["segment"]] for doc in manifest["documents"]}
        live = self._rows.mask(lambda doc: True)
        self._live = None if live.all() else live
        self._language_masks = {language: self._rows.mask(Selection(None, language).keeps_document)
                                for language in self._rows.languages}
        self._selection_mask = lru_cache(maxsize=REMEMBERED_SELECTIONS)(self._build_mask)
        self._slices: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
        for mask in [*self._language_masks.values(), *([] if self._live is None else [self._live])]:
            self._remember(mask)  # masks every question uses: their bitmaps made once
        self._vocabulary = union_of([segment.vocabulary for segment in segments], manifest["model"]["dimension"])
        self._words = (segments[0].lexical.vocabulary if len(segments) == 1
                       else frozenset().union(*(segment.lexical.vocabulary for segment in segments)))
        self._check()

    # --- what the version is -----------------------------------------------------------------
    @property
    def version(self) -> str:
        return self._manifest["version"]

    @property
    def manifest(self) -> dict:
        return self._manifest

    @property
    def documents(self) -> list[dict]:
        return self._manifest["documents"]

    @property
    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def count(self) -> int:
        return int(self._offsets[-1])

    def live_count(self) -> int:
        """Chunks of the version's documents (rows of removed documents not counted)."""
        return self._live_count

    def describe(self) -> dict:
        return {"store": "folder", "path": str(self.path), "format_version": FORMAT_VERSION,
                "version": self.version, "counts": self._manifest["counts"], "model": self._manifest["model"],
                "segments": [{"id": entry["id"], "chunks": entry["counts"]["chunks"],
                              "deleted_documents": len(entry.get("deleted", [])), "search": entry["search"]}
                             for entry in self._manifest["segments"]],
                "search": self._manifest["segments"][-1]["search"] if self._manifest["segments"] else {}}

    @property
    def parallel_searches(self) -> int:
        return 1  # its searches are this process's CPU (numpy, FAISS): one after another

    # --- selections ----------------------------------------------------------------------------
    def report_languages(self) -> list[str]:
        return self._rows.languages

    def languages_of(self, rows: np.ndarray) -> np.ndarray:
        return self._rows.languages_of(rows)

    def count_selected(self, selection: Selection | None = None) -> int:
        mask = self._mask(selection)
        return self.count() if mask is None else int(np.count_nonzero(mask))

    def selected_rows(self, selection: Selection | None = None) -> np.ndarray:
        mask = self._mask(selection)
        return np.arange(self.count(), dtype=np.int64) if mask is None else np.flatnonzero(mask)

    def _mask(self, selection: Selection | None = None) -> np.ndarray | None:
        """The selection as a boolean mask over the version's rows (None: every row), made once per selection."""
        if selection is None:
            return self._live
        if selection.filter is None:
            return self._live if selection.language is None else self._language_mask(selection.language)
        return self._selection_mask(selection)

    def _language_mask(self, language: str) -> np.ndarray:
        found = self._language_masks.get(language)
        return found if found is not None else np.zeros(self.count(), dtype=bool)

    def _build_mask(self, selection: Selection | None = None) -> np.ndarray:
        mask = self._rows.mask(selection.keeps_document)
        if selection.speakers:
            speaking = np.zeros(self.count(), dtype=bool)
            for index, segment in enumerate(self.segments):
                speaking[np.array(segment.table.speaker_rows(selection.speakers), dtype=np.int64)
                         + self._offsets[index]] = True
            mask &= speaking
        return mask

    # --- vectors -----------------------------------------------------------------------------
    def search_chunks(self, query: np.ndarray, k: int, selection: Selection | None = None) -> Hits:
        return self._search_each(lambda segment, local: segment.search_chunks(query, k, local), k,
                                 self._mask(selection))

    def search_sentences(self, query: np.ndarray, k: int, selection: Selection | None = None) -> Hits:
        return self._search_each(lambda segment, local: segment.search_sentences(query, k, local), k,
                                 self._mask(selection))

    def search_renderings(self, query: np.ndarray, language: str, k: int, selection: Selection | None = None) -> Hits:
        return self._search_each(lambda segment, local: segment.search_renderings(query, language, k, local), k,
                                 self._mask(selection))

    def search_rendering_words(self, terms: list[str], language: str, k: int, selection: Selection | None = None) -> Hits:
        indexes, rows, offset = [], [], 0
        for index, segment in enumerate(self.segments):
            lexical = segment.rendering_lexical(language)
            if lexical is not None:
                indexes.append((lexical, offset))
                rows.append(segment.renderings.rows[segment.rendering_members(language)] + self._offsets[index])
                offset += len(lexical)
        if not indexes or not terms:
            return Hits()
        scores, rows = combined_scores(indexes, terms), np.concatenate(rows)
        keep = scores > 0
        allowed = self._mask(selection)
        if allowed is not None:
            keep &= allowed[rows]
        return Hits(*best_of(rows[keep], scores[keep], k))

    def rendering_languages(self) -> list[str]:
        return sorted({language for segment in self.segments
                       for language in (segment.description.get("renderings") or {}).get("languages", [])})

    def document_renderings(self, document_id: str) -> Renderings:
        """A document's renderings, rows from its first chunk (the builder carries them over)."""
        index = self._document_segment.get(document_id)
        if index is None:
            return Renderings()
        return self.segments[index].document_renderings(*self.segments[index].document_rows[document_id])

    def chunk_scores(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        if len(self.segments) == 1:
            return self.segments[0].chunk_scores(query, rows)
        chunk, best = np.zeros(len(rows), np.float32), np.zeros(len(rows), np.float32)
        for index, positions in _by_segment(rows, self._offsets):
            chunk[positions], best[positions] = self.segments[index].chunk_scores(
                query, rows[positions] - self._offsets[index])
        return chunk, best

    def sentence_vectors(self, rows: list[int]) -> np.ndarray:
        return self._gather(np.asarray(rows, dtype=np.int64), self._sentence_offsets,
                            lambda segment: segment.sentences.vectors)

    def chunk_vectors(self, rows: list[int]) -> np.ndarray:
        """The vectors of these chunk rows (the builder reuses them)."""
        return self._gather(np.asarray(rows, dtype=np.int64), self._offsets, lambda segment: segment.chunks.vectors)

    # --- words ---------------------------------------------------------------------------------
    def search_words(self, terms: list[str], k: int, selection: Selection | None = None) -> Hits:
        scores = combined_scores([(segment.lexical, int(offset))
                                  for segment, offset in zip(self.segments, self._offsets)], terms)
        keep = scores > 0
        allowed = self._mask(selection)
        if allowed is not None:
            keep &= allowed
        rows = np.flatnonzero(keep)
        return Hits(*best_of(rows, scores[rows], k))

    def word_coverage(self, variants: list[list[str]]) -> float | None:
        if not variants or not self._words:
            return None
        return sum(any(term in self._words for term in options) for options in variants) / len(variants)

    # --- chunks and texts ----------------------------------------------------------------------
    def chunks(self, rows: list[int]) -> list[Chunk]:
        rows = np.asarray(rows, dtype=np.int64)
        found: dict[int, Chunk] = {}
        for index, positions in _by_segment(rows, self._offsets):
            local = (rows[positions] - self._offsets[index]).tolist()
            for chunk in self.segments[index].table.chunks(local):
                chunk = self._global(chunk, index)
                found[chunk.id] = chunk
        return [found[row] for row in rows.tolist() if row in found]

    def iter_chunks(self, document_id: str | None = None) -> Iterator[Chunk]:
        if document_id is not None:
            index = self._document_segment.get(document_id)
            if index is not None:
                yield from (self._global(chunk, index) for chunk in self.segments[index].table.iter_chunks(document_id))
            return
        for index, segment in enumerate(self.segments):
            for chunk in segment.table.iter_chunks():
                if (segment.id, chunk.document_id) in self._live_documents:
                    yield self._global(chunk, index)

    def document_text(self, document_id: str) -> str | None:
        index = self._document_segment.get(document_id)
        return None if index is None else self.segments[index].text(document_id)

    def speakers(self) -> list[dict]:
        return gather_speakers(record for segment in self.segments for record in segment.table.speaker_passages()
                               if (segment.id, record[4]) in self._live_documents)

    def close(self) -> None:
        """Nothing to close: the files are memory-mapped and shared with the versions that follow."""

    # --- inside --------------------------------------------------------------------------------
    def _remember(self, mask: np.ndarray) -> None:
        local = [mask[self._offsets[i]:self._offsets[i + 1]] for i in range(len(self.segments))]
        for segment, part in zip(self.segments, local):
            segment.remember(part)
        self._slices[id(mask)] = (mask, local)

    def _local_masks(self, allowed: np.ndarray | None) -> list[np.ndarray | None]:
        """Each segment's part of a mask over the version's rows (the remembered parts for the masks every
        question uses, so that their bitmaps are not made again)."""
        if allowed is None:
            allowed = self._live
        if allowed is None:
            return [None] * len(self.segments)
        known = self._slices.get(id(allowed))
        if known is not None and known[0] is allowed:
            return known[1]
        return [allowed[self._offsets[i]:self._offsets[i + 1]] for i in range(len(self.segments))]

    def _search_each(self, search, k: int, allowed: np.ndarray | None) -> Hits:
        """One search in every segment with something allowed, the k best of them all."""
        rows, scores = [], []
        for index, (segment, local) in enumerate(zip(self.segments, self._local_masks(allowed))):
            if segment.count == 0 or (local is not None and not local.any()):
                continue
            found, found_scores = search(segment, local)
            rows.append(np.asarray(found, dtype=np.int64) + self._offsets[index])
            scores.append(found_scores)
        if not rows:
            return Hits()
        if len(rows) == 1:
            return Hits(rows[0], np.asarray(scores[0], dtype=np.float32))
        return Hits(*best_of(np.concatenate(rows), np.concatenate(scores).astype(np.float32), k))

    def _gather(self, rows: np.ndarray, offsets: np.ndarray, vectors_of) -> np.ndarray:
        dimension = self._manifest["model"]["dimension"]
        found = np.zeros((len(rows), dimension), dtype=np.float32)
        for index, positions in _by_segment(rows, offsets):
            found[positions] = np.asarray(vectors_of(self.segments[index])[rows[positions] - offsets[index]],
                                          dtype=np.float32)
        return found

    def _global(self, chunk: Chunk, index: int) -> Chunk:
        """A segment's chunk with the version's row numbers."""
        chunk.id += int(self._offsets[index])
        sentence_offset = int(self._sentence_offsets[index])
        if sentence_offset:
            chunk.sentences = [[start, end, row + sentence_offset] for start, end, row in chunk.sentences]
        return chunk

    def _check(self) -> None:
        """The manifest's counts and model must agree with the segments."""
        dimension, problems = self._manifest["model"]["dimension"], []
        for segment in self.segments:
            found = segment.dimension()
            if found is not None and found != dimension:
                problems.append(f"segment {segment.id} holds {found}-d vectors, the model makes {dimension}-d ones")
        if len(self._vocabulary.entries) and self._vocabulary.vectors.shape[1] != dimension:
            problems.append(f"the vocabulary holds {self._vocabulary.vectors.shape[1]}-d vectors")
        counts = self._manifest.get("counts", {})
        if counts.get("chunks", self.live_count()) != self.live_count():
            problems.append(f"the manifest counts {counts.get('chunks')} chunks, its documents hold {self.live_count()}")
        if problems:
            raise StoreProblem(f"the version in {self.path} is inconsistent: {'; '.join(problems)}")


def _by_segment(rows: np.ndarray, offsets: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(segment index, positions in ``rows``) for each segment that holds some of the version's rows."""
    owner = np.searchsorted(offsets, rows, side="right") - 1
    for index in np.unique(owner):
        yield int(index), np.flatnonzero(owner == index)


def open_version(path: Path, segments_dir: Path, exact: bool = False,
                 opened: dict[str, Segment] | None = None) -> FolderVersion:
    """Open a version folder of this format (its segments from ``segments_dir``; a segment already open in
    ``opened``, from another version of the same index, is shared, not opened again)."""
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StoreProblem(f"{path / MANIFEST_FILE} is unreadable ({type(error).__name__}: {error})") from error
    if manifest.get("format_version") == FORMAT_3:
        return open_format_3(path, manifest, exact)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StoreProblem(f"{path / MANIFEST_FILE}: format version {manifest.get('format_version')}, "
                           f"this citeqa serves format {FORMAT_VERSION}")
    segments = []
    try:
        for entry in manifest["segments"]:
            segment = (opened or {}).get(entry["id"]) if not exact else None
            segments.append(segment or Segment(segments_dir / entry["id"], entry, exact=exact))
        return FolderVersion(manifest, segments, path)
    except StoreProblem:
        raise
    except Exception as error:
        raise StoreProblem(f"the version in {path} is unreadable ({type(error).__name__}: {error})") from error


def open_format_3(path: Path, manifest: dict, exact: bool = False) -> FolderVersion:
    """A format-3 version folder (the files of one segment beside its manifest), read as one segment."""
    segment_id = path.name
    documents = [{"id": doc["id"], "first_row": doc["first_row"], "chunks": doc["chunks"]} for doc in manifest["documents"]]
    entry = {"id": segment_id, "documents": documents, "counts": manifest["counts"],
             "search": manifest.get("search", {}), "deleted": []}
    segment = Segment(path, entry, exact=exact)
    segment.id = segment_id
    converted = {**manifest, "segments": [entry],
                 "documents": [{**doc, "segment": segment_id} for doc in manifest["documents"]]}
    return FolderVersion(converted, [segment], path)


def union_of(vocabularies: list[Vocabulary], dimension: int) -> Vocabulary:
    """The words of several segments, each once (its first vector)."""
    if len(vocabularies) == 1:
        return vocabularies[0]
    entries, rows, seen = [], [], set()
    for vocabulary in vocabularies:
        for row, entry in enumerate(vocabulary.entries):
            if entry not in seen:
                seen.add(entry)
                entries.append(entry)
                rows.append(vocabulary.vectors[row])
    if not entries:
        return Vocabulary.empty(dimension)
    return Vocabulary(entries, np.vstack(rows).astype(np.float32))


@dataclass
class LegacyVersion:
    """A format-1/2 version, read whole, only so that a build can reuse its vectors."""

    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    sentence_vectors_all: np.ndarray
    texts: dict[str, str]
    vocabulary: Vocabulary

    @property
    def documents(self) -> list[dict]:
        return self.manifest["documents"]

    def iter_chunks(self, document_id: str | None = None) -> Iterator[Chunk]:
        """Copies of the chunks (of one document): a build renumbers their sentences."""
        return (Chunk(**c.__dict__) for c in self.chunks if document_id is None or c.document_id == document_id)

    def chunk_vectors(self, rows: list[int]) -> np.ndarray:
        return self.vectors[rows]

    def sentence_vectors(self, rows: list[int]) -> np.ndarray:
        return self.sentence_vectors_all[rows].reshape(len(rows), -1)

    def document_text(self, document_id: str) -> str | None:
        return self.texts.get(document_id)

    def document_renderings(self, document_id: str) -> Renderings:
        return Renderings()  # older formats had none


def read_legacy(path: Path) -> LegacyVersion:
    """Read a version written by an older citeqa (format 1 or 2)."""
    manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    index = faiss.read_index(str(path / LEGACY_VECTORS_FILE))
    chunks = [Chunk(**json.loads(line)) for line in (path / LEGACY_CHUNKS_FILE).read_text(encoding="utf-8").splitlines()]
    vectors = np.vstack([index.reconstruct(chunk.id) for chunk in chunks]) if chunks else np.zeros(
        (0, manifest["model"]["dimension"]), np.float32)
    for row, chunk in enumerate(chunks):
        chunk.id = row
    texts = {doc["id"]: (path / TEXTS_DIR / f"{doc['id']}.txt").read_text(encoding="utf-8")
             for doc in manifest["documents"]}
    vocabulary = (read_vocabulary(path) if manifest.get("format_version") == 2
                  else Vocabulary.empty(manifest["model"]["dimension"]))
    return LegacyVersion(manifest, chunks, vectors, np.load(path / LEGACY_SENTENCES_FILE, allow_pickle=False),
                         texts, vocabulary)
