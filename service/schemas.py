"""The HTTP API's request and response shapes (with the examples shown at /docs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

MAX_QUESTION_CHARS = 2000
MAX_K = 50

#: What a question may not consist of only: the characters Python's ``str.strip()`` removes, spelled out,
#: as regex classes like ``\s`` mean different sets in Python, JSON Schema (ECMA-262) and pydantic's Rust engine.
NOT_BLANK_PATTERN = ("[^\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
                     "\\u2028\\u2029\\u202f\\u205f\\u3000]")  # somewhere in the question: one character that is not blank


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("question must not be empty or blank: ask something, e.g. 'who spoke about child protection'")
    return value.strip()


Question = Annotated[
    str,
    Field(min_length=1, max_length=MAX_QUESTION_CHARS,
          description=f"The question, in French or English (1 to {MAX_QUESTION_CHARS} characters, not only blanks)",
          examples=["who spoke about child protection", "Qui a parlé de la protection des enfants ?"],
          json_schema_extra={"pattern": NOT_BLANK_PATTERN}),  # checked by _not_blank, for its clearer message
    AfterValidator(_not_blank),
]
TopK = Annotated[int, Field(ge=1, le=MAX_K, description=f"How many passages to return (1 to {MAX_K})")]


def _json_integer(value):
    """A JSON body's integer as JSON Schema reads one: ``true`` and ``"5"`` are refused, not converted
    (pydantic would read them as 1 and 5); ``5.0`` is 5, ``5.5`` is refused by the int itself."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be a whole number, e.g. 5 (not a string or a boolean)")
    return value


class SearchRequest(BaseModel):
    """A question to answer from the reports."""

    question: Question
    k: Annotated[TopK, BeforeValidator(_json_integer)] = 5

    # An unknown field is refused (422 naming it), and the schema says so: a misspelt "top_k" is not ignored.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "who spoke about child protection", "k": 5}]})


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


class ErrorOut(BaseModel):
    """Why a request was refused."""

    detail: str


class JobError(BaseModel):
    """Why a job failed: the HTTP status the request would have had, and the reason."""

    status: int
    detail: str


class JobOut(BaseModel):
    """A queued change of the index (upload, removal or rebuild) and what became of it."""

    id: str
    action: Literal["upload", "remove", "rebuild"]
    report_id: str = Field("", description="The report uploaded or removed (empty for a rebuild)")
    state: Literal["queued", "running", "done", "failed"]
    created_at: float = Field(description="Unix time")
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = Field(None, description="When done: the report's id and status, the new index version")
    error: JobError | None = Field(None, description="When failed")


class JobAccepted(JobOut):
    """The job a request queued, and where to follow it (also in the Location header)."""

    url: str = Field(description="GET it for the job's state")
