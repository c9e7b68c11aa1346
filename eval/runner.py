"""Score answers against the eval set of expected answers (eval/questions.jsonl).

Metric names follow sentence-transformers' InformationRetrievalEvaluator and BEIR:
accuracy@k, MRR@10, nDCG@10, recall@5; plus speaker recall, abstention, size and latency.

nDCG@10 judges relevance by chunk, as InformationRetrievalEvaluator does: a question's relevant items are the
chunks of the index that hold one of its evidence strings (overlapping chunks can both hold it), each counted
once, and the ideal DCG is computed over that set. When the chunk table is not at hand (``citeqa eval --url``),
the relevant set known is the distinct supporting passages of the answer plus one chunk for each evidence
string that none of them holds.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from eval.evidence import normalise
from index_build.language import ALL_STOPWORDS
from index_build.text import fold_accents

QUESTIONS_FILE = Path(__file__).parent / "questions.jsonl"
FLOORS_FILE = Path(__file__).parent / "floors.json"
KINDS = ("speaker", "multi_speaker", "fact", "number", "date", "paraphrase", "keyword", "negative")
DEPTH = 10  # passages asked for each question

#: question, k -> the API's answer shape ({"passages": [...], optional "speakers", "answerable"})
SearchFunction = Callable[[str, int], dict]
#: One chunk of the index, as a passage cites it: (report id, start, end).
ChunkKey = tuple[str, int, int]


@dataclass
class Question:
    """One expected answer."""

    id: str
    question: str
    lang: str
    kind: str
    expected_speakers: list[str]
    evidence: list[str]
    answer: str
    document_id: str = ""
    evidence_pages: list[int | list[int]] = field(default_factory=list)  # the page where each evidence string
    # starts, or every page where it does when it repeats (a running header)
    evidence_documents: list[str] = field(default_factory=list)  # the report of each evidence string, where it
    # is not document_id (a declaration's translation answers it too); empty: all in document_id

    @property
    def is_negative(self) -> bool:
        return self.kind == "negative"


def load_questions(path: Path = QUESTIONS_FILE) -> list[Question]:
    """Read the eval set, one JSON object a line."""
    return [Question(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class QuestionResult:
    """How one system answered one question."""

    id: str
    lang: str
    kind: str
    question: str
    metrics: dict[str, float | None]
    top_passage: str = ""
    passages: list[dict] = field(default_factory=list)
    document_id: str = ""  # the report that answers it ("" for a negative)
    pairing: str = ""  # "same" or "other": the question's language against its report's ("" when unknown)


def score_answer(question: Question, answer: dict, latency_ms: float,
                 relevant_chunks: set[ChunkKey] | None = None) -> dict:
    """All per-question metrics for one answer (None where a metric does not apply); ``relevant_chunks``: the
    chunks of the index that support the question (:func:`relevant_chunks`), None when they are not known."""
    passages = answer["passages"][:DEPTH]
    texts = [normalise(p["text"]) for p in passages]
    evidence = [normalise(e) for e in question.evidence]
    supports = [any(e in text for e in evidence) for text in texts]
    answerable = bool(answer.get("answerable", True))
    metrics: dict[str, float | None] = {
        "chars@5": float(sum(len(p["text"]) for p in passages[:5])),
        "latency_ms": latency_ms,
        "abstention": (0.0 if answerable else 1.0) if question.is_negative else None,
        "false_abstention": None if question.is_negative else (0.0 if answerable else 1.0),
    }
    if question.is_negative:
        return metrics | dict.fromkeys(("accuracy@1", "accuracy@3", "accuracy@5", "MRR@10", "nDCG@10", "recall@5",
                                        "page_accuracy", "speaker_recall@5", "speaker_mention@5"))
    first = next((rank for rank, ok in enumerate(supports, start=1) if ok), None)
    for k in (1, 3, 5):
        metrics[f"accuracy@{k}"] = float(first is not None and first <= k)
    metrics["MRR@10"] = 1.0 / first if first else 0.0
    metrics["nDCG@10"] = _ndcg(passages, supports, _unheld(evidence, texts), relevant_chunks)
    metrics["recall@5"] = sum(any(e in t for t in texts[:5]) for e in evidence) / len(evidence)
    metrics["page_accuracy"] = _page_accuracy(question, passages[first - 1], texts[first - 1]) if first else None
    metrics["speaker_recall@5"], metrics["speaker_mention@5"] = _speaker_recall(question, answer, passages[:5])
    return metrics


def _page_accuracy(question: Question, passage: dict, text: str) -> float | None:
    """1 when the first supporting passage cites the page of the evidence it holds, or the page before (a
    passage that runs over the page break); None when the eval gives no pages."""
    if len(question.evidence_pages) != len(question.evidence):
        return None
    pages = [page for evidence, given in zip(question.evidence, question.evidence_pages) if normalise(evidence) in text
             for page in (given if isinstance(given, list) else [given])]
    return float(any(passage.get("page") in (page, page - 1) for page in pages))


def _ndcg(passages: list[dict], supports: list[bool], unheld: int, relevant_chunks: set[ChunkKey] | None) -> float:
    """Binary-relevance nDCG@10 by chunk: a passage counts when its chunk is relevant and was not counted at a
    better rank; the ideal ranks every relevant chunk first (``relevant_chunks``, or when it is not known the
    distinct supporting passages plus ``unheld``, one for each evidence string no passage holds)."""
    counted: set = set()
    gains = []
    for passage, supported in zip(passages[:DEPTH], supports):
        key = passage_key(passage)
        relevant = key in relevant_chunks if relevant_chunks is not None else supported
        gains.append(relevant and key not in counted)
        if relevant:
            counted.add(key)
    relevant_count = len(relevant_chunks) if relevant_chunks is not None else len(counted) + unheld
    if not relevant_count:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1) if gain)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(relevant_count, DEPTH) + 1))
    return dcg / ideal


def _unheld(evidence: list[str], texts: list[str]) -> int:
    """How many evidence strings none of the passages holds."""
    return sum(not any(e in text for text in texts) for e in evidence)


def passage_key(passage: dict) -> ChunkKey | tuple[str, str]:
    """The chunk a passage cites: (report id, start, end); its normalised text when it gives no span."""
    if passage.get("start") is None or passage.get("end") is None:
        return passage.get("document_id", ""), normalise(passage["text"])
    return passage.get("document_id", ""), passage["start"], passage["end"]


def _speaker_recall(question: Question, answer: dict, top: list[dict]) -> tuple[float | None, float | None]:
    """Expected speakers found in the answer's speakers field, and named anywhere in the top passages."""
    if not question.expected_speakers:
        return None, None
    listed = answer.get("speakers")
    if listed is None:  # an answer without a speakers field: the passages' speakers stand for it
        listed = [s for p in top for s in p.get("speakers", [])]
    else:  # the speakers of the top passages only (the answer may hold more passages than that)
        listed = [s for s in listed if "passages" not in s or any(rank <= len(top) for rank in s["passages"])]
    names = {_speaker_key(s[field]) for s in listed for field in ("name", "organisation") if s.get(field)}
    mentioned = fold_accents(" ".join(p["text"] + " " + " ".join(s["name"] for s in p.get("speakers", [])) for p in top))
    expected = [fold_accents(name) for name in question.expected_speakers]
    in_field = sum(_speaker_key(name) in names for name in expected) / len(expected)
    anywhere = sum(name.split()[-1] in mentioned for name in expected) / len(expected)
    return in_field, anywhere


def _speaker_key(name: str) -> str:
    """A speaker's name for matching: accents and case folded, leading function words dropped ("la Barbade",
    "the Chair" match "Barbade", "Chair")."""
    tokens = fold_accents(name).replace("’", "'").split()
    while tokens:
        head, apostrophe, rest = tokens[0].partition("'")
        if apostrophe and rest and head in ALL_STOPWORDS:  # an elided article: "l'oim"
            tokens[0] = rest
        elif len(tokens) > 1 and tokens[0] in ALL_STOPWORDS:
            tokens = tokens[1:]
        else:
            break
    return " ".join(tokens)


def evaluate(search: SearchFunction, questions: list[Question], relevant: dict[str, set[ChunkKey]] | None = None,
             report_languages: dict[str, str] | None = None) -> list[QuestionResult]:
    """Ask every question and score the answers (``relevant``: question id -> its relevant chunks, from
    :func:`relevant_chunks`; ``report_languages``: report id -> its language, to tell questions in their
    report's language from the others)."""
    results = []
    for question in questions:
        started = time.perf_counter()
        answer = search(question.question, DEPTH)
        latency = (time.perf_counter() - started) * 1000
        metrics = score_answer(question, answer, latency, None if relevant is None else relevant.get(question.id))
        top = answer["passages"][0]["text"] if answer["passages"] else ""
        report_language = (report_languages or {}).get(question.document_id)
        pairing = "" if report_language is None else ("same" if report_language == question.lang else "other")
        results.append(QuestionResult(question.id, question.lang, question.kind, question.question, metrics, top,
                                      answer["passages"][:5], question.document_id, pairing))
    return results


def summarise(results: list[QuestionResult]) -> dict[str, float | None]:
    """Mean of each metric over the questions it applies to; latency as p50/p95."""
    summary: dict[str, float | None] = {}
    names = [name for name in results[0].metrics if name != "latency_ms"] if results else []
    for name in names:
        values = [r.metrics[name] for r in results if r.metrics[name] is not None]
        summary[name] = statistics.fmean(values) if values else None
    latencies = sorted(r.metrics["latency_ms"] for r in results)
    if latencies:
        summary["latency_p50_ms"] = latencies[len(latencies) // 2]
        summary["latency_p95_ms"] = latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)]
    return summary


def relevant_chunks(questions: list[Question], chunks: list) -> dict[str, set[ChunkKey]]:
    """The chunks of the index (objects with ``document_id``, ``start``, ``end``, ``text``) that hold one of each
    question's evidence strings: its relevant items for nDCG."""
    texts = [(chunk, normalise(chunk.text)) for chunk in chunks]
    return {q.id: {(chunk.document_id, chunk.start, chunk.end) for chunk, text in texts
                   if any(normalise(e) in text for e in q.evidence)} for q in questions}


def check_floors(summary: dict[str, float | None], floors: dict[str, float]) -> list[str]:
    """The floors that the summary breaks, as readable lines."""
    broken = []
    for name, floor in floors.items():
        value = summary.get(name)
        lower_is_better = name.startswith(("false_abstention", "latency", "chars"))
        if value is None or (value > floor if lower_is_better else value < floor):
            broken.append(f"{name} = {value if value is None else round(value, 4)} "
                          f"({'above the ceiling' if lower_is_better else 'below the floor'} {floor})")
    return broken
