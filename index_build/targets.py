"""Where a build writes its new version, for either store: :class:`BuildTarget`.

The builder (:mod:`index_build.builder`) and the report changes (:mod:`index_build.reports`) take a target:
:class:`FolderTarget` (``CITEQA_STORE`` unset: the index folder, new segments and a ``current`` link switched
atomically) or :class:`PostgresTarget` (``CITEQA_STORE=postgresql://…``: rows written straight into the
database and the version made current in one transaction; no folder is involved). Both give one writer at a
time, the current version to reuse vectors from, and a writer that adds, carries over and removes documents.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from index_build.folder_writer import FolderWriter
from index_build.index_store import (IndexProblem, MANIFEST_FILE, PreviousVersion, current_documents, current_path,
                                     load_previous, needs_conversion, writer_lock)
from index_build.store import DocumentPart
from index_build.vocabulary import Vocabulary


@dataclass
class Committed:
    """A version a build made current."""

    version: str
    where: str  # the version's folder, or the database
    documents: int
    chunks: int


class VersionWriter(Protocol):
    """The changes of one build, made current together by :meth:`commit`."""

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
        """Write the new version and make it current."""


class BuildTarget(Protocol):
    """One index that builds write to."""

    def describe(self) -> str:
        """Where the index is, for messages."""

    def lock(self, wait: bool = True) -> contextlib.AbstractContextManager[None]:
        """Be the only writer until the block ends (``wait=False``: an :class:`IndexProblem` if another is)."""

    def has_current(self) -> bool:
        """Whether a version is current, in this citeqa's format."""

    def current_documents(self) -> dict[str, dict]:
        """The current version's document entries by id ({} when there is none)."""

    def previous(self, fingerprint: str, dimension: int) -> PreviousVersion | None:
        """The current version, when a build with this model can reuse it (None: none, or another model)."""

    def writer(self, previous: PreviousVersion | None, same_pipeline: bool) -> VersionWriter:
        """A writer of the next version (``same_pipeline``: ``previous`` was made by this pipeline, its rows can
        be kept as they are)."""


class FolderTarget:
    """The embedded store's folder (CITEQA_INDEX_DIR)."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def describe(self) -> str:
        return str(self.index_dir)

    def lock(self, wait: bool = True) -> contextlib.AbstractContextManager[None]:
        return writer_lock(self.index_dir, wait)

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

    def writer(self, previous: PreviousVersion | None, same_pipeline: bool) -> VersionWriter:
        return _FolderVersion(FolderWriter(self.index_dir, previous.store if previous and same_pipeline else None))


class _Changes:
    """What both targets' writers share: documents added, carried over and removed."""

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


class _FolderVersion(_Changes):
    """A :class:`FolderWriter` as a build uses it."""

    def __init__(self, writer: FolderWriter):
        super().__init__(writer, keeps_rows=writer.base is not None)

    def _keep(self, old: dict, fields: dict) -> None:
        self._writer.update(old["id"], fields)  # its segment is kept

    def commit(self, manifest: dict, vocabulary: Vocabulary, order: list[str]) -> Committed:
        path = self._writer.commit(manifest, vocabulary, order)
        counts = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))["counts"]
        return Committed(path.name, str(path), counts["documents"], counts["chunks"])


class PostgresTarget:
    """PostgreSQL (CITEQA_STORE): rows written into the database, the version switched in one transaction."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    def describe(self) -> str:
        from index_build.pg_schema import without_password

        return f"PostgreSQL at {without_password(self.dsn)}"

    @contextlib.contextmanager
    def lock(self, wait: bool = True) -> Iterator[None]:
        from index_build.pg_schema import BUILD_LOCK, connect

        with connect(self.dsn) as connection:  # a session lock, held by this connection for the whole build
            connection.autocommit = True
            if wait:
                connection.execute("SELECT pg_advisory_lock(%s)", (BUILD_LOCK,))
            elif not connection.execute("SELECT pg_try_advisory_lock(%s)", (BUILD_LOCK,)).fetchone()[0]:
                raise IndexProblem(f"Another citeqa process is changing the index in {self.describe()}; try again "
                                   "when it is done.")
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    connection.execute("SELECT pg_advisory_unlock(%s)", (BUILD_LOCK,))

    def has_current(self) -> bool:
        from index_build.pg_store import current_entries

        return current_entries(self.dsn) is not None

    def current_documents(self) -> dict[str, dict]:
        from index_build.pg_store import current_entries

        return {entry["id"]: entry for entry in current_entries(self.dsn) or []}

    def previous(self, fingerprint: str, dimension: int) -> PreviousVersion | None:
        from index_build.pg_schema import migrate
        from index_build.pg_store import open_current

        migrate(self.dsn, dimension)  # a new database gets the schema, an older one is brought up to date
        if not self.has_current():
            return None
        store = open_current(self.dsn)
        model = store.manifest["model"]
        if model.get("fingerprint") != fingerprint or int(model.get("dimension", 0)) != dimension:
            return None  # another model: everything is embedded again
        return PreviousVersion(store)

    def writer(self, previous: PreviousVersion | None, same_pipeline: bool) -> VersionWriter:
        return _PostgresVersion(self)


class _PostgresVersion(_Changes):
    """A :class:`~index_build.pg_writer.PostgresWriter` as a build uses it."""

    def __init__(self, target: PostgresTarget):
        from index_build.pg_writer import PostgresWriter

        super().__init__(PostgresWriter(target.dsn), keeps_rows=True)
        self._target = target

    def _keep(self, old: dict, fields: dict) -> None:
        self._writer.keep({name: value for name, value in {**old, **fields}.items()
                           if name not in ("first_row", "segment")})  # the same key: its rows are there

    def commit(self, manifest: dict, vocabulary: Vocabulary, order: list[str]) -> Committed:
        written = self._writer.commit(manifest, vocabulary, order)
        return Committed(written.version, self._target.describe(), written.documents, written.chunk_rows)


def build_target(store: str, index_dir: Path) -> BuildTarget:
    """The target of CITEQA_STORE (a postgresql:// address) or, when it is empty, of the folder CITEQA_INDEX_DIR."""
    from index_build.sources import is_postgres

    return PostgresTarget(store) if is_postgres(store) else FolderTarget(index_dir)


def as_target(where: Path | BuildTarget) -> BuildTarget:
    """A target from an index folder's path, or the target itself."""
    return FolderTarget(where) if isinstance(where, (str, Path)) else where
