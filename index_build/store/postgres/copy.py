"""``citeqa db copy-from FOLDER``: an index version of the embedded store moved into PostgreSQL, nothing embedded.

The folder's current version is read through the store interface and handed to :class:`PostgresWriter` as
document parts (chunks, vectors, sentence vectors, text) for the documents the database does not hold yet;
the others keep their rows. The writer commits it as a version of the same id, made current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from index_build.corpus import content_hash
from index_build.store.folder.versions import load_version
from index_build.store.base import PreviousVersion
from index_build.store.postgres.schema import migrate
from index_build.store.postgres.writer import INDEX_MEMORY, PostgresWriter, held_documents


@dataclass
class CopySummary:
    """What a copy wrote."""

    version: str
    documents: int
    copied: int  # documents whose rows were written (the others were in the database already)
    chunks: int
    sentences: int
    words: int
    seconds: float
    files: int = 0  # report files stored with it (the catalog's)
    missing_files: list[str] = field(default_factory=list)  # reports whose file the corpus folder lacks

    def line(self) -> str:
        missing = (f"; no file in the corpus folder for {', '.join(self.missing_files)} (add them again with "
                   "`citeqa add --replace` to keep their files in the database)") if self.missing_files else ""
        return (f"Index version {self.version} copied into PostgreSQL and made current: {self.documents} documents "
                f"({self.copied} written, {self.documents - self.copied} already there), {self.chunks} chunks, "
                f"{self.sentences} sentences, {self.words} words, {self.files} report files, in "
                f"{self.seconds:.1f} s{missing}")


def copy_from_folder(dsn: str, index_dir: Path, corpus_dir: Path | None = None,
                     index_memory: str = INDEX_MEMORY) -> CopySummary:
    """Copy the current version of the folder store at ``index_dir`` into the database at ``dsn``, with the report
    files of ``corpus_dir`` that it lists (the database's catalog; ``index_memory``: for a first load, the memory
    its HNSW indexes are built with)."""
    started = time.perf_counter()
    version = load_version(index_dir)
    migrate(dsn, int(version.manifest["model"]["dimension"]))  # a new database gets the schema first
    held = held_documents(dsn, version.documents, version.manifest)
    previous, writer = PreviousVersion(version), PostgresWriter(dsn)
    for entry in version.documents:
        if entry["id"] in held:
            writer.keep(entry)
        else:
            writer.add(previous.part(entry["id"]))
    missing = []
    for entry in version.documents:
        path = Path(corpus_dir or "") / entry.get("source_file", "")
        if corpus_dir is not None and path.is_file() and content_hash(path) == entry["content_hash"]:
            writer.files[entry["content_hash"]] = (path, entry["source_file"])
        else:
            missing.append(entry["id"])
    written = writer.commit(version.manifest, version.vocabulary, [doc["id"] for doc in version.documents],
                            version=version.version, index_memory=index_memory)
    return CopySummary(version.version, written.documents, written.written, written.chunks, written.sentences,
                       written.words, round(time.perf_counter() - started, 2), len(writer.files), missing)
