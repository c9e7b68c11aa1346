"""The HTTP API's request and response shapes (with the examples shown at /docs)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

MAX_QUESTION_CHARS = 2000
MAX_K = 50


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("question must not be empty or blank: ask something, e.g. 'who spoke about child protection'")
    return value.strip()


Question = Annotated[
    str,
    Field(min_length=1, max_length=MAX_QUESTION_CHARS,
          description=f"The question, in French or English (1 to {MAX_QUESTION_CHARS} characters)",
          examples=["who spoke about child protection", "Qui a parlé de la protection des enfants ?"]),
    AfterValidator(_not_blank),
]
TopK = Annotated[int, Field(ge=1, le=MAX_K, description=f"How many passages to return (1 to {MAX_K})")]


class SearchRequest(BaseModel):
    """A question to answer from the reports."""

    question: Question
    k: TopK = 5

    model_config = {"json_schema_extra": {"examples": [{"question": "who spoke about child protection", "k": 5}]}}


class SpeakerOut(BaseModel):
    """A person (or body) whose words a passage carries."""

    name: str
    role: str = ""
    organisation: str = ""


class HighlightOut(BaseModel):
    """The sentence of the passage that best answers the question (offsets into the document text)."""

    start: int
    end: int
    text: str


class SpeakerAnswerOut(SpeakerOut):
    """A person or body who answers the question, the ranks of the passages that carry their words and the
    reports those passages come from."""

    passages: list[int]
    documents: list[str] = Field(default_factory=list, description="Ids of the reports where they say it")


class PassageOut(BaseModel):
    """A cited passage: ``document text[start:end] == text``, on ``page`` of the report."""

    rank: int
    score: float
    text: str
    document_id: str
    title: str
    page: int
    start: int
    end: int
    speakers: list[SpeakerOut]
    highlight: HighlightOut | None = Field(None, description="The best sentence of the passage for this question")
    weak: bool = Field(False, description="True when the reports do not answer the question: the passage is only the nearest")


class SearchResponse(BaseModel):
    """The passages that answer the question, best first, and the people who said it."""

    question: str
    answerable: bool = Field(description="False when nothing in the reports answers the question")
    reason: str = Field("", description="Why the service abstained (empty when answerable)")
    speakers: list[SpeakerAnswerOut] = Field(description="Who answers the question, best first")
    passages: list[PassageOut]
    took_ms: float
    index_version: str = Field(description="The index version that answered (citations point into it)")

    model_config = {"json_schema_extra": {"examples": [{
        "question": "who spoke about child protection",
        "answerable": True, "reason": "",
        "speakers": [{"name": "Sikander Khan", "role": "Directeur du Bureau des programmes d’urgence",
                      "organisation": "UNICEF", "passages": [1], "documents": ["idm-2018-capacity-development.fr"]}],
        "passages": [{
            "rank": 1, "score": 0.86,
            "text": "M. Sikander Khan, Directeur du Bureau des programmes d’urgence de l’UNICEF à Genève, a ...",
            "document_id": "idm-2018-capacity-development.fr",
            "title": "Dialogue international sur la migration 2018 — Résumé des conclusions",
            "page": 5, "start": 14542, "end": 15080,
            "speakers": [{"name": "Sikander Khan", "role": "Directeur du Bureau des programmes d’urgence",
                          "organisation": "UNICEF"}],
            "highlight": {"start": 14700, "end": 14905, "text": "M. Sikander Khan, ... a abordé les avantages de la collaboration ..."},
            "weak": False,
        }],
        "took_ms": 21.4,
        "index_version": "20261127T003326776878Z",
    }]}}


class HealthResponse(BaseModel):
    """Whether the service is ready, and what it serves."""

    ready: bool
    documents: int
    chunks: int
    model: str
    model_fingerprint: str
    index_version: str = Field(description="The version served")
    format_version: int
    current_on_disk: str = Field("", description="The version `current` points at: when it differs from "
                                                 "index_version, it is loading or failed to load (see last_error)")
    last_error: str = Field("", description="Why the newest version could not be switched to (empty when it was)")


class DocumentOut(BaseModel):
    """A report in the index."""

    id: str
    title: str
    language: str
    year: int | None = None
    publisher: str = ""
    pages: int
    chunks: int
    content_hash: str
