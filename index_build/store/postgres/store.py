""":class:`PostgresStore`: a PostgreSQL database (CITEQA_STORE=postgresql://…) as a
:class:`~index_build.store.base.Store`, shared by every machine that reaches it.

Versions are rows (:mod:`.writer` writes one and switches ``citeqa_current`` in one transaction; :mod:`.version`
reads one); the catalog is the current version's document entries and the files' bytes (:mod:`.catalog`); one
build at a time across machines holds an advisory lock (waited for at most CITEQA_LOCK_TIMEOUT). A background
thread reads the current version every second, so that asking for it never waits on the network; a server also
renews there its lease on the version it serves (``citeqa_servers``: cleanup keeps that version while the lease
lasts), checks that version is still in the database, and notices when the database stops answering
(:meth:`PostgresStore.problem`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

from index_build.store.base import (Changes, Committed, IndexProblem, Maintained, PreviousVersion, StoreBusy, Version, Writer,
                                    check_model)
from index_build.store.factory import LOCK_TIMEOUT_SECONDS
from index_build.store.postgres.catalog import DatabaseCatalog
from index_build.vocabulary import Vocabulary

log = logging.getLogger("citeqa")
POLL_SECONDS = 1.0  # how often a server reads the database's current version (and renews its lease)
POLL_STATEMENT_TIMEOUT_MS = 5_000  # the poller's statements: a database slower than this is not answering
POLL_LOCK_TIMEOUT_MS = 2_000


class PostgresStore:
    """The database at ``dsn``; ``corpus_dir``: the reports a new database starts from; ``cache_dir``: where
    report files read from the database are kept on this machine."""

    def __init__(self, dsn: str, corpus_dir: Path, cache_dir: Path, poll_seconds: float = POLL_SECONDS,
                 lock_timeout: float = LOCK_TIMEOUT_SECONDS):
        self.dsn, self.poll_seconds, self.lock_timeout = dsn, poll_seconds, lock_timeout
        self.catalog = DatabaseCatalog(dsn, corpus_dir, cache_dir)
        self.host = socket.gethostname()
        self.server_id = f"{self.host}-{os.getpid()}-{secrets.token_hex(4)}"  # this server's lease (one a store)
        self._current = ""
        self._serving = ""  # the version this process serves ("" before :meth:`serving`)
        self._leased: set[str] = set()  # every version it has open: the one served, and one being let go
        self._missing = ""  # the version served, when the last poll did not find it in the database
        self._down_since: float | None = None  # when the poller's reads began to fail (None: the database answers)
        self._connection = None  # the poller's own connection, kept open
        self._polling = threading.RLock()
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()

    def describe(self) -> str:
        from index_build.store.postgres.schema import without_password

        return f"PostgreSQL at {without_password(self.dsn)}"

    # --- reading -------------------------------------------------------------------------------
    def current_name(self) -> str:
        if self._poller is None:
            with self._polling:
                if self._poller is None:
                    self._poll_once()
                    self._poller = threading.Thread(target=self._poll, name="citeqa-current", daemon=True)
                    self._poller.start()
        return self._current

    def name_of(self, version: Version) -> str:
        return version.version

    def open(self, *, model_name: str | None = None, fingerprint: str | None = None, dimension: int | None = None,
             served: Version | None = None, exact: bool = False) -> Version:
        from index_build.store.postgres.version import open_current

        version = open_current(self.dsn, exact=exact)
        try:
            check_model(version, model_name, fingerprint, dimension)
        except Exception:
            version.close()
            raise
        return version

    def serving(self, version: Version) -> None:
        """Take a lease on ``version`` now (the one served from now on); the poller renews every lease this server
        holds at each poll, the previous version's too until :meth:`released` (requests may still finish on it)."""
        self._serving = version.version
        self._leased.add(version.version)
        self._poll_once()

    def released(self, version: Version) -> None:
        """Give up the lease on a version this server no longer has open (cleanup need not wait for it)."""
        if version.version == self._serving:
            return
        self._leased.discard(version.version)
        with self._polling, contextlib.suppress(Exception):  # the lease expires anyway
            if self._connection is not None:
                self._connection.execute("DELETE FROM citeqa_servers WHERE server_id = %s AND version_id = %s",
                                         (self.server_id, version.version))

    def problem(self, version: Version | None = None) -> str:
        """Why this server cannot answer: the database does not answer its poller, or the version served
        (``version``, by default the one :meth:`serving` named) is no longer in the database."""
        down_since = self._down_since
        if down_since is not None:
            return (f"the index database has not answered since "
                    f"{time.strftime('%H:%M:%S', time.gmtime(down_since))} UTC")
        missing = self._missing
        if missing and (version is None or version.version == missing):
            return f"index version {missing}, served here, is no longer in the database"
        return ""

    def close(self) -> None:
        """Stop the poller and give up this server's lease (cleanup need not wait for it to expire)."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=30)
        with self._polling:
            connection, self._connection = self._connection, None
            if connection is None:
                return
            with contextlib.suppress(Exception):  # the lease expires anyway
                connection.execute("DELETE FROM citeqa_servers WHERE server_id = %s", (self.server_id,))
            connection.close()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._poll_once()

    def _poll_once(self) -> None:
        """Read the current version, check the version served is still there and renew its lease, on the
        poller's connection; a database that does not answer leaves the last version known, and is logged once
        an outage (and once when it answers again)."""
        import psycopg

        with self._polling:
            served, leased = self._serving, sorted(self._leased)
            try:
                connection = self._poll_connection()
                current, present = connection.execute(
                    "SELECT (SELECT version_id FROM citeqa_current), "
                    "EXISTS (SELECT 1 FROM citeqa_versions WHERE id = %s)", (served,)).fetchone()
                if leased:
                    try:
                        connection.execute(
                            "INSERT INTO citeqa_servers (server_id, version_id, host) SELECT %s, v, %s FROM "
                            "unnest(%s::text[]) AS v ON CONFLICT (server_id, version_id) DO UPDATE SET "
                            "host = excluded.host, renewed_at = now()", (self.server_id, self.host, leased))
                    except psycopg.errors.LockNotAvailable:  # a commit is dropping it (expired: this server was
                        pass  # stuck); taken again at a poll after that commit: the database did answer
            except psycopg.errors.UndefinedTable:  # a database citeqa has not set up (yet): no version, no lease
                current, present = "", True
            except Exception as error:  # down, restarting, too slow: the version stays the last known
                self._lost(error)
                return
            self._answered()
            if current:
                self._current = current
            if served and not present and self._missing != served:
                log.warning("citeqa: index version %s, served here, is no longer in the database: this server is "
                            "not ready until it switches to another", served)
            self._missing = "" if present or not served else served

    def _poll_connection(self):
        """The poller's connection: opened when missing, with short limits."""
        import psycopg

        from index_build.store.postgres.schema import connection_options

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.dsn, autocommit=True, **connection_options(
                self.dsn, POLL_STATEMENT_TIMEOUT_MS, POLL_LOCK_TIMEOUT_MS, "citeqa-poll"))
        return self._connection

    def _lost(self, error: Exception) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
        if self._down_since is None:
            self._down_since = time.time()
            from index_build.store.postgres.schema import without_password

            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            log.warning("citeqa: the index database at %s does not answer (%s); this server is not ready until it "
                        "does", without_password(self.dsn), reason)

    def _answered(self) -> None:
        if self._down_since is not None:
            from index_build.store.postgres import pool

            pool.renew(self.dsn)  # new connections at once, not when the old pool's backoff allows
            log.info("citeqa: the index database answers again, after %.0f s", time.time() - self._down_since)
            self._down_since = None

    # --- writing -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait: bool = True) -> Iterator[None]:
        """Hold the build lock; with ``wait``, tried again for at most :attr:`lock_timeout` seconds."""
        from index_build.store.postgres.schema import BUILD_LOCK, connect, held_by, try_advisory_lock

        with connect(self.dsn) as connection:  # a session lock, held by this connection for the whole build
            connection.autocommit = True
            if not try_advisory_lock(connection.cursor(), BUILD_LOCK, self.lock_timeout if wait else 0):
                waited = f" (waited {self.lock_timeout:g} s: CITEQA_LOCK_TIMEOUT)" if wait else ""
                raise StoreBusy(f"Another citeqa process is changing the index in {self.describe()}{waited}; try "
                                   f"again when it is done.{held_by(connection.cursor(), BUILD_LOCK)}")
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    connection.execute("SELECT pg_advisory_unlock(%s)", (BUILD_LOCK,))

    def has_current(self) -> bool:
        from index_build.store.postgres.version import current_entries

        return current_entries(self.dsn) is not None

    def current_documents(self) -> dict[str, dict]:
        from index_build.store.postgres.version import current_entries

        return {entry["id"]: entry for entry in current_entries(self.dsn) or []}

    def previous(self, fingerprint: str, dimension: int) -> PreviousVersion | None:
        from index_build.store.postgres.schema import migrate
        from index_build.store.postgres.version import open_current

        migrate(self.dsn, dimension)  # a new database gets the schema, an older one is brought up to date
        if not self.has_current():
            return None
        version = open_current(self.dsn)
        model = version.manifest["model"]
        if model.get("fingerprint") != fingerprint or int(model.get("dimension", 0)) != dimension:
            version.close()
            return None  # another model: everything is embedded again
        return PreviousVersion(version)

    def writer(self, previous: PreviousVersion | None, same_pipeline: bool) -> Writer:
        return _PostgresChanges(self, self._read_current())

    def needs_maintenance(self, version: Version) -> bool:
        return False

    def maintain(self, everything: bool = False) -> Maintained:
        return Maintained(False, f"Nothing to merge: {self.describe()} has no segments (rows are shared by "
                                 "versions and dropped with the last version that lists them).")

    def _read_current(self) -> str:
        from index_build.store.postgres.schema import connect, schema_version

        with connect(self.dsn) as connection:
            if not schema_version(connection):
                return ""
            row = connection.execute("SELECT version_id FROM citeqa_current").fetchone()
        return row[0] if row else ""


class _PostgresChanges(Changes):
    """A :class:`~index_build.store.postgres.writer.PostgresWriter` as a build uses it: its commit stores the
    catalog's new files with the version, and is refused if another version became current meanwhile."""

    def __init__(self, store: PostgresStore, expected_current: str):
        from index_build.store.postgres.writer import PostgresWriter

        super().__init__(PostgresWriter(store.dsn, expected_current=expected_current), keeps_rows=True)
        self._store = store

    def _keep(self, old: dict, fields: dict) -> None:
        self._writer.keep({name: value for name, value in {**old, **fields}.items()
                           if name not in ("first_row", "segment")})  # the same key: its rows are there

    def commit(self, manifest: dict, vocabulary: Vocabulary, order: list[str]) -> Committed:
        self._writer.files = self._store.catalog.take_pending()
        written = self._writer.commit(manifest, vocabulary, order)
        return Committed(written.version, self._store.describe(), written.documents, written.chunk_rows)
