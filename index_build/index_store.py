"""Index versions: the ``current`` pointer, one writer at a time, writing a version aside and switching to
it atomically, checked loading, and cleanup of old versions.

Layout of an index folder::

    current -> versions/<version>     symlink, switched atomically
    versions/<version>/manifest.json  one version: the segments it is made of (``index_build.folder_store``)
    segments/<segment>/               the files of one segment, shared by the versions that list it
    .lock                             one writer at a time

Each segment's entry in a manifest holds the sha256 and size of each of its files: a damaged file is
refused by name, with the command that serves an earlier version without it again. Writing a version is
:mod:`index_build.folder_writer`'s.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from index_build.chunk_table import Chunk
from index_build.folder_store import (FORMAT_3, FORMAT_VERSION, MANIFEST_FILE, SEGMENTS_DIR, FolderStore,
                                      LegacyVersion, StoreProblem, open_version, read_legacy)
from index_build.segment import fsync_dir, sha256
from index_build.store import DocumentPart, Renderings

__all__ = ["Chunk", "FolderStore", "IndexProblem", "PreviousVersion", "current_path", "load_previous", "load_version",
           "writer_lock"]

CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
LOCK_FILE = ".lock"
CHECKSUM_LIMIT = 256 * 2**20  # files up to this size are checked by sha256 at every load; larger ones by size
_VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"  # version ids sort in creation order

faiss.omp_set_num_threads(1)  # one search at a time per request thread: faster single-threaded (faiss #2953)


class IndexProblem(RuntimeError):
    """The index is missing, corrupt or does not match the model; the message says what to run."""


def current_path(index_dir: Path) -> Path | None:
    """The folder of the current version, or None when the index was never built."""
    link = index_dir / CURRENT_LINK
    return link.resolve() if link.exists() else None


def current_documents(index_dir: Path) -> dict[str, dict]:
    """The current version's document entries by id, from its manifest alone ({} when there is none)."""
    path = current_path(index_dir)
    try:
        return {doc["id"]: doc for doc in json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))["documents"]}
    except (TypeError, OSError, ValueError, KeyError):
        return {}


def needs_conversion(index_dir: Path) -> bool:
    """True when the current version was written in an older format (``citeqa build`` converts it)."""
    path = current_path(index_dir)
    if path is None:
        return False
    try:
        return json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8")).get("format_version") != FORMAT_VERSION
    except (OSError, ValueError):
        return False  # a damaged manifest is load_version's to report


def load_version(index_dir: Path, *, model_name: str | None = None, fingerprint: str | None = None,
                 dimension: int | None = None, exact: bool = False, opened: object | None = None) -> FolderStore:
    """Open the current version, checked: its files are the ones written, and agree with each other and
    with the model. ``exact`` ignores the approximate indexes (to measure their recall). The segments it
    shares with ``opened`` (the version served until now) are taken from it, not opened and checked again."""
    path = current_path(index_dir)
    if path is None:
        raise IndexProblem(f"No index in {index_dir}. Build it first: `citeqa build` (or `make index`).")
    manifest = _read_manifest(path)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexProblem(f"The index version in {path} has format {manifest.get('format_version')}; this citeqa "
                           f"serves format {FORMAT_VERSION}. Run `citeqa build`: it converts it, reusing every vector.")
    shared = {} if exact else {segment.id: segment for segment in getattr(opened, "segments", [])}
    damaged = _damaged_files(index_dir, manifest, skip=set(shared))
    if damaged:
        names = [name for _, name in damaged]
        raise IndexProblem(f"The index version in {path} is damaged: {', '.join(names)} "
                           f"{'is' if len(names) == 1 else 'are'} not the file written with this version. "
                           f"{how_to_recover(path, {segment for segment, _ in damaged})}")
    try:
        version = open_version(path, index_dir / SEGMENTS_DIR, exact=exact, opened=shared)
    except StoreProblem as error:
        raise IndexProblem(f"The index version in {path} is unreadable: {error}. {how_to_recover(path)}") from error
    check_model(version, model_name, fingerprint, dimension)
    return version


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), dict):
            raise ValueError("not a manifest")
        return manifest
    except (OSError, ValueError) as error:
        raise IndexProblem(f"The index version in {path} is unreadable: {MANIFEST_FILE} ({type(error).__name__}: "
                           f"{error}). {how_to_recover(path)}") from error


class PreviousVersion:
    """The current version as a build sees it: its documents, and each one's chunks, vectors and text to
    carry over (from format 3, or from an older format read whole)."""

    def __init__(self, source: FolderStore | LegacyVersion):
        self._source = source
        self.manifest = source.manifest
        self.documents = source.manifest["documents"]
        self.document_ids = {doc["id"] for doc in self.documents}
        self.vocabulary = source.vocabulary

    @property
    def store(self) -> FolderStore | None:
        """The version as a store, when it is of this format (its segments can then be kept as they are)."""
        source = self._source
        return source if isinstance(source, FolderStore) and self.manifest.get("format_version") == FORMAT_VERSION else None

    def document(self, document_id: str) -> tuple[list[Chunk], np.ndarray, np.ndarray, str]:
        """A document's chunks (their sentence rows renumbered from 0), their vectors, its sentence vectors
        (row i for sentence row i) and its text: what a new version carries over without embedding."""
        source = self._source
        if isinstance(source, LegacyVersion):
            chunks = [Chunk(**{**c.__dict__}) for c in source.chunks if c.document_id == document_id]
            vectors, text = source.vectors[[c.id for c in chunks]], source.texts[document_id]
        else:
            chunks = list(source.iter_chunks(document_id))
            vectors, text = source.chunk_vectors([c.id for c in chunks]), source.document_text(document_id)
        rows = sorted({row for chunk in chunks for _, _, row in chunk.sentences})
        renumber = {row: new for new, row in enumerate(rows)}
        for chunk in chunks:
            chunk.sentences = [[start, end, renumber[row]] for start, end, row in chunk.sentences]
        if isinstance(source, LegacyVersion):
            sentence_vectors = source.sentence_vectors[rows].reshape(len(rows), -1)
        else:
            sentence_vectors = source.sentence_vectors(rows)
        return chunks, vectors, sentence_vectors.astype(np.float32).reshape(len(rows), vectors.shape[1]), text


    def part(self, document_id: str, fields: dict | None = None) -> DocumentPart:
        """A document carried over without embedding, as a writer takes it: its entry (where it lay dropped,
        ``fields`` from the catalog on top), text, chunks and vectors."""
        chunks, vectors, sentence_vectors, text = self.document(document_id)
        old = next(doc for doc in self.documents if doc["id"] == document_id)
        entry = {key: value for key, value in {**old, **(fields or {})}.items() if key not in ("first_row", "segment")}
        return DocumentPart(entry, text, chunks, vectors, sentence_vectors, self.renderings(document_id))

    def renderings(self, document_id: str) -> Renderings:
        """A document's renderings in other languages (rows from its first chunk; none from an older format)."""
        source = self._source
        return source.document_renderings(document_id) if hasattr(source, "document_renderings") else Renderings()


def load_previous(index_dir: Path, *, fingerprint: str | None = None, dimension: int | None = None) -> PreviousVersion:
    """The current version for a build to reuse, in this format or an older one."""
    path = current_path(index_dir)
    if path is None:
        raise IndexProblem(f"No index in {index_dir}.")
    manifest = _read_manifest(path)
    if manifest.get("format_version") == FORMAT_VERSION:
        source: FolderStore | LegacyVersion = load_version(index_dir, fingerprint=fingerprint, dimension=dimension,
                                                           exact=True)  # a writer searches nothing: no FAISS read
    elif manifest.get("format_version") == FORMAT_3:
        damaged = [name for name, (size, digest) in sorted((manifest.get("checksums") or {}).items())
                   if _is_damaged(path / name, size, digest)]
        if damaged:
            raise IndexProblem(f"The index version in {path} is damaged: {', '.join(damaged)}.")
        try:
            source = open_version(path, index_dir / SEGMENTS_DIR)
        except StoreProblem as error:
            raise IndexProblem(f"The index version in {path} is unreadable: {error}.") from error
        check_model(source, None, fingerprint, dimension)
    else:
        try:
            source = read_legacy(path)
        except Exception as error:  # any parser's error: the build then embeds everything again
            raise IndexProblem(f"The index version in {path} is unreadable ({type(error).__name__}: {error}).") from error
        check_model(source, None, fingerprint, dimension)
    return PreviousVersion(source)


def how_to_recover(path: Path, damaged_segments: set[str] | None = None) -> str:
    """What to run about a bad version at ``path``: rebuild it, or point ``current`` back at the newest
    other version that does not use a damaged segment (instant; a rebuild embeds every report again)."""
    versions = path.parent
    try:
        others = sorted((p for p in versions.iterdir() if not p.name.startswith(".") and p.name != path.name),
                        reverse=True)
    except OSError:
        others = []
    for other in others:
        try:
            segments = {entry["id"] for entry in _read_manifest(other).get("segments", [])}
        except IndexProblem:
            continue
        if not segments & (damaged_segments or set()):
            return (f"Rebuild it: `citeqa build`, or serve the previous version again: "
                    f"`ln -sfn {VERSIONS_DIR}/{other.name} {versions.parent / CURRENT_LINK}`.")
    return "Rebuild it: `citeqa build` (no earlier version is whole)." if others else "Rebuild it: `citeqa build`."


def _damaged_files(index_dir: Path, manifest: dict, skip: set[str] = frozenset()) -> list[tuple[str, str]]:
    """(segment, file) of the segment files a version lists that are not the ones written (missing, another
    size, or, up to :data:`CHECKSUM_LIMIT`, another sha256); segments in ``skip`` are not looked at."""
    damaged = []
    for entry in manifest.get("segments", []):
        if entry["id"] in skip:
            continue
        folder = index_dir / SEGMENTS_DIR / entry["id"]
        if not folder.is_dir():
            damaged.append((entry["id"], f"{SEGMENTS_DIR}/{entry['id']}/"))
            continue
        for name, (size, digest) in sorted((entry.get("checksums") or {}).items()):
            if _is_damaged(folder / name, size, digest):
                damaged.append((entry["id"], f"{SEGMENTS_DIR}/{entry['id']}/{name}"))
    return damaged


def _is_damaged(file: Path, size: int, digest: str) -> bool:
    try:
        actual = file.stat().st_size
    except OSError:
        return True
    return actual != size or (size <= CHECKSUM_LIMIT and sha256(file) != digest)


def check_model(version: FolderStore | LegacyVersion, model_name: str | None, fingerprint: str | None, dimension: int | None) -> None:
    """The index must have been built with the model that will embed the questions."""
    model = version.manifest["model"]
    if dimension is not None and model["dimension"] != dimension:
        raise IndexProblem(f"The index holds {model['dimension']}-d vectors but the model {model_name!r} makes "
                           f"{dimension}-d ones. Rebuild the index with this model: `citeqa build`.")
    if fingerprint is not None and model["fingerprint"] != fingerprint:
        quantized = "+onnx-int8" in model["fingerprint"], "+onnx-int8" in fingerprint
        if quantized[0] != quantized[1] and model["fingerprint"].split("+")[0] == fingerprint.split("+")[0]:
            encoder = "onnx-int8" if quantized[0] else "onnx"  # the same model, another encoder's vectors
            raise IndexProblem(f"The index was built with the {'int8' if quantized[0] else 'full-precision'} encoder "
                               f"of {model['name']!r} ({model['fingerprint']}), not with this one ({fingerprint}). "
                               f"Rebuild it: `citeqa build`, or set CITEQA_ENCODER={encoder}.")
        raise IndexProblem(f"The index was built with model {model['name']!r} ({model['fingerprint']}), not with "
                           f"{model_name!r} ({fingerprint}). Rebuild it: `citeqa build`, or set CITEQA_MODEL={model['name']}.")


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait: bool = True) -> Iterator[None]:
    """Hold the index's writer lock: one writer at a time. A folder that cannot be written (read-only,
    not ours) is refused here, before anything changes."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / LOCK_FILE, "a+")
    except OSError as error:
        raise IndexProblem(f"Cannot change the index in {index_dir}: its writer lock {LOCK_FILE} cannot be opened "
                           f"({error.strerror}). Make the folder writable and run the change again; the version "
                           "served is untouched.") from error
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as error:
            raise IndexProblem(f"Another citeqa process is changing the index in {index_dir}; try again when it is done.") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_failure(index_dir: Path, error: OSError) -> str:
    """Why a new version could not be written, what is left (nothing) and what to do."""
    reason = error.strerror or str(error)
    if error.errno is None:  # numpy reports a short write ("8448 requested and 4032 written") without errno
        reason = f"the disk is full or over quota ({reason}: a short write)"
    if error.filename:
        reason += f" ({error.filename})"
    with contextlib.suppress(OSError):
        reason += f"; {shutil.disk_usage(index_dir).free / 2**20:.1f} MB free there"
    current = current_path(index_dir)
    return (f"Could not write a new index version in {index_dir / VERSIONS_DIR}: {reason}. What was written is "
            f"removed and the current version is still {current.name if current else '(none)'}. Free some space or "
            "make the folder writable, then run the change again.")


def next_version_id(versions: Path) -> str:
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


def switch_current(index_dir: Path, target: Path) -> None:
    """Point ``current`` at a version with one atomic rename of a symlink."""
    temporary = index_dir / f".{CURRENT_LINK}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(target, index_dir), temporary)
    os.replace(temporary, index_dir / CURRENT_LINK)
    with contextlib.suppress(OSError):  # the switch is made: a failed flush of the folder must not undo it
        fsync_dir(index_dir)            # (the caller would roll back a corpus that now matches the index)


def remove_stale(index_dir: Path) -> None:
    """Drop what a killed writer left: staging folders and temporary ``current`` links (we hold the lock)."""
    for folder in (VERSIONS_DIR, SEGMENTS_DIR):
        for stale in (index_dir / folder).glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(f".{CURRENT_LINK}-*"):  # a writer killed between making the link and the switch
        with contextlib.suppress(OSError):
            stale.unlink()


def remove_unused(index_dir: Path, keep: int) -> None:
    """Keep the current version and the newest others, up to ``keep`` in all, and the segments they list;
    drop the rest (and what a killed writer left)."""
    remove_stale(index_dir)
    current = current_path(index_dir)
    versions = sorted((p for p in (index_dir / VERSIONS_DIR).iterdir() if not p.name.startswith(".")), reverse=True)
    for old in versions[keep:]:
        if old.resolve() != current:  # resolved both: a relative index folder never loses its current version
            shutil.rmtree(old, ignore_errors=True)
    segments = index_dir / SEGMENTS_DIR
    if not segments.is_dir():
        return
    used: set[str] = set()
    for version in (index_dir / VERSIONS_DIR).iterdir():
        if version.name.startswith("."):
            continue
        try:
            manifest = json.loads((version / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # a version we cannot read may use any segment: keep them all
        used.update(entry["id"] for entry in manifest.get("segments", []))
    for segment in segments.iterdir():
        if not segment.name.startswith(".") and segment.name not in used:
            shutil.rmtree(segment, ignore_errors=True)
