"""PostgresStore across processes (issue 23): a served version is kept while its server's lease lasts, the poller
notices a database that stops answering (once) and answers again, and no wait for a lock or a connection is
unbounded. A real PostgreSQL; the outage test stops a server of its own."""

import logging
import threading
import time
import uuid

import psycopg
import pytest

from eval.postgres_server import LocalPostgres
from index_build.store.base import DatabaseProblem, IndexProblem, deadline, seconds_left
from index_build.store.folder.versions import load_version
from index_build.store.postgres import pool, schema
from index_build.store.postgres import writer as pg_writer
from index_build.store.postgres.copy import copy_from_folder
from index_build.store.postgres.schema import BUILD_LOCK, WRITER_LOCK, migrate
from index_build.store.postgres.store import PostgresStore
from index_build.store.postgres.version import open_current
from index_build.store.postgres.writer import PostgresWriter


def rows(dsn: str, sql: str, parameters: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn) as connection:
        return connection.execute(sql, parameters).fetchall()


def versions(dsn: str) -> list[str]:
    return [row[0] for row in rows(dsn, "SELECT id FROM citeqa_versions ORDER BY created_at")]


def held(dsn: str, document_id: str) -> int:
    """The rows of a document the database holds (in any version)."""
    return rows(dsn, "SELECT count(*) FROM citeqa_documents WHERE document_id = %s", (document_id,))[0][0]


def commit_without(dsn: str, manifest: dict, removed: str, title: str) -> str:
    """A new version of the current one without ``removed`` and with another title for "a"; its id."""
    writer = PostgresWriter(dsn, open_current(dsn).documents)
    writer.remove(removed)
    entry = next(entry for entry in open_current(dsn).documents if entry["id"] == "a")
    writer.keep({**entry, "title": title})
    return writer.commit(manifest).version


def wait_until(condition, seconds: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def served(small_versions, postgres_dsn):
    """(dsn, the folder version's manifest, the id of the version copied in and made current: documents a-d)."""
    folder = small_versions.commit(None, add="abcd")
    return postgres_dsn, folder.manifest, copy_from_folder(postgres_dsn, small_versions.index_dir).version


def test_a_served_version_is_kept_while_its_lease_is_renewed(served, tmp_path, monkeypatch):
    dsn, manifest, first = served
    monkeypatch.setattr(pg_writer, "GRACE_SECONDS", 0)  # without a lease, a replaced version goes at the next commit
    monkeypatch.setattr(pg_writer, "KEEP_VERSIONS", 1)
    monkeypatch.setattr(pg_writer, "LEASE_SECONDS", 2)
    server = PostgresStore(dsn, tmp_path, tmp_path / "cache", poll_seconds=0.2)
    try:
        assert server.current_name() == first  # the poller starts
        version = server.open()
        server.serving(version)  # as a server whose switches to the next versions all fail
        time.sleep(3)  # longer than a lease: the poller renews it
        newer = [commit_without(dsn, manifest, "d", f"A {n}") for n in range(3)]
        assert versions(dsn) == [first, *newer[-2:]]  # the older ones between went; the one served stays (and the
        # one just replaced: its grace is counted from the next commit)
        assert held(dsn, "d") == 1  # with the rows only it holds
        lease = rows(dsn, "SELECT server_id, version_id, host, renewed_at > now() - interval '2 s' FROM citeqa_servers")
        assert lease == [(server.server_id, first, server.host, True)]
        assert version.chunks([6])[0].document_id == "d"  # still answered from its rows
        assert server.problem(version) == "" and server.problem() == ""
    finally:
        server.close()  # gives the lease up
    assert rows(dsn, "SELECT count(*) FROM citeqa_servers") == [(0,)]
    last = commit_without(dsn, manifest, "d", "A again")
    assert versions(dsn) == [newer[-1], last] and held(dsn, "d") == 0


def test_the_version_switched_from_keeps_its_lease_until_it_is_let_go(served, tmp_path, monkeypatch):
    """After a switch, requests may still finish on the old version: its lease lasts until it is released."""
    dsn, manifest, first = served
    monkeypatch.setattr(pg_writer, "GRACE_SECONDS", 0)
    monkeypatch.setattr(pg_writer, "KEEP_VERSIONS", 1)
    server = PostgresStore(dsn, tmp_path, tmp_path / "cache", poll_seconds=0.2)
    try:
        old = server.open()
        server.serving(old)
        second = commit_without(dsn, manifest, "d", "A 2")
        wait_until(lambda: server.current_name() == second, what="the poller sees the new version")
        new = server.open()
        server.serving(new)  # switched: the old one is still open
        commit_without(dsn, manifest, "d", "A 3")  # a cleanup: both leased versions stay
        assert {first, second} <= set(versions(dsn))
        assert sorted(v for (v,) in rows(dsn, "SELECT version_id FROM citeqa_servers")) == sorted([first, second])
        server.released(old)  # its requests are done (LiveIndex: a minute after the switch)
        old.close()
        assert rows(dsn, "SELECT version_id FROM citeqa_servers") == [(second,)]
        commit_without(dsn, manifest, "d", "A 4")
        assert first not in versions(dsn) and second in versions(dsn)
        new.close()
    finally:
        server.close()


def test_a_lease_no_longer_renewed_expires_and_its_version_is_cleaned(served, tmp_path, monkeypatch):
    dsn, manifest, first = served
    monkeypatch.setattr(pg_writer, "GRACE_SECONDS", 0)
    monkeypatch.setattr(pg_writer, "KEEP_VERSIONS", 1)
    monkeypatch.setattr(pg_writer, "LEASE_SECONDS", 2)
    stopped = PostgresStore(dsn, tmp_path, tmp_path / "cache")
    stopped.serving(stopped.open())  # its lease taken once, never renewed: no poller (a server killed since)
    newer = [commit_without(dsn, manifest, "d", f"A {n}") for n in range(2)]
    assert versions(dsn) == [first, *newer] and held(dsn, "d") == 1  # within its lease
    time.sleep(2.5)
    last = commit_without(dsn, manifest, "d", "A later")
    assert versions(dsn) == [newer[-1], last] and held(dsn, "d") == 0
    assert rows(dsn, "SELECT count(*) FROM citeqa_servers") == [(0,)]  # the expired lease is dropped


def test_the_poller_says_once_that_the_database_is_down_and_when_it_is_back(tmp_path, small_versions, caplog):
    caplog.set_level(logging.INFO, logger="citeqa")
    folder = small_versions.commit(None, add="abcd")
    with LocalPostgres() as database:  # its own server (in a folder the server user can enter): stopped, started
        first = copy_from_folder(database.dsn, small_versions.index_dir).version
        store = PostgresStore(database.dsn, tmp_path, tmp_path / "cache", poll_seconds=0.2)
        try:
            assert store.current_name() == first
            version = store.open()
            store.serving(version)
            assert store.problem(version) == "" and version.chunks([0])[0].document_id == "a"

            database.stop()
            wait_until(lambda: store.problem(version) != "", what="the outage was not noticed")
            assert store.problem(version).startswith("the index database has not answered since")
            time.sleep(2)  # ten polls fail
            started = time.monotonic()
            with pytest.raises(DatabaseProblem, match="did not answer"):
                version.chunks([1])
            assert time.monotonic() - started < pool.POOL_WAIT_SECONDS + schema.CONNECT_TIMEOUT_S + 2
            assert store.current_name() == first  # the last version known

            database.start()
            wait_until(lambda: store.problem(version) == "", what="the database answering again was not noticed")
            wait_until(lambda: _answers(version), what="the version's queries did not recover")
            down = [r for r in caplog.records if "does not answer" in r.getMessage()]
            back = [r for r in caplog.records if "answers again" in r.getMessage()]
            assert len(down) == 1 and down[0].levelno == logging.WARNING, [r.getMessage() for r in down]
            assert len(back) == 1 and back[0].levelno == logging.INFO

            second = commit_without(database.dsn, folder.manifest, "d", "A 2")  # the served one replaced…
            with psycopg.connect(database.dsn) as connection:  # …and removed by hand (or an older citeqa)
                connection.execute("DELETE FROM citeqa_versions WHERE id = %s", (first,))
            wait_until(lambda: store.problem(version) != "", what="the version gone was not noticed")
            assert store.problem(version) == f"index version {first}, served here, is no longer in the database"
            assert store.current_name() == second
            store.serving(open_current(database.dsn))  # switched: nothing wrong any more
            assert store.problem() == ""
        finally:
            store.close()


def _answers(version) -> bool:
    try:
        return version.chunks([0])[0].document_id == "a"
    except DatabaseProblem:
        return False


def test_the_build_lock_is_given_up_at_its_deadline_naming_who_holds_it(postgres_dsn, tmp_path):
    store = PostgresStore(postgres_dsn, tmp_path, tmp_path / "cache", lock_timeout=1.5)
    with psycopg.connect(postgres_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (BUILD_LOCK,))  # another citeqa, or one hung
        pid = holder.info.backend_pid
        started = time.monotonic()
        with pytest.raises(IndexProblem) as refused:
            with store.lock():
                pass
        waited = time.monotonic() - started
        assert 1.5 <= waited < 10, waited
        message = str(refused.value)
        assert message.startswith("Another citeqa process is changing the index in PostgreSQL at")
        assert "waited 1.5 s: CITEQA_LOCK_TIMEOUT" in message and f"pg_terminate_backend({pid})" in message
        started = time.monotonic()
        with pytest.raises(IndexProblem, match="Another citeqa process"):
            with store.lock(wait=False):
                pass
        assert time.monotonic() - started < 1
        holder.execute("SELECT pg_advisory_unlock(%s)", (BUILD_LOCK,))
    with store.lock():  # free again
        pass


def test_a_migration_or_commit_gives_up_on_the_writer_lock(served, monkeypatch, postgres_server):
    dsn, manifest, first = served
    monkeypatch.setattr(schema, "WRITER_LOCK_WAIT_SECONDS", 1)
    monkeypatch.setattr(pg_writer, "WRITER_LOCK_WAIT_SECONDS", 1)
    fresh = dsn.rsplit("/", 1)[0] + f"/fresh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {fresh.rsplit('/', 1)[1]}")
    for database in (dsn, fresh):
        with psycopg.connect(database, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
            started = time.monotonic()
            if database == fresh:  # migrations to apply: they wait for the lock, then give up
                with pytest.raises(DatabaseProblem, match="another citeqa process has been migrating or writing"):
                    migrate(database, 8)
            else:
                assert migrate(database, 8) == []  # up to date: no lock needed
                with pytest.raises(IndexProblem, match="nothing was written; run the change again when it is done"):
                    commit_without(database, manifest, "d", "A 1")
                assert versions(database) == [first]
            assert time.monotonic() - started < 10


def test_a_query_waits_a_bounded_time_for_a_connection_of_the_shared_pool(served, monkeypatch):
    dsn, _, _ = served
    monkeypatch.setattr(pool, "POOL_SIZE", 1)
    monkeypatch.setattr(pool, "POOL_WAIT_SECONDS", 1.0)
    version, other = open_current(dsn), open_current(dsn)
    try:
        assert version.chunks([0])[0].document_id == "a"  # the pool is opened, with one connection at most
        taken, done = threading.Event(), threading.Event()

        def hold_the_only_connection() -> None:  # as another request would
            try:
                with pool.hold(dsn, done).connection():
                    taken.set()
                    done.wait(30)
            finally:
                pool.release(dsn, done)

        thread = threading.Thread(target=hold_the_only_connection)
        thread.start()
        assert taken.wait(10)
        started = time.monotonic()
        with pytest.raises(DatabaseProblem, match="couldn't get a connection after 1.00 sec"):
            other.chunks([0])  # another version, the same pool
        assert time.monotonic() - started < 3
        done.set()
        thread.join()
        assert other.chunks([0])[0].document_id == "a"
        assert pool.stats(dsn)["pool_max"] == 1
    finally:
        version.close()
        other.close()
    assert pool.stats(dsn) == {}  # closed with the last version holding it


def test_a_search_deadline_bounds_every_query_of_the_search(served):
    dsn, _, _ = served
    version = open_current(dsn)
    try:
        with deadline(0):  # the time is up before the first query: none is sent
            with pytest.raises(DatabaseProblem, match="CITEQA_SEARCH_TIMEOUT"):
                version.chunks([0])
        with deadline(30):
            assert version.chunks([0])[0].document_id == "a"  # well within it
            assert seconds_left() is not None and 0 < seconds_left() <= 30
        assert seconds_left() is None and version.chunks([0])[0].document_id == "a"  # no deadline outside
    finally:
        version.close()
