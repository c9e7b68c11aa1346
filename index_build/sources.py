"""Where the current index version is, for either store: its name (to follow it) and opening it.

``CITEQA_STORE`` unset: the embedded folder (:class:`FolderSource`, the ``current`` link of CITEQA_INDEX_DIR).
``CITEQA_STORE=postgresql://…``: the database (:class:`PostgresSource`, the ``citeqa_current`` row), whose
current version a background thread reads every second, so that asking for it never waits on the network.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol

from index_build.index_store import CURRENT_LINK, check_model, load_version
from index_build.store import IndexStore

log = logging.getLogger("citeqa")
POLL_SECONDS = 1.0  # how often a server reads the database's current version


class VersionSource(Protocol):
    """The current version of one index, whichever store holds it."""

    def current_name(self) -> str:
        """The current version's name ("" when there is none, or it cannot be read now)."""

    def name_of(self, version: IndexStore) -> str:
        """The name :meth:`current_name` gives for a version that is open."""

    def open(self, *, model_name: str | None = None, fingerprint: str | None = None, dimension: int | None = None,
             served: IndexStore | None = None) -> IndexStore:
        """Open the current version, checked against the model (``served``: the version open until now)."""


class FolderSource:
    """The embedded store: the version folder the ``current`` link points at."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def current_name(self) -> str:
        try:
            return os.path.basename(os.readlink(self.index_dir / CURRENT_LINK))
        except OSError:
            return ""

    def name_of(self, version: IndexStore) -> str:
        return version.path.name

    def open(self, *, model_name: str | None = None, fingerprint: str | None = None, dimension: int | None = None,
             served: IndexStore | None = None) -> IndexStore:
        return load_version(self.index_dir, model_name=model_name, fingerprint=fingerprint, dimension=dimension,
                            opened=served)


class PostgresSource:
    """PostgreSQL: the version ``citeqa_current`` names, read by a polling thread (started on first use)."""

    def __init__(self, dsn: str, poll_seconds: float = POLL_SECONDS):
        self.dsn, self.poll_seconds = dsn, poll_seconds
        self._current = ""
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()

    def current_name(self) -> str:
        if self._poller is None:
            self._current = self._read()
            self._poller = threading.Thread(target=self._poll, name="citeqa-current", daemon=True)
            self._poller.start()
        return self._current

    def name_of(self, version: IndexStore) -> str:
        return version.version

    def open(self, *, model_name: str | None = None, fingerprint: str | None = None, dimension: int | None = None,
             served: IndexStore | None = None) -> IndexStore:
        from index_build.pg_store import open_current

        version = open_current(self.dsn)
        try:
            check_model(version, model_name, fingerprint, dimension)
        except Exception:
            version.close()
            raise
        return version

    def close(self) -> None:
        self._stop.set()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            found = self._read()
            if found:  # a database that does not answer leaves the last version known
                self._current = found

    def _read(self) -> str:
        from index_build.pg_schema import connect

        try:
            with connect(self.dsn) as connection:
                row = connection.execute("SELECT version_id FROM citeqa_current").fetchone()
        except Exception as error:  # down, or psycopg's own errors (a table missing): the version stays unknown
            log.warning("citeqa: cannot read the current version from PostgreSQL: %s", error)
            return ""
        return row[0] if row else ""


def is_postgres(store: str) -> bool:
    """Whether CITEQA_STORE names PostgreSQL (False: empty, the index folder; anything else is a ValueError)."""
    if not store:
        return False
    if store.startswith(("postgresql://", "postgres://")):
        return True
    from index_build.pg_schema import without_password

    raise ValueError("CITEQA_STORE must be empty (the index folder) or a postgresql:// address, not "
                     f"{without_password(store)[:80]!r}")  # a mistyped address's password is not shown


def version_source(store: str, index_dir: Path) -> VersionSource:
    """The source of CITEQA_STORE (a postgresql:// address) or, when it is empty, of the folder CITEQA_INDEX_DIR."""
    return PostgresSource(store) if is_postgres(store) else FolderSource(index_dir)
