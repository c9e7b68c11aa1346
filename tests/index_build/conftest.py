"""Shared by the tests of the writer and of merging: small real versions of four documents (8-d vectors); and by
the linear-time tests of cleaning and reading: a CPU timer."""

import time

import numpy as np
import pytest

from index_build.chunk_table import Chunk
from index_build.store.folder.writer import FolderWriter
from index_build.store.folder.versions import load_version, writer_lock
from index_build.store.base import DocumentPart
from index_build.vocabulary import Vocabulary

MANIFEST = {"model": {"name": "m", "fingerprint": "f", "dimension": 8}, "chunking": {"size": 600, "overlap": 100}}
SPEAKERS = {"a": [{"name": "Ada Lovelace", "role": "", "organisation": "OIM"}], "b": [], "c": [],
            "d": [{"name": "Alan Turing", "role": "", "organisation": ""}]}
TEXTS = {"a": "Les enfants migrants. La protection des enfants.", "b": "Labour migration in Asia. Remittances.",
         "c": "Droits des travailleurs migrants. Santé.", "d": "Les ruchers et les abeilles. Un registre."}
LANGUAGES = {"a": "fr", "b": "en", "c": "fr", "d": "fr"}


def part(document_id: str, seed: int = 0) -> DocumentPart:
    """A document of two chunks (one sentence each) with random unit vectors."""
    text = TEXTS[document_id]
    cut = text.index(". ") + 1
    spans = [(0, cut), (cut + 1, len(text))]
    chunks = [Chunk(i, document_id, 1, start, end, text[start:end], SPEAKERS[document_id], [[start, end, i]])
              for i, (start, end) in enumerate(spans)]
    rng = np.random.default_rng(seed + ord(document_id))
    vectors = rng.normal(size=(2, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entry = {"id": document_id, "title": document_id.upper(), "language": LANGUAGES[document_id], "year": 2020,
             "publisher": "", "content_hash": f"{document_id}{seed}", "chunks": 2}
    return DocumentPart(entry, text, chunks, vectors, vectors.copy())


def commit(index_dir, base, add=(), remove=(), seed=0):
    with writer_lock(index_dir):
        writer = FolderWriter(index_dir, base)
        for document_id in add:
            writer.add(part(document_id, seed))
        for document_id in remove:
            writer.remove(document_id)
        words = Vocabulary([(f"mot{d}", "fr") for d in add], np.eye(len(add), 8, dtype=np.float32))
        writer.commit(MANIFEST, words)
    return load_version(index_dir)


class SmallVersions:
    """Write versions of the four documents into one index folder."""

    texts = TEXTS

    def __init__(self, index_dir):
        self.index_dir = index_dir

    part = staticmethod(part)

    def commit(self, base, add=(), remove=(), seed=0):
        return commit(self.index_dir, base, add, remove, seed)


@pytest.fixture
def small_versions(tmp_path):
    """Small real versions in a fresh index folder."""
    return SmallVersions(tmp_path)


def _cpu_seconds(function, runs: int = 3) -> float:
    """Best CPU time of this thread over a few runs (other processes on the machine do not count)."""
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        function()
        best = min(best, time.thread_time() - started)
    return best


@pytest.fixture(scope="session")
def cpu_seconds():
    """The best CPU time of a function over a few runs (session-wide: hypothesis tests may use it)."""
    return _cpu_seconds
