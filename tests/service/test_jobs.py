"""The admin jobs across a restart (issue 22, L3): real `citeqa serve` processes on one index and jobs folder; the
first is killed (SIGKILL: a crash) with jobs unfinished, the next reports them lost, removes their uploads' folders,
and still knows what became of the jobs that finished."""

import json
import time
from pathlib import Path

import httpx
import pytest

from eval.live_server import ServeProcess, citeqa_env
from index_build.store.folder.versions import writer_lock
from service.job_ledger import LOST_REASON

pytestmark = pytest.mark.slow

TOKEN = "jobs-s3cret-token-for-the-restart-test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REPORT = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
          "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days.")


def job_state(url: str, job_id: str) -> dict:
    response = httpx.get(f"{url}/jobs/{job_id}", headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def until(url: str, job_id: str, states: tuple[str, ...], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while (job := job_state(url, job_id))["state"] not in states:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


def upload(url: str, name: str) -> dict:
    response = httpx.post(f"{url}/documents", headers=AUTH, files={"file": (name, REPORT.encode())}, timeout=60)
    assert response.status_code == 202, response.text
    return response.json()


def test_a_restart_reports_the_jobs_it_did_not_finish_as_lost_and_keeps_the_others(tmp_path, seed_index):
    settings, _ = seed_index(tmp_path)
    jobs_dir = tmp_path / "jobs"
    env = citeqa_env(settings.corpus_dir, settings.index_dir) | {
        "CITEQA_ADMIN_TOKEN": TOKEN, "CITEQA_AUDIT_LOG": str(settings.audit_log), "CITEQA_JOBS_DIR": str(jobs_dir)}
    with ServeProcess(env, tmp_path / "first.log") as first:
        done = upload(first.url, "finished.md")
        assert until(first.url, done["id"], ("done", "failed"))["state"] == "done"
        with writer_lock(settings.index_dir):  # another writer: the next jobs wait
            running = upload(first.url, "running.md")
            until(first.url, running["id"], ("running",))
            queued = upload(first.url, "queued.md")
            saved = {job["id"]: job for path in jobs_dir.glob("*.json")
                     for job in json.loads(path.read_text(encoding="utf-8"))}
            folders = [Path(saved[job["id"]]["folder"]) for job in (running, queued)]
            assert all(folder.is_dir() for folder in folders)  # each upload's file, waiting
            first.process.kill()  # a crash: no cleanup of any kind
            first.process.wait()
    with ServeProcess(env, tmp_path / "second.log") as second:
        assert job_state(second.url, done["id"])["state"] == "done"  # what finished survives
        for job in (running, queued):
            lost = job_state(second.url, job["id"])
            assert lost["state"] == "lost" and lost["error"] == {"status": 503, "detail": LOST_REASON}
            assert lost["action"] == "upload" and lost["finished_at"] >= lost["created_at"]
        assert not any(folder.exists() for folder in folders)  # their uploads' folders are removed
        reports = {doc["id"] for doc in httpx.get(f"{second.url}/documents").json()}
        assert "finished" in reports and not {"running", "queued"} & reports
        again = upload(second.url, "queued.md")  # sent again, as the reason says
        assert until(second.url, again["id"], ("done", "failed"))["state"] == "done"
    assert len(list(jobs_dir.glob("*.lock"))) == 1  # the first server's files were taken over
