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


@pytest.fixture(scope="module")
def folders(tmp_path_factory, seed_index):
    """(settings of the seed index, settings of the seed and harbour index), each built once."""
    one, _ = seed_index(tmp_path_factory.mktemp("one"))
    two, _ = seed_index(tmp_path_factory.mktemp("two"), extra_reports=[EXTRA])
    return one, two


def test_serving_from_postgresql(tmp_path, folders):
    settings, bigger = folders
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


def test_replaced_versions_are_dropped_after_their_grace_with_the_documents_no_version_holds(folders, postgres_dsn,
                                                                                           monkeypatch):
    import psycopg

    from index_build import pg_writer

    small, big = folders
    copy_from_folder(postgres_dsn, big.index_dir)
    copy_from_folder(postgres_dsn, small.index_dir)  # the bigger version replaced, kept: within its grace
    with psycopg.connect(postgres_dsn) as connection:
        assert connection.execute("SELECT count(*) FROM citeqa_versions").fetchone()[0] == 2
        assert connection.execute("SELECT count(*) FROM citeqa_documents").fetchone()[0] == 2
    monkeypatch.setattr(pg_writer, "GRACE_SECONDS", 0)
    monkeypatch.setattr(pg_writer, "KEEP_VERSIONS", 1)
    copy_from_folder(postgres_dsn, small.index_dir)
    with psycopg.connect(postgres_dsn) as connection:
        assert connection.execute("SELECT id FROM citeqa_versions").fetchall() == [(load_version(small.index_dir).version,)]
        assert connection.execute("SELECT document_id FROM citeqa_documents").fetchall() == [("seed",)]
        assert connection.execute("SELECT count(*) FROM citeqa_chunks WHERE document_key LIKE 'harbour@%'").fetchone()[0] == 0


def test_two_servers_follow_additions_and_removals_without_a_failed_request(tmp_path, folders, postgres_dsn):
    """Two `citeqa serve` processes on one database, searched by threads while `citeqa add` and `citeqa remove`
    (each writing its new version straight into the database) change the library."""
    import shutil

    from eval.live_server import SearchLoop, run_citeqa

    small, _ = folders
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(small.corpus_dir, corpus)
    env = citeqa_env(corpus, index_dir) | {"CITEQA_STORE": postgres_dsn}
    built = run_citeqa(env, "build", "--if-missing")  # built into the database: no index folder is made
    assert built.returncode == 0 and "1 added" in built.stdout and "PostgreSQL" in built.stdout, built.stderr
    assert not index_dir.exists()
    again = run_citeqa(env, "build", "--if-missing")
    assert again.returncode == 0 and "already built in PostgreSQL" in again.stdout, again.stderr
    report = tmp_path / "harbour.txt"
    report.write_text(EXTRA["text"], encoding="utf-8")
    versions_of: dict[str, set[str]] = {}
    with ServeProcess(env, tmp_path / "a.log") as first, ServeProcess(env, tmp_path / "b.log") as second:
        with SearchLoop(first.url, 3, QUESTIONS + ["container terminal"]) as loop_a, \
                SearchLoop(second.url, 3, QUESTIONS + ["container terminal"]) as loop_b:
            for command in (["add", str(report), "--id", "harbour", "--lang", "en"], ["remove", "harbour"]):
                done = run_citeqa(env, *command)
                assert done.returncode == 0 and "Index version" in done.stdout, done.stderr
                version = next(line.split()[2].rstrip(":") for line in done.stdout.splitlines()
                               if line.startswith("Index version"))
                versions_of[version] = {"seed", "harbour"} if command[0] == "add" else {"seed"}
                for served in (first, second):
                    deadline = time.monotonic() + 30
                    while httpx.get(f"{served.url}/health").json()["index_version"] != version:
                        assert time.monotonic() < deadline, served.log_tail()
                        time.sleep(0.2)
    requests = loop_a.requests + loop_b.requests
    assert len(requests) > 20 and not [r.error for r in requests if r.error]
    for request in requests:  # every answer from one whole version: it cites only reports that version holds
        assert request.cited <= versions_of.get(request.version, {"seed"})
    assert any("harbour" in r.cited for r in requests)
