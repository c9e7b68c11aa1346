"""Question -> cited passages, over one loaded index version."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index_build.embedding import Embedder
from index_build.index_store import Chunk, IndexVersion, load_version
from service.lexical import LexicalIndex


MODES = ("hybrid", "dense", "bm25")
CANDIDATES = 50  # passages each retriever proposes to the fusion
RRF_K = 60  # the usual reciprocal-rank-fusion constant


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

    def __init__(self, embedder: Embedder, version: IndexVersion, dense_weight: float = 1.0, lexical_weight: float = 1.0):
        self.embedder = embedder
        self.version = version
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self._titles = {doc["id"]: doc["title"] for doc in version.documents}
        languages = {doc["id"]: doc.get("language", "en") for doc in version.documents}
        self._chunks: list[Chunk] = version.chunks
        self._position = {chunk.id: position for position, chunk in enumerate(self._chunks)}
        self._lexical = LexicalIndex([c.text for c in self._chunks], [languages[c.document_id] for c in self._chunks])

    @classmethod
    def open(cls, index_dir: Path, model_name: str, model_cache_dir: Path) -> "SearchEngine":
        """Load the model, then the current index version, checking they belong together."""
        embedder = Embedder.load(model_name, model_cache_dir)
        version = load_version(index_dir, model_name=model_name, fingerprint=embedder.fingerprint,
                               dimension=embedder.dimension)
        return cls(embedder, version)

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        """The k passages that best answer the question, best first.

        ``mode`` picks the retriever: ``dense`` (embeddings), ``bm25`` (words) or
        ``hybrid`` (both, fused by weighted reciprocal rank).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        started = time.perf_counter()
        ranked = {"dense": self._dense, "bm25": self._bm25, "hybrid": self._hybrid}[mode](question)
        passages = [self._passage(rank, score, position) for rank, (position, score) in enumerate(ranked[:k], start=1)]
        return Answer(question, passages, round((time.perf_counter() - started) * 1000, 2))

    def _dense(self, question: str) -> list[tuple[int, float]]:
        """(chunk position, cosine) for the closest chunks."""
        query = self.embedder.embed_query(question).reshape(1, -1)
        scores, ids = self.version.vectors.search(query, min(CANDIDATES, self.version.vectors.ntotal))
        return [(self._position[int(i)], float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def _bm25(self, question: str) -> list[tuple[int, float]]:
        """(chunk position, BM25 score) for the chunks that share words with the question."""
        scores = self._lexical.scores(question)
        best = np.argsort(-scores, kind="stable")[:CANDIDATES]
        return [(int(p), float(scores[p])) for p in best if scores[p] > 0]

    def _hybrid(self, question: str) -> list[tuple[int, float]]:
        """Weighted reciprocal-rank fusion of the dense and BM25 rankings."""
        fused: dict[int, float] = {}
        for weight, ranking in ((self.dense_weight, self._dense(question)), (self.lexical_weight, self._bm25(question))):
            for rank, (position, _) in enumerate(ranking, start=1):
                fused[position] = fused.get(position, 0.0) + weight / (RRF_K + rank)
        return sorted(fused.items(), key=lambda item: -item[1])

    def _passage(self, rank: int, score: float, position: int) -> Passage:
        chunk = self._chunks[position]
        return Passage(rank, round(score, 4), chunk.text, chunk.document_id, self._titles[chunk.document_id],
                       chunk.page, chunk.start, chunk.end, list(chunk.speakers))
