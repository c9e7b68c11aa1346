"""One segment: the files of a batch of documents, written once and never changed, and :class:`Segment`,
which reads them. A version of the index is a list of segments (:mod:`index_build.store.folder.version`).

Layout of a segment folder::

    segment.json             its documents (each with its first chunk row and chunk count), counts, how
                             each vector set is searched (exact or IVF, with its measured recall), checksums
    chunk_vectors.npy        one unit vector a chunk, row = chunk row in the segment (memory-mapped; float16
                             since issue #24, float32 in segments written before: both are read)
    sentence_vectors.npy     one unit vector a sentence (highlights, answerability)
    sentence_chunks.npy      (sentence row, chunk row) for every sentence of every chunk, by chunk
    sentence_owners.npy      for every sentence row, the first chunk that holds it
    chunks.faiss, sentences.faiss   approximate indexes (IVF), only above a size
    chunks.sqlite            the chunk table and who speaks where (read on demand)
    lexical/                 BM25 (bm25s, memory-mapped)
    vocabulary.json + vocabulary.npy   the segment's words and their vectors
    texts/<id>.txt           each document's cleaned text (chunk spans point into it), read on demand
    rendering_vectors.npy    each passage machine-translated into the other languages, embedded (retrieval
    rendering_rows.npy       only); the chunk row and language (index into segment.json's
    rendering_languages.npy  renderings.languages) of each, its text (rendering_texts.json) and, per
    rendering_lexical/<xx>/  language, BM25 over them; absent from segments built without a translator
    renderings.faiss         their approximate index (IVF), only above a size

Rows here are the segment's own, from 0; the version adds each segment's offset. A format-3 version
folder holds the same files (its manifest in ``manifest.json``): it is read as one segment.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from index_build.chunk_table import Chunk, ChunkTable, write_chunk_table
from index_build.corpus import content_hash
from index_build.lexical import LexicalIndex
from index_build.store.base import Renderings
from index_build.vector_index import REMEMBERED_MASKS, AnnInfo, VectorIndex, build_ann, read_ann, read_vector_index, write_ann
from index_build.vocabulary import Vocabulary

SEGMENT_FILE = "segment.json"
CHUNK_VECTORS_FILE = "chunk_vectors.npy"
SENTENCE_VECTORS_FILE = "sentence_vectors.npy"
SENTENCE_CHUNKS_FILE = "sentence_chunks.npy"
SENTENCE_OWNERS_FILE = "sentence_owners.npy"
CHUNK_ANN_FILE = "chunks.faiss"
SENTENCE_ANN_FILE = "sentences.faiss"
CHUNK_TABLE_FILE = "chunks.sqlite"
LEXICAL_DIR = "lexical"
VOCABULARY_FILE = "vocabulary.json"
VOCABULARY_VECTORS_FILE = "vocabulary.npy"
TEXTS_DIR = "texts"
RENDERING_VECTORS_FILE = "rendering_vectors.npy"
RENDERING_ROWS_FILE = "rendering_rows.npy"
RENDERING_LANGUAGES_FILE = "rendering_languages.npy"
RENDERING_TEXTS_FILE = "rendering_texts.json"
RENDERING_LEXICAL_DIR = "rendering_lexical"
RENDERING_ANN_FILE = "renderings.faiss"
VECTOR_DTYPE = np.float16  # vectors on disk: half the pages a search touches; scored in float32 (cosines move by
# about 1e-4, the eval not at all: docs/storage.md)


class StoreProblem(RuntimeError):
    """A version's files are missing, unreadable or disagree; the message names the file."""


def write_segment(folder: Path, documents: list[dict], vectors: np.ndarray, chunks: list[Chunk],
                  texts: dict[str, str], sentence_vectors: np.ndarray, vocabulary: Vocabulary,
                  dimension: int, renderings: Renderings | None = None) -> dict:
    """Write every file of one segment into an empty folder and flush it; returns its description (written
    as ``segment.json``). Chunk ids must be 0..n-1, each document's chunks together; ``documents`` are
    the manifest entries of the documents (language needed for BM25); ``renderings``: the passages'
    translations (rows are chunk rows)."""
    vectors = np.ascontiguousarray(vectors, dtype=VECTOR_DTYPE).reshape(-1, dimension)
    sentence_vectors = np.ascontiguousarray(sentence_vectors, dtype=VECTOR_DTYPE).reshape(-1, dimension)
    pairs = np.array([(row, chunk.id) for chunk in chunks for _, _, row in chunk.sentences], dtype=np.int64)
    pairs = pairs.reshape(-1, 2)
    np.save(folder / CHUNK_VECTORS_FILE, vectors, allow_pickle=False)
    np.save(folder / SENTENCE_VECTORS_FILE, sentence_vectors, allow_pickle=False)
    np.save(folder / SENTENCE_CHUNKS_FILE, pairs, allow_pickle=False)
    np.save(folder / SENTENCE_OWNERS_FILE, first_owner(pairs[:, 0], pairs[:, 1], len(sentence_vectors)),
            allow_pickle=False)
    chunk_ann, chunk_info = build_ann(vectors)
    sentence_ann, sentence_info = build_ann(sentence_vectors)
    write_ann(chunk_ann, folder / CHUNK_ANN_FILE)
    write_ann(sentence_ann, folder / SENTENCE_ANN_FILE)
    write_chunk_table(folder / CHUNK_TABLE_FILE, chunks)
    languages = {doc["id"]: doc.get("language", "") for doc in documents}
    LexicalIndex.build((c.text for c in chunks), (languages[c.document_id] for c in chunks)).save(folder / LEXICAL_DIR)
    np.save(folder / VOCABULARY_VECTORS_FILE, np.ascontiguousarray(vocabulary.vectors, dtype=np.float16),
            allow_pickle=False)  # half precision: word-to-word cosines need no more
    write_text(folder / VOCABULARY_FILE, json.dumps([list(entry) for entry in vocabulary.entries], ensure_ascii=False))
    (folder / TEXTS_DIR).mkdir()
    for document_id, text in texts.items():
        write_text(folder / TEXTS_DIR / f"{document_id}.txt", text)
    description = {"documents": _rows_of(documents, chunks),
                   "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentence_vectors)},
                   "search": {"chunks": chunk_info.to_dict(), "sentences": sentence_info.to_dict()}}
    if renderings is not None and len(renderings):
        description["renderings"], rendering_info = write_renderings(folder, renderings, dimension)
        description["search"]["renderings"] = rendering_info.to_dict()
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
    description["checksums"] = checksums(folder)
    write_text(folder / SEGMENT_FILE, json.dumps(description, ensure_ascii=False, indent=2))
    for path in [folder / TEXTS_DIR, folder / LEXICAL_DIR, folder]:
        fsync_dir(path)
    return description


def write_renderings(folder: Path, renderings: Renderings, dimension: int) -> tuple[dict, AnnInfo]:
    """Write a segment's renderings; returns their description (languages, count) and how they are searched."""
    languages = sorted(set(renderings.languages))
    codes = np.array([languages.index(language) for language in renderings.languages], dtype=np.int8)
    vectors = np.ascontiguousarray(renderings.vectors, dtype=VECTOR_DTYPE).reshape(-1, dimension)
    np.save(folder / RENDERING_VECTORS_FILE, vectors, allow_pickle=False)
    ann, info = build_ann(vectors)
    write_ann(ann, folder / RENDERING_ANN_FILE)
    np.save(folder / RENDERING_ROWS_FILE, np.asarray(renderings.rows, dtype=np.int64), allow_pickle=False)
    np.save(folder / RENDERING_LANGUAGES_FILE, codes, allow_pickle=False)
    write_text(folder / RENDERING_TEXTS_FILE, json.dumps(renderings.texts, ensure_ascii=False))
    (folder / RENDERING_LEXICAL_DIR).mkdir()
    for code, language in enumerate(languages):
        members = np.flatnonzero(codes == code)
        LexicalIndex.build((renderings.texts[i] for i in members), [language] * len(members)).save(
            folder / RENDERING_LEXICAL_DIR / language)
    return {"languages": languages, "count": len(renderings)}, info


def _rows_of(documents: list[dict], chunks: list[Chunk]) -> list[dict]:
    """Each document's id with the range of its chunk rows (documents are stored contiguously)."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for chunk in chunks:
        first.setdefault(chunk.document_id, chunk.id)
        count[chunk.document_id] = count.get(chunk.document_id, 0) + 1
    return [{"id": doc["id"], "first_row": first.get(doc["id"], 0), "chunks": count.get(doc["id"], 0)}
            for doc in documents]


def write_text(path: Path, text: str) -> None:
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


def checksums(folder: Path, skip: tuple[str, ...] = (SEGMENT_FILE, "manifest.json")) -> dict[str, list]:
    """(size, sha256) of every file of a folder but its description, by relative path."""
    return {str(file.relative_to(folder)): [file.stat().st_size, sha256(file)]
            for file in sorted(folder.rglob("*")) if file.is_file() and file.name not in skip}


def sha256(path: Path) -> str:
    """The sha256 of a file, hex ("" when it cannot be read)."""
    try:
        return content_hash(path)
    except OSError:
        return ""


def read_description(folder: Path) -> dict:
    """A segment's ``segment.json``."""
    return json.loads((folder / SEGMENT_FILE).read_text(encoding="utf-8"))


class Segment:
    """The files of one segment, open: vectors memory-mapped, chunks and texts read on demand."""

    def __init__(self, path: Path, description: dict, exact: bool = False):
        self.path, self.description = path, description
        self.id = path.name
        try:
            search = description.get("search", {})
            self.chunks = read_vector_index(path / CHUNK_VECTORS_FILE, path / CHUNK_ANN_FILE,
                                            None if exact else search.get("chunks"))
            self.sentences = read_vector_index(path / SENTENCE_VECTORS_FILE, path / SENTENCE_ANN_FILE,
                                               None if exact else search.get("sentences"))
            pairs = np.load(path / SENTENCE_CHUNKS_FILE, mmap_mode="r", allow_pickle=False)
            self.pair_sentence = np.asarray(pairs[:, 0]) if len(pairs) else np.zeros(0, np.int64)
            self.pair_chunk = np.asarray(pairs[:, 1]) if len(pairs) else np.zeros(0, np.int64)
            self.table = ChunkTable(path / CHUNK_TABLE_FILE)
            self.lexical = LexicalIndex.open(path / LEXICAL_DIR, self.table.count)
            self.vocabulary = read_vocabulary(path)
            self.renderings = read_renderings(path, description.get("renderings"))
            self.rendering_index = VectorIndex(self.renderings.vectors, *read_ann(
                path / RENDERING_ANN_FILE, None if exact else search.get("renderings")))
        except Exception as error:  # any parser's error (numpy raises EOFError and SyntaxError on a damaged header)
            raise StoreProblem(f"the segment in {path} is unreadable ({type(error).__name__}: {error})") from error
        self.document_rows = {doc["id"]: (doc["first_row"], doc["chunks"]) for doc in description["documents"]}
        owners = path / SENTENCE_OWNERS_FILE  # a format-3 folder has none: made here
        self._sentence_owner = (np.asarray(np.load(owners, mmap_mode="r", allow_pickle=False)) if owners.exists()
                                else first_owner(self.pair_sentence, self.pair_chunk, len(self.sentences)))
        self._sentence_masks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._rendering_members: dict[str, np.ndarray] = {}
        self._rendering_masks: dict[str, np.ndarray] = {}
        self._rendering_lexical: dict[str, LexicalIndex | None] = {}
        self.text = lru_cache(maxsize=64)(self._read_text)
        self._check()

    @property
    def count(self) -> int:
        """Chunk rows in the segment."""
        return self.table.count

    def remember(self, mask: np.ndarray) -> None:
        """Keep a chunk mask that many searches use (with its sentence mask and their FAISS bitmaps)."""
        self.chunks.remember(mask)
        sentence_mask = self.sentences_of(mask)
        self.sentences.remember(sentence_mask)
        if len(self._sentence_masks) >= REMEMBERED_MASKS:
            self._sentence_masks.pop(next(iter(self._sentence_masks)))
        self._sentence_masks[id(mask)] = (mask, sentence_mask)

    def search_chunks(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The chunks closest to the query vector (segment rows, best first)."""
        return self.chunks.search(query, k, allowed)

    def search_sentences(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The chunks of the sentences closest to the query vector, among the allowed chunks' sentences."""
        sentence_allowed = None if allowed is None else self.sentences_of(allowed)
        rows, scores = self.sentences.search(query, k, sentence_allowed)
        owners = self._sentence_owner[rows]
        if allowed is not None:  # a sentence shared by two chunks: the owner that passes the filter
            owners = np.array([self._allowed_owner(row, owner, allowed) for row, owner in zip(rows, owners)],
                              dtype=np.int64)
        return owners, scores

    def chunk_scores(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact (chunk similarity, best sentence similarity) of the given chunk rows."""
        rows = np.asarray(rows, dtype=np.int64)
        chunk = self.chunks.scores(query, rows)
        best = chunk.copy()
        if len(rows) and len(self.pair_chunk):
            if len(rows) == self.count:  # every chunk: one pass over all sentences
                sentence_rows, positions = self.pair_sentence, self.pair_chunk
            else:
                starts = np.searchsorted(self.pair_chunk, rows, side="left")
                ends = np.searchsorted(self.pair_chunk, rows, side="right")
                take = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]).astype(np.int64)
                sentence_rows = self.pair_sentence[take]
                positions = np.repeat(np.arange(len(rows)), ends - starts)
            if len(sentence_rows):
                np.maximum.at(best, positions, self.sentences.scores(query, sentence_rows))
        return chunk, best

    def search_renderings(self, query: np.ndarray, language: str, k: int,
                          allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The chunks whose rendering in ``language`` is closest to the query vector (exact scores), best first."""
        if not len(self.renderings):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        mask = self._rendering_masks.get(language)
        if mask is None:  # kept with its FAISS bitmap: every question in that language searches it
            mask = np.zeros(len(self.renderings), dtype=bool)
            mask[self.rendering_members(language)] = True
            self._rendering_masks[language] = mask
            self.rendering_index.remember(mask)
        if allowed is not None:
            mask = mask & allowed[self.renderings.rows]
        positions, scores = self.rendering_index.search(query, k, mask)
        return self.renderings.rows[positions], scores

    def rendering_members(self, language: str) -> np.ndarray:
        """Positions of the renderings in ``language`` (the rows of its BM25 index), in order."""
        members = self._rendering_members.get(language)
        if members is None:
            languages = self.renderings.languages
            members = np.flatnonzero(np.asarray(languages) == language) if languages else np.zeros(0, np.int64)
            self._rendering_members[language] = members
        return members

    def rendering_lexical(self, language: str) -> LexicalIndex | None:
        """BM25 over the renderings in ``language`` (None when the segment has none in it)."""
        if language not in self._rendering_lexical:
            folder = self.path / RENDERING_LEXICAL_DIR / language
            count = len(self.rendering_members(language))
            self._rendering_lexical[language] = LexicalIndex.open(folder, count) if count and folder.is_dir() else None
        return self._rendering_lexical[language]

    def document_renderings(self, first_row: int, chunks: int) -> Renderings:
        """The renderings of the chunks of one document (rows from 0, the document's first chunk), texts
        included."""
        if len(self.renderings) and not self.renderings.texts:
            self.renderings.texts = json.loads((self.path / RENDERING_TEXTS_FILE).read_text(encoding="utf-8"))
        rows = self.renderings.rows
        return self.renderings.select((rows >= first_row) & (rows < first_row + chunks), -first_row)

    def sentences_of(self, allowed: np.ndarray) -> np.ndarray:
        """Boolean mask of the sentences that belong to an allowed chunk."""
        known = self._sentence_masks.get(id(allowed))
        if known is not None and known[0] is allowed:
            return known[1]
        mask = np.zeros(len(self.sentences), dtype=bool)
        mask[self.pair_sentence[allowed[self.pair_chunk]]] = True
        return mask

    def _read_text(self, document_id: str) -> str:
        return (self.path / TEXTS_DIR / f"{document_id}.txt").read_text(encoding="utf-8")

    def _allowed_owner(self, sentence_row: int, owner: int, allowed: np.ndarray) -> int:
        if allowed[owner]:
            return int(owner)
        start = int(np.searchsorted(self.pair_chunk, owner))
        for position in range(start, min(start + 64, len(self.pair_chunk))):
            if self.pair_sentence[position] == sentence_row and allowed[self.pair_chunk[position]]:
                return int(self.pair_chunk[position])
        return int(owner)

    def _check(self) -> None:
        """Counts and dimensions must agree between description, vectors, chunk table and sentences."""
        counts, problems = self.description["counts"], []
        if not (len(self.chunks) == self.table.count == counts["chunks"]):
            problems.append(f"{CHUNK_VECTORS_FILE} has {len(self.chunks)} vectors, {CHUNK_TABLE_FILE} "
                            f"{self.table.count} chunks, the manifest says {counts['chunks']}")
        if len(self.sentences) != counts.get("sentences", len(self.sentences)):
            problems.append(f"{SENTENCE_VECTORS_FILE} has {len(self.sentences)} vectors, the manifest says "
                            f"{counts.get('sentences')}")
        dimensions = {vectors.shape[1] for vectors in (self.chunks.vectors, self.sentences.vectors)
                      if vectors.ndim == 2 and len(vectors)}
        for name, vectors in ((CHUNK_VECTORS_FILE, self.chunks.vectors), (SENTENCE_VECTORS_FILE, self.sentences.vectors)):
            if vectors.ndim != 2:
                problems.append(f"{name} holds vectors of shape {vectors.shape}")
        if len(dimensions) > 1:
            problems.append(f"{CHUNK_VECTORS_FILE} and {SENTENCE_VECTORS_FILE} hold vectors of different lengths")
        if len(self.pair_sentence) and (self.pair_sentence.max() >= len(self.sentences)
                                        or self.pair_chunk.max() >= self.table.count):
            problems.append(f"{SENTENCE_CHUNKS_FILE} points outside the sentences or chunks")
        if len(self._sentence_owner) != len(self.sentences) or (
                len(self._sentence_owner) and self._sentence_owner.max() >= max(self.table.count, 1)):
            problems.append(f"{SENTENCE_OWNERS_FILE} does not give a chunk for each sentence")
        renderings = self.renderings
        if len(renderings) and (renderings.vectors.shape != (len(renderings.rows), self.chunks.vectors.shape[1])
                                or renderings.rows.max() >= self.table.count):
            problems.append(f"{RENDERING_VECTORS_FILE} and {RENDERING_ROWS_FILE} do not give one vector for each "
                            "rendering of a chunk of the segment")
        if sum(chunks for _, chunks in self.document_rows.values()) != self.table.count:
            problems.append("the documents' chunk counts do not add up to the chunk table")
        if len(self.vocabulary.entries) != len(self.vocabulary.vectors):
            problems.append(f"{len(self.vocabulary.entries)} vocabulary words for {len(self.vocabulary.vectors)} "
                            "word vectors")
        if self.table.count:  # the first and last chunk must match their document text
            for chunk in self.table.chunks([0, self.table.count - 1]):
                text = self.path / TEXTS_DIR / f"{chunk.document_id}.txt"
                if not text.exists() or self.text(chunk.document_id)[chunk.start:chunk.end] != chunk.text:
                    problems.append(f"chunk {chunk.id} does not match {TEXTS_DIR}/{chunk.document_id}.txt")
        if problems:
            raise StoreProblem(f"the segment in {self.path} is inconsistent: {'; '.join(problems)}")

    def dimension(self) -> int | None:
        """Length of the segment's vectors (None when it holds none)."""
        for vectors in (self.chunks.vectors, self.sentences.vectors):
            if vectors.ndim == 2 and len(vectors):
                return int(vectors.shape[1])
        return None


def first_owner(pair_sentence: np.ndarray, pair_chunk: np.ndarray, sentences: int) -> np.ndarray:
    """For each sentence row, the first chunk that holds it."""
    owner = np.zeros(sentences, dtype=np.int64)
    if len(pair_sentence):
        order = np.argsort(pair_sentence, kind="stable")
        first = np.unique(pair_sentence[order], return_index=True)
        owner[first[0]] = pair_chunk[order[first[1]]]
    return owner


def read_renderings(path: Path, description: dict | None) -> Renderings:
    """A segment's renderings, memory-mapped (none for a segment written without them)."""
    if not description:
        return Renderings()
    languages = description["languages"]
    codes = np.load(path / RENDERING_LANGUAGES_FILE, allow_pickle=False)
    return Renderings(np.asarray(np.load(path / RENDERING_ROWS_FILE, allow_pickle=False), dtype=np.int64),
                      [languages[code] for code in codes.tolist()],
                      np.load(path / RENDERING_VECTORS_FILE, mmap_mode="r", allow_pickle=False))


def read_vocabulary(path: Path) -> Vocabulary:
    """The words of a segment (or of a format-2/3 version) and their vectors."""
    entries = [tuple(entry) for entry in json.loads((path / VOCABULARY_FILE).read_text(encoding="utf-8"))]
    vectors = np.load(path / VOCABULARY_VECTORS_FILE, allow_pickle=False).astype(np.float32)
    return Vocabulary(entries, vectors)
