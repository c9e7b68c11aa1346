"""The one place that picks a store's backend: :func:`open_store`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index_build.store.base import Store

LOCK_TIMEOUT_SECONDS = 300.0  # how long a change waits for another one holding the store's lock (CITEQA_LOCK_TIMEOUT):
# long enough for another report's embedding, short enough that a hung lock ends in a message


class StoreSettings(Protocol):
    """What :func:`open_store` reads of the settings (``service.settings.Settings`` has them)."""

    store: str  # CITEQA_STORE: empty, or a postgresql:// address
    index_dir: Path  # CITEQA_INDEX_DIR
    corpus_dir: Path  # CITEQA_CORPUS_DIR
    lock_timeout: float  # CITEQA_LOCK_TIMEOUT: seconds a change waits for another one's lock of the store


@dataclass(frozen=True)
class StoreLocation:
    """Where a store is, for code that has no settings (the eval's own indexes, tests)."""

    store: str
    index_dir: Path
    corpus_dir: Path
    lock_timeout: float = LOCK_TIMEOUT_SECONDS


def is_postgres(address: str) -> bool:
    """Whether CITEQA_STORE names PostgreSQL (False: empty, the index folder; anything else is a ValueError)."""
    if not address:
        return False
    if address.startswith(("postgresql://", "postgres://")):
        return True
    from index_build.store.postgres.schema import without_password

    raise ValueError("CITEQA_STORE must be empty (the index folder) or a postgresql:// address, not "
                     f"{without_password(address)[:80]!r}")  # a mistyped address's password is not shown


def open_store(settings: StoreSettings) -> Store:
    """The store CITEQA_STORE names: PostgreSQL (its catalog in the database; a new database starts from
    CITEQA_CORPUS_DIR, files read from it are cached in CITEQA_INDEX_DIR) or, when it is empty, the index folder
    CITEQA_INDEX_DIR with the corpus folder CITEQA_CORPUS_DIR."""
    if is_postgres(settings.store):
        from index_build.store.postgres.store import PostgresStore

        return PostgresStore(settings.store, Path(settings.corpus_dir), Path(settings.index_dir) / "report-files",
                             lock_timeout=settings.lock_timeout)
    from index_build.store.folder.store import FolderStore

    return FolderStore(settings.index_dir, settings.corpus_dir, lock_timeout=settings.lock_timeout)
