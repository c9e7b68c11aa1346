"""The audit log: one JSON line per admin action (time, client, action, report id, sha256, result)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

#: Line breaks to other readers (``str.splitlines``, editors) that JSON leaves as they are in a string: escaped
#: in each line written (a report id or file name can carry them), so that one entry stays one line.
_LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class AuditLog:
    """Appends admin actions to a JSON-lines file, one whole line per write (safe across threads)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def record(self, client: str, action: str, result: str, report_id: str = "", sha256: str = "") -> None:
        """Write one line and flush it to disk."""
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "client": client,
                           "action": action, "report_id": report_id, "sha256": sha256, "result": result},
                          ensure_ascii=False)
        for character, escaped in _LINE_BREAKS.items():
            line = line.replace(character, escaped)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())

    def entries(self) -> list[dict]:
        """Every line written so far (for tests and operators)."""
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").split("\n") if line.strip()]
