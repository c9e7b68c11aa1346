"""Shared fixtures: the real model, an index really built from corpus/, the real HTTP app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).parents[1]
CORPUS = REPO / "corpus"
SEED_ID = "idm-2018-capacity-development.fr"


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from service.settings import Settings

    return Settings(index_dir=tmp_path_factory.mktemp("index"), corpus_dir=CORPUS,
                    audit_log=tmp_path_factory.mktemp("audit") / "audit.jsonl")


@pytest.fixture(scope="session")
def embedder(settings):
    from index_build.embedding import Embedder

    return Embedder.load(settings.model, settings.model_cache_dir)


@pytest.fixture(scope="session")
def built_index(settings, embedder):
    from index_build.builder import build_index

    return build_index(settings.corpus_dir, settings.index_dir, embedder, show_progress=False)


@pytest.fixture(scope="session")
def engine(settings, embedder, built_index):
    from index_build.index_store import load_version
    from service.search import SearchEngine

    return SearchEngine(embedder, load_version(settings.index_dir, model_name=settings.model,
                                               fingerprint=embedder.fingerprint, dimension=embedder.dimension))


@pytest.fixture(scope="session")
def client(engine, settings):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.live import LiveIndex

    with TestClient(create_app(LiveIndex(engine, settings.index_dir), settings)) as test_client:
        yield test_client
