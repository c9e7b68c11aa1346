"""The admin API: upload, remove and rebuild reports while the service keeps answering."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path as PathParameter, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator, WithJsonSchema

from index_build.builder import build_index
from index_build.corpus import CorpusError, slug
from index_build.store.base import IndexProblem, StoreBusy
from index_build.reading import SUPPORTED_SUFFIXES, UnreadableReport
from index_build.reports import NewReport, ReportExists, UnknownReport, add_reports, remove_report
from service.audit import AuditLog
from service.job_ledger import UPLOAD_PREFIX
from service.jobs import Job
from service.live import LiveIndex
from service.schemas import ErrorOut, JobAccepted, JobOut
from service.settings import Settings
from service.uploads import MAX_PUBLISHER_CHARS, MAX_REPORT_ID_CHARS, MAX_TITLE_CHARS, check_content, check_texts

router = APIRouter(tags=["admin"])
_log = logging.getLogger("citeqa.admin")
_CHUNK = 1 << 20
ECHOED_NAME_CHARS = 80  # of an uploaded file's name, in a refusal


THROTTLE_FAILURES = 10  # refused admin requests from one client within THROTTLE_SECONDS before its next ones get 429s
                        # (the default of CITEQA_ADMIN_THROTTLE)
THROTTLE_SECONDS = 60
MAX_TRACKED_CLIENTS = 10_000  # clients with refused admin requests remembered before old ones are forgotten

#: The admin routes, as (method, path prefix): their token is checked before their body is read.
ADMIN_ROUTES = (("POST", "/documents"), ("DELETE", "/documents/"), ("POST", "/index/"), ("GET", "/jobs/"))


def admin_refusal(token: str, authorization: str | None) -> HTTPException | None:
    """Why a request may not use the admin API (None when it may): off without a configured token, a
    missing or malformed bearer token, a wrong one (compared in constant time)."""
    if not token:
        return HTTPException(status.HTTP_403_FORBIDDEN, "The admin API is disabled: set CITEQA_ADMIN_TOKEN to enable it.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return HTTPException(status.HTTP_401_UNAUTHORIZED, "Send the admin token as 'Authorization: Bearer <token>'.",
                             headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HTTPException(status.HTTP_403_FORBIDDEN, "Wrong admin token.")
    return None


#: How the schema tells the admin routes' token (the check itself is admin_refusal's, with its own 401 and 403).
bearer = HTTPBearer(auto_error=False, scheme_name="adminToken",
                    description="CITEQA_ADMIN_TOKEN, sent as 'Authorization: Bearer <token>'")


def require_admin(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """The same check as :class:`RequestGuard`, for the routes themselves (defence in depth)."""
    refusal = admin_refusal(request.app.state.settings.admin_token, request.headers.get("authorization"))
    if refusal is not None:
        raise refusal


class RequestGuard:
    """ASGI middleware, limits before work: an admin request without the right token is refused before
    its body is read (an unauthenticated upload is never received, parsed or written anywhere), as is,
    when a token is set, a request to one of ``token_paths`` (/mcp: checked, throttled and audited alike), and a
    body whose Content-Length passes its route's limit gets a 413 that names the limit. (Bodies sent
    without a length are cut at the same limits by the routes' ``max_body_size``.)"""

    def __init__(self, app, token: str, limits: list[tuple[str, str, int, str]], audit: AuditLog | None = None,
                 throttle: int = THROTTLE_FAILURES, token_paths: tuple[str, ...] = ()):
        self.app = app
        self.token = token
        self.token_paths = token_paths  # paths (and below) that need the token when one is set, open without one
        self.throttle = throttle  # refused admin requests a client may make within THROTTLE_SECONDS
        self.limits = limits  # (method, path prefix, bytes, what to do about it)
        self.audit = audit
        self._failures: dict[str, list[float]] = {}  # client -> times of its recent refused admin requests

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                response = JSONResponse({"detail": refusal.detail}, refusal.status_code, headers=refusal.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope) -> HTTPException | None:
        method, path = scope["method"], scope["path"]
        headers = dict(scope.get("headers") or [])
        if _is_admin_route(method, path) or (self.token and (_asks_admin_view(method, path, headers)
                                                             or _under(path, self.token_paths))):
            client = _client(scope)
            refusal = admin_refusal(self.token, headers.get(b"authorization", b"").decode("latin-1"))
            if refusal is not None:  # with a token or without (the API off): the right token always passes, so an
                # admin is never locked out, and a client refused again and again writes no more log lines
                recent = [t for t in self._failures.get(client, []) if t > time.monotonic() - THROTTLE_SECONDS]
                recent.append(time.monotonic())
                self._failures[client] = recent[-(self.throttle + 1):]  # enough to tell, however fast it asks
                if len(self._failures) > MAX_TRACKED_CLIENTS:  # forget clients whose refusals are old
                    cutoff = time.monotonic() - THROTTLE_SECONDS
                    self._failures = {c: times for c, times in self._failures.items() if times[-1] > cutoff}
                if len(recent) > self.throttle:  # refused again and again: 429s, no more log lines
                    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                         f"Too many refused admin requests from {client}: wait {THROTTLE_SECONDS} s.",
                                         headers={"Retry-After": str(THROTTLE_SECONDS)})
                _log.warning("admin request refused", extra={"fields": {  # a JSON line (service.logs): the
                    "status": refusal.status_code, "method": method, "path": path, "client": client}})  # path escaped
                if self.audit is not None and self.token:
                    self.audit.record(client, f"{method} {path}", f"refused {refusal.status_code}: {refusal.detail}")
                return refusal
        length = headers.get(b"content-length", b"")
        for verb, prefix, limit, advice in self.limits:
            if method == verb and _matches(path, prefix) and length.isdigit() and int(length) > limit:
                return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                     f"The request body ({int(length):,} bytes) is larger than the {limit:,} bytes "
                                     f"{method} {prefix} accepts: {advice}.")
        return None


def _matches(path: str, prefix: str) -> bool:
    return path == prefix or (prefix.endswith("/") and path.startswith(prefix))


def _under(path: str, paths: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in paths)


def _is_admin_route(method: str, path: str) -> bool:
    return any(method == verb and _matches(path, prefix) for verb, prefix in ADMIN_ROUTES)


def _asks_admin_view(method: str, path: str, headers: dict[bytes, bytes]) -> bool:
    """GET /health with a bearer token asks for the admin's view (its errors in full): the token is checked,
    throttled and logged as an admin request's. Without one (or with another scheme) it is anyone's view."""
    scheme = headers.get(b"authorization", b"").partition(b" ")[0]
    return method == "GET" and path == "/health" and scheme.lower() == b"bearer"


def is_admin(request: Request) -> bool:
    """Whether the request carries the right admin token (never when the admin API is off)."""
    return admin_refusal(request.app.state.settings.admin_token, request.headers.get("authorization")) is None


Admin = Depends(require_admin)


def _error(description: str, **headers: str) -> dict:
    """A documented refusal: its JSON body ({"detail": why}) and the headers it always has."""
    response: dict = {"description": description, "model": ErrorOut}
    if headers:
        response["headers"] = {name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()}
    return response


#: What every admin route may answer before its own work: the token refused, or refused too often.
ADMIN_REFUSALS = {
    401: _error("No admin token (or not a bearer token)", **{"WWW-Authenticate": "The scheme to use: Bearer"}),
    403: _error("Wrong token, or the admin API is off"),
    429: _error(f"Too many refused admin requests from this client within {THROTTLE_SECONDS} s "
                f"(CITEQA_ADMIN_THROTTLE, default {THROTTLE_FAILURES}); the right token always passes",
                **{"Retry-After": "Seconds to wait"}),
}
#: What a route that queues a job may answer before its work: as every admin route, or a full queue.
QUEUE_REFUSALS = {**ADMIN_REFUSALS, 429: _error(
    f"Too many refused admin requests from this client within {THROTTLE_SECONDS} s (CITEQA_ADMIN_THROTTLE), or "
    "the job queue is full (CITEQA_MAX_QUEUED_JOBS jobs waiting); the detail says which",
    **{"Retry-After": "Seconds to wait"})}
#: The answer of a route that queues a job.
QUEUED = {"response_model": JobAccepted, "status_code": status.HTTP_202_ACCEPTED, "dependencies": [Admin]}
QUEUED_HEADERS = {"Location": {"description": "The job's URL (GET it for its state)", "schema": {"type": "string"}}}
#: Where a queued job's answer leads (an OpenAPI link: what a client, or a stateful test, does next with it).
#: A 202 says that the job is queued, not that its report exists (it does once the job is done).
FOLLOW_JOB = {"GetJob": {"operationRef": "#/paths/~1jobs~1{job_id}/get", "parameters": {"job_id": "$response.body#/id"},
                         "description": "The job's state"}}

#: A form's boolean as the server reads it: true or false, or empty (FastAPI reads any empty form field as not sent).
FORM_BOOLEAN = WithJsonSchema({"anyOf": [{"type": "boolean"}, {"const": ""}]})


def _form_boolean(value):
    """A form's boolean as the schema spells it (true or false): "1", "on" or "yes" are refused (422), not guessed."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


#: The media types of a report, by the suffix of its file name; an upload's part may name its type instead.
REPORT_MEDIA_TYPES = {".pdf": "application/pdf", ".txt": "text/plain", ".md": "text/markdown"}
#: A year of an upload's form, or nothing: empty, or "null"/"None" as some clients send a missing value.
YEAR_PATTERN = "^(|null|None|[1-9][0-9]{3})$"
#: A language of an upload's form: an ISO 639-1 code as the catalog keeps it, or empty (guessed from the text).
LANGUAGE_PATTERN = "^([a-z]{2})?$"


def _context(request: Request) -> tuple[Settings, LiveIndex]:
    return request.app.state.settings, request.app.state.live


@router.post("/documents", **QUEUED,
             summary="Add or replace a report (.pdf, .txt, .md): queued, see GET /jobs/{id}",
             description="The file's type is its name's suffix (.pdf, .txt, .md) or, when its name has none of "
                         "these, the Content-Type of its part (application/pdf, text/plain, text/markdown). "
                         "An empty file, or a .txt or .md file that is not UTF-8 or holds only blanks, is refused "
                         "at once (422); whether a PDF can be read is the job's to say (failed, 422).",
             responses={202: {"headers": QUEUED_HEADERS, "links": FOLLOW_JOB}, **QUEUE_REFUSALS,
                        400: _error("The body is not multipart/form-data"),
                        413: _error("The file is over CITEQA_MAX_UPLOAD_MB"),
                        415: _error("Not a PDF, text or Markdown file: neither by its name's suffix nor by its "
                                    "part's Content-Type")},
             # The schema says which types the file part may be sent as (multipart encoding).
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"encoding": {
                 "file": {"contentType": ", ".join(REPORT_MEDIA_TYPES.values())}}}}}})
def upload_document(
    request: Request,
    file: Annotated[UploadFile, File(description="The report: .pdf (with a text layer), .txt (UTF-8) or .md (UTF-8); "
                                                 "not empty", json_schema_extra={"minLength": 1})],
    id: Annotated[str, Form(description=f"Report id (default: from the file name; at most {MAX_REPORT_ID_CHARS} "
                                        "characters)", json_schema_extra={"maxLength": MAX_REPORT_ID_CHARS})] = "",
    replace: Annotated[bool, Form(description="Replace the report that has this id (otherwise the job fails: 409); "
                                              "true or false (empty: false)"),
                       BeforeValidator(_form_boolean), FORM_BOOLEAN] = False,
    title: Annotated[str, Form(description=f"At most {MAX_TITLE_CHARS} characters (empty: the file's own title, "
                                           "cut to that length, or its name)",
                               json_schema_extra={"maxLength": MAX_TITLE_CHARS})] = "",  # checked by check_texts
    language: Annotated[str, Form(description="ISO 639-1 code, e.g. fr or en (empty: guessed)", examples=["fr"],
                                  json_schema_extra={"pattern": LANGUAGE_PATTERN})] = "",  # checked by _form_field
    year: Annotated[str, Form(description="Year of the report, 1000 to 9999 (empty: unknown)", examples=["2025"],
                              json_schema_extra={"pattern": YEAR_PATTERN})] = "",  # checked by _year
    publisher: Annotated[str, Form(description=f"At most {MAX_PUBLISHER_CHARS} characters",
                                   json_schema_extra={"maxLength": MAX_PUBLISHER_CHARS})] = "",
) -> JSONResponse:
    settings, live = _context(request)
    check_texts({"id": id, "title": title, "publisher": publisher}, file.filename or "")
    year_of_report = _year(year)
    _form_field("language", language, LANGUAGE_PATTERN, "language must be an ISO 639-1 code like fr or en, or empty")
    report_id = slug(id or Path(file.filename or "report").stem)  # the file name is never used as a path
    suffix = _report_suffix(file)
    jobs = request.app.state.jobs
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    try:
        if suffix is None:
            named = Path(file.filename or "").suffix.lower() or "(none)"
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                                f"Unsupported file type {named} ({file.content_type or 'no Content-Type'}): upload a "
                                f"{', '.join(SUPPORTED_SUFFIXES)} file, or send its part as "
                                f"{', '.join(REPORT_MEDIA_TYPES.values())}.")
        path = folder / f"upload{suffix}"
        jobs.room()  # a full queue refuses before the file is written
        sha256 = _save_limited(file, path, int(settings.max_upload_mb * (1 << 20)))
        check_content(path, Path(file.filename or path.name).name[:ECHOED_NAME_CHARS])
    except (HTTPException, RequestValidationError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        refused = (f"{error.status_code}: {error.detail}" if isinstance(error, HTTPException)
                   else f"422: {error.errors()[0]['msg']}")
        _audit(request, "upload", f"refused {refused}", report_id)
        raise
    report = NewReport(path, report_id, title, language, year_of_report, publisher, replace)

    def work() -> dict:
        try:
            summary = add_reports(live.store, live.embedder, [report], show_progress=False, translator="shared" if settings.translation else None)
        except ReportExists as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        except StoreBusy:  # the job queue answers it (503) as for every job
            raise
        except (UnreadableReport, CorpusError, IndexProblem, ValueError) as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        live.refresh()
        merge = _queue_merge(request)
        documents = {doc["id"]: doc for doc in live.engine().version.documents}
        state = "added" if report_id in summary.added else "replaced" if report_id in summary.replaced else "unchanged"
        return {"id": report_id, "status": state, "chunks": documents.get(report_id, {}).get("chunks", 0),
                "index_version": summary.version, "summary": summary.line(), **merge}

    def finished(job: Job) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        _audit_job(request, job, sha256)

    try:
        return _accepted(jobs.submit("upload", work, report_id, finished, folder=str(folder)))
    except HTTPException as error:  # the queue filled meanwhile
        shutil.rmtree(folder, ignore_errors=True)
        _audit(request, "upload", f"refused {error.status_code}: {error.detail}", report_id)
        raise


@router.delete("/documents/{document_id}", **QUEUED, summary="Remove a report: queued, see GET /jobs/{id}",
               responses={202: {"headers": QUEUED_HEADERS, "links": FOLLOW_JOB}, **QUEUE_REFUSALS,
                          404: _error("No report with this id")})
def delete_document(request: Request, document_id: Annotated[str, PathParameter(min_length=1)]) -> JSONResponse:
    settings, live = _context(request)
    if document_id not in {report.id for report in live.store.catalog.reports()}:
        _audit(request, "remove", "refused 404: unknown report", document_id)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report with id {document_id!r}; GET /documents lists them")

    def work() -> dict:
        try:
            summary = remove_report(live.store, live.embedder, document_id, translator="shared" if settings.translation else None)
        except UnknownReport as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, error.args[0]) from error
        live.refresh()
        merge = _queue_merge(request)
        return {"id": document_id, "status": "removed", "index_version": summary.version, "summary": summary.line(),
                **merge}

    return _accepted(request.app.state.jobs.submit("remove", work, document_id,
                                                   lambda job: _audit_job(request, job)))


@router.post("/index/rebuild", **QUEUED, summary="Rebuild the whole index from the corpus: queued, see GET /jobs/{id}",
             responses={202: {"headers": QUEUED_HEADERS, "links": FOLLOW_JOB}, **QUEUE_REFUSALS})
def rebuild(request: Request) -> JSONResponse:
    settings, live = _context(request)

    def work() -> dict:
        summary = build_index(live.store, live.embedder, show_progress=False, reuse=False, translator="shared" if settings.translation else None)
        live.refresh()
        return {"status": "rebuilt", "index_version": summary.version, "summary": summary.line(),
                **_queue_merge(request)}

    return _accepted(request.app.state.jobs.submit("rebuild", work, finished=lambda job: _audit_job(request, job)))


def _queue_merge(request: Request) -> dict:
    """After a change, the merge the policy asks for, as a job of its own: the change is served already,
    and questions are answered while the merge runs. Returns ``{"merge_job": id}`` when one is queued."""
    settings, live = _context(request)
    if not live.store.needs_maintenance(live.engine().version):
        return {}

    def work() -> dict:
        maintained = live.store.maintain()
        live.refresh()
        return {"status": "merged" if maintained.done else "nothing to merge",
                "index_version": live.engine().version.version, "summary": maintained.line}

    job = request.app.state.jobs.submit("merge", work, finished=lambda job: _audit_job(request, job))
    return {"merge_job": job.id}


@router.get("/jobs/{job_id}", response_model=JobOut, dependencies=[Admin], summary="The state of a queued admin job",
            responses={**ADMIN_REFUSALS, 404: _error("No such job (or forgotten: the last 500 are kept)")})
def job_state(request: Request, job_id: Annotated[str, PathParameter(min_length=1)]) -> dict:
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    return job.to_dict()


def _year(text: str) -> int | None:
    """A form's year (:data:`YEAR_PATTERN`, as the schema says): empty (or "null", as some clients send a
    missing value) is unknown."""
    _form_field("year", text, YEAR_PATTERN, "year must be a year like 2025, or empty when unknown")
    return int(text) if text.isdigit() else None


def _form_field(name: str, text: str, pattern: str, message: str) -> None:
    """Refuse a form field that does not match the pattern its schema gives: a 422 like pydantic's, with a
    message that says what to send (pydantic's would only quote the pattern)."""
    if re.fullmatch(pattern, text) is None:
        raise RequestValidationError([{"type": "string_pattern_mismatch", "loc": ("body", name), "input": text,
                                       "msg": message}])


def _report_suffix(file: UploadFile) -> str | None:
    """The suffix a report is read by: its name's when that is one of .pdf, .txt, .md, else the one of
    its part's Content-Type (what a client sends for a name without a suffix); None when neither says."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return suffix
    media_type = (file.content_type or "").partition(";")[0].strip().lower()
    return next((known for known, media in REPORT_MEDIA_TYPES.items() if media == media_type), None)


def _accepted(job: Job) -> JSONResponse:
    """202 with the job and where to follow it."""
    return JSONResponse({**job.to_dict(), "url": f"/jobs/{job.id}"}, status.HTTP_202_ACCEPTED,
                        headers={"Location": f"/jobs/{job.id}"})


def _audit_job(request: Request, job: Job, sha256: str = "") -> None:
    """The audit line of a finished job."""
    if job.state == "done":
        outcome = f"{(job.result or {}).get('status', 'done')}, index version {(job.result or {}).get('index_version', '')}"
    else:
        outcome = f"refused {job.error['status']}: {str(job.error['detail'])[:200]}"
    _audit(request, job.action, outcome, job.report_id, sha256)


def _audit(request: Request, action: str, result: str, report_id: str = "", sha256: str = "") -> None:
    request.app.state.audit.record(_client(request.scope), action, result, report_id, sha256)


def _client(scope) -> str:
    return (scope.get("client") or ("?", 0))[0]


def _save_limited(upload: UploadFile, path: Path, limit: int) -> str:
    """Copy an upload to disk, refusing it with 413 as soon as it passes the size limit; its sha256."""
    size = 0
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        while block := upload.file.read(_CHUNK):
            size += len(block)
            if size > limit:
                raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                    f"The file is larger than {limit / (1 << 20):.0f} MB (CITEQA_MAX_UPLOAD_MB).")
            digest.update(block)
            out.write(block)
    return digest.hexdigest()
