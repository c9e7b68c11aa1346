"""A live HTTP server survives a builder killed in the middle of a change, and picks up the next one.

The concurrent search-loop test of issue 5 is not here yet: under three search threads plus a swap the
server stopped answering (ReadTimeout) in this session; see the closing note of session 1."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from index_build.index_store import load_version

pytestmark = pytest.mark.slow

REPORT_A = ("Mme Ada Lovelace, Directrice de l’Observatoire des abeilles, a présenté le recensement des ruches "
            "urbaines de Lyon : 4 200 ruches en 2024. Elle a insisté sur la formation des apiculteurs.")
REPORT_B = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
            "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def citeqa(env, *args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def server(tmp_path, settings, built_index):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.txt").write_text(REPORT_A, encoding="utf-8")
    (corpus / "reports.json").write_text(json.dumps({"reports": [
        {"id": "seed", "title": "Abeilles", "language": "fr", "source_file": "seed.txt"}]}), encoding="utf-8")
    port = free_port()
    env = os.environ | {"CITEQA_CORPUS_DIR": str(corpus), "CITEQA_INDEX_DIR": str(tmp_path / "index"),
                        "PORT": str(port), "HF_HUB_OFFLINE": "1"}
    assert citeqa(env, "build").wait(timeout=300) == 0
    process = citeqa(env, "serve")
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.stderr.read()}")
    yield url, env, tmp_path
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def manifest_documents(index_dir: Path) -> tuple[str, set[str]]:
    version = load_version(index_dir)
    return version.version, {doc["id"] for doc in version.documents}


def wait_for_version(url, version, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if httpx.get(f"{url}/health", timeout=60).json()["index_version"] == version:
            return
        time.sleep(0.2)
    raise AssertionError(f"server never switched to {version}")


def test_a_killed_builder_leaves_the_served_version_and_the_next_add_works(server):
    url, env, tmp_path = server
    index_dir, corpus = Path(env["CITEQA_INDEX_DIR"]), Path(env["CITEQA_CORPUS_DIR"])
    before = httpx.get(f"{url}/health", timeout=60).json()["index_version"]
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Paragraphe {n} : le comité a examiné la question numéro {n} des ports et des "
                               f"abeilles, avec des chiffres précis pour l’année {1900 + n}." for n in range(400)),
                   encoding="utf-8")
    builder = citeqa(env, "add", str(big))
    deadline = time.time() + 120
    while '"big"' not in (corpus / "reports.json").read_text(encoding="utf-8"):  # registered: now embedding
        assert time.time() < deadline and builder.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)
    builder.send_signal(signal.SIGKILL)
    builder.wait(timeout=30)

    assert httpx.get(f"{url}/health", timeout=60).json()["index_version"] == before
    response = httpx.post(f"{url}/search", json={"question": "ruches à Lyon"}, timeout=30)
    assert response.status_code == 200 and response.json()["index_version"] == before
    assert load_version(index_dir).version == before  # the current version is intact on disk

    (tmp_path / "harbour.md").write_text(REPORT_B, encoding="utf-8")
    after = citeqa(env, "add", str(tmp_path / "harbour.md"))
    assert after.wait(timeout=600) == 0, after.stderr.read()
    version, documents = manifest_documents(index_dir)
    assert {"seed", "harbour", "big"} == documents  # the interrupted report is indexed by the next change
    assert not list((index_dir / "versions").glob(".staging-*"))
    wait_for_version(url, version)
