"""One pool of connections per database and process, shared by every version the process has open
(:class:`~index_build.store.postgres.version.PostgresVersion`): a switch to a new version opens no connection, so a
server holds at most :data:`POOL_SIZE` search connections however often versions change.

Each version that queries holds the pool (:func:`hold`) until it is closed (:func:`release`) or garbage; a
release that leaves no holder closes the pool. A query waits at most :data:`POOL_WAIT_SECONDS` for a connection,
behind at most :data:`POOL_MAX_WAITING` others; a connection is checked before it is lent (after a restart of the
database the broken ones are replaced).
"""

from __future__ import annotations

import logging
import threading
import weakref

from index_build.store.postgres.schema import connection_options

POOL_SIZE = 8  # connections of one process at most (its searches run CITEQA_SEARCH_CONCURRENCY at a time, 4 by
# default; the rest: /speakers, admin jobs reading the current version, requests finishing on a replaced version)
POOL_MIN_SIZE = 1  # kept open while a version is: the first search after a quiet spell does not connect
POOL_MAX_IDLE_SECONDS = 60.0  # a connection beyond the minimum unused this long is closed
POOL_WAIT_SECONDS = 3.0  # a query waits this long for a connection, then its request gets a 503
POOL_MAX_WAITING = 32  # queries waiting for a connection at most; more are refused at once (a 503)
SEARCH_STATEMENT_TIMEOUT_MS = 10_000  # a search query that runs longer is cancelled (a 503 for its request)
SEARCH_LOCK_TIMEOUT_MS = 5_000

_lock = threading.Lock()
_pools: dict[str, tuple[object, weakref.WeakSet]] = {}  # dsn -> (ConnectionPool, the versions holding it)

# The pool logs a warning at each failed reconnection while the database is down; the store's poller says it once
# per outage (index_build.store.postgres.store)
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def hold(dsn: str, holder: object):
    """The process's pool for ``dsn`` (opened at the first hold), held by ``holder`` until its :func:`release` or
    until it is garbage (a version never closed stops holding it); holding again holds once."""
    with _lock:
        pool, holders = _pools.get(dsn, (None, None))
        if pool is None:
            pool, holders = _open(dsn), weakref.WeakSet()
            _pools[dsn] = (pool, holders)
        holders.add(holder)
        return pool


def renew(dsn: str) -> None:
    """Replace the pool for ``dsn`` by a new one, for the same holders (the store's poller, once the database
    answers again after an outage: the old pool's reconnection attempts back off, up to half a minute apart after
    a minute down, and no new connection is tried meanwhile). The old one is closed in the background."""
    with _lock:
        old, holders = _pools.get(dsn, (None, None))
        if old is None:
            return
        _pools[dsn] = (_open(dsn), holders)
    threading.Thread(target=old.close, name="citeqa-pool-close", daemon=True).start()


def _open(dsn: str):
    from psycopg_pool import ConnectionPool

    return ConnectionPool(
        dsn, min_size=POOL_MIN_SIZE, max_size=POOL_SIZE, open=True, timeout=POOL_WAIT_SECONDS,
        max_waiting=POOL_MAX_WAITING, max_idle=POOL_MAX_IDLE_SECONDS, check=ConnectionPool.check_connection,
        name="citeqa-search", kwargs={"autocommit": True, **connection_options(
            dsn, SEARCH_STATEMENT_TIMEOUT_MS, SEARCH_LOCK_TIMEOUT_MS, "citeqa-search")})


def release(dsn: str, holder: object) -> None:
    """Let go of ``holder``'s :func:`hold`; the pool is closed when no holder is left."""
    with _lock:
        pool, holders = _pools.get(dsn, (None, None))
        if pool is None:
            return
        holders.discard(holder)
        if holders:
            return
        del _pools[dsn]
    pool.close()


def stats(dsn: str) -> dict[str, int]:
    """The pool's figures (psycopg_pool's: ``pool_size``, ``requests_waiting``…), {} when no pool is open."""
    with _lock:
        pool, _ = _pools.get(dsn, (None, 0))
    return pool.get_stats() if pool is not None else {}
