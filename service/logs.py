"""The server's logs as JSON lines: one JSON object per record, every value (a client's path, method or
header among them) escaped by the JSON encoding, so that no client can write a line of its own."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
import time
from typing import TextIO

#: The loggers ``citeqa serve`` writes, at INFO: citeqa's own (requests, index switches, refused admin
#: requests) and uvicorn's (start, stop, protocol errors). Any other library's warnings go through the root.
SERVER_LOGGERS = ("citeqa", "uvicorn")


class JsonFormatter(logging.Formatter):
    """A record as one line of ASCII JSON: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
    fields given as ``extra={"fields": {...}}``, and ``exception`` when there is one. Control characters,
    line breaks of every kind and non-ASCII characters are all ``\\u`` escapes: a record is always one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=True, default=str)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{seconds}.{int(record.msecs):03d}Z"


def configure(stream: TextIO = sys.stderr) -> None:
    """Send the server's logs to ``stream`` as JSON lines (Python's ``logging.config``); uvicorn is then
    run with ``log_config=None``, which keeps this configuration."""
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": stream}},
        "loggers": {name: {"handlers": ["json"], "level": "INFO", "propagate": False} for name in SERVER_LOGGERS},
        "root": {"handlers": ["json"], "level": "WARNING"},
    }
    logging.config.dictConfig(config)
    logging.captureWarnings(True)  # warnings.warn of any library: a JSON line too (logger py.warnings)
