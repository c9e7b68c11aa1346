"""The index version being served, switched to a new version without a restart.

Each request takes the engine current when it starts and finishes on it; a new version is
loaded and checked in a background thread, then swapped in with one assignment.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from index_build.embedding import Embedder
from index_build.store.base import Store
from service.batching import BatchingEncoder
from service.search import SearchEngine

log = logging.getLogger("citeqa")
CLOSE_AFTER_SECONDS = 60  # a replaced database version's connections are closed this long after the switch
RETRY_SECONDS = (1, 2, 5, 10, 30, 60)  # waits before trying a version that failed to load again, then every minute


class LiveIndex:
    """Serves the current index version and follows it when a writer makes another one current (the folder's
    ``current`` link, or PostgreSQL's ``citeqa_current`` row: :meth:`index_build.store.base.Store.current_name`)."""

    def __init__(self, engine: SearchEngine, store: Store):
        self.store = store
        self._engine = engine
        self._served_target = self.store.name_of(engine.version)  # even if the current version moved since
        self._loading = threading.Lock()
        self.last_error = ""
        self._failed_target = ""  # the version that failed to load, tried again after the wait
        self._failures = 0
        self._retry_at = 0.0
        self.store.current_name()  # a database store starts following its current version here, not in a request
        self.store.serving(engine.version)

    @classmethod
    def open(cls, store: Store, model_name: str, model_cache_dir: Path, batch_max: int = 1,
             batch_wait_ms: float = 0.0) -> "LiveIndex":
        """Load the current version and the model, checking they belong together (a missing or corrupt index
        is refused before the model loads); with ``batch_max`` over 1, concurrent questions are embedded
        together (:class:`BatchingEncoder`)."""
        engine = SearchEngine.open(store, model_name, model_cache_dir)
        if batch_max > 1:  # the engine's translator shares this embedder: every query encoding is batched
            engine.embedder.encoder = BatchingEncoder(engine.embedder.encoder, batch_max, batch_wait_ms)
        return cls(engine, store)

    @property
    def embedder(self) -> Embedder:
        return self._engine.embedder

    def engine(self) -> SearchEngine:
        """The engine to answer a request with; starts loading a newer version if there is one (a version
        that failed to load is tried again after a growing wait; another version at once)."""
        target = self._target()
        if target == self._served_target:
            if self.last_error:  # ``current`` was pointed back at the version served: nothing is wrong any more
                self.last_error, self._failed_target, self._failures, self._retry_at = "", "", 0, 0.0
        elif target and ((target != self._failed_target or time.monotonic() >= self._retry_at)
              and not self._loading.locked()):
            threading.Thread(target=self.refresh, name="citeqa-reload", daemon=True).start()
        return self._engine

    @property
    def current_on_disk(self) -> str:
        """The version ``current`` points at (it may not be served yet, or may have failed to load)."""
        return self._target()

    def refresh(self) -> bool:
        """Load the current version now if it is not the one served; True when it switched."""
        with self._loading:
            target = self._target()
            if target == self._served_target:
                return False
            try:
                served = self._engine.version if self._engine is not None else None
                version = self.store.open(fingerprint=self.embedder.fingerprint,  # shared segments
                                           dimension=self.embedder.dimension, served=served)  # not opened again
                engine = SearchEngine(self.embedder, version)
            except Exception as error:  # anything (a corrupt version, too many open files): keep serving ours
                self.last_error = f"{type(error).__name__}: {error}"
                self._failures = self._failures + 1 if target == self._failed_target else 1
                self._failed_target = target
                wait = RETRY_SECONDS[min(self._failures, len(RETRY_SECONDS)) - 1]
                self._retry_at = time.monotonic() + wait
                log.error("citeqa: not switching to index version %s (try %d, again in %d s): %s",
                          target, self._failures, wait, self.last_error)
                return False
            old = self._engine.version
            self._engine, self._served_target, self.last_error = engine, self.store.name_of(version), ""
            self.store.serving(version)
            closing = threading.Timer(CLOSE_AFTER_SECONDS, self._let_go, [old])  # once its requests are done
            closing.daemon = True  # a process that exits does not wait for it
            closing.start()
            self._failed_target, self._failures, self._retry_at = "", 0, 0.0
            log.info("citeqa: now serving index version %s", version.version)
            return True

    def problem(self) -> str:
        """Why this server cannot answer now ("" when it can): its store's database does not answer, or no longer
        holds the version served (:meth:`index_build.store.base.Store.problem`)."""
        return self.store.problem(self._engine.version)

    def _let_go(self, version) -> None:
        """Close a version no request uses any more, and give up its lease."""
        version.close()
        self.store.released(version)

    def _target(self) -> str:
        """The name of the current version ("" when there is none)."""
        return self.store.current_name()
