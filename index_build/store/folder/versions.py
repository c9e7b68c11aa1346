"""Index versions: the ``current`` pointer, one writer at a time, writing a version aside and switching to
it atomically, checked loading, and cleanup of old versions.

Layout of an index folder::

    current -> versions/<version>     symlink, switched atomically
    versions/<version>/manifest.json  one version: the segments it is made of (``index_build.store.folder.version``)
    segments/<segment>/               the files of one segment, shared by the versions that list it
    .lock                             one writer at a time

Each segment's entry in a manifest holds the sha256 and size of each of its files: a damaged file is
refused by name, with the command that serves an earlier version without it again. Writing a version is
:mod:`index_build.store.folder.writer`'s.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from index_build.chunk_table import Chunk
from index_build.store.folder.version import (FORMAT_3, FORMAT_VERSION, MANIFEST_FILE, SEGMENTS_DIR, FolderVersion,
                                      LegacyVersion, StoreProblem, open_version, read_legacy)
from index_build.store.folder.segment import fsync_dir, sha256
from index_build.store.base import IndexProblem, PreviousVersion, StoreBusy, check_model

__all__ = ["current_path", "load_previous", "load_version", "writer_lock"]

CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
LOCK_FILE = ".lock"
LOCK_RETRY_SECONDS = 0.2  # how often a writer waiting with a deadline tries the lock again
CHECKSUM_LIMIT = 256 * 2**20  # files up to this size are checked by sha256 at every load; larger ones by size
_VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"  # version ids sort in creation order

faiss.omp_set_num_threads(1)  # one search at a time per request thread: faster single-threaded (faiss #2953)


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
                 dimension: int | None = None, exact: bool = False, opened: object | None = None) -> FolderVersion:
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


def load_previous(index_dir: Path, *, fingerprint: str | None = None, dimension: int | None = None) -> PreviousVersion:
    """The current version for a build to reuse, in this format or an older one."""
    path = current_path(index_dir)
    if path is None:
        raise IndexProblem(f"No index in {index_dir}.")
    manifest = _read_manifest(path)
    if manifest.get("format_version") == FORMAT_VERSION:
        source: FolderVersion | LegacyVersion = load_version(index_dir, fingerprint=fingerprint, dimension=dimension,
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


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait: bool = True, timeout: float | None = None) -> Iterator[None]:
    """Hold the index's writer lock: one writer at a time (``timeout``: seconds to wait for it, None: as long as
    it takes). A folder that cannot be written (read-only, not ours) is refused here, before anything changes."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / LOCK_FILE, "a+")
    except OSError as error:
        raise IndexProblem(f"Cannot change the index in {index_dir}: its writer lock {LOCK_FILE} cannot be opened "
                           f"({error.strerror}). Make the folder writable and run the change again; the version "
                           "served is untouched.") from error
    with handle:
        give_up = time.monotonic() + (timeout if wait and timeout is not None else 0 if not wait else float("inf"))
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait and timeout is None else fcntl.LOCK_NB))
                break
            except BlockingIOError as error:
                if time.monotonic() >= give_up:
                    waited = f" (waited {timeout:.0f} s: CITEQA_LOCK_TIMEOUT)" if wait and timeout is not None else ""
                    raise StoreBusy(f"Another citeqa process is changing the index in {index_dir}{waited}; try "
                                       "again when it is done.") from error
                time.sleep(LOCK_RETRY_SECONDS)
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
