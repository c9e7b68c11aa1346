"""`citeqa serve` with CITEQA_STORE=postgresql://…: the same answers as the folder, a new version followed
without a restart, 503s while the database is down and answers again once it is back; and what servers and writers
owe each other across processes (issue 23): a served version kept while its server's switch fails, a build lock
given up at its deadline, connections bounded however often versions change."""

import time

import httpx
import pytest

from eval.live_server import ServeProcess, citeqa_env
from eval.postgres_server import LocalPostgres
from index_build.store.folder.versions import load_version
from index_build.store.postgres.copy import copy_from_folder

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
            assert down.status_code == 503, down.text  # from the failed query, or the poller noticed first
            assert "not answering" in down.json()["detail"] or "has not answered" in down.json()["detail"]
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

    from index_build.store.postgres import writer as pg_writer

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


# --- issue 23: versions and connections have an owner across processes -------------------------------------------
def client_connections(dsn: str) -> int:
    """Client connections to the database at ``dsn`` (this one's excepted)."""
    import psycopg

    with psycopg.connect(dsn) as connection:
        return connection.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                                  "backend_type = 'client backend' AND pid <> pg_backend_pid()").fetchone()[0]


def wait_for_health(url: str, ready: bool, seconds: float = 30, log=None) -> httpx.Response:
    """``GET /health`` until it answers 200 (``ready``) or 503 (not)."""
    deadline = time.monotonic() + seconds
    while (health := httpx.get(f"{url}/health", timeout=30)).status_code != (200 if ready else 503):
        assert time.monotonic() < deadline, (health.text, log() if log else "")
        time.sleep(0.2)
    return health


def test_a_server_whose_switch_keeps_failing_keeps_its_version_then_is_not_ready_once_it_is_gone(
        tmp_path, folders, postgres_dsn, monkeypatch):
    import psycopg

    from index_build.store.base import PreviousVersion
    from index_build.store.postgres import writer as pg_writer
    from index_build.store.postgres.writer import PostgresWriter

    small, _ = folders
    folder = load_version(small.index_dir)
    first = copy_from_folder(postgres_dsn, small.index_dir).version
    other_model = {**folder.manifest, "model": {**folder.manifest["model"], "fingerprint": "another-model"}}
    monkeypatch.setattr(pg_writer, "GRACE_SECONDS", 0)  # without a lease, the version served would go at once
    monkeypatch.setattr(pg_writer, "KEEP_VERSIONS", 1)

    def commit_for_another_model() -> str:
        writer = PostgresWriter(postgres_dsn)
        writer.add(PreviousVersion(folder).part("seed"))
        return writer.commit(other_model).version

    token = "lease-test-admin-token-of-32-characters-or-more"
    env = citeqa_env(small.corpus_dir, small.index_dir) | {"CITEQA_STORE": postgres_dsn, "CITEQA_ADMIN_TOKEN": token}
    with ServeProcess(env, tmp_path / "serve.log") as served:
        newer = [commit_for_another_model() for _ in range(3)]  # versions this server cannot switch to
        deadline = time.monotonic() + 30
        while (health := httpx.get(f"{served.url}/health").json())["state"] != "switch_failing" or \
                health["current_on_disk"] != newer[-1]:
            assert time.monotonic() < deadline, (health, served.log_tail())
            time.sleep(0.2)
        with psycopg.connect(postgres_dsn) as connection:
            kept = [row[0] for row in connection.execute("SELECT id FROM citeqa_versions ORDER BY created_at")]
            leases = connection.execute("SELECT version_id FROM citeqa_servers").fetchall()
        assert kept == [first, *newer[-2:]] and leases == [(first,)]  # the others between went
        answer = httpx.post(f"{served.url}/search", json={"question": QUESTIONS[0], "k": 3}, timeout=30)
        assert answer.status_code == 200 and answer.json()["index_version"] == first
        assert answer.json()["passages"], "the version served answers from its rows, not with empty passages"
        assert health["ready"] is True and health["last_error"] == "IndexProblem"

        with psycopg.connect(postgres_dsn) as connection:  # gone anyway (by hand, or by an older citeqa's cleanup)
            connection.execute("DELETE FROM citeqa_versions WHERE id = %s", (first,))
        gone = wait_for_health(served.url, ready=False, log=served.log_tail)
        assert gone.headers["Retry-After"]
        assert gone.json()["ready"] is False and gone.json()["state"] == "unavailable"
        assert gone.json()["last_error"] == "DatabaseProblem" and gone.json()["index_version"] == first  # a code only
        admin = httpx.get(f"{served.url}/health", headers={"Authorization": f"Bearer {token}"})
        assert admin.status_code == 503 and admin.json()["last_error"] == (
            f"DatabaseProblem: index version {first}, served here, is no longer in the database")
        refused = httpx.post(f"{served.url}/search", json={"question": QUESTIONS[0], "k": 3}, timeout=30)
        assert refused.status_code == 503 and refused.headers["Retry-After"], refused.text
        assert f"index version {first}, served here, is no longer in the database" in refused.json()["detail"]

    with psycopg.connect(postgres_dsn) as connection:  # the server stopped without giving its lease up
        assert connection.execute("SELECT count(*) FROM citeqa_servers").fetchone()[0] == 1
    monkeypatch.setattr(pg_writer, "LEASE_SECONDS", 1)
    time.sleep(1.5)
    commit_for_another_model()
    with psycopg.connect(postgres_dsn) as connection:  # expired: dropped by the next cleanup
        assert connection.execute("SELECT count(*) FROM citeqa_servers").fetchone()[0] == 0


def test_citeqa_add_gives_up_on_a_held_build_lock_at_its_deadline(tmp_path, folders, postgres_dsn):
    import psycopg

    from eval.live_server import run_citeqa
    from index_build.store.postgres.schema import BUILD_LOCK

    small, _ = folders
    report = tmp_path / "harbour.txt"
    report.write_text(EXTRA["text"], encoding="utf-8")
    env = citeqa_env(small.corpus_dir, tmp_path / "index") | {"CITEQA_STORE": postgres_dsn, "CITEQA_LOCK_TIMEOUT": "3"}
    with psycopg.connect(postgres_dsn, autocommit=True) as holder:  # another citeqa's build, or a hung one
        holder.execute("SELECT pg_advisory_lock(%s)", (BUILD_LOCK,))
        started = time.monotonic()
        done = run_citeqa(env, "add", str(report), "--id", "harbour", "--lang", "en", timeout=300)
        took = time.monotonic() - started
        pid = holder.info.backend_pid
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "citeqa: Another citeqa process is changing the index in PostgreSQL at" in done.stderr, done.stderr
    assert "(waited 3 s: CITEQA_LOCK_TIMEOUT); try again when it is done." in done.stderr
    assert f"`SELECT pg_terminate_backend({pid})` releases it" in done.stderr
    assert 3 <= took < 3 + 30, took  # the deadline, the model's load and the interpreter's start
    with psycopg.connect(postgres_dsn) as connection:  # nothing was written
        assert connection.execute("SELECT to_regclass('citeqa_versions')").fetchone()[0] is None


def test_connections_stay_bounded_over_ten_quick_switches(tmp_path, folders, postgres_dsn, embedder):
    from concurrent.futures import ThreadPoolExecutor

    from index_build.store.postgres import pool
    from index_build.store.postgres.store import PostgresStore
    from index_build.store.postgres.writer import PostgresWriter
    from service.live import LiveIndex
    from service.search import SearchEngine

    small, _ = folders
    manifest = load_version(small.index_dir).manifest
    copy_from_folder(postgres_dsn, small.index_dir)
    store = PostgresStore(postgres_dsn, small.corpus_dir, tmp_path / "cache", poll_seconds=0.2)
    live = LiveIndex(SearchEngine(embedder, store.open(fingerprint=embedder.fingerprint,
                                                       dimension=embedder.dimension)), store)
    counted = []
    try:
        with ThreadPoolExecutor(6) as searches:
            for n in range(10):
                entry = live.engine().version.documents[0]
                writer = PostgresWriter(postgres_dsn, live.engine().version.documents)
                writer.keep({**entry, "title": f"Abeilles {n}"})  # a new version of the same rows
                version = writer.commit(manifest, order=[entry["id"]]).version
                deadline = time.monotonic() + 10
                while store.current_name() != version:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                assert live.refresh() and live.engine().version.version == version
                found = list(searches.map(lambda question: live.engine().search(question, 3), QUESTIONS * 4))
                assert all(answer.passages for answer in found)
                counted.append(client_connections(postgres_dsn))
        assert live.problem() == ""
    finally:
        store.close()
    # the replaced versions stay open 60 s after their switch (requests finishing on them), on the same pool
    assert max(counted) <= pool.POOL_SIZE + 1, counted  # the process's pool and the poller's connection


def test_the_database_stopped_under_load_gives_503s_and_not_ready_then_answers_again(tmp_path, folders):
    from eval.live_server import SearchLoop

    small, _ = folders
    with LocalPostgres() as database:  # its own server: this test stops and starts it
        copy_from_folder(database.dsn, small.index_dir)
        env = citeqa_env(small.corpus_dir, small.index_dir) | {"CITEQA_STORE": database.dsn}
        log = tmp_path / "serve.log"
        with ServeProcess(env, log) as served, SearchLoop(served.url, 3, QUESTIONS) as loop:
            time.sleep(1)
            database.stop()
            stopped = time.perf_counter()
            down = wait_for_health(served.url, ready=False, log=served.log_tail)
            time.sleep(3)  # searches while it is down
            database.start()
            restarted = time.perf_counter()
            wait_for_health(served.url, ready=True, log=served.log_tail)
            recovered = time.perf_counter()
            time.sleep(4)
        assert down.json()["ready"] is False and down.json()["state"] == "unavailable"
        assert down.json()["last_error"] == "DatabaseProblem" and down.headers["Retry-After"]
    requests = loop.requests
    assert all(not r.error or r.error.startswith("HTTP 503") for r in requests), {r.error for r in requests}
    during = [r for r in requests if r.started > stopped + 1 and r.ended < restarted]
    assert during and all(r.error for r in during)  # refused, never 200 with empty passages
    assert max(r.ms for r in during) < 10_000  # each refused within a bounded wait
    after = [r for r in requests if r.started > recovered + 0.5]  # ready again: new connections at once (a fresh
    # pool, not the old one's reconnection backoff)
    assert after and all(r.answer and r.answer["passages"] for r in after), [r.error for r in after]
    lines = log.read_text(encoding="utf-8").splitlines()
    assert sum("does not answer" in line for line in lines) == 1, lines  # one warning an outage, not one a second
    assert sum("answers again" in line for line in lines) == 1
    assert not [line for line in lines if "psycopg" in line]
