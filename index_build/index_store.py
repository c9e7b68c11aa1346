"""Index versions: the ``current`` pointer, one writer at a time, writing a version aside and switching to
it atomically, checked loading, and cleanup of old versions.

Layout of an index folder::

    current -> versions/<version>     symlink, switched atomically
    versions/<version>/               the files of one version (``index_build.folder_store`` owns them)
    .lock                             one writer at a time

The manifest of a version holds the sha256 and size of each of its files: a damaged file is refused by
name, with the command that serves the previous version again.
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
from index_build.folder_store import (FORMAT_VERSION, MANIFEST_FILE, FolderStore, LegacyVersion, StoreProblem,
                                      fsync_dir, read_legacy, write_folder)
from index_build.vocabulary import Vocabulary

__all__ = ["Chunk", "FolderStore", "IndexProblem", "PreviousVersion", "current_path", "load_previous", "load_version",
           "writer_lock", "write_version"]

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
                 dimension: int | None = None, exact: bool = False) -> FolderStore:
    """Open the current version, checked: its files are the ones written, and agree with each other and
    with the model. ``exact`` ignores the approximate indexes (to measure their recall)."""
    path = current_path(index_dir)
    if path is None:
        raise IndexProblem(f"No index in {index_dir}. Build it first: `citeqa build` (or `make index`).")
    manifest = _read_manifest(path)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexProblem(f"The index version in {path} has format {manifest.get('format_version')}; this citeqa "
                           f"serves format {FORMAT_VERSION}. Run `citeqa build`: it converts it, reusing every vector.")
    damaged = _damaged_files(path, manifest)
    if damaged:
        raise IndexProblem(f"The index version in {path} is damaged: {', '.join(damaged)} "
                           f"{'is' if len(damaged) == 1 else 'are'} not the file written with this version. "
                           f"{how_to_recover(path)}")
    try:
        version = FolderStore(path, exact=exact)
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


def load_previous(index_dir: Path, *, fingerprint: str | None = None, dimension: int | None = None) -> PreviousVersion:
    """The current version for a build to reuse, in this format or an older one."""
    path = current_path(index_dir)
    if path is None:
        raise IndexProblem(f"No index in {index_dir}.")
    manifest = _read_manifest(path)
    if manifest.get("format_version") == FORMAT_VERSION:
        source: FolderStore | LegacyVersion = load_version(index_dir, fingerprint=fingerprint, dimension=dimension)
    else:
        try:
            source = read_legacy(path)
        except Exception as error:  # any parser's error: the build then embeds everything again
            raise IndexProblem(f"The index version in {path} is unreadable ({type(error).__name__}: {error}).") from error
        check_model(source, None, fingerprint, dimension)
    return PreviousVersion(source)


def how_to_recover(path: Path) -> str:
    """What to run about a bad version at ``path``: rebuild it, or point ``current`` back at the newest
    other version (instant; a rebuild embeds every report again)."""
    versions = path.parent
    try:
        others = sorted((p.name for p in versions.iterdir() if not p.name.startswith(".") and p.name != path.name),
                        reverse=True)
    except OSError:
        others = []
    if not others:
        return "Rebuild it: `citeqa build`."
    return (f"Rebuild it: `citeqa build`, or serve the previous version again: "
            f"`ln -sfn {VERSIONS_DIR}/{others[0]} {versions.parent / CURRENT_LINK}`.")


def _damaged_files(path: Path, manifest: dict) -> list[str]:
    """The files of a version that are not the ones its manifest lists (missing, another size, or, up to
    :data:`CHECKSUM_LIMIT`, another sha256)."""
    damaged = []
    for name, (size, digest) in sorted((manifest.get("checksums") or {}).items()):
        file = path / name
        try:
            actual = file.stat().st_size
        except OSError:
            damaged.append(name)
            continue
        if actual != size or (size <= CHECKSUM_LIMIT and _sha256(file) != digest):
            damaged.append(name)
    return damaged


def _checksums(folder: Path) -> dict[str, list]:
    """(size, sha256) of every file of a version folder but its manifest, by relative path."""
    return {str(file.relative_to(folder)): [file.stat().st_size, _sha256(file)]
            for file in sorted(folder.rglob("*")) if file.is_file() and file.name != MANIFEST_FILE}


def _sha256(path: Path) -> str:
    """The sha256 of a file, hex ("" when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def check_model(version: FolderStore | LegacyVersion, model_name: str | None, fingerprint: str | None, dimension: int | None) -> None:
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


def write_version(index_dir: Path, manifest: dict, vectors: np.ndarray, chunks: list[Chunk],
                  texts: dict[str, str], sentence_vectors: np.ndarray | None = None,
                  vocabulary: Vocabulary | None = None, keep: int = 3) -> Path:
    """Write a new version aside, check it, then make it current in one atomic step.

    The caller holds :func:`writer_lock`. A failure before the switch leaves the
    current version as it was; a file that cannot be written (disk full, read-only
    file system) is an :class:`IndexProblem` that says so, with nothing left behind.
    """
    try:
        return _write_new_version(index_dir, manifest, vectors, chunks, texts, sentence_vectors, vocabulary, keep)
    except sqlite3.OperationalError as error:  # SQLite reports a full disk as "database or disk is full"
        raise IndexProblem(_write_failure(index_dir, OSError(None, str(error)))) from error
    except OSError as error:
        raise IndexProblem(_write_failure(index_dir, error)) from error


def _write_failure(index_dir: Path, error: OSError) -> str:
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


def _write_new_version(index_dir: Path, manifest: dict, vectors: np.ndarray, chunks: list[Chunk],
                       texts: dict[str, str], sentence_vectors: np.ndarray | None, vocabulary: Vocabulary | None,
                       keep: int) -> Path:
    """:func:`write_version` without the translation of OS errors."""
    versions = index_dir / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    version_id = _next_version_id(versions)
    manifest = {**manifest, "version": version_id}
    _remove_old_versions(index_dir, keep=max(keep, 1) + 1)
    staging = versions / f".staging-{version_id}"
    dimension = manifest["model"]["dimension"]
    if sentence_vectors is None:
        sentence_vectors = np.zeros((0, dimension), dtype=np.float32)
    if vocabulary is None:
        vocabulary = Vocabulary.empty(dimension)
    final = versions / version_id
    try:
        staging.mkdir()
        written = write_folder(staging, manifest, vectors, chunks, texts, sentence_vectors, vocabulary)
        written["checksums"] = _checksums(staging)
        _write_manifest(staging / MANIFEST_FILE, written)
        os.rename(staging, final)
        fsync_dir(versions)
        try:
            FolderStore(final)
        except StoreProblem as error:
            raise IndexProblem(f"The new version failed its check ({error}); the current one is unchanged.") from error
        _switch_current(index_dir, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if final.exists() and current_path(index_dir) != final.resolve():
            shutil.rmtree(final, ignore_errors=True)  # complete but never current: it would push out a real one
        raise
    _remove_old_versions(index_dir, keep)
    return final


def _write_manifest(path: Path, manifest: dict) -> None:
    """Write the manifest (last: a version without its final manifest is never made current) and flush it."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(manifest, ensure_ascii=False, indent=2))
        handle.flush()
        os.fsync(handle.fileno())


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


def _switch_current(index_dir: Path, target: Path) -> None:
    """Point ``current`` at a version with one atomic rename of a symlink."""
    temporary = index_dir / f".{CURRENT_LINK}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(target, index_dir), temporary)
    os.replace(temporary, index_dir / CURRENT_LINK)
    with contextlib.suppress(OSError):  # the switch is made: a failed flush of the folder must not undo it
        fsync_dir(index_dir)            # (the caller would roll back a corpus that now matches the index)


def _remove_old_versions(index_dir: Path, keep: int) -> None:
    """Keep the current version and the newest others, up to ``keep`` in all; drop stale staging folders
    and temporary ``current`` links."""
    current = current_path(index_dir)
    for stale in (index_dir / VERSIONS_DIR).glob(".staging-*"):  # left by a killed writer; we hold the lock
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(f".{CURRENT_LINK}-*"):  # a writer killed between making the link and the switch
        with contextlib.suppress(OSError):
            stale.unlink()
    versions = sorted((p for p in (index_dir / VERSIONS_DIR).iterdir() if not p.name.startswith(".")), reverse=True)
    for old in versions[keep:]:
        if old.resolve() != current:  # resolved both: a relative index folder never loses its current version
            shutil.rmtree(old, ignore_errors=True)
