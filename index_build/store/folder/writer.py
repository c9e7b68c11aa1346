"""The writer side of the embedded store: a change to the current version written as one new segment.

Documents added (or replaced) go into a single new segment; removed and replaced ones become tombstones of
the segment that holds them; every other segment is kept as it is, not read and not written. The new
version is a manifest written aside, checked, then made current in one atomic rename
(:mod:`index_build.store.folder.versions`). A merge (:mod:`index_build.store.folder.merging`) is the same change: the live
documents of a few segments added again, without embedding, as one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index_build.chunk_table import Chunk
from index_build.store.folder.version import FORMAT_VERSION, MANIFEST_FILE, SEGMENTS_DIR, FolderVersion, open_version
from index_build.store.folder.versions import VERSIONS_DIR, current_path, next_version_id, remove_stale, remove_unused, switch_current, write_failure
from index_build.store.base import IndexProblem
from index_build.store.folder.segment import VECTOR_DTYPE, StoreProblem, fsync_dir, write_segment, write_text
from index_build.store.base import DocumentPart, Renderings
from index_build.vocabulary import Vocabulary


class FolderWriter:
    """Changes to an index folder's current version (``base``; None for a first or a full build), made
    current together by :meth:`commit`. The caller holds the writer lock."""

    def __init__(self, index_dir: Path, base: FolderVersion | None, keep: int = 3):
        if base is not None and base.manifest.get("format_version") != FORMAT_VERSION:
            base = None  # an older format's documents are all added again (the builder does so)
        self.index_dir, self.base, self.keep = index_dir, base, keep
        self._parts: dict[str, DocumentPart] = {}
        self._removed: set[str] = set()
        self._updates: dict[str, dict] = {}

    def update(self, document_id: str, fields: dict) -> None:
        """New catalog fields (title, year, publisher…) for a kept document; its rows stay where they are."""
        self._updates[document_id] = fields

    def add(self, part: DocumentPart) -> None:
        self._parts[part.entry["id"]] = part

    def remove(self, document_id: str) -> None:
        self._removed.add(document_id)
        self._parts.pop(document_id, None)

    @property
    def added(self) -> list[DocumentPart]:
        """The documents added so far."""
        return list(self._parts.values())

    @property
    def changes(self) -> bool:
        """Whether anything was added or removed."""
        return bool(self._parts or self._removed)

    def commit(self, manifest: dict, vocabulary: Vocabulary | None = None, order: list[str] | None = None) -> Path:
        """Write the new segment and version and make it current; a file that cannot be written (disk full,
        read-only) is an :class:`IndexProblem` that says so, with nothing left behind."""
        try:
            return self._commit(manifest, vocabulary, order)
        except sqlite3.OperationalError as error:  # SQLite reports a full disk as "database or disk is full"
            raise IndexProblem(write_failure(self.index_dir, OSError(None, str(error)))) from error
        except OSError as error:
            raise IndexProblem(write_failure(self.index_dir, error)) from error

    def _commit(self, manifest: dict, vocabulary: Vocabulary | None, order: list[str] | None) -> Path:
        versions, segments_dir = self.index_dir / VERSIONS_DIR, self.index_dir / SEGMENTS_DIR
        versions.mkdir(parents=True, exist_ok=True)
        segments_dir.mkdir(parents=True, exist_ok=True)
        remove_stale(self.index_dir)
        dimension = manifest["model"]["dimension"]
        gone = self._removed | set(self._parts)
        kept_segments, documents = self._kept(gone)
        version_id = next_version_id(versions)
        new_segment: Path | None = None
        staging = versions / f".staging-{version_id}"
        final = versions / version_id
        try:
            if self._parts:
                segment_id = f"{version_id}-{uuid.uuid4().hex[:6]}"
                new_segment = segments_dir / segment_id
                entry, new_documents = self._write_segment(segments_dir, segment_id, vocabulary, dimension)
                kept_segments.append(entry)
                documents += new_documents
            if order is not None:
                position = {document_id: i for i, document_id in enumerate(order)}
                documents.sort(key=lambda doc: position.get(doc["id"], len(position)))
            written = {**manifest, "format_version": FORMAT_VERSION, "version": version_id,
                       "documents": documents, "segments": kept_segments,
                       "counts": {"documents": len(documents), "chunks": sum(doc["chunks"] for doc in documents),
                                  "sentences": sum(entry["counts"]["sentences"] for entry in kept_segments),
                                  "segments": len(kept_segments)}}
            staging.mkdir()
            write_text(staging / MANIFEST_FILE, json.dumps(written, ensure_ascii=False, indent=2))
            fsync_dir(staging)
            os.rename(staging, final)
            fsync_dir(versions)
            opened = {segment.id: segment for segment in self.base.segments} if self.base is not None else {}
            try:
                open_version(final, segments_dir, opened=opened)  # opens only the new segment: the others are served
            except StoreProblem as error:
                raise IndexProblem(f"The new version failed its check ({error}); the current one is unchanged.") from error
            switch_current(self.index_dir, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if final.exists() and current_path(self.index_dir) != final.resolve():
                shutil.rmtree(final, ignore_errors=True)  # complete but never current: it would push out a real one
            if new_segment is not None and current_path(self.index_dir) != final.resolve():
                shutil.rmtree(new_segment, ignore_errors=True)
                shutil.rmtree(segments_dir / f".staging-{new_segment.name}", ignore_errors=True)
            raise
        remove_unused(self.index_dir, self.keep)
        return final

    def _kept(self, gone: set[str]) -> tuple[list[dict], list[dict]]:
        """The base's segments with the tombstones of the documents now gone (a segment left with no live
        document is dropped), and the base's documents that stay."""
        if self.base is None:
            return [], []
        live_by_segment: dict[str, set[str]] = {}
        for doc in self.base.documents:
            live_by_segment.setdefault(doc["segment"], set()).add(doc["id"])
        segments = []
        for entry in self.base.manifest["segments"]:
            live = live_by_segment.get(entry["id"], set()) - gone
            if not live:
                continue
            chunks = {doc["id"]: doc["chunks"] for doc in entry["documents"]}
            deleted = sorted(set(chunks) - live)
            segments.append({**entry, "deleted": deleted, "deleted_chunks": sum(chunks[d] for d in deleted)})
        return segments, [{**doc, **self._updates.get(doc["id"], {})} for doc in self.base.documents
                          if doc["id"] not in gone]

    def _write_segment(self, segments_dir: Path, segment_id: str, vocabulary: Vocabulary | None,
                       dimension: int) -> tuple[dict, list[dict]]:
        """Write the added documents as one segment (rows renumbered from 0); returns its manifest entry and
        the documents' entries."""
        parts = list(self._parts.values())
        chunks: list[Chunk] = []
        sentence_offset = 0
        renderings = []
        for part in parts:
            renderings.append(part.renderings.shifted(len(chunks)))
            for chunk in part.chunks:
                chunks.append(Chunk(len(chunks), chunk.document_id, chunk.page, chunk.start, chunk.end, chunk.text,
                                    chunk.speakers, [[s, e, row + sentence_offset] for s, e, row in chunk.sentences]))
            sentence_offset += len(part.sentence_vectors)
        # stacked straight into the stored precision, no float32 copy between (at a million chunks the parts and
        # the stacks must fit in memory together)
        vectors = np.vstack([part.vectors for part in parts], dtype=VECTOR_DTYPE)
        sentences = np.vstack([part.sentence_vectors.reshape(-1, dimension) for part in parts], dtype=VECTOR_DTYPE)
        entries = [{key: value for key, value in part.entry.items() if key not in ("segment", "first_row")}
                   for part in parts]
        staging = segments_dir / f".staging-{segment_id}"
        staging.mkdir()
        description = write_segment(staging, entries, vectors, chunks, {part.entry["id"]: part.text for part in parts},
                                    sentences, vocabulary or Vocabulary.empty(dimension), dimension,
                                    join_renderings(renderings, dimension))
        os.rename(staging, segments_dir / segment_id)
        fsync_dir(segments_dir)
        rows = {doc["id"]: doc for doc in description["documents"]}
        documents = [{**entry, "segment": segment_id, "first_row": rows[entry["id"]]["first_row"],
                      "chunks": rows[entry["id"]]["chunks"]} for entry in entries]
        return {"id": segment_id, **description, "deleted": [], "deleted_chunks": 0,
                "written_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}, documents


def join_renderings(renderings: list[Renderings], dimension: int) -> Renderings:
    """Several parts' renderings (rows already shifted) as one."""
    kept = [r for r in renderings if len(r)]
    if not kept:
        return Renderings()
    return Renderings(np.concatenate([r.rows for r in kept]), [language for r in kept for language in r.languages],
                      np.vstack([np.asarray(r.vectors).reshape(-1, dimension) for r in kept], dtype=VECTOR_DTYPE),
                      [text for r in kept for text in r.texts])


def write_version(index_dir: Path, manifest: dict, vectors: np.ndarray, chunks: list[Chunk],
                  texts: dict[str, str], sentence_vectors: np.ndarray | None = None,
                  vocabulary: Vocabulary | None = None, keep: int = 3) -> Path:
    """Write a whole new version (one segment, nothing kept from the current one) and make it current.
    ``manifest["documents"]`` lists the documents in row order; chunk ids are their rows, sentence rows index
    ``sentence_vectors``. The caller holds the writer lock."""
    dimension = manifest["model"]["dimension"]
    sentence_vectors = (np.zeros((0, dimension), np.float32) if sentence_vectors is None
                        else np.asarray(sentence_vectors, dtype=np.float32).reshape(-1, dimension))
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, dimension)
    if len(vectors) != len(chunks):
        raise IndexProblem(f"{len(vectors)} vectors for {len(chunks)} chunks: every chunk needs one vector")
    writer = FolderWriter(index_dir, None, keep=keep)
    by_document: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_document.setdefault(chunk.document_id, []).append(chunk)
    for doc in manifest["documents"]:
        own = by_document.get(doc["id"], [])
        rows = [chunk.id for chunk in own]
        sentence_rows = sorted({row for chunk in own for _, _, row in chunk.sentences})
        renumber = {row: i for i, row in enumerate(sentence_rows)}
        local = [Chunk(i, c.document_id, c.page, c.start, c.end, c.text, c.speakers,
                       [[s, e, renumber[row]] for s, e, row in c.sentences]) for i, c in enumerate(own)]
        writer.add(DocumentPart(doc, texts[doc["id"]], local, vectors[rows].reshape(-1, dimension),
                                sentence_vectors[sentence_rows].reshape(-1, dimension)))
    base = {key: value for key, value in manifest.items() if key != "documents"}
    return writer.commit(base, vocabulary, order=[doc["id"] for doc in manifest["documents"]])
