"""Question -> cited passages, over one loaded index version.

Search runs as stages: retrieve (dense similarities, BM25 of the question's words, and for each other
report language BM25 and an embedding of the question's words translated into it) -> fuse (weighted reciprocal rank) -> diversify (who
questions: new speakers and reports first) -> answerability -> present (highlights, speakers). Every
weight and threshold comes from one :class:`RetrievalSettings`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index_build.embedding import Embedder
from index_build.index_store import Chunk, IndexVersion, load_version
from index_build.language import is_who_question
from service.lexical import LexicalIndex, fold_accents, guess_language
from service.retrieval import RetrievalSettings, default_settings, pair_key
from service.translation import QuestionTranslator

MODES = ("hybrid", "dense", "bm25")
CANDIDATES = 50  # passages each retriever proposes to the fusion
DENSE_POOL = 2000  # chunks scored by the dense retriever before its best sentences are taken into account

__all__ = ["Answer", "Highlight", "MODES", "Passage", "Retrieved", "SearchEngine", "SpeakerAnswer", "is_who_question"]


@dataclass
class Highlight:
    """The sentence of a passage that best answers the question (document offsets)."""

    start: int
    end: int
    text: str


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
    highlight: Highlight | None = None
    weak: bool = False


@dataclass
class SpeakerAnswer:
    """A person or body who answers the question, with the ranks of the passages that carry their words
    and the reports those passages come from."""

    name: str
    role: str
    organisation: str
    passages: list[int]
    documents: list[str] = field(default_factory=list)


@dataclass
class Answer:
    """The passages that answer a question, best first, and who said it."""

    question: str
    answerable: bool
    reason: str
    speakers: list[SpeakerAnswer]
    passages: list[Passage]
    took_ms: float
    index_version: str = ""


@dataclass
class Retrieved:
    """What the retrievers found for one question, before any weight is applied (one score per chunk)."""

    question: str
    language: str | None  # guessed from the question's function words; None for a keyword query
    query: np.ndarray | None  # the question's vector (None in BM25 mode)
    chunk_similarity: np.ndarray  # cosine of the question with each chunk (-1 outside the dense pool)
    best_sentence: np.ndarray  # cosine of the question with each chunk's best sentence
    lexical: np.ndarray  # BM25 of the question's own words
    translated: dict[str, np.ndarray]  # report language -> BM25 of the question's words translated into it
    coverage: float | None  # share of the question's content words found in the reports
    translated_dense: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # report language ->
    # the dense scores (chunk, best sentence) of the question's translated words embedded as a query


class SearchEngine:
    """Embeds questions with the index's model and finds the passages that answer them."""

    def __init__(self, embedder: Embedder, version: IndexVersion, settings: RetrievalSettings | None = None):
        self.embedder = embedder
        self.version = version
        self.settings = settings or default_settings()
        self._titles = {doc["id"]: doc["title"] for doc in version.documents}
        languages = {doc["id"]: doc.get("language", "") for doc in version.documents}
        self._chunks: list[Chunk] = version.chunks
        self._languages = np.array([languages[chunk.document_id] for chunk in self._chunks], dtype=object)
        self.report_languages = sorted(set(self._languages.tolist()))
        self._language_masks = {language: self._languages == language for language in self.report_languages}
        self._position = {chunk.id: position for position, chunk in enumerate(self._chunks)}
        self._lexical = LexicalIndex([c.text for c in self._chunks], self._languages.tolist())
        self._translator = QuestionTranslator(embedder, version.vocabulary)
        self._sentence_rows = np.array([row for c in self._chunks for _, _, row in c.sentences], dtype=np.int64)
        self._sentence_owner = np.array([p for p, c in enumerate(self._chunks) for _ in c.sentences], dtype=np.int64)

    @classmethod
    def open(cls, index_dir: Path, model_name: str, model_cache_dir: Path) -> "SearchEngine":
        """Load the model, then the current index version, checking they belong together."""
        embedder = Embedder.load(model_name, model_cache_dir)
        version = load_version(index_dir, model_name=model_name, fingerprint=embedder.fingerprint,
                               dimension=embedder.dimension)
        return cls(embedder, version)

    def search(self, question: str, k: int = 5, mode: str = "hybrid",
               settings: RetrievalSettings | None = None) -> Answer:
        """The k passages that best answer the question, best first.

        ``mode`` picks the retriever: ``dense`` (embeddings), ``bm25`` (words) or
        ``hybrid`` (both, fused by weighted reciprocal rank).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        started = time.perf_counter()
        retrieved = self.retrieve(question, mode, settings)
        return self.answer(retrieved, k, mode, settings, started)

    def retrieve(self, question: str, mode: str = "hybrid", settings: RetrievalSettings | None = None) -> Retrieved:
        """Stage 1: every retriever's scores for the question (those the settings will use)."""
        settings = settings or self.settings
        count = len(self._chunks)
        language = guess_language(question)
        query = self.embedder.embed_query(question) if mode != "bm25" else None
        similarity = np.full(count, -1.0, dtype=np.float32)
        best_sentence = similarity.copy()
        if query is not None and count:
            similarity, best_sentence = self._dense(query, with_sentences=mode == "hybrid")
        lexical = self._lexical.scores(question) if mode != "dense" else np.zeros(count, dtype=np.float32)
        translated, translated_dense = {}, {}
        if mode == "hybrid" and language is not None:
            for other in self.report_languages:
                if other != language and (found := self._translator.words_in(question, other)):
                    translated[other] = np.where(self._language_masks[other],
                                                 self._lexical.scores_of_words(found, other), 0.0)
                    if settings.translated_dense_weight or settings.tuning:
                        translated_dense[other] = self._dense(self.embedder.embed_query(" ".join(dict.fromkeys(found))))
        coverage = self._lexical.word_coverage(question) if mode == "hybrid" else None
        return Retrieved(question, language, query, similarity, best_sentence, lexical, translated, coverage,
                         translated_dense)

    def answer(self, retrieved: Retrieved, k: int = 5, mode: str = "hybrid", settings: RetrievalSettings | None = None,
               started: float | None = None) -> Answer:
        """Stages 2-5 over what was retrieved: fuse, diversify, decide answerability, present."""
        settings = settings or self.settings
        started = time.perf_counter() if started is None else started
        ranked = self.rank(retrieved, settings, mode, k)
        answerable, reason = self.answerability(retrieved, settings) if mode == "hybrid" else (True, "")
        passages = [self._passage(rank, score, position, retrieved.query, not answerable)
                    for rank, (position, score) in enumerate(ranked[:k], start=1)]
        took = round((time.perf_counter() - started) * 1000, 2)
        return Answer(retrieved.question, answerable, reason, _speakers_of(passages), passages, took,
                      self.version.version)

    def rank(self, retrieved: Retrieved, settings: RetrievalSettings, mode: str = "hybrid",
             k: int = 5) -> list[tuple[int, float]]:
        """Stages 2-3: (chunk position, score) best first."""
        if mode == "dense":
            return _top(retrieved.chunk_similarity, retrieved.chunk_similarity > -1.0)
        if mode == "bm25":
            return _top(retrieved.lexical, retrieved.lexical > 0)
        rankings = [(settings.dense_weight, ranking) for ranking in self._dense_rankings(retrieved, settings)]
        if settings.translated_dense_weight:
            rankings += [(settings.translated_dense_weight, ranking)
                         for ranking in self._translated_dense_rankings(retrieved, settings)]
        same = self._languages == retrieved.language if retrieved.language else np.ones(len(self._chunks), bool)
        rankings.append((settings.lexical_weight, _top(retrieved.lexical, same & (retrieved.lexical > 0))))
        for scores in retrieved.translated.values():
            rankings.append((settings.translated_weight, _top(scores, scores > 0)))
        ranked = _fuse(rankings, settings.rrf_k)
        if is_who_question(retrieved.question):
            ranked = self._diversify(ranked, k, settings)
        return ranked

    def _dense(self, query: np.ndarray, with_sentences: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the question with each chunk of the dense pool (-1 elsewhere), and with each chunk's
        best sentence (the chunk's own where it has none or sentences are not asked for)."""
        scores, ids = self.version.vectors.search(query.reshape(1, -1), min(DENSE_POOL, self.version.vectors.ntotal))
        pool = np.array([self._position[int(i)] for i in ids[0] if i >= 0], dtype=np.int64)
        chunk_scores = np.full(len(self._chunks), -1.0, dtype=np.float32)
        chunk_scores[pool] = scores[0][: len(pool)]
        best_sentence = chunk_scores.copy()
        if with_sentences and len(self._sentence_rows):
            sentence_scores = (self.version.sentence_vectors @ query)[self._sentence_rows]
            np.maximum.at(best_sentence, self._sentence_owner, sentence_scores)
        return chunk_scores, best_sentence

    def _dense_rankings(self, retrieved: Retrieved, settings: RetrievalSettings) -> list[list[tuple[int, float]]]:
        """The dense ranking(s): blended chunk and best-sentence similarity, across or within languages."""
        in_pool = retrieved.chunk_similarity > -1.0
        blended = ((1 - settings.sentence_weight) * retrieved.chunk_similarity
                   + settings.sentence_weight * retrieved.best_sentence)
        if settings.dense_fusion == "per_language":
            return [_top(blended, in_pool & mask) for mask in self._language_masks.values()]  # no translated query
        if settings.dense_fusion in ("centred", "standardised"):
            blended = blended.copy()
            for mask in self._language_masks.values():
                members = in_pool & mask
                if members.any():
                    blended[members] -= blended[members].mean()
                    if settings.dense_fusion == "standardised":
                        blended[members] /= max(float(blended[members].std()), 1e-6)
        rankings = [_top(blended, in_pool)]
        return rankings

    def _translated_dense_rankings(self, retrieved: Retrieved, settings: RetrievalSettings) -> list[list[tuple[int, float]]]:
        """One dense ranking per other report language, of the question's words translated into it."""
        rankings = []
        for language, (similarity, best_sentence) in retrieved.translated_dense.items():
            translated = (1 - settings.sentence_weight) * similarity + settings.sentence_weight * best_sentence
            rankings.append(_top(translated, self._language_masks[language] & (similarity > -1.0)))
        return rankings

    def _diversify(self, ranked: list[tuple[int, float]], k: int,
                   settings: RetrievalSettings) -> list[tuple[int, float]]:
        """Who questions, greedy MMR: a passage that adds no new speaker, or comes from a report already
        in the answer, counts less."""
        window, rest = list(ranked[:3 * k]), ranked[3 * k:]
        speakers: set[str] = set()
        reports: set[str] = set()
        chosen = []
        while window:
            def worth(item: tuple[int, float]) -> float:
                chunk = self._chunks[item[0]]
                names = {speaker["name"] for speaker in chunk.speakers}
                factor = 1.0 if names - speakers else settings.repeated_speaker_factor
                return item[1] * factor * (settings.repeated_report_factor if chunk.document_id in reports else 1.0)
            best = max(window, key=worth)
            window.remove(best)
            chosen.append(best)
            speakers |= {speaker["name"] for speaker in self._chunks[best[0]].speakers}
            reports.add(self._chunks[best[0]].document_id)
        return chosen + rest

    def best_sentence_by_language(self, retrieved: Retrieved) -> dict[str, float]:
        """The question's similarity with the best sentence of each report language."""
        return {language: float(retrieved.best_sentence[mask].max(initial=-1.0))
                for language, mask in self._language_masks.items()}

    def answerability(self, retrieved: Retrieved, settings: RetrievalSettings) -> tuple[bool, str]:
        """Stage 4: whether the reports answer the question at all, and why not.

        Similarities of e5 run on different scales for each (question language, report language) pair, so
        each pair has its threshold; a report language answers when its best sentence reaches it (or when
        the pair has none). A keyword query (language unknown) is never refused.
        """
        language = retrieved.language
        if language is None or retrieved.query is None:
            return True, ""
        best = self.best_sentence_by_language(retrieved)
        thresholds = {other: settings.abstain_below.get(pair_key(language, other)) for other in best}
        if best and all(threshold is not None and best[other] < threshold for other, threshold in thresholds.items()):
            closest = max(best, key=lambda other: best[other] - thresholds[other])
            return False, (f"Nothing in the reports is close enough to the question: the best sentence has a similarity "
                           f"of {best[closest]:.3f}, under {thresholds[closest]:.3f} for a question in {language} "
                           f"and reports in {closest}. The passages below are the nearest ones, but weak.")
        coverage = retrieved.coverage
        if language in self.report_languages and coverage is not None and coverage < settings.min_word_coverage:
            return False, (f"Only {coverage:.0%} of the question's words occur in the reports: they do not seem to "
                           "speak of it. The passages below are the nearest ones, but weak.")
        return True, ""

    def _passage(self, rank: int, score: float, position: int, query: np.ndarray | None, weak: bool) -> Passage:
        chunk = self._chunks[position]
        return Passage(rank, round(score, 4), chunk.text, chunk.document_id, self._titles[chunk.document_id],
                       chunk.page, chunk.start, chunk.end, list(chunk.speakers), self._highlight(chunk, query), weak)

    def _highlight(self, chunk: Chunk, query: np.ndarray | None) -> Highlight | None:
        """Stage 5: the chunk's sentence closest to the question."""
        if query is None or not chunk.sentences:
            return None
        rows = [row for _, _, row in chunk.sentences]
        best = int(np.argmax(self.version.sentence_vectors[rows] @ query))
        start, end, _ = chunk.sentences[best]
        return Highlight(start, end, self.version.texts[chunk.document_id][start:end])


def _top(scores: np.ndarray, mask: np.ndarray, count: int = CANDIDATES) -> list[tuple[int, float]]:
    """(position, score) of the best ``count`` chunks among those the mask keeps, best first."""
    positions = np.flatnonzero(mask)
    if not len(positions):
        return []
    order = positions[np.argsort(-scores[positions], kind="stable")[:count]]
    return [(int(p), float(scores[p])) for p in order]


def _fuse(rankings: list[tuple[float, list[tuple[int, float]]]], rrf_k: float) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion of several rankings."""
    fused: dict[int, float] = {}
    for weight, ranking in rankings:
        if weight:
            for rank, (position, _) in enumerate(ranking, start=1):
                fused[position] = fused.get(position, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def _speakers_of(passages: list[Passage]) -> list[SpeakerAnswer]:
    """The speakers of the passages, in order of their best passage, each with the ranks and reports that
    support them."""
    found: dict[str, SpeakerAnswer] = {}
    for passage in passages:
        for speaker in passage.speakers:
            key = fold_accents(speaker["name"])
            if key not in found:
                found[key] = SpeakerAnswer(speaker["name"], speaker.get("role", ""), speaker.get("organisation", ""), [])
            found[key].passages.append(passage.rank)
            if passage.document_id not in found[key].documents:
                found[key].documents.append(passage.document_id)
    return list(found.values())
