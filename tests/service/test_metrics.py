"""/metrics over the real HTTP app: its labels come from fixed sets, whatever method or path a client sends."""

import re

import pytest
from fastapi.testclient import TestClient

from service.app import create_app

pytestmark = pytest.mark.slow


def request_series(text: str) -> set[str]:
    """The series (name and labels, without values) of the request counter and latency histogram."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line.startswith("citeqa_request")}


def test_made_up_methods_and_paths_add_no_series(two_report_index):
    settings, live = two_report_index
    with TestClient(create_app(live, settings)) as client:
        for method, path in [("MADEUP", "/search"), ("MADEUP", "/health"), ("MADEUP", "/nowhere"), ("GET", "/nowhere"),
                             ("GET", "/metrics")]:  # each kind of request makes its series once
            client.request(method, path)
        before = request_series(client.get("/metrics").text)
        for n in range(30):
            assert client.request(f"FAKE{n}", "/search").status_code == 405
            assert client.request(f"FAKE{n}", f"/documents/x{n}/y").status_code == 404
            assert client.get(f"/no-such-page-{n}").status_code == 404
        assert client.request("X" * 8000, "/health").status_code == 405
        text = client.get("/metrics").text
    after = request_series(text)
    assert after == before, sorted(after - before)[:5]
    methods = set(re.findall(r'method="([^"]*)"', text))
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "OTHER"}
    assert 'citeqa_requests_total{method="OTHER",route="/search",status="405"} 31.0' in text
    assert 'citeqa_requests_total{method="GET",route="(no route)",status="404"} 31.0' in text
    assert routes == {"(no route)", "/search", "/health", "/metrics"}, routes  # the routes asked, never a path
