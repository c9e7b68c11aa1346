"""Fixtures of the service tests: a small corpus with its index, and real HTTP servers on free ports."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable

import pytest
import uvicorn

from eval.live_server import free_port, wait_healthy

SEED_TEXT = "Mme Ada Lovelace, Directrice de l’Observatoire, a parlé des abeilles de Lyon."


class ThreadServer:
    """An app served by uvicorn in a thread of this process, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="citeqa-test-server", daemon=True)

    def __enter__(self) -> "ThreadServer":
        self.thread.start()
        wait_healthy(self.url, self.thread.is_alive, timeout=60)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def serve_in_thread() -> type[ThreadServer]:
    """``with serve_in_thread(app) as server:`` serves the app at ``server.url``."""
    return ThreadServer


@pytest.fixture(scope="session")
def seed_index(embedder) -> Callable[..., tuple]:
    """``seed_index(root, text=..., **settings)`` writes a one-report corpus ("seed", French) under root,
    builds its index with the session's model and returns (Settings, LiveIndex) over them."""
    from index_build.builder import build_index
    from index_build.index_store import load_version
    from service.live import LiveIndex
    from service.search import SearchEngine
    from service.settings import Settings

    def make(root: Path, text: str = SEED_TEXT, **overrides) -> tuple[Settings, LiveIndex]:
        corpus = root / "corpus"
        corpus.mkdir()
        (corpus / "seed.txt").write_text(text, encoding="utf-8")
        (corpus / "reports.json").write_text(json.dumps({"reports": [
            {"id": "seed", "title": "Abeilles", "language": "fr", "source_file": "seed.txt"}]}), encoding="utf-8")
        settings = Settings(**{"index_dir": root / "index", "corpus_dir": corpus, "audit_log": root / "audit.jsonl",
                               **overrides})
        build_index(corpus, settings.index_dir, embedder, show_progress=False)
        engine = SearchEngine(embedder, load_version(settings.index_dir, fingerprint=embedder.fingerprint,
                                                     dimension=embedder.dimension))
        return settings, LiveIndex(engine, settings.index_dir)

    return make
