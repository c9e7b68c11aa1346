"""The base of citeqa's ASGI middlewares that watch each HTTP response (headers, logs, metrics)."""

from __future__ import annotations


class ResponseWatcher:
    """ASGI middleware that sees every HTTP request start and finish, and may add response headers.

    Subclasses override :meth:`started` (returns the request's context), :meth:`headers` (added to the
    response unless it sets them) and :meth:`finished` (with the status sent, 500 when none was)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = self.started(scope)
        status = {"code": 500}

        async def watching(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                extra = self.headers(scope, context)
                if extra:
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    message = {**message, "headers": [*message.get("headers", []), *(
                        (name.encode(), value.encode()) for name, value in extra.items()
                        if name.encode() not in present)]}
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            self.finished(scope, context, status["code"])

    def started(self, scope) -> dict:
        """What the request needs to remember (called before the app)."""
        return {}

    def headers(self, scope, context: dict) -> dict[str, str]:
        """Headers (lower-case names) to add to the response."""
        return {}

    def finished(self, scope, context: dict, status: int) -> None:
        """Called once the app is done with the request."""
