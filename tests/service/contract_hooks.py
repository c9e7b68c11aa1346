"""Schemathesis hooks of the contract test (tests/service/test_contract.py; by hand:
``SCHEMATHESIS_HOOKS=tests/service/contract_hooks.py schemathesis run ...``).

One hook, for the one case where schemathesis's negative data is not negative on the wire: a
multipart file part it fills with a number, null, a list or an object (to violate ``format: binary``)
is sent as the bytes of that value's text, with a file name: a file, exactly as a client would send
one. The server cannot tell it from a report (and must not refuse a report whose text is "12"), so
``negative_data_rejection`` would fail on a request that is valid as sent. Those cases are not
generated; every other negative upload (a malformed year or replace, a missing file, ...) still is.
"""

from __future__ import annotations

import schemathesis
from schemathesis.transport.serialization import Binary

UPLOAD = ("POST", "/documents")


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Keep a case unless it is a negative upload whose ``file`` is not bytes (a number, null, a list...)."""
    if (case.method.upper(), case.path) != UPLOAD or case.meta is None or not case.meta.generation.mode.is_negative:
        return True
    body = case.body
    if not isinstance(body, dict) or "file" not in body:
        return True  # no file part at all: the server must refuse it (422), and does
    return isinstance(body["file"], (bytes, str, Binary))
