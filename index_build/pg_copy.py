"""``citeqa db copy-from FOLDER``: an index version of the embedded store moved into PostgreSQL, nothing embedded.

The folder's current version is read through the store interface and handed to :class:`PostgresWriter` as
document parts (chunks, vectors, sentence vectors, text) for the documents the database does not hold yet;
the others keep their rows. The writer commits it as a version of the same id, made current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index_build.index_store import PreviousVersion, load_version
from index_build.pg_schema import migrate
from index_build.pg_writer import INDEX_MEMORY, PostgresWriter, held_documents


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

    def line(self) -> str:
        return (f"Index version {self.version} copied into PostgreSQL and made current: {self.documents} documents "
                f"({self.copied} written, {self.documents - self.copied} already there), {self.chunks} chunks, "
                f"{self.sentences} sentences, {self.words} words, in {self.seconds:.1f} s")


def copy_from_folder(dsn: str, index_dir: Path, index_memory: str = INDEX_MEMORY) -> CopySummary:
    """Copy the current version of the folder store at ``index_dir`` into the database at ``dsn`` (``index_memory``:
    for a first load, the memory its HNSW indexes are built with)."""
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
    written = writer.commit(version.manifest, version.vocabulary, [doc["id"] for doc in version.documents],
                            version=version.version, index_memory=index_memory)
    return CopySummary(version.version, written.documents, written.written, written.chunks, written.sentences,
                       written.words, round(time.perf_counter() - started, 2))
