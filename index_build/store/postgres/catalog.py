"""The PostgreSQL store's catalog: the current version's document entries (ids, titles, languages, years,
publishers, hashes) and the report files' bytes by sha256 (``citeqa_report_files``).

Any machine that reaches the database sees the same catalog: a change reads it under the build lock and
commits it with the version it builds, so no machine removes a report it did not know of. A database that holds
no version yet starts from the corpus folder of the machine that builds first (CITEQA_CORPUS_DIR).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from index_build.corpus import CATALOG_FILE, CorpusError, ReportInfo, content_hash, load_catalog
from index_build.store.postgres.schema import connect, schema_version



class DatabaseCatalog:
    """Reports of the current version; their files fetched from the database into ``cache_dir`` when read."""

    def __init__(self, dsn: str, seed_dir: Path, cache_dir: Path):
        self.dsn, self.seed_dir, self.cache_dir = dsn, Path(seed_dir), Path(cache_dir)
        self._hashes: dict[str, str] = {}  # report id -> sha256 of the files put or read in this process
        #: files to store with the next version (sha256 -> (local file, name)): written in its commit's transaction
        self.pending: dict[str, tuple[Path, str]] = {}

    def reports(self) -> list[ReportInfo]:
        entries = self._entries()
        if entries is None:  # a new database: the first build brings the corpus folder's reports in
            if not (self.seed_dir / CATALOG_FILE).is_file():
                return []
            seed = load_catalog(self.seed_dir)
            for info in seed:
                self._hashes.setdefault(info.id, content_hash(self.seed_dir / info.source_file))
            return seed
        reports = []
        for entry in entries:
            reports.append(ReportInfo.of_entry(entry))
            # the database's hash, not one this process knew: another machine may have replaced the report since
            self._hashes[entry["id"]] = entry["content_hash"]
        return reports

    def content_hash(self, info: ReportInfo, indexed: dict | None) -> str:
        if info.id in self._hashes:
            return self._hashes[info.id]
        seed = self.seed_dir / info.source_file  # a report of the corpus folder a build was given
        if seed.is_file():
            return self._hashes.setdefault(info.id, content_hash(seed))
        if indexed and indexed.get("content_hash") and indexed.get("source_file") == info.source_file:
            return indexed["content_hash"]
        raise CorpusError(f"the database's catalog has no file for report {info.id!r}")

    def recorded(self, info: ReportInfo) -> dict:
        return {}

    def file(self, info: ReportInfo) -> Path:
        digest = self.content_hash(info, None)
        if digest in self.pending:
            return self.pending[digest][0]
        cached = self.cache_dir / f"{digest}{Path(info.source_file).suffix}"
        if cached.is_file() and content_hash(cached) == digest:
            return cached
        with connect(self.dsn) as connection:
            found = (connection.execute("SELECT content FROM citeqa_report_files WHERE sha256 = %s", (digest,)).fetchone()
                     if schema_version(connection) else None)
        if found is None:
            seed = self.seed_dir / info.source_file  # a report of the corpus folder, not stored yet
            if seed.is_file() and content_hash(seed) == digest:
                self.put_file(seed, info, digest)  # stored with the version this build commits
                return seed
            raise CorpusError(f"the database holds no file for report {info.id!r} (sha256 {digest[:12]}): add it "
                              "again with `citeqa add --replace`")
        content = bytes(found[0])
        if hashlib.sha256(content).hexdigest() != digest:
            raise CorpusError(f"the database's file of report {info.id!r} is not the one stored (sha256 differs): "
                              "add it again with `citeqa add --replace`")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f".{cached.name}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, cached)
        return cached

    def put_file(self, source: Path, info: ReportInfo, digest: str) -> bool:
        self.pending[digest] = (Path(source), info.source_file)  # stored by the commit of the version that lists it
        self._hashes[info.id] = digest
        return True

    def discard_file(self, info: ReportInfo) -> None:
        digest = self._hashes.pop(info.id, None)
        self.pending.pop(digest, None)

    def take_pending(self) -> dict[str, tuple[Path, str]]:
        """The files to store with the version being committed (and forget them here)."""
        pending, self.pending = self.pending, {}
        return pending

    def record(self, reports: list[ReportInfo]) -> None:
        """Nothing to write: the catalog is the version the build commits."""

    def drop_unlisted(self, before: list[ReportInfo], after: list[ReportInfo]) -> None:
        """Nothing to do: cleanup drops the files no kept version lists."""

    def _entries(self) -> list[dict] | None:
        from index_build.store.postgres.version import current_entries

        return current_entries(self.dsn)
