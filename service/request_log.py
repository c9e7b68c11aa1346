"""Structured request logs: one JSON line per request, with a request id echoed in ``X-Request-ID``."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

log = logging.getLogger("citeqa.requests")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a request id a client or proxy may give


class RequestLog:
    """ASGI middleware: gives each request an id (the client's ``X-Request-ID`` when it is a plain token),
    returns it in ``X-Request-ID`` and logs method, route, status, time and client as one JSON line."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(json.dumps({"request_id": request_id, "method": scope["method"], "path": scope["path"],
                                 "status": status["code"], "ms": round((time.perf_counter() - started) * 1000, 1),
                                 "client": (scope.get("client") or ("?", 0))[0]}))
