"""The on-disk index format: versions, the ``current`` pointer, writing and checked loading.

Layout of an index folder::

    current -> versions/<version>     symlink, switched atomically
    versions/<version>/manifest.json  model, documents, counts, format version
    versions/<version>/vectors.faiss  normalised vectors, inner product, ids = chunk ids
    versions/<version>/chunks.jsonl   one chunk a line (never pickle)
    versions/<version>/sentences.npy  one vector per sentence, for highlights (allow_pickle=False)
    versions/<version>/vocabulary.json + vocabulary.npy   the reports' words and their vectors
                                      (format 2; a format-1 version loads with no vocabulary)
    versions/<version>/texts/<id>.txt each document's cleaned text (chunk spans point into it)
    .lock                             one writer at a time
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from index_build.vocabulary import Vocabulary

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)  # format 1 had no vocabulary: it loads, and the next build adds one
CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
MANIFEST_FILE = "manifest.json"
VECTORS_FILE = "vectors.faiss"
CHUNKS_FILE = "chunks.jsonl"
SENTENCES_FILE = "sentences.npy"
VOCABULARY_FILE = "vocabulary.json"
VOCABULARY_VECTORS_FILE = "vocabulary.npy"
TEXTS_DIR = "texts"
LOCK_FILE = ".lock"
_VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"  # version ids sort in creation order

faiss.omp_set_num_threads(1)  # flat search is faster single-threaded at this size (faiss #2953)


class IndexProblem(RuntimeError):
    """The index is missing, corrupt or does not match the model; the message says what to run."""


@dataclass
class Chunk:
    """One passage of a document, as stored in the chunk table."""

    id: int
    document_id: str
    page: int
    start: int
    end: int
    text: str
    speakers: list[dict] = field(default_factory=list)
    sentences: list[list[int]] = field(default_factory=list)  # [start, end, row in sentences.npy]


@dataclass
class IndexVersion:
    """One loaded, checked version of the index."""

    path: Path
    manifest: dict
    vectors: faiss.Index
    chunks: list[Chunk]
    texts: dict[str, str]
    sentence_vectors: np.ndarray
    vocabulary: Vocabulary

    @property
    def version(self) -> str:
        """The version id (its folder name)."""
        return self.manifest["version"]

    @property
    def documents(self) -> list[dict]:
        """The documents of this version, as described in the manifest."""
        return self.manifest["documents"]


def current_path(index_dir: Path) -> Path | None:
    """The folder of the current version, or None when the index was never built."""
    link = index_dir / CURRENT_LINK
    return link.resolve() if link.exists() else None


def load_version(index_dir: Path, *, model_name: str | None = None, fingerprint: str | None = None,
                 dimension: int | None = None) -> IndexVersion:
    """Load the current version and check that manifest, vectors, chunks and texts agree."""
    path = current_path(index_dir)
    if path is None:
        raise IndexProblem(f"No index in {index_dir}. Build it first: `citeqa build` (or `make index`).")
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(path / VECTORS_FILE))
        chunks = [Chunk(**json.loads(line)) for line in (path / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()]
        texts = {doc["id"]: (path / TEXTS_DIR / f"{doc['id']}.txt").read_text(encoding="utf-8")
                 for doc in manifest["documents"]}
        sentence_vectors = np.load(path / SENTENCES_FILE, allow_pickle=False)
        vocabulary = _read_vocabulary(path, manifest)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise IndexProblem(f"The index version in {path} is unreadable ({error}). Rebuild it: `citeqa build`.") from error
    version = IndexVersion(path, manifest, vectors, chunks, texts, sentence_vectors, vocabulary)
    _check_consistency(version)
    _check_model(version, model_name, fingerprint, dimension)
    return version


def _read_vocabulary(path: Path, manifest: dict) -> Vocabulary:
    """The version's vocabulary (empty for a format-1 version, which has none)."""
    if manifest.get("format_version") == 1:
        return Vocabulary.empty(manifest["model"]["dimension"])
    entries = [tuple(entry) for entry in json.loads((path / VOCABULARY_FILE).read_text(encoding="utf-8"))]
    vectors = np.load(path / VOCABULARY_VECTORS_FILE, allow_pickle=False).astype(np.float32)
    return Vocabulary(entries, vectors)


def _check_consistency(version: IndexVersion) -> None:
    """Counts, ids and spans must agree between manifest, vectors, chunk table and texts."""
    manifest, chunks = version.manifest, version.chunks
    problems = []
    if manifest.get("format_version") not in READABLE_FORMATS:
        problems.append(f"format version {manifest.get('format_version')} (this citeqa reads {READABLE_FORMATS})")
    if version.vectors.ntotal != len(chunks) or manifest["counts"]["chunks"] != len(chunks):
        problems.append(f"{version.vectors.ntotal} vectors, {len(chunks)} chunks, manifest says {manifest['counts']['chunks']}")
    if version.vectors.d != manifest["model"]["dimension"]:
        problems.append(f"vectors of dimension {version.vectors.d}, manifest says {manifest['model']['dimension']}")
    ids = faiss.vector_to_array(faiss.downcast_index(version.vectors).id_map) if version.vectors.ntotal else np.array([])
    if sorted(ids.tolist()) != sorted(chunk.id for chunk in chunks):
        problems.append("vector ids and chunk ids differ")
    for chunk in chunks:
        text = version.texts.get(chunk.document_id)
        if text is None or text[chunk.start:chunk.end] != chunk.text:
            problems.append(f"chunk {chunk.id} does not match its document text")
            break
        if any(not (chunk.start <= start < end <= chunk.end) or not 0 <= row < len(version.sentence_vectors)
               for start, end, row in chunk.sentences):
            problems.append(f"chunk {chunk.id} has sentences outside it or without a vector")
            break
    if len(version.sentence_vectors) and version.sentence_vectors.shape[1] != version.vectors.d:
        problems.append("sentence vectors and chunk vectors differ in dimension")
    vocabulary = version.vocabulary
    if len(vocabulary.entries) != len(vocabulary.vectors) or (len(vocabulary.vectors)
                                                             and vocabulary.vectors.shape[1] != version.vectors.d):
        problems.append(f"{len(vocabulary.entries)} vocabulary words for {len(vocabulary.vectors)} word vectors "
                        f"of dimension {vocabulary.vectors.shape[1] if vocabulary.vectors.ndim == 2 else '?'}")
    if problems:
        raise IndexProblem(f"The index version in {version.path} is inconsistent: {'; '.join(problems)}. "
                           "Rebuild it: `citeqa build`.")


def _check_model(version: IndexVersion, model_name: str | None, fingerprint: str | None, dimension: int | None) -> None:
    """The index must have been built with the model that will embed the questions."""
    model = version.manifest["model"]
    if dimension is not None and model["dimension"] != dimension:
        raise IndexProblem(f"The index holds {model['dimension']}-d vectors but the model {model_name!r} makes "
                           f"{dimension}-d ones. Rebuild the index with this model: `citeqa build`.")
    if fingerprint is not None and model["fingerprint"] != fingerprint:
        raise IndexProblem(f"The index was built with model {model['name']!r} ({model['fingerprint']}), not with "
                           f"{model_name!r} ({fingerprint}). Rebuild it: `citeqa build`, or set CITEQA_MODEL={model['name']}.")


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait: bool = True) -> Iterator[None]:
    """Hold the index's writer lock: one writer at a time."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as error:
            raise IndexProblem(f"Another citeqa process is changing the index in {index_dir}; try again when it is done.") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_version(index_dir: Path, manifest: dict, vectors: np.ndarray, chunks: list[Chunk],
                  texts: dict[str, str], sentence_vectors: np.ndarray | None = None,
                  vocabulary: Vocabulary | None = None, keep: int = 3) -> Path:
    """Write a new version aside, check it, then make it current in one atomic step.

    The caller holds :func:`writer_lock`. A failure before the switch leaves the
    current version as it was.
    """
    versions = index_dir / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    version_id = _next_version_id(versions)
    manifest = {**manifest, "format_version": FORMAT_VERSION, "version": version_id,
                "counts": {"documents": len(texts), "chunks": len(chunks)}}
    _remove_old_versions(index_dir, keep=max(keep, 1) + 1)
    staging = versions / f".staging-{version_id}"
    staging.mkdir()
    if sentence_vectors is None:
        sentence_vectors = np.zeros((0, manifest["model"]["dimension"]), dtype=np.float32)
    if vocabulary is None:
        vocabulary = Vocabulary.empty(manifest["model"]["dimension"])
    final = versions / version_id
    try:
        _write_files(staging, manifest, vectors, chunks, texts, sentence_vectors, vocabulary)
        os.rename(staging, final)
        _fsync_dir(versions)
        _check_consistency(IndexVersion(final, manifest, faiss.read_index(str(final / VECTORS_FILE)), chunks, texts,
                                        np.load(final / SENTENCES_FILE, allow_pickle=False),
                                        _read_vocabulary(final, manifest)))
        _switch_current(index_dir, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if final.exists() and current_path(index_dir) != final.resolve():
            shutil.rmtree(final, ignore_errors=True)  # complete but never current: it would push out a real one
        raise
    _remove_old_versions(index_dir, keep)
    return final


def _next_version_id(versions: Path) -> str:
    """A version id that sorts after every existing one (UTC time, microseconds), even after the clock
    stepped back: then it is the newest id plus one microsecond."""
    now = datetime.now(timezone.utc)
    existing = sorted(p.name for p in versions.iterdir() if not p.name.startswith("."))
    if existing:
        try:
            newest = datetime.strptime(existing[-1], _VERSION_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            newest = None
        if newest is not None and now <= newest:
            now = newest + timedelta(microseconds=1)
    return now.strftime(_VERSION_FORMAT)


def _write_files(folder: Path, manifest: dict, vectors: np.ndarray, chunks: list[Chunk], texts: dict[str, str],
                 sentence_vectors: np.ndarray, vocabulary: Vocabulary) -> None:
    """Write and flush every file of one version."""
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(manifest["model"]["dimension"]))
    if len(chunks):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                           np.array([chunk.id for chunk in chunks], dtype=np.int64))
    faiss.write_index(index, str(folder / VECTORS_FILE))
    np.save(folder / SENTENCES_FILE, np.ascontiguousarray(sentence_vectors, dtype=np.float32), allow_pickle=False)
    np.save(folder / VOCABULARY_VECTORS_FILE, np.ascontiguousarray(vocabulary.vectors, dtype=np.float16),
            allow_pickle=False)  # half precision: word-to-word cosines need no more
    _write_text(folder / VOCABULARY_FILE, json.dumps([list(entry) for entry in vocabulary.entries], ensure_ascii=False))
    (folder / TEXTS_DIR).mkdir()
    for document_id, text in texts.items():
        _write_text(folder / TEXTS_DIR / f"{document_id}.txt", text)
    _write_text(folder / CHUNKS_FILE, "".join(json.dumps(chunk.__dict__, ensure_ascii=False) + "\n" for chunk in chunks))
    _write_text(folder / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2))
    for path in [folder / VECTORS_FILE, folder / SENTENCES_FILE, folder / VOCABULARY_VECTORS_FILE]:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(folder / TEXTS_DIR)
    _fsync_dir(folder)


def _write_text(path: Path, text: str) -> None:
    """Write a text file and flush it to disk."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch_current(index_dir: Path, target: Path) -> None:
    """Point ``current`` at a version with one atomic rename of a symlink."""
    temporary = index_dir / f".{CURRENT_LINK}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(target, index_dir), temporary)
    os.replace(temporary, index_dir / CURRENT_LINK)
    _fsync_dir(index_dir)


def _remove_old_versions(index_dir: Path, keep: int) -> None:
    """Keep the current version and the newest others, up to ``keep`` in all; drop stale staging folders."""
    current = current_path(index_dir)
    for stale in (index_dir / VERSIONS_DIR).glob(".staging-*"):  # left by a killed writer; we hold the lock
        shutil.rmtree(stale, ignore_errors=True)
    versions = sorted((p for p in (index_dir / VERSIONS_DIR).iterdir() if not p.name.startswith(".")), reverse=True)
    for old in versions[keep:]:
        if old.resolve() != current:  # resolved both: a relative index folder never loses its current version
            shutil.rmtree(old, ignore_errors=True)
