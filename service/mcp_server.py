"""The MCP server (Model Context Protocol): the reports' search, speakers, list and pages as tools an assistant
calls, over stdio (``citeqa mcp``) or streamable HTTP (``/mcp`` on the API's app).

Each tool answers as the API does: its arguments are checked by the API's models (``search`` takes exactly the
body of ``POST /search``), a refusal is a tool error whose text is the API's JSON (``{"status": 422, "detail":
[...]}``, the same messages), and a search goes through :func:`service.app.search_answer`, the search of
``POST /search`` (its limiter, waiting bound, deadline and 503s).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi.exceptions import RequestValidationError
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.types import (INVALID_PARAMS, CallToolRequestParams, CallToolResult, ListToolsResult, TextContent, Tool,
                       ToolAnnotations)
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import State
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from index_build.store.base import DatabaseProblem
from service.answers import Answer, Speaker, citation_url, has_pages, page_url
from service.app import (ECHOED_INPUT_CHARS, SearchRefused, checked_filter, database_down_detail, search_answer,
                         short_errors)
from service.live import LiveIndex
from service.schemas import (FILTER_DESCRIPTIONS, MAX_FILTER_CHARS, DocumentOut, FilterText, JsonYear, LanguageCode,
                             ReportId, SearchRequest, SpeakerEntry, filter_values)
from service.search import SearchEngine
from service.settings import Settings

INSTRUCTIONS = """citeqa answers questions from a collection of migration-policy reports (French, English and Spanish) with
cited passages. Call `search` with the question as the user asked it: every passage it returns is the reports' own
text, with its report, page and exact character span; quote and cite those, and when `answerable` is false say that
the reports do not answer (`reason` says why) rather than answering from the weak passages. `documents` lists the
reports (ids for the filters), `speakers` who speaks in them, `document_page` the text of one page of a report."""

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")  # the Host names a local server is always reached by
ANY_ADDRESS = ("0.0.0.0", "::", "")  # a HOST that listens everywhere names no host


class Refusal(Exception):
    """A call the API would refuse: its HTTP status and ``detail`` (a message, or a 422's list of errors)."""

    def __init__(self, status: int, detail: str | list[dict]):
        super().__init__(detail)
        self.status, self.detail = status, detail


class SpeakersArguments(BaseModel):
    """The arguments of ``speakers``: those of ``GET /speakers``."""

    q: Annotated[str, Field(max_length=MAX_FILTER_CHARS, description="Only speakers whose name or organisation "
                            "contains this (case and accents ignored); empty: everyone", examples=["unicef"])] = ""
    documents: filter_values(ReportId, "documents") = []
    languages: filter_values(LanguageCode, "languages") = []
    year_from: Annotated[JsonYear, Field(description=FILTER_DESCRIPTIONS["year_from"])] = None
    year_to: Annotated[JsonYear, Field(description=FILTER_DESCRIPTIONS["year_to"])] = None
    publishers: filter_values(FilterText, "publishers") = []

    model_config = ConfigDict(extra="forbid")


class NoArguments(BaseModel):
    """A tool that takes no argument (any given is refused, as an unknown field of the API's bodies is)."""

    model_config = ConfigDict(extra="forbid")


class PageArguments(BaseModel):
    """The arguments of ``document_page``."""

    document_id: Annotated[ReportId, Field(description="The report's id (the `documents` tool lists them)")]
    page: Annotated[int, Field(ge=1, strict=True, description="The page, from 1 to the report's `pages`")]

    model_config = ConfigDict(extra="forbid")


class SpeakersOut(BaseModel):
    """Who speaks in the reports (the list of ``GET /speakers``)."""

    speakers: list[SpeakerEntry]


class DocumentsOut(BaseModel):
    """The reports in the index (the list of ``GET /documents``)."""

    documents: list[DocumentOut]


class PagePassage(BaseModel):
    """A passage of the page: ``report text[start:end] == text``."""

    start: int
    end: int
    text: str
    speakers: list[Speaker]
    url: str = Field(description="Where to see the passage marked, on the HTTP service")


class PageOut(BaseModel):
    """One page of a report as it is indexed: its passages, in order."""

    document_id: str
    title: str
    page: int
    pages: int = Field(description="How many pages the report has")
    url: str = Field(description="Where to see the page, its passages marked, on the HTTP service")
    passages: list[PagePassage] = Field(description="The passages that start on this page (none on a page "
                                                    "without text)")


@dataclass(frozen=True)
class ToolSpec:
    """One tool: what the assistant reads (name, title, description, argument and result schemas) and what runs."""

    name: str
    title: str
    description: str
    arguments: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Any], Awaitable[BaseModel]]

    def listed(self) -> Tool:
        return Tool(name=self.name, title=self.title, description=self.description,
                    input_schema=self.arguments.model_json_schema(),
                    output_schema=self.result.model_json_schema(mode="serialization"),
                    annotations=ToolAnnotations(title=self.title, read_only_hint=True, destructive_hint=False,
                                                idempotent_hint=True, open_world_hint=False))


class CiteqaTools:
    """The tools over a live index. ``state`` holds ``live`` and ``settings`` and keeps the search limiter: the
    app's state over HTTP (the MCP searches share the API's limiter), a state of their own over stdio.
    ``full_errors``: a database's failure is told with its message (stdio, or HTTP behind the admin token)."""

    def __init__(self, state: State, full_errors: bool):
        self.state = state
        self.full_errors = full_errors
        self.specs = {spec.name: spec for spec in (
            ToolSpec("search", "Answer a question with cited passages",
                     "Search the reports for the passages that answer a question (French, English or Spanish; a "
                     "question in one language also finds passages in the others). Returns the answer exactly as POST /search "
                     "does: `passages` best first, each with `document_id`, `title`, `page`, `start`/`end` (its "
                     "exact span in the report's text), `speakers` and `url`; `speakers` who answer; `answerable` "
                     "false with a `reason` when the reports do not answer (the passages are then only the "
                     "nearest, marked `weak`); `translations` the question as also searched. Filters restrict "
                     "which passages may answer; an unknown report id or a year range that runs backwards is "
                     "refused.", SearchRequest, Answer, self._search),
            ToolSpec("speakers", "Who speaks in the reports",
                     "Everyone whose words the reports carry (name, role, organisation), the reports where they "
                     "speak and in how many passages, by name; `q` keeps names or organisations containing it, and "
                     "the report filters keep reports as in a search.", SpeakersArguments, SpeakersOut,
                     self._speakers),
            ToolSpec("documents", "The reports in the index",
                     "Every report: id (what the `documents` filter and `document_page` take), title, language, "
                     "year, publisher, pages, passages (`chunks`) and content hash.", NoArguments, DocumentsOut,
                     self._documents),
            ToolSpec("document_page", "The text of one page of a report",
                     "The indexed text of one page of a report: its passages in order, each with its span in the "
                     "report's text, speakers and url, and the report's id, title and number of pages. Read it to "
                     "see a cited passage in its context.", PageArguments, PageOut, self._page),
        )}
        self.tools = [spec.listed() for spec in self.specs.values()]

    @property
    def live(self) -> LiveIndex:
        return self.state.live

    async def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """The tool's result as JSON (text and structured content), or a tool error whose text is the API's
        refusal (``{"status": ..., "detail": ...}``). An unknown tool is a protocol error."""
        spec = self.specs.get(name)
        if spec is None:
            raise MCPError(INVALID_PARAMS, f"Unknown tool {name[:ECHOED_INPUT_CHARS]!r}: the tools are "
                                           f"{', '.join(self.specs)}.")
        try:
            checked = spec.arguments.model_validate(arguments)
        except ValidationError as error:
            errors = [{**item, "loc": ("arguments", *item["loc"])} for item in error.errors()]  # the API says body
            return _refused(422, short_errors(errors))
        try:
            result = await spec.run(checked)
        except RequestValidationError as error:  # what a schema cannot check (checked_filter)
            return _refused(422, short_errors(error.errors()))
        except SearchRefused as refused:
            return _refused(refused.status_code, refused.detail)
        except DatabaseProblem as error:
            return _refused(503, database_down_detail(error, self.full_errors))
        except Refusal as refusal:
            return _refused(refusal.status, refusal.detail)
        return CallToolResult(content=[TextContent(text=result.model_dump_json())],
                              structured_content=result.model_dump(mode="json"))

    async def _search(self, request: SearchRequest) -> Answer:
        engine = self.live.engine()
        found = checked_filter(engine, "arguments", **request.filters())
        return await search_answer(self.state, engine, request.question, request.k, found)

    async def _speakers(self, arguments: SpeakersArguments) -> SpeakersOut:
        engine = self.live.engine()
        found = checked_filter(engine, "arguments", documents=arguments.documents, languages=arguments.languages,
                               year_from=arguments.year_from, year_to=arguments.year_to,
                               publishers=arguments.publishers)
        return SpeakersOut(speakers=await anyio.to_thread.run_sync(engine.speaker_directory.find, arguments.q, found))

    async def _documents(self, arguments: NoArguments) -> DocumentsOut:
        return DocumentsOut(documents=self.live.engine().version.documents)

    async def _page(self, arguments: PageArguments) -> PageOut:
        return await anyio.to_thread.run_sync(page_of, self.live.engine(), arguments.document_id, arguments.page)


def page_of(engine: SearchEngine, document_id: str, page: int) -> PageOut:
    """The passages of one page of a report, in order; a :class:`Refusal` for an unknown report (404) or a page
    out of its range (422)."""
    document = next((entry for entry in engine.version.documents if entry["id"] == document_id), None)
    if document is None:
        raise Refusal(404, f"No report with id {document_id[:ECHOED_INPUT_CHARS]!r} in the index: the documents "
                           "tool (GET /documents) lists the reports.")
    pages = document["pages"]
    if not 1 <= page <= pages:
        raise Refusal(422, [{"type": "page_range", "loc": ["arguments", "page"], "input": page,
                             "msg": f"page must be from 1 to {pages}: report {document_id!r} has {pages} "
                                    f"page{'' if pages == 1 else 's'}"}])
    paged = has_pages(document.get("source_file", ""))
    chunks = sorted((chunk for chunk in engine.version.iter_chunks(document_id) if chunk.page == page),
                    key=lambda chunk: (chunk.start, chunk.end))
    passages = [PagePassage(start=chunk.start, end=chunk.end, text=chunk.text, speakers=chunk.speakers,
                            url=citation_url(document_id, page, chunk.start, chunk.end, paged)) for chunk in chunks]
    if passages:
        url = citation_url(document_id, page, passages[0].start, passages[-1].end, paged)
    else:  # a page without text: the page itself (a PDF's), or the report's text
        url = page_url(document_id, page, paged)
    return PageOut(document_id=document_id, title=document["title"], page=page, pages=pages, url=url,
                   passages=passages)


def _refused(status: int, detail: str | list[dict]) -> CallToolResult:
    """A tool error carrying the API's refusal: its status and its ``detail``, as JSON."""
    text = json.dumps({"status": status, "detail": detail}, ensure_ascii=False)
    return CallToolResult(content=[TextContent(text=text)], is_error=True)


def build_server(state: State, full_errors: bool) -> Server:
    """The MCP server of the tools (:class:`CiteqaTools`), for any transport."""
    tools = CiteqaTools(state, full_errors)

    async def list_tools(context, params) -> ListToolsResult:
        return ListToolsResult(tools=tools.tools)

    async def call_tool(context, params: CallToolRequestParams) -> CallToolResult:
        return await tools.call(params.name, params.arguments or {})

    return Server("citeqa", version="0.1.0", title="citeqa: answers from reports, with cited passages",
                  instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(live: LiveIndex, settings: Settings) -> None:
    """Serve the tools over stdin and stdout until the client closes them (``citeqa mcp``)."""
    server = build_server(State({"live": live, "settings": settings}), full_errors=True)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding check of /mcp. With CITEQA_TRUSTED_HOSTS, the app's TrustedHostMiddleware already
    refuses every other Host on every path (its wildcards included), so the SDK's is off; without, the Host must be
    a loopback name or HOST (an Origin, when sent, the same or one of CITEQA_CORS_ORIGINS)."""
    if settings.trusted_hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    names = list(LOOPBACK_NAMES)
    if settings.host not in ANY_ADDRESS:
        names.append(f"[{settings.host}]" if ":" in settings.host else settings.host)
    return TransportSecuritySettings(
        allowed_hosts=[host for name in names for host in (name, f"{name}:*")],
        allowed_origins=[origin for name in names for scheme in ("http", "https")
                         for origin in (f"{scheme}://{name}", f"{scheme}://{name}:*")] + list(settings.cors_origins))


class HttpEndpoint:
    """The ASGI app at /mcp: MCP's streamable HTTP transport, stateless (each request stands alone: no session
    to keep or to exhaust, any server process answers) with JSON responses. Its session manager runs with the
    app (:meth:`running`, from the app's lifespan): a new one each time the app starts, as one runs only once."""

    path = "/mcp"

    def __init__(self, server: Server, security: TransportSecuritySettings, max_body_bytes: int):
        self.server = server
        self.security = security
        self.max_body_bytes = max_body_bytes  # a body sent without a length is cut here (RequestGuard checks lengths)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        manager = StreamableHTTPSessionManager(self.server, json_response=True, stateless=True,
                                               security_settings=self.security,
                                               max_request_body_size=self.max_body_bytes)
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("route", self)  # FastAPI names only its own routes in the scope: the metrics' route label
        if self._manager is None:
            response = JSONResponse({"detail": "The MCP endpoint is not running: it runs with the app's lifespan "
                                               "(citeqa serve)."}, status_code=503)
            await response(scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)


def http_endpoint(state: State, settings: Settings, max_body_bytes: int) -> HttpEndpoint:
    """The /mcp endpoint of an app whose state is ``state``: its searches share the API's limiter. Behind an
    admin token every /mcp request carried it (RequestGuard), so a database's failure is told in full."""
    return HttpEndpoint(build_server(state, full_errors=bool(settings.admin_token)), transport_security(settings),
                        max_body_bytes)
