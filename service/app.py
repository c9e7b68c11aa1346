"""The HTTP API: thin routes over the search engine."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated

import anyio
import anyio.to_thread

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi_offline import FastAPIOffline
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from index_build.store.base import DatabaseProblem, SearchFilter, deadline
from service.admin import ADMIN_REFUSALS, RequestGuard, is_admin, router as admin_router
from service.answers import Answer
from service.audit import AuditLog
from service.export import ExportFormat, render
from service.filters import FilterProblem, search_filter
from service.jobs import JobQueue
from service.live import LiveIndex
from service.metrics import Metrics, MetricsMiddleware
from service.request_log import RequestLog
from service.schemas import (FILTER_DESCRIPTIONS, MAX_FILTER_CHARS, MAX_FILTER_VALUES, MAX_QUESTION_CHARS, DocumentOut,
                             ErrorOut, FilterText, HealthResponse, LanguageCode, Question, ReportId, SearchRequest,
                             SpeakerEntry, TopK, Year)
from service.search import SearchEngine
from service.settings import Settings
from service.page_view import router as page_router
from service.web import SecurityHeaders, router as web_router

DESCRIPTION = """Ask the reports a question, in French, English or Spanish, and get back the
passages that answer it: each with its report, page and exact character span, and the people who said it."""


MAX_REQUEST_BYTES = 64 * 1024  # any request body but an upload: a question is at most 2,000 characters
UPLOAD_OVERHEAD_BYTES = 64 * 1024  # the multipart envelope and form fields around an uploaded file
ECHOED_INPUT_CHARS = 80
RETRY_AFTER_SECONDS = 2  # a 503's advice while the index database does not answer  # a 422 shows at most this much of the input it refuses


async def get_engine(request: Request) -> SearchEngine:
    """The engine of the index version current when the request starts (it finishes on it); async, so that
    it runs on the event loop rather than costing a hop to the thread pool."""
    return request.app.state.live.engine()


class SearchRefused(Exception):
    """A search not run now: the status, message and headers of its refusal (a 503 with Retry-After)."""

    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status_code, self.detail, self.headers = status_code, detail, headers or {}


async def search_answer(state: State, engine: SearchEngine, question: str, k: int, found: SearchFilter) -> Answer:
    """The search of the API and of the MCP tool, run in the thread pool, at most ``CITEQA_SEARCH_CONCURRENCY``
    at a time and first come first served (anyio's limiter is a FIFO): a request waits its turn rather than
    sharing the cores with every other. ``state`` (an app's) holds ``live``, ``settings`` and the limiter.
    Raises :class:`SearchRefused` when the index cannot answer or too many searches wait, and
    :class:`DatabaseProblem` when the database fails during the search (or past ``CITEQA_SEARCH_TIMEOUT``)."""
    problem = state.live.problem()
    if problem:  # the database is down, or the version served was dropped: a 503 to retry, not empty passages
        raise SearchRefused(503, f"The index cannot answer now ({problem}); try again shortly.",
                            {"Retry-After": str(RETRY_AFTER_SECONDS)})
    if getattr(state, "search_limiter", None) is None:  # made on the event loop, at the first search
        state.search_limiter = anyio.CapacityLimiter(state.settings.search_concurrency)
    limiter = state.search_limiter
    if (limiter.borrowed_tokens >= limiter.total_tokens
            and limiter.statistics().tasks_waiting >= state.settings.max_waiting_searches):
        raise SearchRefused(503, f"{state.settings.max_waiting_searches} searches are already waiting "
                                 "(CITEQA_MAX_WAITING_SEARCHES); try again shortly.",
                            {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return await anyio.to_thread.run_sync(partial(_search_in_time, engine, question, k, found,
                                                  state.settings.search_timeout), limiter=limiter)


async def answered(request: Request, engine: SearchEngine, question: str, k: int, found: SearchFilter) -> Response:
    """A search route's answer (:func:`search_answer`), or its refusal as JSON."""
    try:
        return answer_response(await search_answer(request.app.state, engine, question, k, found))
    except SearchRefused as refused:
        return refusal_response(refused)


def refusal_response(refused: SearchRefused) -> JSONResponse:
    """A search not run now, as the API says it: its status, ``{"detail": ...}`` and headers."""
    return JSONResponse({"detail": refused.detail}, status_code=refused.status_code, headers=refused.headers)


def _search_in_time(engine: SearchEngine, question: str, k: int, found: SearchFilter, seconds: float) -> Answer:
    """The search, its queries to the index database given ``seconds`` in all from when it starts."""
    with deadline(seconds):
        return engine.search(question, k, search_filter=found)


def answer_response(answer: Answer) -> Response:
    """The answer as JSON, serialised once by pydantic-core: the model is already typed and checked, so
    FastAPI's second validation and ``jsonable_encoder`` pass are skipped (``response_model`` still documents it)."""
    return Response(answer.model_dump_json(), media_type="application/json")


Engine = Annotated[SearchEngine, Depends(get_engine)]


def _query_list(kind, what: str):
    """A filter of the query string, repeated for each value (``?documents=a&documents=b``)."""
    return Annotated[list[kind], Query(max_length=MAX_FILTER_VALUES, description=FILTER_DESCRIPTIONS[what])]


DocumentsQuery = _query_list(ReportId, "documents")
LanguagesQuery = _query_list(LanguageCode, "languages")
PublishersQuery = _query_list(FilterText, "publishers")
SpeakersQuery = _query_list(FilterText, "speakers")
YearFromQuery = Annotated[Year | None, Query(description=FILTER_DESCRIPTIONS["year_from"])]
YearToQuery = Annotated[Year | None, Query(description=FILTER_DESCRIPTIONS["year_to"])]


@dataclass(frozen=True)
class SearchQuery:
    """The query of ``GET /search`` and ``GET /search/export``: the question, k and the filters (as
    :func:`checked_filter` takes them)."""

    question: str
    k: int
    filters: dict


async def search_query(
    q: Annotated[Question, Query(description=f"The question (1 to {MAX_QUESTION_CHARS} characters)",
                                 examples=["who spoke about child protection"])],
    k: Annotated[TopK, Query()] = 5,
    documents: DocumentsQuery = [],
    languages: LanguagesQuery = [],
    year_from: YearFromQuery = None,
    year_to: YearToQuery = None,
    publishers: PublishersQuery = [],
    speakers: SpeakersQuery = [],
) -> SearchQuery:
    """The GET search parameters, declared once for every route that takes them."""
    return SearchQuery(q, k, {"documents": documents, "languages": languages, "year_from": year_from,
                              "year_to": year_to, "publishers": publishers, "speakers": speakers})


SearchQueryParams = Annotated[SearchQuery, Depends(search_query)]
ExportFormatQuery = Annotated[ExportFormat, Query(description="markdown (text/markdown) or csv (text/csv); "
                                                              "docs/export.md describes both")]


def checked_filter(engine: SearchEngine, where: str, **filters) -> SearchFilter:
    """The request's filters over the engine's index version, or a 422 like pydantic's (``loc`` naming
    the field in ``where``, ``body`` or ``query``) for what a schema cannot check: unknown report ids, a
    year range that runs backwards."""
    try:
        return search_filter((doc["id"] for doc in engine.version.documents), **filters)
    except FilterProblem as problem:
        raise RequestValidationError([{"type": kind, "loc": (where, field), "msg": message, "input": refused}
                                      for field, kind, message, refused in problem.problems]) from None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """What runs while the app serves: the session manager of its /mcp endpoint."""
    async with app.state.mcp.running():
        yield


def create_app(live: LiveIndex, settings: Settings) -> FastAPI:
    """The FastAPI app serving the live index."""
    app = FastAPIOffline(title="citeqa", version="0.1.0", description=DESCRIPTION,  # /docs from local files
                         lifespan=_lifespan)
    app.state.live = live
    app.state.settings = settings
    app.state.audit = AuditLog(settings.audit_log)
    app.state.metrics = Metrics()
    app.state.jobs = JobQueue(settings.max_queued_jobs, settings.jobs_state_dir)  # bounded, kept across restarts
    upload_bytes = int(settings.max_upload_mb * (1 << 20)) + UPLOAD_OVERHEAD_BYTES
    if settings.admin_token:  # without a token the admin routes do not exist (RequestGuard says it is off)
        app.include_router(admin_router, max_body_size=upload_bytes)
    app.include_router(web_router)
    app.include_router(page_router)
    from service.mcp_server import http_endpoint  # it imports this module: its tools answer as the routes do

    app.state.mcp = http_endpoint(app.state, settings, MAX_REQUEST_BYTES)  # the assistants' tools (docs/mcp.md)
    app.add_route(app.state.mcp.path, app.state.mcp, include_in_schema=False)
    app.add_middleware(RequestGuard, token=settings.admin_token, audit=app.state.audit,
                       throttle=settings.admin_throttle, token_paths=("/mcp",), limits=[
        ("POST", "/search", MAX_REQUEST_BYTES, "ask a question of at most 2,000 characters"),
        ("POST", "/documents", upload_bytes, "upload a report under CITEQA_MAX_UPLOAD_MB"),
        ("POST", "/mcp", MAX_REQUEST_BYTES, "call a tool with a question of at most 2,000 characters"),
    ])
    if settings.cors_origins:  # closed unless origins are named
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"])
    if settings.trusted_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # refusals are counted too
    app.add_middleware(RequestLog)
    app.add_middleware(SecurityHeaders)  # outermost: refusals of RequestGuard get the headers too
    app.add_exception_handler(RequestValidationError, _short_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DatabaseProblem, _database_down)

    @app.post("/search", response_model=Answer, summary="Answer a question with cited passages",
              max_body_size=MAX_REQUEST_BYTES,
              responses={400: {"description": "The body is not UTF-8", "model": ErrorOut},
                         413: {"description": "The body is over 64 KB", "model": ErrorOut}})
    async def search_post(request: Request, body: SearchRequest, engine: Engine) -> Response:
        found = checked_filter(engine, "body", **body.filters())
        return await answered(request, engine, body.question, body.k, found)

    @app.get("/search", response_model=Answer, summary="Answer a question with cited passages (GET)")
    async def search_get(request: Request, engine: Engine, asked: SearchQueryParams) -> Response:
        found = checked_filter(engine, "query", **asked.filters)
        return await answered(request, engine, asked.question, asked.k, found)

    @app.get("/search/export", summary="The answer as a file: Markdown or CSV, each passage with its citation and link",
             response_class=Response, responses={200: {
                 "description": "The answer of GET /search with the same query, as an attachment (citeqa-answer.md or "
                                "citeqa-answer.csv, UTF-8); its links are absolute, from this request's address",
                 "content": {"text/markdown": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}},
                 "headers": {"Content-Disposition": {"description": "attachment; filename=\"citeqa-answer.md\" (or .csv)",
                                                     "schema": {"type": "string"}}}}})
    async def search_export(request: Request, engine: Engine, asked: SearchQueryParams,
                            format: ExportFormatQuery) -> Response:
        found = checked_filter(engine, "query", **asked.filters)
        try:
            answer = await search_answer(request.app.state, engine, asked.question, asked.k, found)
        except SearchRefused as refused:
            return refusal_response(refused)
        return Response(render(answer, format, str(request.base_url)), media_type=format.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{format.file_name}"'})

    @app.get("/speakers", response_model=list[SpeakerEntry], summary="Who speaks in the reports, where, how often")
    def speakers_directory(
        engine: Engine,
        q: Annotated[str, Query(max_length=MAX_FILTER_CHARS, description="Only speakers whose name or organisation "
                                "contains this (case and accents ignored)", examples=["unicef"])] = "",
        documents: DocumentsQuery = [],
        languages: LanguagesQuery = [],
        year_from: YearFromQuery = None,
        year_to: YearToQuery = None,
        publishers: PublishersQuery = [],
    ) -> list[dict]:
        """Everyone whose words the reports carry (name, role, organisation), the reports where they speak
        and how many passages there, by name; the report filters restrict both."""
        found = checked_filter(engine, "query", documents=documents, languages=languages, year_from=year_from,
                               year_to=year_to, publishers=publishers)
        return engine.speaker_directory.find(q, found)

    @app.get("/health", response_model=HealthResponse, summary="Readiness and what is served",
             description="Anyone gets the state and, when the newest version could not be switched to, an error "
                         "code; a client that sends the admin token (Authorization: Bearer) gets the error's message "
                         "too (a wrong token is refused, throttled and logged as on the admin API).",
             responses={503: {"description": "Not ready: the index database does not answer, or no longer holds the "
                                             "version served (state unavailable)", "model": HealthResponse},
                        **({code: ADMIN_REFUSALS[code] for code in (401, 403, 429)} if settings.admin_token else {})})
    def health(request: Request, engine: Engine) -> dict | JSONResponse:
        manifest = engine.version.manifest
        live = request.app.state.live
        problem = live.problem()
        last_error = f"DatabaseProblem: {problem}" if problem else live.last_error
        found = {"ready": not problem, "documents": manifest["counts"]["documents"],
                 "chunks": manifest["counts"]["chunks"],
                 "model": manifest["model"]["name"], "model_fingerprint": manifest["model"]["fingerprint"],
                 "index_version": manifest["version"], "store": manifest.get("store", "folder"),
                 "format_version": manifest["format_version"], "current_on_disk": live.current_on_disk,
                 "state": "unavailable" if problem else "switch_failing" if last_error else "serving",
                 "last_error": last_error if is_admin(request) else error_code(last_error),
                 "translation": engine.translation_status()}
        if problem:
            return JSONResponse(found, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return found

    @app.get("/metrics", summary="Prometheus metrics: requests and latency by route and status, the index served",
             response_class=PlainTextResponse)
    def metrics(request: Request) -> PlainTextResponse:
        body, content_type = request.app.state.metrics.exposition(request.app.state.live)
        return PlainTextResponse(body, media_type=content_type)

    @app.get("/documents", response_model=list[DocumentOut], summary="The reports in the index",
             responses={200: {"links": {"DeleteDocument": {  # the admin route, when there is one
                 "operationRef": "#/paths/~1documents~1{document_id}/delete",
                 "parameters": {"document_id": "$response.body#/0/id"}, "description": "Remove the first report"}}}}
             if settings.admin_token else None)
    def documents(engine: Engine) -> list[dict]:
        return engine.version.documents

    @app.get("/documents/{document_id}", response_model=DocumentOut, summary="One report in the index",
             responses={404: {"description": "No report has this id", "model": ErrorOut}})
    def document(engine: Engine, document_id: Annotated[str, Path(min_length=1, description="The report's id")]) -> dict:
        for entry in engine.version.documents:
            if entry["id"] == document_id:
                return entry
        raise StarletteHTTPException(404, f"No report with id {document_id[:ECHOED_INPUT_CHARS]!r} in the index: "
                                          "GET /documents lists the reports.")

    return app


def error_code(last_error: str) -> str:
    """The code of a switch's error (``"IndexProblem: …"`` gives ``IndexProblem``), for anyone to see: its
    message, which may name database hosts, users and file paths, is the admin's."""
    found = re.match(r"[A-Za-z_][A-Za-z0-9_]*(?=:)", last_error)
    return found.group(0) if found else ("error" if last_error else "")


async def _short_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """A 422 that says which field is wrong and why, echoing at most a short prefix of the input."""
    return JSONResponse({"detail": short_errors(error.errors())}, status_code=422)


def short_errors(errors) -> list[dict]:
    """A 422's ``detail``: pydantic's errors (at most 10), each with its field, type and message, and at most a
    short prefix of the input (the API's and the MCP tools' refusals)."""
    details = []
    for item in errors[:10]:
        item = {key: value for key, value in item.items() if key not in ("ctx", "url")}
        if "input" in item:
            shown = item["input"] if isinstance(item["input"], (int, float, bool)) or item["input"] is None else str(item["input"])
            if isinstance(shown, str) and len(shown) > ECHOED_INPUT_CHARS:
                shown = shown[:ECHOED_INPUT_CHARS] + f"… ({len(str(item['input']))} characters)"
            item["input"] = shown
        details.append(_encodable(item))
    return details


def _encodable(value):
    """``value`` with every string UTF-8 encodable: a lone surrogate the input (or a field name) carried,
    which UTF-8 cannot spell, is shown escaped (``\\ud800``) rather than failing the response."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(item) for item in value]
    return value


async def _database_down(request: Request, error: DatabaseProblem) -> JSONResponse:
    """The database did not answer (down, restarting, a query over its time limit): a 503 to try again, not a
    500; the server answers again as soon as the database does, without a restart. Only a client with the admin
    token is told why (the message may name the database's host)."""
    return JSONResponse({"detail": database_down_detail(error, is_admin(request))},
                        status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def database_down_detail(error: DatabaseProblem, with_reason: bool) -> str:
    """What a 503 says when the database did not answer; its reason only ``with_reason`` (an admin's)."""
    reason = f" ({error})" if with_reason else ""
    return f"The index database is not answering now{reason}; try again shortly."


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """HTTP errors as JSON; a body over the limit says which limit."""
    detail = error.detail
    if error.status_code == 413 and detail == "Content Too Large":  # a body sent without a length, cut in flight
        detail = (f"The request body is too large: at most {MAX_REQUEST_BYTES // 1024} KB for a question, "
                  "CITEQA_MAX_UPLOAD_MB for an upload.")
    headers = dict(getattr(error, "headers", None) or {})
    if error.status_code == 405:  # every method the path has (Starlette names only its first route's)
        headers["Allow"] = ", ".join(_documented_methods(request.app, request.url.path)) or headers.get("Allow", "")
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=headers or None)


def _documented_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI schema gives for a concrete path (its templates matched segment by segment)."""
    found = set()
    for template, operations in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            found |= {method.upper() for method in operations}
    return sorted(found)
