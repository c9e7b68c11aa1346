"""The admin API: upload, remove and rebuild reports while the service keeps answering."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import tempfile
from pathlib import Path
from typing import Annotated, Iterator

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Request, UploadFile, status
from fastapi.responses import JSONResponse

from index_build.builder import build_index
from index_build.corpus import CorpusError, slug
from index_build.index_store import IndexProblem
from index_build.reading import SUPPORTED_SUFFIXES, UnreadableReport
from index_build.reports import NewReport, ReportExists, UnknownReport, add_reports, remove_report
from service.audit import AuditLog
from service.live import LiveIndex
from service.settings import Settings

router = APIRouter(tags=["admin"])
_log = logging.getLogger("citeqa.admin")
_CHUNK = 1 << 20


#: The admin routes, as (method, path prefix): their token is checked before their body is read.
ADMIN_ROUTES = (("POST", "/documents"), ("DELETE", "/documents/"), ("POST", "/index/"))


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
            refusal = admin_refusal(self.token, headers.get(b"authorization", b"").decode("latin-1"))
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


@router.post("/documents", status_code=status.HTTP_201_CREATED, dependencies=[Admin],
             summary="Add or replace a report (.pdf, .txt, .md)",
             responses={401: {"description": "No admin token"}, 403: {"description": "Wrong token, or the admin API is off"},
                        409: {"description": "A report with this id exists and replace was not asked for"},
                        413: {"description": "The file is over CITEQA_MAX_UPLOAD_MB"},
                        415: {"description": "Not a .pdf, .txt or .md file"},
                        422: {"description": "The report cannot be read (no text layer, not UTF-8, empty...)"}})
def upload_document(
    request: Request,
    file: Annotated[UploadFile, File(description="The report: .pdf (with a text layer), .txt or .md")],
    id: Annotated[str, Form(description="Report id (default: from the file name)")] = "",
    replace: Annotated[bool, Form(description="Replace the report that has this id (otherwise: 409)")] = False,
    title: Annotated[str, Form()] = "",
    language: Annotated[str, Form(description="ISO 639-1 code, e.g. fr or en (default: guessed)")] = "",
    year: Annotated[int | None, Form()] = None,
    publisher: Annotated[str, Form()] = "",
) -> dict:
    settings, live = _context(request)
    report_id = slug(id or Path(file.filename or "report").stem)  # the file name is never used as a path
    with _audited(request, "upload", report_id) as entry:
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                                f"Unsupported file type {suffix or '(none)'}: upload a {', '.join(SUPPORTED_SUFFIXES)} file.")
        with tempfile.TemporaryDirectory(prefix="citeqa-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            entry["sha256"] = _save_limited(file, path, int(settings.max_upload_mb * (1 << 20)))
            report = NewReport(path, report_id, title, language, year, publisher, replace)
            try:
                summary = add_reports(settings.corpus_dir, settings.index_dir, live.embedder, [report],
                                      show_progress=False)
            except ReportExists as error:
                raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
            except (UnreadableReport, CorpusError, IndexProblem, ValueError) as error:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        live.refresh()
        documents = {doc["id"]: doc for doc in live.engine().version.documents}
        state = "added" if report_id in summary.added else "replaced" if report_id in summary.replaced else "unchanged"
        entry["result"] = f"{state}, index version {summary.version}"
        return {"id": report_id, "status": state, "chunks": documents.get(report_id, {}).get("chunks", 0),
                "index_version": summary.version, "summary": summary.line()}


@router.delete("/documents/{document_id}", dependencies=[Admin], summary="Remove a report")
def delete_document(request: Request, document_id: str) -> dict:
    settings, live = _context(request)
    with _audited(request, "remove", document_id) as entry:
        try:
            summary = remove_report(settings.corpus_dir, settings.index_dir, live.embedder, document_id)
        except UnknownReport as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, error.args[0]) from error
        live.refresh()
        entry["result"] = f"removed, index version {summary.version}"
        return {"id": document_id, "status": "removed", "index_version": summary.version, "summary": summary.line()}


@router.post("/index/rebuild", dependencies=[Admin], summary="Rebuild the whole index from the corpus")
def rebuild(request: Request) -> dict:
    settings, live = _context(request)
    with _audited(request, "rebuild") as entry:
        summary = build_index(settings.corpus_dir, settings.index_dir, live.embedder, show_progress=False, reuse=False)
        live.refresh()
        entry["result"] = f"rebuilt, index version {summary.version}"
        return {"status": "rebuilt", "index_version": summary.version, "summary": summary.line()}


@contextlib.contextmanager
def _audited(request: Request, action: str, report_id: str = "") -> Iterator[dict]:
    """Record an admin action in the audit log with its outcome: what the route put in the entry, the
    status of a refusal, or the error that stopped it."""
    entry = {"report_id": report_id, "sha256": "", "result": "ok"}
    try:
        yield entry
    except HTTPException as error:
        entry["result"] = f"refused {error.status_code}: {str(error.detail)[:200]}"
        raise
    except Exception as error:
        entry["result"] = f"failed: {type(error).__name__}: {str(error)[:200]}"
        raise
    finally:
        request.app.state.audit.record(_client(request.scope), action, entry["result"], entry["report_id"],
                                       entry["sha256"])


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
