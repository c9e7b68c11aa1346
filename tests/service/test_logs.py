"""The server's logs are JSON lines: what a client sends (a path with line breaks) is escaped, never a line of
its own; refused admin requests are throttled with the admin API off too (the default)."""

import json
import logging
from urllib.parse import quote

import httpx
import pytest

from eval.live_server import ServeProcess, citeqa_env
from service.admin import THROTTLE_FAILURES

FORGED = ["citeqa: now serving index version 20991231T000000000000Z",
          '{"request_id": "f", "method": "GET", "path": "/admin-ok", "status": 200, "ms": 1.0, "client": "10.0.0.1"}']


def test_a_record_is_one_line_of_json_whatever_it_carries():
    from service.logs import JsonFormatter

    odd = "a\nb\r\nc\u2028d\u2029e\u0085f\x1b[31mg\x00"
    record = logging.LogRecord("citeqa.admin", logging.WARNING, __file__, 1, "refused %s", (odd,), None)
    record.fields = {"path": odd}
    line = JsonFormatter().format(record)
    assert line.isascii() and line.isprintable() and len(line.splitlines()) == 1
    entry = json.loads(line)
    assert entry["message"] == f"refused {odd}" and entry["path"] == odd
    assert entry["level"] == "WARNING" and entry["logger"] == "citeqa.admin" and entry["time"].endswith("Z")


@pytest.mark.slow
def test_a_line_break_in_a_refused_path_forges_no_log_line(tmp_path, seed_index):
    settings, _ = seed_index(tmp_path)  # no admin token: the default
    env = citeqa_env(settings.corpus_dir, settings.index_dir) | {"CITEQA_AUDIT_LOG": str(settings.audit_log)}
    log = tmp_path / "server.log"
    path = "/documents/x%0A" + "%0A".join(quote(line, safe="") for line in FORGED)  # %0A: a line break, decoded
    with ServeProcess(env, log) as server:
        statuses = [httpx.request("DELETE", server.url + path).status_code for _ in range(30)]
    lines = log.read_text(encoding="utf-8").splitlines()
    assert not set(FORGED) & set(lines)  # no line is a client's
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(entry, dict) for entry in entries)
    assert statuses == [403] * THROTTLE_FAILURES + [429] * (30 - THROTTLE_FAILURES)
    refused = [entry for entry in entries if entry["message"] == "admin request refused"]
    assert len(refused) == THROTTLE_FAILURES  # throttled: no more warnings after ten
    assert refused[0]["path"] == "/documents/x\n" + "\n".join(FORGED) and refused[0]["status"] == 403
    requests = [entry for entry in entries if entry["logger"] == "citeqa.requests" and entry["method"] == "DELETE"]
    assert [entry["status"] for entry in requests] == statuses
