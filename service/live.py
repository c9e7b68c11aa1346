"""The index version being served, switched to a new version without a restart.

Each request takes the engine current when it starts and finishes on it; a new version is
loaded and checked in a background thread, then swapped in with one assignment.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from index_build.embedding import Embedder
from index_build.index_store import CURRENT_LINK, load_version
from service.batching import BatchingEncoder
from service.search import SearchEngine

log = logging.getLogger("citeqa")
RETRY_SECONDS = (1, 2, 5, 10, 30, 60)  # waits before trying a version that failed to load again, then every minute


class LiveIndex:
    """Serves the current index version and follows the ``current`` pointer when a writer moves it."""

    def __init__(self, engine: SearchEngine, index_dir: Path):
        self.index_dir = index_dir
        self._engine = engine
        self._served_target = engine.version.path.name  # the folder loaded, even if ``current`` moved since
        self._loading = threading.Lock()
        self.last_error = ""
        self._failed_target = ""  # the version that failed to load, tried again after the wait
        self._failures = 0
        self._retry_at = 0.0

    @classmethod
    def open(cls, index_dir: Path, model_name: str, model_cache_dir: Path, batch_max: int = 1,
             batch_wait_ms: float = 0.0) -> "LiveIndex":
        """Load the model and the current version (refusing a missing, corrupt or mismatched one); with
        ``batch_max`` over 1, concurrent questions are embedded together (:class:`BatchingEncoder`)."""
        engine = SearchEngine.open(index_dir, model_name, model_cache_dir)
        if batch_max > 1:  # the engine's translator shares this embedder: every query encoding is batched
            engine.embedder.encoder = BatchingEncoder(engine.embedder.encoder, batch_max, batch_wait_ms)
        return cls(engine, index_dir)

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
        elif ((target != self._failed_target or time.monotonic() >= self._retry_at)
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
                version = load_version(self.index_dir, fingerprint=self.embedder.fingerprint,  # shared segments
                                       dimension=self.embedder.dimension, opened=served)  # are not opened again
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
            self._engine, self._served_target, self.last_error = engine, version.path.name, ""
            self._failed_target, self._failures, self._retry_at = "", 0, 0.0
            log.info("citeqa: now serving index version %s", version.version)
            return True

    def _target(self) -> str:
        """The name of the version folder ``current`` points at ("" when there is none)."""
        try:
            return os.path.basename(os.readlink(self.index_dir / CURRENT_LINK))
        except OSError:
            return ""
