"""Prometheus metrics (prometheus-client): requests and latency by route and status, and what is served."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from service.asgi import ResponseWatcher

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
#: The method labels: HTTP's own methods; any other a client makes up is counted as OTHER (a label per made-up
#: method would add series, unauthenticated, without end).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"})
OTHER_METHOD = "OTHER"
NO_ROUTE = "(no route)"  # the route label of every path no route matches (never the path itself)


class Metrics:
    """One app's metrics, in a registry of its own (several apps can live in one process, as in tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("citeqa_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("citeqa_request_seconds", "Time to answer an HTTP request", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.documents = Gauge("citeqa_index_documents", "Reports in the index version served", registry=self.registry)
        self.chunks = Gauge("citeqa_index_chunks", "Chunks in the index version served", registry=self.registry)
        self.version = Gauge("citeqa_index_version_info", "The index version served (label), always 1", ["version"],
                             registry=self.registry)
        self.switch_failing = Gauge("citeqa_index_switch_failing",
                                    "1 when the version on disk could not be switched to", registry=self.registry)

    def exposition(self, live) -> tuple[bytes, str]:
        """The metrics text, with the index gauges read now from the live index."""
        version = live.engine().version
        self.documents.set(len(version.documents))
        self.chunks.set(version.live_count())
        self.version.clear()
        self.version.labels(version.version).set(1)
        self.switch_failing.set(1 if live.last_error else 0)
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware(ResponseWatcher):
    """ASGI middleware: counts every request by method, route template and status (labels of a fixed set,
    whatever the client sends), and times it."""

    def __init__(self, app, metrics: Metrics):
        super().__init__(app)
        self.metrics = metrics

    def started(self, scope) -> dict:
        return {"started": time.perf_counter()}

    def finished(self, scope, context: dict, status: int) -> None:
        method, route = labels(scope)
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(time.perf_counter() - context["started"])


def labels(scope) -> tuple[str, str]:
    """A request's method and route labels, each from a fixed set: one of :data:`METHODS` or ``OTHER``, and
    the template of the route that matched (``/documents/{document_id}``) or :data:`NO_ROUTE`."""
    method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
    route = getattr(scope.get("route"), "path", None)
    return method, route if isinstance(route, str) and route else NO_ROUTE
