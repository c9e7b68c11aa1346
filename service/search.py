"""Question -> cited passages, over one loaded index version."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from index_build.embedding import Embedder
from index_build.index_store import Chunk, IndexVersion, load_version

faiss.omp_set_num_threads(1)  # flat search is slower with more OpenMP threads on the request path


@dataclass
class Passage:
    """One cited passage of an answer."""

    rank: int
    score: float
    text: str
    document_id: str
    title: str
    page: int
    start: int
    end: int
    speakers: list[dict] = field(default_factory=list)


@dataclass
class Answer:
    """The passages that answer a question, best first."""

    question: str
    passages: list[Passage]
    took_ms: float


class SearchEngine:
    """Embeds questions with the index's model and finds the closest passages."""

    def __init__(self, embedder: Embedder, version: IndexVersion):
        self.embedder = embedder
        self.version = version
        self._titles = {doc["id"]: doc["title"] for doc in version.documents}
        self._chunks: dict[int, Chunk] = {chunk.id: chunk for chunk in version.chunks}

    @classmethod
    def open(cls, index_dir: Path, model_name: str, model_cache_dir: Path) -> "SearchEngine":
        """Load the model, then the current index version, checking they belong together."""
        embedder = Embedder.load(model_name, model_cache_dir)
        version = load_version(index_dir, model_name=model_name, fingerprint=embedder.fingerprint,
                               dimension=embedder.dimension)
        return cls(embedder, version)

    def search(self, question: str, k: int = 5) -> Answer:
        """The k passages closest to the question, best first."""
        started = time.perf_counter()
        query = self.embedder.embed_query(question).reshape(1, -1)
        scores, ids = self.version.vectors.search(query, min(k, self.version.vectors.ntotal))
        passages = [self._passage(rank, float(score), int(chunk_id))
                    for rank, (score, chunk_id) in enumerate(zip(scores[0], ids[0]), start=1) if chunk_id >= 0]
        return Answer(question, passages, round((time.perf_counter() - started) * 1000, 2))

    def _passage(self, rank: int, score: float, chunk_id: int) -> Passage:
        chunk = self._chunks[chunk_id]
        return Passage(rank, round(score, 4), chunk.text, chunk.document_id, self._titles[chunk.document_id],
                       chunk.page, chunk.start, chunk.end, list(chunk.speakers))
