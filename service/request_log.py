"""Structured request logs: one record per request (a JSON line by :mod:`service.logs`), with a request id
echoed in ``X-Request-ID``."""

from __future__ import annotations

import logging
import re
import time
import uuid

from service.asgi import ResponseWatcher

log = logging.getLogger("citeqa.requests")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a request id a client or proxy may give


class RequestLog(ResponseWatcher):
    """ASGI middleware: gives each request an id (the client's ``X-Request-ID`` when it is a plain token),
    returns it in ``X-Request-ID`` and logs method, path, status, time and client as the fields of one record."""

    def started(self, scope) -> dict:
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        return {"id": request_id, "started": time.perf_counter()}

    def headers(self, scope, context: dict) -> dict[str, str]:
        return {"x-request-id": context["id"]}

    def finished(self, scope, context: dict, status: int) -> None:
        log.info("request", extra={"fields": {
            "request_id": context["id"], "method": scope["method"], "path": scope["path"], "status": status,
            "ms": round((time.perf_counter() - context["started"]) * 1000, 1),
            "client": (scope.get("client") or ("?", 0))[0]}})
