"""The HTTP API's request and response shapes (with the examples shown at /docs). The answer itself
(``POST /search``, ``GET /search``) is :class:`service.answers.Answer`, the one model the engine builds."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from service.answers import Speaker

MAX_QUESTION_CHARS = 2000
MAX_K = 50
MAX_FILTER_VALUES = 100  # values of one filter list (report ids, languages, publishers, speakers)
MAX_FILTER_CHARS = 200  # characters of one filter value
YEAR_MIN, YEAR_MAX = 1000, 9999  # the years a report may have (as uploads accept them)
LANGUAGE_PATTERN = "^[a-z]{2}$"

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
          description=f"The question, in French, English or Spanish (1 to {MAX_QUESTION_CHARS} characters, not only blanks)",
          examples=["who spoke about child protection", "Qui a parlé de la protection des enfants ?"],
          json_schema_extra={"pattern": NOT_BLANK_PATTERN}),  # checked by _not_blank, for its clearer message
    AfterValidator(_not_blank),
]
TopK = Annotated[int, Field(ge=1, le=MAX_K, description=f"How many passages to return (1 to {MAX_K})")]


def _language_code(value: str) -> str:
    if re.fullmatch(LANGUAGE_PATTERN[1:-1], value) is None:
        raise ValueError("must be a two-letter ISO 639-1 language code in lower case, e.g. fr or en")
    return value


def _filter_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or blank")
    return value.strip()


# One value of a filter. Each is at most MAX_FILTER_CHARS characters and each list at most MAX_FILTER_VALUES
# values: checked before any search runs (a body is at most 64 KB anyway).
ReportId = Annotated[str, Field(min_length=1, max_length=MAX_FILTER_CHARS, description="A report id (GET /documents lists them)")]
LanguageCode = Annotated[str, Field(description="A report language: ISO 639-1 code, e.g. fr or en",
                                    json_schema_extra={"pattern": LANGUAGE_PATTERN}),  # checked by _language_code
                         AfterValidator(_language_code)]
FilterText = Annotated[str, Field(min_length=1, max_length=MAX_FILTER_CHARS,
                                  json_schema_extra={"pattern": NOT_BLANK_PATTERN}),  # checked by _filter_text
                       AfterValidator(_filter_text)]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]

#: What each filter means (the POST body and the GET query say the same).
FILTER_DESCRIPTIONS = {
    "documents": f"Only these reports (ids, as GET /documents lists them; at most {MAX_FILTER_VALUES}). "
                 "An unknown id is refused (422).",
    "languages": f"Only reports in these languages (ISO 639-1 codes, e.g. fr, en; at most {MAX_FILTER_VALUES})",
    "year_from": "Only reports of this year or later (a report without a year is left out)",
    "year_to": "Only reports of this year or earlier (a report without a year is left out); not before year_from",
    "publishers": f"Only reports whose publisher contains one of these (case and accents ignored; at most "
                  f"{MAX_FILTER_VALUES})",
    "speakers": f"Only passages where a speaker whose name or organisation contains one of these speaks "
                f"(case and accents ignored; at most {MAX_FILTER_VALUES})",
}


def _json_integer(value):
    """A JSON body's integer as JSON Schema reads one: ``true`` and ``"5"`` are refused, not converted
    (pydantic would read them as 1 and 5); ``5.0`` is 5, ``5.5`` is refused by the int itself."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be a whole number, e.g. 5 (not a string or a boolean)")
    return value


def filter_values(kind, what: str):
    """A filter list in a JSON body (the API's, an MCP tool's): at most MAX_FILTER_VALUES values of ``kind``."""
    return Annotated[list[kind], Field(max_length=MAX_FILTER_VALUES, description=FILTER_DESCRIPTIONS[what])]


JsonYear = Annotated[Year | None, BeforeValidator(_json_integer)]


class SearchRequest(BaseModel):
    """A question to answer from the reports, and optionally which passages may answer it (every filter
    given must hold; an empty one does not restrict)."""

    question: Question
    k: Annotated[TopK, BeforeValidator(_json_integer)] = 5
    documents: filter_values(ReportId, "documents") = []
    languages: filter_values(LanguageCode, "languages") = []
    year_from: Annotated[JsonYear, Field(description=FILTER_DESCRIPTIONS["year_from"])] = None
    year_to: Annotated[JsonYear, Field(description=FILTER_DESCRIPTIONS["year_to"])] = None
    publishers: filter_values(FilterText, "publishers") = []
    speakers: filter_values(FilterText, "speakers") = []

    # An unknown field is refused (422 naming it), and the schema says so: a misspelt "top_k" is not ignored.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "who spoke about child protection", "k": 5},
                     {"question": "Qui a parlé de la protection des enfants ?", "k": 3,
                      "documents": ["idm-2018-capacity-development.fr"], "year_from": 2018, "year_to": 2019}]})

    def filters(self) -> dict:
        """The filter fields, as :func:`service.filters.search_filter` takes them."""
        return {name: getattr(self, name) for name in FILTER_DESCRIPTIONS}


class SpeakerEntry(Speaker):
    """Someone who speaks in the reports: where, and in how many passages."""

    documents: list[str] = Field(description="Ids of the reports where they speak")
    passages: int = Field(description="How many passages of those reports carry their words")

    model_config = {"json_schema_extra": {"examples": [{
        "name": "Sikander Khan", "role": "Directeur du Bureau des programmes d’urgence", "organisation": "UNICEF",
        "documents": ["idm-2018-capacity-development.fr"], "passages": 2}]}}


class HealthResponse(BaseModel):
    """Whether the service is ready, and what it serves."""

    ready: bool
    documents: int
    chunks: int
    model: str
    model_fingerprint: str
    index_version: str = Field(description="The version served")
    store: str = Field(description="What holds the index: folder (the embedded store) or postgresql")
    format_version: int = Field(description="The index folder's format, or the database's schema version")
    current_on_disk: str = Field("", description="The version `current` points at: when it differs from "
                                                 "index_version, it is loading or failed to load (see last_error)")
    state: str = Field("serving", description="serving: the newest version is served, or is being switched to; "
                       "switch_failing: it could not be switched to (see last_error), the version served stays; "
                       "unavailable: not ready (503): the index database does not answer, or the version served "
                       "is no longer in it")
    last_error: str = Field("", description="Why the newest version could not be switched to (empty when it was): "
                            "its error code (e.g. IndexProblem, DatabaseProblem); with the admin token (Authorization: "
                            "Bearer), the code and its message, which may name hosts, users and paths")
    translation: dict = Field(default_factory=dict, description="Machine translation of questions: enabled, and "
                              "its routes (\"en>fr\": a question in English also searched in French)")


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
    """Why a job failed: the HTTP status the request would have had, and the reason (for a lost job: 503, and
    that its server stopped before it finished)."""

    status: int
    detail: str


class JobOut(BaseModel):
    """A queued change of the index (upload, removal, rebuild, or the merge of segments that follows a change
    when the merge policy asks for one) and what became of it."""

    id: str
    action: Literal["upload", "remove", "rebuild", "merge"]
    report_id: str = Field("", description="The report uploaded or removed (empty for a rebuild)")
    state: Literal["queued", "running", "done", "failed", "lost"] = Field(description="lost: the server stopped "
                                                                          "(a restart, a crash) before it finished")
    created_at: float = Field(description="Unix time")
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = Field(None, description="When done: the report's id and status, the new index version, and "
                                          "`merge_job` when the change queued a merge of segments")
    error: JobError | None = Field(None, description="When failed or lost")


class JobAccepted(JobOut):
    """The job a request queued, and where to follow it (also in the Location header)."""

    url: str = Field(description="GET it for the job's state")
