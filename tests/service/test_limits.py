"""Limits before work, over a real socket: an admin request is refused before its body is read, request
bodies have a size limit, and a 422 never echoes a large input (issue 11)."""

import json
import socket

import pytest

from service.app import MAX_REQUEST_BYTES, create_app

pytestmark = pytest.mark.slow

TOKEN = "a-token-that-is-long-enough-for-the-admin-api"


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_index, serve_in_thread):
    settings, live = seed_index(tmp_path_factory.mktemp("limits"), admin_token=TOKEN, max_upload_mb=1)
    with serve_in_thread(create_app(live, settings)) as running:
        yield running


def exchange(server, head: str, body: bytes = b"", timeout: float = 10.0) -> tuple[int, str]:
    """Send a request head (and as much body as given), read the whole answer: (status, body text)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(head.encode("latin-1") + b"\r\n" + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status = int(received.split(b" ", 2)[1])
    return status, received.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def head(method: str, path: str, length: int, *extra: str) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}", "Connection: close", *extra]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("authorization, code", [(None, 401), ("Bearer wrong", 403)])
def test_an_upload_without_the_right_token_is_refused_before_its_body_is_sent(server, authorization, code):
    extra = [f"Authorization: {authorization}"] if authorization else []
    status, text = exchange(server, head("POST", "/documents", 30 * 1024 * 1024,
                                         "Content-Type: multipart/form-data; boundary=x", *extra))
    assert status == code  # answered with none of the 30 MB sent: the body was never waited for
    assert "token" in text.lower()


def test_a_search_body_over_the_limit_gets_413_before_it_is_read(server):
    status, text = exchange(server, head("POST", "/search", MAX_REQUEST_BYTES + 1, "Content-Type: application/json"))
    assert status == 413 and "larger than" in text and "2,000 characters" in text


def test_an_upload_over_the_limit_gets_413_before_it_is_read(server):
    status, text = exchange(server, head("POST", "/documents", 5 * 1024 * 1024,
                                         "Content-Type: multipart/form-data; boundary=x", f"Authorization: Bearer {TOKEN}"))
    assert status == 413 and "CITEQA_MAX_UPLOAD_MB" in text


def test_a_refused_question_is_not_echoed_back(server):
    body = json.dumps({"question": "x" * 50_000}).encode()
    status, text = exchange(server, head("POST", "/search", len(body), "Content-Type: application/json"), body)
    assert status == 422 and len(text) < 2048
    assert "2000" in text or "at most" in text  # it still says what is wrong


def test_every_response_says_nosniff_even_a_refusal(server):
    import httpx

    for response in (httpx.get(f"{server.url}/health"), httpx.post(f"{server.url}/documents"),
                     httpx.get(f"{server.url}/search", params={"q": ""})):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


@pytest.fixture
def app_with(tmp_path, seed_index):
    """``app_with(**settings)``: a TestClient over a fresh app of the seed index with those settings."""
    from fastapi.testclient import TestClient

    clients = []

    def make(**overrides):
        root = tmp_path / str(len(clients))
        root.mkdir()
        settings, live = seed_index(root, admin_token=TOKEN, **overrides)
        clients.append(TestClient(create_app(live, settings)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def test_repeated_refused_admin_requests_are_throttled(app_with):
    from service.admin import THROTTLE_FAILURES

    client = app_with()
    wrong = {"Authorization": "Bearer wrong"}
    assert all(client.delete("/documents/seed", headers=wrong).status_code == 403 for _ in range(THROTTLE_FAILURES))
    throttled = client.delete("/documents/seed", headers=wrong)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert client.get("/search", params={"q": "abeilles"}).status_code == 200  # questions are not throttled
    right = client.get("/jobs/none", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 404  # the right token still passes: the admin is not locked out


def test_trusted_hosts_and_cors_are_closed_unless_configured(app_with):
    open_client = app_with()
    answer = open_client.get("/health", headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
    guarded = app_with(trusted_hosts=["citeqa.example.org"], cors_origins=["https://portal.example.org"])
    assert guarded.get("/health", headers={"Host": "evil.example"}).status_code == 400
    allowed = guarded.get("/health", headers={"Host": "citeqa.example.org", "Origin": "https://portal.example.org"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.org"


def test_each_request_is_logged_as_one_json_line_with_its_id(app_with, caplog):
    import logging

    from service.logs import JsonFormatter

    client = app_with()
    with caplog.at_level(logging.INFO, logger="citeqa.requests"):
        given = client.get("/health", headers={"X-Request-ID": "abc-123"})
        made = client.get("/search", params={"q": ""})
    assert given.headers["x-request-id"] == "abc-123" and len(made.headers["x-request-id"]) == 32
    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records
             if record.name == "citeqa.requests"]
    assert {"request_id": "abc-123", "method": "GET", "path": "/health", "status": 200}.items() <= lines[0].items()
    assert lines[1]["status"] == 422 and lines[1]["ms"] >= 0
