"""Retrieval settings: every weight and threshold of the ranking, in one object.

The defaults live in ``index_build/retrieval.json``, chosen by cross-validation held out by report over the
eval questions (``python -m eval.tuning --write``; docs/retrieval.md, "How the defaults were chosen").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

DEFAULTS_FILE = Path(__file__).parent / "retrieval.json"
DENSE_FUSIONS = ("global", "per_language", "centred", "standardised")


@dataclass(frozen=True)
class RetrievalSettings:
    """How candidates are retrieved, fused, diversified and judged answerable."""

    rrf_k: float = 10.0  # reciprocal-rank-fusion constant
    dense_weight: float = 1.0
    translated_dense_weight: float = 0.0  # the question's translated words, embedded, against that language's passages
    lexical_weight: float = 1.0  # BM25 of the question's own words, in passages of the question's language
    translated_weight: float = 0.5  # BM25 of the question's words translated into another language's passages
    # the question machine-translated (Apertium) into each other report language: embedded as a query against
    # that language's passages, and its words searched with BM25 there (0: not searched)
    mt_dense_weight: float = 0.0
    mt_lexical_weight: float = 0.0
    # the renderings of the other languages' passages in the question's language (passages machine-translated
    # when indexed, index_build.passage_translation): against the question's vector, and BM25 of the question's
    # words over them (0: not searched)
    rendering_weight: float = 0.0
    rendering_lexical_weight: float = 0.0
    sentence_weight: float = 0.5  # dense score = (1 - w) * chunk similarity + w * best sentence similarity
    # "global": one ranking of raw similarities; "per_language": one ranking per report language, fused by
    # rank; "centred": one ranking of similarities minus their mean over each language's passages
    dense_fusion: str = "global"
    repeated_speaker_factor: float = 0.6  # who-questions: weight of a passage that adds no new speaker
    repeated_report_factor: float = 1.0  # who-questions: weight of a passage from a report already in the answer
    # best-sentence similarity under which a (question language, report language) pair does not answer;
    # keys "fr>en" (a French question, English reports), "fr~en" (its machine translation, English reports)
    abstain_below: dict[str, float] = field(default_factory=dict)
    min_word_coverage: float = 0.2  # share of a question's content words found in its language's reports
    # a question with this many content words that no report holds in any language (the word, or its machine
    # translation into each other report language) is not answered by them, where some report is in the
    # question's language (0: never refused for that)
    max_unknown_words: int = 0
    # other report languages answer by the best sentence of the question machine-translated into them (their own
    # scale, "fr~en" thresholds) instead of the question's own cross-language similarity
    answer_by_translation: bool = False
    candidates: int = 50  # passages each retriever proposes to the fusion
    dense_pool: int = 2000  # up to this many (filtered) chunks, the dense retriever scores every one exactly
    dense_search: int = 200  # above, it scores the chunks closest to the question by their own or a sentence's vector
    chunk_size: int = 600  # characters of a passage (a build setting: a change re-chunks every report)
    chunk_overlap: int = 100  # characters two neighbouring passages share
    tuning: bool = False  # retrieve what every setting could use (for eval.tuning), not only what these use

    def __post_init__(self) -> None:
        if self.dense_fusion not in DENSE_FUSIONS:
            raise ValueError(f"dense_fusion must be one of {DENSE_FUSIONS}, not {self.dense_fusion!r}")

    def with_(self, **changes) -> "RetrievalSettings":
        """A copy with some settings changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain-dict form (JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RetrievalSettings":
        """Settings from a dict; unknown keys are refused with their names."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown retrieval settings {unknown}; known ones: {sorted(known)}")
        return cls(**data)


def pair_key(question_language: str | None, report_language: str, translated: bool = False) -> str:
    """The key of a (question language, report language) pair in ``abstain_below``: "fr>en" for a French
    question's own similarity with English passages, "fr~en" for that of its machine translation into English."""
    return f"{question_language or '*'}{'~' if translated else '>'}{report_language}"


def settings_for_version(manifest: dict, overrides: dict | None = None) -> RetrievalSettings:
    """The settings a version was built and calibrated with (its manifest's ``retrieval``; the defaults
    for what it does not say), with ``overrides`` (``CITEQA_RETRIEVAL``) on top."""
    known = {f.name for f in fields(RetrievalSettings)}
    stored = {key: value for key, value in (manifest.get("retrieval") or {}).items() if key in known}
    return RetrievalSettings.from_dict({**default_settings().to_dict(), **stored, **(overrides or {})})


def manifest_entry(settings: RetrievalSettings) -> dict:
    """What a version's manifest records of the settings it was built with."""
    return {key: value for key, value in settings.to_dict().items() if key != "tuning"}


def default_settings() -> RetrievalSettings:
    """The cross-validated defaults (``index_build/retrieval.json``), or the built-in ones without that file."""
    if not DEFAULTS_FILE.is_file():
        return RetrievalSettings()
    return RetrievalSettings.from_dict(json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))["settings"])
