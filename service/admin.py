"""The admin API: upload, remove and rebuild reports while the service keeps answering."""

from __future__ import annotations

import hashlib
import hmac
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Request, UploadFile, status
from fastapi.responses import JSONResponse

from index_build.builder import build_index
from index_build.corpus import CorpusError, load_catalog, slug
from index_build.index_store import IndexProblem
from index_build.reading import SUPPORTED_SUFFIXES, UnreadableReport
from index_build.reports import NewReport, ReportExists, UnknownReport, add_reports, remove_report
from service.audit import AuditLog
from service.jobs import Job
from service.live import LiveIndex
from service.settings import Settings

router = APIRouter(tags=["admin"])
_log = logging.getLogger("citeqa.admin")
_CHUNK = 1 << 20


THROTTLE_FAILURES = 10  # refused admin requests from one client within THROTTLE_SECONDS before its next ones get 429s
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


def require_admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """The same check as :class:`RequestGuard`, for the routes themselves (defence in depth)."""
    refusal = admin_refusal(request.app.state.settings.admin_token, authorization)
    if refusal is not None:
        raise refusal


class RequestGuard:
    """ASGI middleware, limits before work: an admin request without the right token is refused before
    its body is read (an unauthenticated upload is never received, parsed or written anywhere), and a
    body whose Content-Length passes its route's limit gets a 413 that names the limit. (Bodies sent
    without a length are cut at the same limits by the routes' ``max_body_size``.)"""

    def __init__(self, app, token: str, limits: list[tuple[str, str, int, str]], audit: AuditLog | None = None):
        self.app = app
        self.token = token
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
        if _is_admin_route(method, path):
            client = _client(scope)
            refusal = admin_refusal(self.token, headers.get(b"authorization", b"").decode("latin-1"))
            if refusal is not None and self.token:  # the right token always passes: an admin is never locked out
                recent = [t for t in self._failures.get(client, []) if t > time.monotonic() - THROTTLE_SECONDS]
                recent.append(time.monotonic())
                self._failures[client] = recent
                if len(self._failures) > MAX_TRACKED_CLIENTS:  # forget clients whose refusals are old
                    cutoff = time.monotonic() - THROTTLE_SECONDS
                    self._failures = {c: times for c, times in self._failures.items() if times[-1] > cutoff}
                if len(recent) > THROTTLE_FAILURES:  # refused again and again: 429s, no more log lines
                    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                         f"Too many refused admin requests from {client}: wait {THROTTLE_SECONDS} s.",
                                         headers={"Retry-After": str(THROTTLE_SECONDS)})
            if refusal is not None:
                _log.warning("admin request refused (%s): %s %s from %s", refusal.status_code, method, path,
                             _client(scope))
                if self.audit is not None and self.token:
                    self.audit.record(_client(scope), f"{method} {path}", f"refused {refusal.status_code}: "
                                      f"{refusal.detail}")
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


def _is_admin_route(method: str, path: str) -> bool:
    return any(method == verb and _matches(path, prefix) for verb, prefix in ADMIN_ROUTES)


Admin = Depends(require_admin)


def _context(request: Request) -> tuple[Settings, LiveIndex]:
    return request.app.state.settings, request.app.state.live


@router.post("/documents", status_code=status.HTTP_202_ACCEPTED, dependencies=[Admin],
             summary="Add or replace a report (.pdf, .txt, .md): queued, see GET /jobs/{id}",
             responses={401: {"description": "No admin token"}, 403: {"description": "Wrong token, or the admin API is off"},
                        413: {"description": "The file is over CITEQA_MAX_UPLOAD_MB"},
                        415: {"description": "Not a .pdf, .txt or .md file"},
                        422: {"description": "A form field is malformed (e.g. the year)"}})
def upload_document(
    request: Request,
    file: Annotated[UploadFile, File(description="The report: .pdf (with a text layer), .txt or .md")],
    id: Annotated[str, Form(description="Report id (default: from the file name)")] = "",
    replace: Annotated[bool, Form(description="Replace the report that has this id (otherwise the job fails: 409)")] = False,
    title: Annotated[str, Form()] = "",
    language: Annotated[str, Form(description="ISO 639-1 code, e.g. fr or en (default: guessed)")] = "",
    year: Annotated[str, Form(description="Year of the report, e.g. 2025 (empty: unknown)", examples=["2025"])] = "",
    publisher: Annotated[str, Form()] = "",
) -> JSONResponse:
    settings, live = _context(request)
    year_of_report = _year(year)
    report_id = slug(id or Path(file.filename or "report").stem)  # the file name is never used as a path
    suffix = Path(file.filename or "").suffix.lower()
    folder = Path(tempfile.mkdtemp(prefix="citeqa-upload-"))
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                                f"Unsupported file type {suffix or '(none)'}: upload a {', '.join(SUPPORTED_SUFFIXES)} file.")
        path = folder / f"upload{suffix}"
        sha256 = _save_limited(file, path, int(settings.max_upload_mb * (1 << 20)))
    except HTTPException as error:
        shutil.rmtree(folder, ignore_errors=True)
        _audit(request, "upload", f"refused {error.status_code}: {error.detail}", report_id)
        raise
    report = NewReport(path, report_id, title, language, year_of_report, publisher, replace)

    def work() -> dict:
        try:
            summary = add_reports(settings.corpus_dir, settings.index_dir, live.embedder, [report], show_progress=False)
        except ReportExists as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        except (UnreadableReport, CorpusError, IndexProblem, ValueError) as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        live.refresh()
        documents = {doc["id"]: doc for doc in live.engine().version.documents}
        state = "added" if report_id in summary.added else "replaced" if report_id in summary.replaced else "unchanged"
        return {"id": report_id, "status": state, "chunks": documents.get(report_id, {}).get("chunks", 0),
                "index_version": summary.version, "summary": summary.line()}

    def finished(job: Job) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        _audit_job(request, job, sha256)

    return _accepted(request.app.state.jobs.submit("upload", work, report_id, finished))


@router.delete("/documents/{document_id}", status_code=status.HTTP_202_ACCEPTED, dependencies=[Admin],
               summary="Remove a report: queued, see GET /jobs/{id}",
               responses={404: {"description": "No report with this id"}})
def delete_document(request: Request, document_id: str) -> JSONResponse:
    settings, live = _context(request)
    if document_id not in {report.id for report in load_catalog(settings.corpus_dir)}:
        _audit(request, "remove", "refused 404: unknown report", document_id)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report with id {document_id!r}; GET /documents lists them")

    def work() -> dict:
        try:
            summary = remove_report(settings.corpus_dir, settings.index_dir, live.embedder, document_id)
        except UnknownReport as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, error.args[0]) from error
        live.refresh()
        return {"id": document_id, "status": "removed", "index_version": summary.version, "summary": summary.line()}

    return _accepted(request.app.state.jobs.submit("remove", work, document_id,
                                                   lambda job: _audit_job(request, job)))


@router.post("/index/rebuild", status_code=status.HTTP_202_ACCEPTED, dependencies=[Admin],
             summary="Rebuild the whole index from the corpus: queued, see GET /jobs/{id}")
def rebuild(request: Request) -> JSONResponse:
    settings, live = _context(request)

    def work() -> dict:
        summary = build_index(settings.corpus_dir, settings.index_dir, live.embedder, show_progress=False, reuse=False)
        live.refresh()
        return {"status": "rebuilt", "index_version": summary.version, "summary": summary.line()}

    return _accepted(request.app.state.jobs.submit("rebuild", work, finished=lambda job: _audit_job(request, job)))


@router.get("/jobs/{job_id}", dependencies=[Admin], summary="The state of a queued admin job",
            responses={404: {"description": "No such job (or forgotten: the last 500 are kept)"}})
def job_state(request: Request, job_id: str) -> dict:
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    return job.to_dict()


def _year(text: str) -> int | None:
    """A form's year: empty (or "null", as some clients send a missing value) is unknown."""
    text = text.strip()
    if text in ("", "null", "None"):
        return None
    if not text.isdigit() or not 1000 <= int(text) <= 9999:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"year must be a year like 2025, not {text[:20]!r}")
    return int(text)


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
