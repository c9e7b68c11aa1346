"""The live index: a version that fails to load is shown in /health and tried again until it loads."""

import json
import time

import pytest
from fastapi.testclient import TestClient

from index_build.builder import build_index
from index_build.store.folder.versions import current_path
from service.app import create_app
from index_build.store.folder.store import FolderStore

pytestmark = pytest.mark.slow

TOKEN = "live-test-admin-token-of-32-characters-or-more"


def test_a_failed_switch_is_shown_and_retried(tmp_path, seed_index, embedder):
    settings, live = seed_index(tmp_path, admin_token=TOKEN)  # the admin sees the error's message in /health
    with TestClient(create_app(live, settings)) as client:
        served = client.get("/health").json()["index_version"]
        (settings.corpus_dir / "more.txt").write_text("Mme Marie Curie, Directrice, a parlé du radium.", encoding="utf-8")
        catalog = json.loads((settings.corpus_dir / "reports.json").read_text(encoding="utf-8"))
        catalog["reports"].append({"id": "more", "title": "Radium", "language": "fr", "source_file": "more.txt"})
        (settings.corpus_dir / "reports.json").write_text(json.dumps(catalog), encoding="utf-8")
        build_index(FolderStore(settings.index_dir, settings.corpus_dir), embedder, show_progress=False)
        chunks = current_path(settings.index_dir) / "manifest.json"
        good = chunks.read_text(encoding="utf-8")
        chunks.write_text("not json\n", encoding="utf-8")  # a transient fault while the version is read

        assert live.refresh() is False
        health = client.get("/health", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert health["index_version"] == served != health["current_on_disk"]
        assert health["state"] == "switch_failing" and "unreadable" in health["last_error"]
        assert client.get("/health").json()["last_error"] == "IndexProblem"  # anyone: its code
        assert client.get("/search", params={"q": "abeilles"}).status_code == 200  # still answering

        chunks.write_text(good, encoding="utf-8")  # the fault is gone: the next try after the wait switches
        deadline = time.monotonic() + 30
        while client.get("/health").json()["index_version"] == served and time.monotonic() < deadline:
            time.sleep(0.2)
        health = client.get("/health").json()
        assert health["index_version"] == health["current_on_disk"] != served and health["last_error"] == ""
