"""The files of one index version (format 3) and :class:`FolderStore`, the embedded store that reads them.

Layout of a version folder::

    manifest.json            model, documents (each with its first chunk and sentence rows), counts,
                             how each vector set is searched (exact or IVF, with its measured recall),
                             the retrieval settings, format version
    chunk_vectors.npy        one unit vector a chunk, row = chunk id (memory-mapped, allow_pickle=False)
    sentence_vectors.npy     one unit vector a sentence (highlights, answerability)
    sentence_chunks.npy      (sentence row, chunk row) for every sentence of every chunk, by chunk
    chunks.faiss, sentences.faiss   approximate indexes (IVF), only above a size
    chunks.sqlite            the chunk table and who speaks where (read on demand)
    lexical/                 BM25 (bm25s, memory-mapped)
    vocabulary.json + vocabulary.npy   the reports' words and their vectors
    texts/<id>.txt           each document's cleaned text (chunk spans point into it), read on demand

Format 2 (a FAISS flat file and a JSON-lines chunk table, loaded whole) is still read by
:func:`read_legacy`, so that the first build after an upgrade reuses every vector.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from index_build.chunk_table import Chunk, ChunkTable, write_chunk_table
from index_build.lexical import LexicalIndex
from index_build.store import Hits, SearchFilter
from index_build.vector_index import VectorIndex, best_of, build_ann, read_vector_index, write_ann
from index_build.vocabulary import Vocabulary

FORMAT_VERSION = 3
MANIFEST_FILE = "manifest.json"
CHUNK_VECTORS_FILE = "chunk_vectors.npy"
SENTENCE_VECTORS_FILE = "sentence_vectors.npy"
SENTENCE_CHUNKS_FILE = "sentence_chunks.npy"
CHUNK_ANN_FILE = "chunks.faiss"
SENTENCE_ANN_FILE = "sentences.faiss"
CHUNK_TABLE_FILE = "chunks.sqlite"
LEXICAL_DIR = "lexical"
VOCABULARY_FILE = "vocabulary.json"
VOCABULARY_VECTORS_FILE = "vocabulary.npy"
TEXTS_DIR = "texts"
LEGACY_VECTORS_FILE = "vectors.faiss"  # format 2
LEGACY_CHUNKS_FILE = "chunks.jsonl"
LEGACY_SENTENCES_FILE = "sentences.npy"


class StoreProblem(RuntimeError):
    """A version's files are missing, unreadable or disagree; the message names the file."""


def write_folder(folder: Path, manifest: dict, vectors: np.ndarray, chunks: list[Chunk], texts: dict[str, str],
                 sentence_vectors: np.ndarray, vocabulary: Vocabulary) -> dict:
    """Write every file of one version into an empty folder and flush it; returns the manifest written
    (the one given, with rows, counts and search kinds added). Chunk ids must be 0..n-1 in document order."""
    dimension = manifest["model"]["dimension"]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
    sentence_vectors = np.ascontiguousarray(sentence_vectors, dtype=np.float32).reshape(-1, dimension)
    pairs = np.array([(row, chunk.id) for chunk in chunks for _, _, row in chunk.sentences], dtype=np.int64)
    pairs = pairs.reshape(-1, 2)
    np.save(folder / CHUNK_VECTORS_FILE, vectors, allow_pickle=False)
    np.save(folder / SENTENCE_VECTORS_FILE, sentence_vectors, allow_pickle=False)
    np.save(folder / SENTENCE_CHUNKS_FILE, pairs, allow_pickle=False)
    chunk_ann, chunk_info = build_ann(vectors)
    sentence_ann, sentence_info = build_ann(sentence_vectors)
    write_ann(chunk_ann, folder / CHUNK_ANN_FILE)
    write_ann(sentence_ann, folder / SENTENCE_ANN_FILE)
    write_chunk_table(folder / CHUNK_TABLE_FILE, chunks)
    languages = {doc["id"]: doc.get("language", "") for doc in manifest["documents"]}
    LexicalIndex.build((c.text for c in chunks), (languages[c.document_id] for c in chunks)).save(folder / LEXICAL_DIR)
    np.save(folder / VOCABULARY_VECTORS_FILE, np.ascontiguousarray(vocabulary.vectors, dtype=np.float16),
            allow_pickle=False)  # half precision: word-to-word cosines need no more
    _write_text(folder / VOCABULARY_FILE, json.dumps([list(entry) for entry in vocabulary.entries], ensure_ascii=False))
    (folder / TEXTS_DIR).mkdir()
    for document_id, text in texts.items():
        _write_text(folder / TEXTS_DIR / f"{document_id}.txt", text)
    manifest = {**manifest, "format_version": FORMAT_VERSION,
                "documents": _with_rows(manifest["documents"], chunks),
                "counts": {"documents": len(texts), "chunks": len(chunks), "sentences": len(sentence_vectors)},
                "search": {"chunks": chunk_info.to_dict(), "sentences": sentence_info.to_dict()}}
    _write_text(folder / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2))
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
    for path in [folder / TEXTS_DIR, folder / LEXICAL_DIR, folder]:
        fsync_dir(path)
    return manifest


def _with_rows(documents: list[dict], chunks: list[Chunk]) -> list[dict]:
    """Each document's entry with the range of its chunk rows (documents are stored contiguously)."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for chunk in chunks:
        first.setdefault(chunk.document_id, chunk.id)
        count[chunk.document_id] = count.get(chunk.document_id, 0) + 1
    return [{**doc, "first_row": first.get(doc["id"], 0), "chunks": count.get(doc["id"], 0)} for doc in documents]


def _write_text(path: Path, text: str) -> None:
    """Write a text file and flush it to disk."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class _Documents:
    """Row ranges of the documents, for filters."""

    entries: list[dict]
    chunk_count: int

    def mask(self, keep) -> np.ndarray:
        """Boolean mask over chunk rows of the documents ``keep(entry)`` accepts."""
        mask = np.zeros(self.chunk_count, dtype=bool)
        for doc in self.entries:
            if keep(doc):
                mask[doc["first_row"]:doc["first_row"] + doc["chunks"]] = True
        return mask


class FolderStore:
    """One index version in a folder: vectors memory-mapped, chunks and texts read on demand."""

    def __init__(self, path: Path, exact: bool = False):
        self.path = path
        try:
            self._manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
            if self._manifest.get("format_version") != FORMAT_VERSION:
                raise StoreProblem(f"{path / MANIFEST_FILE}: format version {self._manifest.get('format_version')}, "
                                   f"this citeqa serves format {FORMAT_VERSION}")
            search = self._manifest.get("search", {})
            self._chunks = read_vector_index(path / CHUNK_VECTORS_FILE, path / CHUNK_ANN_FILE,
                                             None if exact else search.get("chunks"))
            self._sentences = read_vector_index(path / SENTENCE_VECTORS_FILE, path / SENTENCE_ANN_FILE,
                                                None if exact else search.get("sentences"))
            pairs = np.load(path / SENTENCE_CHUNKS_FILE, mmap_mode="r", allow_pickle=False)
            self._pair_sentence = np.asarray(pairs[:, 0]) if len(pairs) else np.zeros(0, np.int64)
            self._pair_chunk = np.asarray(pairs[:, 1]) if len(pairs) else np.zeros(0, np.int64)
            self._table = ChunkTable(path / CHUNK_TABLE_FILE)
            self._lexical = LexicalIndex.open(path / LEXICAL_DIR, self._table.count)
            self._vocabulary = _read_vocabulary(path)
        except StoreProblem:
            raise
        except Exception as error:  # any parser's error (numpy raises EOFError and SyntaxError on a damaged header)
            raise StoreProblem(f"the version in {path} is unreadable ({type(error).__name__}: {error})") from error
        self._documents = _Documents(self._manifest["documents"], self._table.count)
        self._document_ids = frozenset(doc["id"] for doc in self._manifest["documents"])
        self._sentence_owner = _first_owner(self._pair_sentence, self._pair_chunk, len(self._sentences))
        self._language_masks = {language: self._documents.mask(lambda doc, language=language:
                                                               doc.get("language", "") == language)
                                for language in sorted({doc.get("language", "") for doc in self.documents})}
        self._sentence_language_masks = {}
        for mask in self._language_masks.values():  # masks every question of a language uses: made once
            self._chunks.remember(mask)
            sentence_mask = self._sentences_of(mask)
            self._sentences.remember(sentence_mask)
            self._sentence_language_masks[id(mask)] = (mask, sentence_mask)
        self._texts = lru_cache(maxsize=64)(self._read_text)
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
        return self._table.count

    def describe(self) -> dict:
        return {"store": "folder", "path": str(self.path), "format_version": FORMAT_VERSION,
                "version": self.version, "counts": self._manifest["counts"], "model": self._manifest["model"],
                "search": self._manifest.get("search", {})}

    # --- filters -------------------------------------------------------------------------------
    def allowed(self, search_filter: SearchFilter | None) -> np.ndarray | None:
        if search_filter is None or search_filter.empty:
            return None
        mask = self._documents.mask(search_filter.keeps_document)
        if search_filter.speakers:
            speaking = np.zeros(self.count(), dtype=bool)
            speaking[np.array(self._table.speaker_rows(search_filter.speakers), dtype=np.int64)] = True
            mask &= speaking
        return mask

    def languages(self) -> dict[str, np.ndarray]:
        return self._language_masks

    # --- vectors -----------------------------------------------------------------------------
    def search_chunks(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        return Hits(*self._chunks.search(query, k, allowed))

    def search_sentences(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        sentence_allowed = None if allowed is None else self._sentences_of(allowed)
        rows, scores = self._sentences.search(query, k, sentence_allowed)
        owners = self._sentence_owner[rows]
        if allowed is not None:  # a sentence shared by two chunks: the owner that passes the filter
            owners = np.array([self._allowed_owner(row, owner, allowed) for row, owner in zip(rows, owners)],
                              dtype=np.int64)
        return Hits(owners, scores)

    def chunk_scores(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        chunk = self._chunks.scores(query, rows)
        best = chunk.copy()
        if len(rows) and len(self._pair_chunk):
            if len(rows) == self.count():  # every chunk: one pass over all sentences
                sentence_rows, owners = self._pair_sentence, self._pair_chunk
                positions = owners
            else:
                starts = np.searchsorted(self._pair_chunk, rows, side="left")
                ends = np.searchsorted(self._pair_chunk, rows, side="right")
                take = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if len(rows) else []
                take = np.asarray(take, dtype=np.int64)
                sentence_rows = self._pair_sentence[take]
                positions = np.repeat(np.arange(len(rows)), ends - starts)
            if len(sentence_rows):
                np.maximum.at(best, positions, self._sentences.scores(query, sentence_rows))
        return chunk, best

    def sentence_vectors(self, rows: list[int]) -> np.ndarray:
        return np.asarray(self._sentences.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def chunk_vectors(self, rows: list[int]) -> np.ndarray:
        """The vectors of these chunk rows (the builder reuses them)."""
        return np.asarray(self._chunks.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    # --- words ---------------------------------------------------------------------------------
    def search_words(self, terms: list[str], k: int, allowed: np.ndarray | None) -> Hits:
        scores = self._lexical.scores(terms)
        keep = scores > 0 if allowed is None else (scores > 0) & allowed
        rows = np.flatnonzero(keep)
        return Hits(*best_of(rows, scores[rows], k))

    def word_coverage(self, variants: list[list[str]]) -> float | None:
        return self._lexical.word_coverage(variants)

    # --- chunks and texts ----------------------------------------------------------------------
    def chunks(self, rows: list[int]) -> list[Chunk]:
        return self._table.chunks(rows)

    def iter_chunks(self, document_id: str | None = None) -> Iterator[Chunk]:
        return self._table.iter_chunks(document_id)

    def document_text(self, document_id: str) -> str | None:
        if document_id not in self._document_ids:
            return None
        return self._texts(document_id)

    def speakers(self) -> list[dict]:
        return self._table.speakers()

    # --- inside --------------------------------------------------------------------------------
    def _read_text(self, document_id: str) -> str:
        return (self.path / TEXTS_DIR / f"{document_id}.txt").read_text(encoding="utf-8")

    def _sentences_of(self, allowed: np.ndarray) -> np.ndarray:
        """Boolean mask of the sentences that belong to an allowed chunk."""
        known = getattr(self, "_sentence_language_masks", {}).get(id(allowed))
        if known is not None and known[0] is allowed:
            return known[1]
        mask = np.zeros(len(self._sentences), dtype=bool)
        mask[self._pair_sentence[allowed[self._pair_chunk]]] = True
        return mask

    def _allowed_owner(self, sentence_row: int, owner: int, allowed: np.ndarray) -> int:
        if allowed[owner]:
            return int(owner)
        start = int(np.searchsorted(self._pair_chunk, owner))
        for position in range(start, min(start + 64, len(self._pair_chunk))):
            if self._pair_sentence[position] == sentence_row and allowed[self._pair_chunk[position]]:
                return int(self._pair_chunk[position])
        return int(owner)

    def _check(self) -> None:
        """Counts and dimensions must agree between manifest, vectors, chunk table and sentences."""
        manifest, problems = self._manifest, []
        counts, dimension = manifest["counts"], manifest["model"]["dimension"]
        if not (len(self._chunks) == self._table.count == counts["chunks"]):
            problems.append(f"{CHUNK_VECTORS_FILE} has {len(self._chunks)} vectors, {CHUNK_TABLE_FILE} "
                            f"{self._table.count} chunks, the manifest says {counts['chunks']}")
        if len(self._sentences) != counts.get("sentences", len(self._sentences)):
            problems.append(f"{SENTENCE_VECTORS_FILE} has {len(self._sentences)} vectors, the manifest says "
                            f"{counts.get('sentences')}")
        for name, vectors in ((CHUNK_VECTORS_FILE, self._chunks.vectors), (SENTENCE_VECTORS_FILE, self._sentences.vectors)):
            if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != dimension):
                problems.append(f"{name} holds vectors of shape {vectors.shape}, the model makes {dimension}-d ones")
        if len(self._pair_sentence) and (self._pair_sentence.max() >= len(self._sentences)
                                         or self._pair_chunk.max() >= self._table.count):
            problems.append(f"{SENTENCE_CHUNKS_FILE} points outside the sentences or chunks")
        if sum(doc.get("chunks", 0) for doc in self.documents) != self._table.count:
            problems.append("the documents' chunk counts do not add up to the chunk table")
        vocabulary = self._vocabulary
        if len(vocabulary.entries) != len(vocabulary.vectors):
            problems.append(f"{len(vocabulary.entries)} vocabulary words for {len(vocabulary.vectors)} word vectors")
        if self._table.count:  # the first and last chunk must match their document text
            for chunk in self._table.chunks([0, self._table.count - 1]):
                text = (self.path / TEXTS_DIR / f"{chunk.document_id}.txt")
                if not text.exists() or self._texts(chunk.document_id)[chunk.start:chunk.end] != chunk.text:
                    problems.append(f"chunk {chunk.id} does not match {TEXTS_DIR}/{chunk.document_id}.txt")
        if problems:
            raise StoreProblem(f"the version in {self.path} is inconsistent: {'; '.join(problems)}")


def _first_owner(pair_sentence: np.ndarray, pair_chunk: np.ndarray, sentences: int) -> np.ndarray:
    """For each sentence row, the first chunk that holds it."""
    owner = np.zeros(sentences, dtype=np.int64)
    if len(pair_sentence):
        order = np.argsort(pair_sentence, kind="stable")
        first = np.unique(pair_sentence[order], return_index=True)
        owner[first[0]] = pair_chunk[order[first[1]]]
    return owner


def _read_vocabulary(path: Path) -> Vocabulary:
    entries = [tuple(entry) for entry in json.loads((path / VOCABULARY_FILE).read_text(encoding="utf-8"))]
    vectors = np.load(path / VOCABULARY_VECTORS_FILE, allow_pickle=False).astype(np.float32)
    return Vocabulary(entries, vectors)


@dataclass
class LegacyVersion:
    """A format-1/2 version, read whole, only so that a build can reuse its vectors."""

    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    texts: dict[str, str]
    vocabulary: Vocabulary


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
    vocabulary = (_read_vocabulary(path) if manifest.get("format_version") == 2
                  else Vocabulary.empty(manifest["model"]["dimension"]))
    return LegacyVersion(manifest, chunks, vectors, np.load(path / LEGACY_SENTENCES_FILE, allow_pickle=False),
                         texts, vocabulary)
