"""Searches that wait for their turn are bounded (CITEQA_MAX_WAITING_SEARCHES): past the bound, a 503 with
Retry-After at once, not a place in an unbounded queue."""

import pytest
from fastapi.testclient import TestClient

from service.app import create_app

pytestmark = pytest.mark.slow


def test_a_search_beyond_the_waiting_bound_gets_503_then_answers_once_there_is_room(tmp_path, seed_index):
    settings, live = seed_index(tmp_path, search_concurrency=1, max_waiting_searches=0)
    with TestClient(create_app(live, settings)) as client:
        assert client.get("/search", params={"q": "abeilles"}).status_code == 200  # makes the limiter
        limiter, borrower = client.app.state.search_limiter, object()
        client.portal.call(limiter.acquire_on_behalf_of, borrower)  # a search running: the one place is taken
        try:
            busy = client.get("/search", params={"q": "abeilles"})
            assert busy.status_code == 503 and busy.headers["Retry-After"]
            assert "CITEQA_MAX_WAITING_SEARCHES" in busy.json()["detail"]
        finally:
            client.portal.call(limiter.release_on_behalf_of, borrower)
        assert client.get("/search", params={"q": "abeilles"}).status_code == 200
