"""The index version being served, switched to a new version without a restart.

Each request takes the engine current when it starts and finishes on it; a new version is
loaded and checked in a background thread, then swapped in with one assignment.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from index_build.embedding import Embedder
from index_build.index_store import CURRENT_LINK, IndexProblem, load_version
from service.search import SearchEngine

log = logging.getLogger("citeqa")


class LiveIndex:
    """Serves the current index version and follows the ``current`` pointer when a writer moves it."""

    def __init__(self, engine: SearchEngine, index_dir: Path):
        self.index_dir = index_dir
        self._engine = engine
        self._served_target = self._target()
        self._loading = threading.Lock()
        self.last_error = ""

    @classmethod
    def open(cls, index_dir: Path, model_name: str, model_cache_dir: Path) -> "LiveIndex":
        """Load the model and the current version (refusing a missing, corrupt or mismatched one)."""
        return cls(SearchEngine.open(index_dir, model_name, model_cache_dir), index_dir)

    @property
    def embedder(self) -> Embedder:
        return self._engine.embedder

    def engine(self) -> SearchEngine:
        """The engine to answer a request with; starts loading a newer version if there is one."""
        if self._target() != self._served_target and not self._loading.locked():
            threading.Thread(target=self.refresh, name="citeqa-reload", daemon=True).start()
        return self._engine

    def refresh(self) -> bool:
        """Load the current version now if it is not the one served; True when it switched."""
        with self._loading:
            target = self._target()
            if target == self._served_target:
                return False
            try:
                version = load_version(self.index_dir, fingerprint=self.embedder.fingerprint,
                                       dimension=self.embedder.dimension)
                engine = SearchEngine(self.embedder, version)
            except IndexProblem as error:  # keep serving the version we have
                self.last_error = str(error)
                log.error("citeqa: not switching to the new index version: %s", error)
                self._served_target = target  # do not retry the same broken version on every request
                return False
            self._engine, self._served_target, self.last_error = engine, target, ""
            log.info("citeqa: now serving index version %s", version.version)
            return True

    def _target(self) -> str:
        try:
            return os.readlink(self.index_dir / CURRENT_LINK)
        except OSError:
            return ""
