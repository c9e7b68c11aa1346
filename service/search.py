"""Question -> cited passages, over one loaded index version.

Hybrid retrieval (dense + BM25 fused by weighted reciprocal rank), speaker-diverse passages for
"who" questions, the speakers who answer, the best sentence of each passage, and abstention.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index_build.embedding import Embedder
from index_build.index_store import Chunk, IndexVersion, load_version
from service.lexical import LexicalIndex, fold_accents, guess_language
from service.translation import QuestionTranslator

MODES = ("hybrid", "dense", "bm25")
CANDIDATES = 50  # passages each retriever proposes to the fusion
DENSE_POOL = 2000  # chunks scored by the dense retriever before its best sentences are taken into account
# Chosen on the eval set (README, "How the defaults were chosen"):
RRF_K = 10  # reciprocal-rank-fusion constant
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
TRANSLATED_LEXICAL_WEIGHT = 0.5  # BM25 of the question's words translated into another language's passages
SENTENCE_WEIGHT = 0.5  # dense score = (1 - w) * chunk similarity + w * best sentence similarity
REPEATED_SPEAKER_FACTOR = 0.6  # who-questions: weight of a passage whose speakers are already in the answer
# Abstention, calibrated on the eval set's negative questions (README, "How the defaults were chosen"):
# the best sentence similarity under which a question in that language is not answered by the reports...
ABSTAIN_BELOW = {"en": 0.784, "fr": 0.855}
# ...and the share of a question's content words found in reports of its language under which it is not.
MIN_WORD_COVERAGE = 0.2

_WHO_QUESTION = re.compile(
    r"^\s*(?:who\b|whom\b|which\s+(?:speakers?|participants?|people|persons?|panell?ists?|organi[sz]ations?|"
    r"countries|delegations?|representatives?|officials?)\b|qui\b|quels?\s+(?:orateurs?|intervenants?|participants?|"
    r"panélistes?|pays|représentants?|responsables?)\b|quelles?\s+(?:personnes?|organisations?|oratrices?|"
    r"intervenantes?|délégations?)\b)", re.IGNORECASE)


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
    """A person who answers the question, with the ranks of the passages that carry their words."""

    name: str
    role: str
    organisation: str
    passages: list[int]


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


def is_who_question(question: str) -> bool:
    """True when the question asks who said or did something."""
    return bool(_WHO_QUESTION.match(question))


class SearchEngine:
    """Embeds questions with the index's model and finds the passages that answer them."""

    def __init__(self, embedder: Embedder, version: IndexVersion, dense_weight: float = DENSE_WEIGHT,
                 lexical_weight: float = LEXICAL_WEIGHT, translated_weight: float = TRANSLATED_LEXICAL_WEIGHT,
                 abstain_below: dict[str, float] | None = None):
        self.embedder = embedder
        self.version = version
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.translated_weight = translated_weight
        self.abstain_below = ABSTAIN_BELOW if abstain_below is None else abstain_below
        self._titles = {doc["id"]: doc["title"] for doc in version.documents}
        languages = {doc["id"]: doc.get("language", "en") for doc in version.documents}
        self._chunks: list[Chunk] = version.chunks
        self._languages = [languages[chunk.document_id] for chunk in self._chunks]
        self._corpus_languages = set(self._languages)
        self._position = {chunk.id: position for position, chunk in enumerate(self._chunks)}
        self._lexical = LexicalIndex([c.text for c in self._chunks], self._languages)
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

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        """The k passages that best answer the question, best first.

        ``mode`` picks the retriever: ``dense`` (embeddings), ``bm25`` (words) or
        ``hybrid`` (both, fused by weighted reciprocal rank).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        started = time.perf_counter()
        query = self.embedder.embed_query(question) if mode != "bm25" else None
        dense, best_sentence = self._dense(query, with_sentences=mode == "hybrid") if query is not None else ([], None)
        lexical = self._bm25(question) if mode != "dense" else []
        if mode != "hybrid":
            ranked = dense or lexical
        else:
            language = guess_language(question)
            ranked = self._fuse(dense, lexical, language, self._translated_bm25(question, language))
            if is_who_question(question):
                ranked = self._diversify_speakers(ranked, k)
        answerable, reason = self._answerability(question, best_sentence) if mode == "hybrid" else (True, "")
        passages = [self._passage(rank, score, position, query, not answerable)
                    for rank, (position, score) in enumerate(ranked[:k], start=1)]
        took = round((time.perf_counter() - started) * 1000, 2)
        return Answer(question, answerable, reason, _speakers_of(passages), passages, took, self.version.version)

    def _dense(self, query: np.ndarray, with_sentences: bool = True) -> tuple[list[tuple[int, float]], float]:
        """(chunk position, score) for the closest chunks (chunk similarity blended with its best sentence's),
        and the similarity of the best sentence of all."""
        if self.version.vectors.ntotal == 0:
            return [], -1.0
        scores, ids = self.version.vectors.search(query.reshape(1, -1), min(DENSE_POOL, self.version.vectors.ntotal))
        pool = np.array([self._position[int(i)] for i in ids[0] if i >= 0], dtype=np.int64)
        chunk_scores = np.full(len(self._chunks), -1.0, dtype=np.float32)
        chunk_scores[pool] = scores[0][: len(pool)]
        best_sentence = chunk_scores.copy()  # a chunk without sentences keeps its own score
        top_sentence = float(chunk_scores.max(initial=-1.0))
        if with_sentences and len(self._sentence_rows):
            sentence_scores = self.version.sentence_vectors[self._sentence_rows] @ query
            np.maximum.at(best_sentence, self._sentence_owner, sentence_scores)
            top_sentence = float(sentence_scores.max())
        blended = (1 - SENTENCE_WEIGHT) * chunk_scores[pool] + SENTENCE_WEIGHT * best_sentence[pool]
        order = np.argsort(-blended, kind="stable")[:CANDIDATES]
        return [(int(pool[i]), float(blended[i])) for i in order], top_sentence

    def _bm25(self, question: str) -> list[tuple[int, float]]:
        """(chunk position, BM25 score) for the chunks that share words with the question."""
        scores = self._lexical.scores(question)
        best = np.argsort(-scores, kind="stable")[:CANDIDATES]
        return [(int(p), float(scores[p])) for p in best if scores[p] > 0]

    def _translated_bm25(self, question: str, language: str | None) -> list[tuple[int, float]]:
        """BM25 over the passages in other languages than the question's, with the question's words
        translated into each of those languages (one ranking, best first)."""
        if language is None or self.translated_weight == 0:
            return []
        ranked = []
        for other in sorted(self._corpus_languages - {language}):
            found = self._translator.words_in(question, other)
            scores = self._lexical.scores_of_words(found, other) if found else None
            if scores is not None:
                ranked += [(p, float(scores[p])) for p in np.flatnonzero(scores > 0) if self._languages[p] == other]
        return sorted(ranked, key=lambda item: -item[1])[:CANDIDATES]

    def _fuse(self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]], language: str | None,
              translated: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Weighted reciprocal-rank fusion of the dense, BM25 and translated-BM25 rankings.

        Words only match words of the same language: plain BM25 counts for passages in the
        question's language (or all, when the language is unknown), translated BM25 for the others.
        """
        fused: dict[int, float] = {}
        for rank, (position, _) in enumerate(dense, start=1):
            fused[position] = fused.get(position, 0.0) + self.dense_weight / (RRF_K + rank)
        same_language = [item for item in lexical if language is None or self._languages[item[0]] == language]
        for weight, ranking in ((self.lexical_weight, same_language), (self.translated_weight, translated)):
            for rank, (position, _) in enumerate(ranking, start=1):
                fused[position] = fused.get(position, 0.0) + weight / (RRF_K + rank)
        return sorted(fused.items(), key=lambda item: -item[1])

    def _diversify_speakers(self, ranked: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
        """For "who" questions, greedy MMR over speakers: a passage that adds no new speaker counts less."""
        window, rest = list(ranked[:3 * k]), ranked[3 * k:]
        covered: set[str] = set()
        chosen = []
        while window:
            def worth(item: tuple[int, float]) -> float:
                names = {speaker["name"] for speaker in self._chunks[item[0]].speakers}
                return item[1] * (1.0 if names - covered else REPEATED_SPEAKER_FACTOR)
            best = max(window, key=worth)
            window.remove(best)
            chosen.append(best)
            covered |= {speaker["name"] for speaker in self._chunks[best[0]].speakers}
        return chosen + rest

    def _answerability(self, question: str, best_sentence: float | None) -> tuple[bool, str]:
        """Whether the reports answer the question at all, and why not.

        Similarities of e5 run lower for a question in another language than the passages,
        so the threshold depends on the question's language; a keyword query (no function
        words, language unknown) is never refused.
        """
        language = guess_language(question)
        threshold = self.abstain_below.get(language) if language else None
        if best_sentence is not None and threshold is not None and best_sentence < threshold:
            return False, (f"Nothing in the reports is close enough to the question: the best sentence has a similarity "
                           f"of {best_sentence:.3f}, under {threshold:.3f} for a question in {language}. The passages "
                           "below are the nearest ones, but weak.")
        coverage = self._lexical.word_coverage(question)
        if language in self._corpus_languages and coverage is not None and coverage < MIN_WORD_COVERAGE:
            return False, (f"Only {coverage:.0%} of the question's words occur in the reports: they do not seem to "
                           "speak of it. The passages below are the nearest ones, but weak.")
        return True, ""

    def _passage(self, rank: int, score: float, position: int, query: np.ndarray | None, weak: bool) -> Passage:
        chunk = self._chunks[position]
        return Passage(rank, round(score, 4), chunk.text, chunk.document_id, self._titles[chunk.document_id],
                       chunk.page, chunk.start, chunk.end, list(chunk.speakers), self._highlight(chunk, query), weak)

    def _highlight(self, chunk: Chunk, query: np.ndarray | None) -> Highlight | None:
        """The chunk's sentence closest to the question."""
        if query is None or not chunk.sentences:
            return None
        rows = [row for _, _, row in chunk.sentences]
        best = int(np.argmax(self.version.sentence_vectors[rows] @ query))
        start, end, _ = chunk.sentences[best]
        return Highlight(start, end, self.version.texts[chunk.document_id][start:end])


def _speakers_of(passages: list[Passage]) -> list[SpeakerAnswer]:
    """The speakers of the passages, in order of their best passage, each with the ranks that support them."""
    found: dict[str, SpeakerAnswer] = {}
    for passage in passages:
        for speaker in passage.speakers:
            key = fold_accents(speaker["name"])
            if key not in found:
                found[key] = SpeakerAnswer(speaker["name"], speaker.get("role", ""), speaker.get("organisation", ""), [])
            found[key].passages.append(passage.rank)
    return list(found.values())
