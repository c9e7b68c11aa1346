"""The MCP server end to end, with the SDK's own client: over stdio (a real `citeqa mcp` subprocess) and over
HTTP (/mcp of the real app on a real port). Its tools answer as the API does: the same passages, the same
refusals, behind the same token and limits."""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from service.app import MAX_REQUEST_BYTES, create_app
from service.live import LiveIndex

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
SEED_ID = "idm-2018-capacity-development.fr"
QUESTION = "who spoke about child protection"
TOKEN = "a-token-that-is-long-enough-for-the-mcp-tests"
TOOLS = {"search", "speakers", "documents", "document_page"}
#: Bad arguments of `search`, as bodies of POST /search (the API's 422 is the reference).
BAD_INPUTS = {
    "blank question": {"question": "   "},
    "k of 0": {"question": QUESTION, "k": 0},
    "unknown report": {"question": QUESTION, "documents": ["no-such-report"]},
    "backwards years": {"question": QUESTION, "year_from": 2019, "year_to": 2018},
    "unknown field": {"question": QUESTION, "top_k": 3},
}
#: A raw MCP request (streamable HTTP, JSON responses), for the checks that need no session.
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def run_client(server, work, mode: str = "auto"):
    """``await work(client)`` with the SDK's client connected to ``server`` (stdio parameters, a URL or a
    transport); its result. ``mode``: "auto" speaks the newest protocol, "legacy" the initialize handshake."""
    async def main():
        async with Client(server, mode=mode) as client:
            return await work(client)

    return anyio.run(main)


def app_settings(settings, folder: Path, **changes):
    """The session's settings with ``changes``, and an audit log (and jobs folder) of the app's own."""
    return settings.model_copy(update={"audit_log": folder / "audit.jsonl", **changes})


@asynccontextmanager
async def with_token(url: str, token: str):
    """The streamable HTTP transport to ``url``, sending ``Authorization: Bearer <token>``."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


def cited(passages: list[dict]) -> list[tuple]:
    return [(p["document_id"], p["start"], p["end"], p["page"], p["rank"]) for p in passages]


def detail(result) -> list[dict] | str:
    """The API's refusal that a tool error carries."""
    assert result.is_error
    return json.loads(result.content[0].text)["detail"]


def same_messages(api: list[dict], tool: list[dict]) -> bool:
    """The same errors, field for field (the API says ``body``, the tool ``arguments``)."""
    return ([(e["type"], e["loc"][1:], e["msg"], e.get("input")) for e in api]
            == [(e["type"], e["loc"][1:], e["msg"], e.get("input")) for e in tool])


async def searched_and_refused(client) -> dict:
    """The tools listed, a search, and each bad input refused."""
    return {"tools": (await client.list_tools()).tools,
            "search": await client.call_tool("search", {"question": QUESTION, "k": 5}),
            "bad": {name: await client.call_tool("search", body) for name, body in BAD_INPUTS.items()}}


@pytest.fixture(scope="module")
def over_stdio(settings, built_index) -> dict:
    """What one `citeqa mcp` subprocess answered, over the session's index."""
    env = {name: value for name, value in os.environ.items() if name.startswith("CITEQA_")}
    env |= {"CITEQA_INDEX_DIR": str(settings.index_dir), "CITEQA_CORPUS_DIR": str(settings.corpus_dir),
            "CITEQA_MODEL_CACHE_DIR": str(settings.model_cache_dir), "HF_HUB_OFFLINE": "1"}
    command = StdioServerParameters(command=str(Path(sys.executable).parent / "citeqa"), args=["mcp"], env=env,
                                    cwd=str(REPO))

    async def work(client) -> dict:
        found = await searched_and_refused(client)
        found["page"] = await client.call_tool("document_page", {"document_id": SEED_ID, "page": 6})
        found["page 99"] = await client.call_tool("document_page", {"document_id": SEED_ID, "page": 99})
        found["unknown report"] = await client.call_tool("document_page", {"document_id": "nope", "page": 1})
        return found

    return run_client(command, work)


@pytest.fixture(scope="module")
def served(engine, store, settings, serve_in_thread, tmp_path_factory):
    """The app over the session's index, on a real port."""
    own = app_settings(settings, tmp_path_factory.mktemp("mcp-served"))
    with serve_in_thread(create_app(LiveIndex(engine, store), own)) as running:
        yield running


def test_citeqa_mcp_lists_its_tools_with_the_api_s_schemas(over_stdio):
    tools = {tool.name: tool for tool in over_stdio["tools"]}
    assert set(tools) == TOOLS
    search = tools["search"]
    assert {"question", "k", "documents", "languages", "year_from", "year_to", "publishers", "speakers"} \
        == set(search.input_schema["properties"])
    assert search.input_schema["additionalProperties"] is False and search.input_schema["required"] == ["question"]
    assert {"passages", "answerable", "reason", "translations"} <= set(search.output_schema["properties"])
    assert all(tool.annotations.read_only_hint and tool.description for tool in tools.values())


def test_search_over_stdio_cites_what_post_search_cites(over_stdio, client):
    api = client.post("/search", json={"question": QUESTION, "k": 5}).json()
    result = over_stdio["search"]
    assert not result.is_error
    assert json.loads(result.content[0].text) == result.structured_content
    assert cited(result.structured_content["passages"]) == cited(api["passages"])
    assert result.structured_content["answerable"] == api["answerable"] is True
    assert all(p["url"] for p in result.structured_content["passages"])


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_over_stdio_gets_the_api_s_422(over_stdio, client, name):
    api = client.post("/search", json=BAD_INPUTS[name])
    assert api.status_code == 422
    assert json.loads(over_stdio["bad"][name].content[0].text)["status"] == 422
    assert same_messages(api.json()["detail"], detail(over_stdio["bad"][name]))


def test_document_page_gives_the_passages_of_the_page_in_order(over_stdio, engine):
    page = over_stdio["page"].structured_content
    text = engine.version.document_text(SEED_ID)
    expected = [chunk for chunk in engine.version.iter_chunks(SEED_ID) if chunk.page == 6]
    assert (page["document_id"], page["page"], page["pages"]) == (SEED_ID, 6, 13)
    assert [(p["start"], p["end"]) for p in page["passages"]] == sorted((c.start, c.end) for c in expected)
    assert all(text[p["start"]:p["end"]] == p["text"] for p in page["passages"])
    assert any("M. Tomas Boček" in p["text"] for p in page["passages"])
    first, last = page["passages"][0], page["passages"][-1]
    assert page["url"] == f"/documents/{SEED_ID}/view?start={first['start']}&end={last['end']}#cited"


def test_document_page_refuses_a_page_out_of_range_and_an_unknown_report(over_stdio):
    assert "page must be from 1 to 13" in detail(over_stdio["page 99"])[0]["msg"]
    assert "documents tool" in detail(over_stdio["unknown report"])


def test_over_http_the_tools_answer_as_the_api(served, client):
    async def work(mcp) -> dict:
        found = await searched_and_refused(mcp)
        found["speakers"] = await mcp.call_tool("speakers", {"q": "unicef", "documents": [SEED_ID]})
        found["documents"] = await mcp.call_tool("documents", {})
        return found

    found = run_client(f"{served.url}/mcp", work, mode="legacy")  # the initialize handshake (stdio: the newest)
    assert {tool.name for tool in found["tools"]} == TOOLS
    api = client.post("/search", json={"question": QUESTION, "k": 5}).json()
    assert cited(found["search"].structured_content["passages"]) == cited(api["passages"])
    for name, body in BAD_INPUTS.items():
        assert same_messages(client.post("/search", json=body).json()["detail"], detail(found["bad"][name])), name
    speakers = client.get("/speakers", params={"q": "unicef", "documents": SEED_ID}).json()
    assert found["speakers"].structured_content == {"speakers": speakers} and speakers
    assert found["documents"].structured_content == {"documents": client.get("/documents").json()}
    assert 'route="/mcp",status="200"' in httpx.get(f"{served.url}/metrics").text


def test_mcp_needs_the_admin_token_when_one_is_set(engine, store, settings, serve_in_thread, tmp_path):
    guarded = app_settings(settings, tmp_path, admin_token=TOKEN)
    with serve_in_thread(create_app(LiveIndex(engine, store), guarded)) as server:
        url = f"{server.url}/mcp"
        missing = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS)
        assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
        wrong = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS | {"Authorization": "Bearer wrong"})
        assert wrong.status_code == 403
        audited = [json.loads(line) for line in guarded.audit_log.read_text(encoding="utf-8").splitlines()]
        assert any(entry["action"] == "POST /mcp" and entry["result"].startswith("refused 401") for entry in audited)

        async def work(mcp):
            return await mcp.call_tool("search", {"question": QUESTION, "k": 1})

        answer = run_client(with_token(url, TOKEN), work)
        assert not answer.is_error and len(answer.structured_content["passages"]) == 1


def test_the_host_check_refuses_other_hosts_and_lets_trusted_ones_through(served, engine, store, settings, tmp_path):
    foreign = httpx.post(f"{served.url}/mcp", json=INITIALIZE, headers=MCP_HEADERS | {"Host": "evil.example"})
    assert foreign.status_code == 421  # DNS rebinding: only loopback names (and HOST) without CITEQA_TRUSTED_HOSTS
    trusted = app_settings(settings, tmp_path, trusted_hosts=["citeqa.example.org"])
    with TestClient(create_app(LiveIndex(engine, store), trusted), base_url="http://citeqa.example.org") as named:
        answer = named.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert answer.status_code == 200 and answer.json()["result"]["serverInfo"]["name"] == "citeqa"


def test_an_mcp_body_over_the_limit_is_refused_before_it_is_read(client):
    answer = client.post("/mcp", content=b"x" * (MAX_REQUEST_BYTES + 1), headers=MCP_HEADERS)
    assert answer.status_code == 413 and "POST /mcp" in answer.json()["detail"]


def test_mcp_searches_wait_in_the_api_s_queue(engine, store, settings, tmp_path):
    one_at_a_time = app_settings(settings, tmp_path, search_concurrency=1, max_waiting_searches=0,
                                 trusted_hosts=["testserver"])
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "search", "arguments": {"question": QUESTION, "k": 1}}}
    with TestClient(create_app(LiveIndex(engine, store), one_at_a_time)) as http:
        assert http.get("/search", params={"q": QUESTION, "k": 1}).status_code == 200  # makes the limiter
        limiter, borrower = http.app.state.search_limiter, object()
        http.portal.call(limiter.acquire_on_behalf_of, borrower)  # a search running: the one place is taken
        try:
            busy = http.post("/mcp", json=call, headers=MCP_HEADERS).json()["result"]
        finally:
            http.portal.call(limiter.release_on_behalf_of, borrower)
        assert busy["isError"] and "CITEQA_MAX_WAITING_SEARCHES" in json.loads(busy["content"][0]["text"])["detail"]
        answered = http.post("/mcp", json=call, headers=MCP_HEADERS).json()["result"]
        assert not answered["isError"] and len(answered["structuredContent"]["passages"]) == 1
