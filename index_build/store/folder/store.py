""":class:`FolderStore`: the index folder (CITEQA_INDEX_DIR) and its corpus folder (CITEQA_CORPUS_DIR) as a
:class:`~index_build.store.base.Store`.

A version is a folder of segments; the ``current`` link is switched atomically (:mod:`.versions`), a new version
is written by :mod:`.writer`, small segments are merged by :mod:`.merging`. One machine: the lock is the folder's
``flock``.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from index_build.store.base import Changes, Committed, IndexProblem, Maintained, PreviousVersion, Version, Writer
from index_build.store.folder.catalog import CorpusCatalog
from index_build.store.folder.merging import merge_segments, needs_merge
from index_build.store.folder.version import FORMAT_VERSION, MANIFEST_FILE, FolderVersion
from index_build.store.folder.versions import (CURRENT_LINK, current_documents, current_path, load_previous,
                                               load_version, needs_conversion, writer_lock)
from index_build.store.folder.writer import FolderWriter
from index_build.vocabulary import Vocabulary


class FolderStore:
    """The embedded store: versions in ``index_dir``, the catalog in ``corpus_dir``."""

    def __init__(self, index_dir: Path, corpus_dir: Path, lock_timeout: float | None = None):
        self.index_dir = Path(index_dir)
        self.catalog = CorpusCatalog(corpus_dir)
        self.lock_timeout = lock_timeout  # seconds a writer waits for the lock (None: as long as it takes)

    def describe(self) -> str:
        return str(self.index_dir)

    def current_name(self) -> str:
        try:
            return os.path.basename(os.readlink(self.index_dir / CURRENT_LINK))
        except OSError:
            return ""

    def name_of(self, version: Version) -> str:
        return version.path.name

    def open(self, *, model_name: str | None = None, fingerprint: str | None = None, dimension: int | None = None,
             served: Version | None = None, exact: bool = False) -> FolderVersion:
        return load_version(self.index_dir, model_name=model_name, fingerprint=fingerprint, dimension=dimension,
                            exact=exact, opened=served)

    def lock(self, wait: bool = True) -> contextlib.AbstractContextManager[None]:
        return writer_lock(self.index_dir, wait, self.lock_timeout)

    def has_current(self) -> bool:
        return current_path(self.index_dir) is not None and not needs_conversion(self.index_dir)

    def current_documents(self) -> dict[str, dict]:
        return current_documents(self.index_dir)

    def previous(self, fingerprint: str, dimension: int) -> PreviousVersion | None:
        if current_path(self.index_dir) is None:
            return None
        try:
            return load_previous(self.index_dir, fingerprint=fingerprint, dimension=dimension)
        except IndexProblem:
            return None  # corrupt or another model: everything is embedded again

    def writer(self, previous: PreviousVersion | None, same_pipeline: bool) -> Writer:
        base = previous.version if previous is not None and same_pipeline else None
        if not (isinstance(base, FolderVersion) and base.manifest.get("format_version") == FORMAT_VERSION):
            base = None  # an older format: every document is written again (without embedding)
        return _FolderChanges(FolderWriter(self.index_dir, base), self)

    def needs_maintenance(self, version: Version) -> bool:
        return isinstance(version, FolderVersion) and needs_merge(version)

    def maintain(self, everything: bool = False) -> Maintained:
        summary = merge_segments(self.index_dir, everything=everything)
        return Maintained(bool(summary.merged), summary.line())

    def serving(self, version: Version) -> None:
        """Nothing to record: a folder's versions are kept by count and age (:mod:`.versions`)."""

    def released(self, version: Version) -> None:
        """Nothing to record (see :meth:`serving`)."""

    def problem(self, version: Version | None = None) -> str:
        return ""  # a version once open stays readable: its files are kept while it is served

    def close(self) -> None:
        """Nothing to close."""


class _FolderChanges(Changes):
    """A :class:`FolderWriter` as a build uses it."""

    def __init__(self, writer: FolderWriter, store: FolderStore):
        super().__init__(writer, keeps_rows=writer.base is not None)
        self._store, self._began_on = store, store.current_name()

    def _keep(self, old: dict, fields: dict) -> None:
        self._writer.update(old["id"], fields)  # its segment is kept

    def commit(self, manifest: dict, vocabulary: Vocabulary, order: list[str]) -> Committed:
        now = self._store.current_name()
        if now != self._began_on:  # another writer went past the lock (a second process without it)
            raise IndexProblem(f"the index changed while this change was made (version {now or 'none'} is current "
                               f"now, not {self._began_on or 'none'}): nothing was written; run the change again")
        path = self._writer.commit(manifest, vocabulary, order)
        counts = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))["counts"]
        return Committed(path.name, str(path), counts["documents"], counts["chunks"])
