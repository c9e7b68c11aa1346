"""`citeqa serve` with CITEQA_STORE=postgresql://…: the same answers as the folder, a new version followed
without a restart, 503s while the database is down and answers again once it is back."""

import time

import httpx
import pytest

from eval.live_server import ServeProcess, citeqa_env
from eval.postgres_server import LocalPostgres
from index_build.index_store import load_version
from index_build.pg_copy import copy_from_folder

pytestmark = pytest.mark.slow

QUESTIONS = ["combien de ruches à Lyon ?", "Qui a parlé de la formation des apiculteurs ?", "who spoke about bees"]
EXTRA = {"id": "harbour", "text": "Ms. Grace Hopper, Director of the Harbour Authority, said that the new container "
         "terminal in Valparaíso handles 1.2 million containers a year.", "language": "en"}


def answers(url: str) -> list[list[tuple]]:
    found = []
    for question in QUESTIONS:
        response = httpx.post(f"{url}/search", json={"question": question, "k": 3}, timeout=30)
        assert response.status_code == 200, response.text
        found.append([(p["document_id"], p["start"], p["end"], p["page"]) for p in response.json()["passages"]])
    return found


def test_serving_from_postgresql(tmp_path, seed_index):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    settings, live = seed_index(tmp_path / "one")
    bigger, _ = seed_index(tmp_path / "two", extra_reports=[EXTRA])
    with LocalPostgres() as database:  # its own server: this test stops and starts it
        copy_from_folder(database.dsn, settings.index_dir)
        folder_env = citeqa_env(settings.corpus_dir, settings.index_dir)
        with ServeProcess(folder_env, tmp_path / "folder.log") as served:
            expected = answers(served.url)
        with ServeProcess(folder_env | {"CITEQA_STORE": database.dsn}, tmp_path / "pg.log") as served:
            assert answers(served.url) == expected  # the same passages, pages and spans as the folder
            health = httpx.get(f"{served.url}/health").json()
            assert health["index_version"] == load_version(settings.index_dir).version

            new = copy_from_folder(database.dsn, bigger.index_dir)  # another process makes a new version current
            deadline = time.monotonic() + 30
            while httpx.get(f"{served.url}/health").json()["index_version"] != new.version:
                assert time.monotonic() < deadline, served.log_tail()
                time.sleep(0.2)
            cited = httpx.post(f"{served.url}/search", json={"question": "container terminal Valparaíso"}).json()
            assert cited["passages"][0]["document_id"] == "harbour"

            database.stop()
            down = httpx.post(f"{served.url}/search", json={"question": "who spoke about containers"}, timeout=30)
            assert down.status_code == 503 and "not answering" in down.json()["detail"]
            assert down.headers["Retry-After"]
            database.start()
            deadline = time.monotonic() + 30
            while True:
                back = httpx.post(f"{served.url}/search", json={"question": "who spoke about containers"}, timeout=30)
                if back.status_code == 200:
                    break
                assert back.status_code == 503 and time.monotonic() < deadline, back.text
                time.sleep(0.5)
            assert back.json()["passages"][0]["document_id"] == "harbour"
