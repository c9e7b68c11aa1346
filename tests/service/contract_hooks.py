"""Schemathesis hooks of the contract test (tests/service/test_contract.py; by hand:
``SCHEMATHESIS_HOOKS=tests/service/contract_hooks.py schemathesis run ...``).

Two hooks, for what a JSON Schema cannot say.

Filters (``before_call``): a search or the speaker directory refuses (422) report ids the index does
not hold and a year range that runs backwards. Neither can be in a schema (the ids change with every
upload; JSON Schema compares no two fields), so schemathesis's *positive* data has made-up ids and
reversed ranges, and ``positive_data_acceptance`` would fail on requests the server rightly refuses. Before
a positive case is sent, each of its made-up ids becomes one of the index's (one ``GET /documents``; the
filter is left out when the index has no report) and a reversed range is put the right way round.
Negative cases are sent as generated; the refusals themselves are tested in tests/service/test_filters.py.

Uploads' content (media type strategies): a .txt or .md report must be UTF-8 and hold some text, which the
server checks at once (422) and no schema can say of a binary part; so a positive upload sent as text/plain or
text/markdown carries some UTF-8 text, and one sent as application/pdf any bytes but none (the file's
``minLength``; whether they are a PDF is its job's to say). Negative uploads are generated from the schema.

Uploads (``filter_case``): the one case where schemathesis's negative data is not negative on the wire: a
multipart file part it fills with a number, null, a list or an object (to violate ``format: binary``)
is sent as the bytes of that value's text, with a file name: a file, exactly as a client would send
one. The server cannot tell it from a report (and must not refuse a report whose text is "12"), so
``negative_data_rejection`` would fail on a request that is valid as sent. Those cases are not
generated; every other negative upload (a malformed year or replace, a missing file, ...) still is.
"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import strategies as st
from schemathesis.transport.serialization import Binary

UPLOAD = ("POST", "/documents")
FILTERED = {("GET", "/search"): "query", ("POST", "/search"): "body", ("GET", "/speakers"): "query",
            ("GET", "/search/export"): "query"}

TEXT_REPORT = st.text(min_size=1).filter(str.strip).map(lambda text: text.encode("utf-8"))
for _media_type in ("text/plain", "text/markdown"):
    schemathesis.openapi.media_type(_media_type, TEXT_REPORT)
schemathesis.openapi.media_type("application/pdf", st.binary(min_size=1))


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Keep a case unless it is a negative upload whose ``file`` is not bytes (a number, null, a list...)."""
    if (case.method.upper(), case.path) != UPLOAD or case.meta is None or not case.meta.generation.mode.is_negative:
        return True
    body = case.body
    if not isinstance(body, dict) or "file" not in body:
        return True  # no file part at all: the server must refuse it (422), and does
    return isinstance(body["file"], (bytes, str, Binary))


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    """A positive search or directory case: only report ids of the index, and ``year_from <= year_to``."""
    where = FILTERED.get((case.method.upper(), case.path))
    if where is None or case.meta is None or not case.meta.generation.mode.is_positive:
        return
    values = case.body if where == "body" else case.query
    if not isinstance(values, dict):
        return
    documents = values.get("documents")
    if documents:
        documents = [documents] if isinstance(documents, str) else list(documents)
        listed = httpx.get(f"{case.operation.schema.get_base_url().rstrip('/')}/documents", timeout=30)
        listed.raise_for_status()
        known = sorted(document["id"] for document in listed.json())
        if known:  # each made-up id becomes one of the index's, so that filtered searches are tested too
            values["documents"] = [document if document in known else known[len(document) % len(known)]
                                   for document in documents]
        else:  # the run removed every report
            del values["documents"]
    year_from, year_to = values.get("year_from"), values.get("year_to")
    if _year(year_from) is not None and _year(year_to) is not None and _year(year_from) > _year(year_to):
        values["year_from"], values["year_to"] = year_to, year_from


def _year(value) -> int | None:
    """A generated year as the server reads it (a query value may come as text)."""
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
