"""The answer to a question, in one set of models: the engine builds them (``service.search``), the API
returns them as they are (its ``response_model``), the eval and the command line read them
(``answer.model_dump()`` gives the API's JSON as plain dicts, field for field and in the same order).

The engine builds about ten of these per answer; FastAPI passes an instance of its response model through
without validating it again.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel, Field

__all__ = ["Answer", "Highlight", "Passage", "Speaker", "SpeakerAnswer", "citation_url", "has_pages", "page_url"]

#: Report files whose pages can be shown as printed (the page view); the others are shown as indexed text.
PAGED_SUFFIXES = (".pdf",)


def has_pages(source_file: str) -> bool:
    """Whether a report's file has printed pages the page view can show (a PDF)."""
    return source_file.lower().endswith(PAGED_SUFFIXES)


def page_url(document_id: str, page: int, paged: bool) -> str:
    """Where a reader sees a page of a report: the page as printed (``paged``: a PDF report), else the report's
    indexed text; a path on this service."""
    report = quote(document_id, safe="")
    return f"/documents/{report}/pages/{page}" if paged else f"/documents/{report}/view"


def citation_url(document_id: str, page: int, start: int, end: int, paged: bool) -> str:
    """Where a reader sees a passage marked: :func:`page_url` with the passage's span."""
    return f"{page_url(document_id, page, paged)}?start={start}&end={end}" + ("" if paged else "#cited")


class Speaker(BaseModel):
    """A person (or body) whose words a passage carries."""

    name: str
    role: str = ""
    organisation: str = ""


class SpeakerAnswer(Speaker):
    """A person or body who answers the question, the ranks of the passages that carry their words and the
    reports those passages come from."""

    passages: list[int]
    documents: list[str] = Field(default_factory=list, description="Ids of the reports where they say it")


class Highlight(BaseModel):
    """The sentence of the passage that best answers the question (offsets into the document text)."""

    start: int
    end: int
    text: str


class Passage(BaseModel):
    """A cited passage: ``document text[start:end] == text``, on ``page`` of the report."""

    rank: int
    score: float
    text: str
    document_id: str
    title: str
    page: int
    start: int
    end: int
    speakers: list[Speaker]
    highlight: Highlight | None = Field(None, description="The best sentence of the passage for this question")
    weak: bool = Field(False, description="True when the reports do not answer the question: the passage is only the nearest")
    url: str = Field("", description="Where to see the passage marked, on this service: its page as printed for a "
                                     "PDF report (/documents/{id}/pages/{page}), else the report's text")


class Answer(BaseModel):
    """The passages that answer the question, best first, and the people who said it."""

    question: str
    answerable: bool = Field(description="False when nothing in the reports answers the question (or the filter "
                                         "keeps no passage: see reason)")
    reason: str = Field("", description="Why the service abstained (empty when answerable)")
    speakers: list[SpeakerAnswer] = Field(description="Who answers the question, best first")
    passages: list[Passage]
    translations: dict[str, str] = Field(default_factory=dict, description="The question as it was also searched, "
                                         "machine-translated into the reports' other languages (language -> text); "
                                         "citations always come from the reports' original text")
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
            "url": "/documents/idm-2018-capacity-development.fr/view?start=14542&end=15080#cited",
        }],
        "took_ms": 21.4,
        "index_version": "20261127T003326776878Z",
    }]}}
