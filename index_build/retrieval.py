"""Retrieval settings: every weight and threshold of the ranking, in one object.

The defaults live in ``index_build/retrieval.json``, chosen by cross-validation held out by report over the
eval questions (``python -m eval.tuning --write``; docs/retrieval.md, "How the defaults were chosen"). Its
``settings`` were chosen on the model's own vectors (the fp32 ONNX graph, torch); its ``encoders`` section holds,
per encoder whose vectors are its own (``onnx-int8``, ``onnx-q4``), the settings the same cross-validation chose
on that encoder's vectors (``CITEQA_ENCODER=onnx-int8 python -m eval.tuning --write``): the abstention thresholds
are similarities, and another encoder's similarities sit on another scale. The vectors a version holds (its
model fingerprint) decide which apply, not the encoder the server is configured with.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

DEFAULTS_FILE = Path(__file__).parent / "retrieval.json"
DENSE_FUSIONS = ("global", "per_language", "centred", "standardised")
# The tag an encoder whose vectors are not the model's own appends to the model fingerprint (index_build.encoders:
# 'sha256:1a2b…+onnx-int8:3c4d5e6f'): its name, then the first 8 hex digits of its quantized file's hash.
_ENCODER_TAG = re.compile(r"\+([a-z0-9][a-z0-9-]*):[0-9a-f]{8}$")
# How a version was chunked: recorded when it is built, never changed by an encoder's section (a change re-chunks).
BUILD_SETTINGS = ("chunk_size", "chunk_overlap")


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


def settings_for_version(manifest: dict, overrides: dict | None = None,
                         file: Path = DEFAULTS_FILE) -> RetrievalSettings:
    """The settings a version was built and calibrated with (its manifest's ``retrieval``; the defaults
    for what it does not say), with ``overrides`` (``CITEQA_RETRIEVAL``) on top.

    A version whose model fingerprint names an encoder with its own section in ``file`` (``…+onnx-int8:3c4d5e6f``)
    gets that section's settings over what its manifest recorded: the builder records the top-level (fp32)
    defaults whatever the vectors, and thresholds fitted to fp32 similarities are not those of int8's. An
    encoder without a section (or a tag citeqa does not know) falls back to the defaults."""
    known = {f.name for f in fields(RetrievalSettings)}
    fingerprint = str((manifest.get("model") or {}).get("fingerprint") or "")
    stored = {key: value for key, value in (manifest.get("retrieval") or {}).items() if key in known}
    return RetrievalSettings.from_dict({**default_settings(file=file).to_dict(), **stored,
                                        **encoder_settings(vectors_encoder(fingerprint), file), **(overrides or {})})


def manifest_entry(settings: RetrievalSettings) -> dict:
    """What a version's manifest records of the settings it was built with."""
    return {key: value for key, value in settings.to_dict().items() if key != "tuning"}


def load_defaults(file: Path = DEFAULTS_FILE) -> dict:
    """The content of ``retrieval.json`` ({} without the file)."""
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}


def encoder_settings(encoder: str | None, file: Path = DEFAULTS_FILE) -> dict:
    """The settings the cross-validation chose on an encoder's own vectors (``file``'s ``encoders`` section);
    {} for the model's own vectors (None) and for an encoder without a section. A section that names an unknown
    setting, or a build setting (BUILD_SETTINGS), is refused with its names."""
    if encoder is None:
        return {}
    section = ((load_defaults(file).get("encoders") or {}).get(encoder) or {}).get("settings") or {}
    build = sorted(set(section) & set(BUILD_SETTINGS))
    if build:
        raise ValueError(f"{file.name}: the {encoder} section may not set the build settings {build}")
    RetrievalSettings.from_dict({**RetrievalSettings().to_dict(), **section})  # unknown names refused
    return dict(section)


def default_settings(fingerprint: str = "", file: Path = DEFAULTS_FILE) -> RetrievalSettings:
    """The cross-validated defaults (``index_build/retrieval.json``), or the built-in ones without that file;
    for vectors whose ``fingerprint`` names an encoder with a section of its own, that section over them."""
    data = load_defaults(file)
    base = data["settings"] if "settings" in data else RetrievalSettings().to_dict()
    return RetrievalSettings.from_dict({**base, **encoder_settings(vectors_encoder(fingerprint), file)})


def vectors_encoder(fingerprint: str) -> str | None:
    """The encoder whose own vectors a model fingerprint names ("onnx-int8" for 'sha256:1a2b…+onnx-int8:3c4d5e6f'),
    or None for the model's own vectors (the fp32 ONNX graph and torch share them, and their fingerprint)."""
    found = _ENCODER_TAG.search(fingerprint or "")
    return found.group(1) if found else None
