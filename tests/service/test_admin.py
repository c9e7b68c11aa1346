"""The admin API over HTTP: uploads, removal, rebuild, limits and tokens; the index is unchanged by bad input."""

import json
import time

import pytest
from fastapi.testclient import TestClient
from fpdf import FPDF

from index_build.store.folder.store import FolderStore
from index_build.store.folder.versions import current_path, writer_lock
from service.live import LiveIndex
from service.app import create_app

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token-for-the-admin-api-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PORT_REPORT = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
               "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days.")


@pytest.fixture
def admin(tmp_path, seed_index):
    settings, live = seed_index(tmp_path, admin_token=TOKEN, max_upload_mb=0.05)
    with TestClient(create_app(live, settings)) as client:
        client.settings = settings
        yield client


class Outcome:
    """What an admin request came to: its own refusal, or its job's result (201 done) or failure."""

    def __init__(self, client, response):
        self.accepted = response.status_code == 202
        if not self.accepted:
            self.status_code, self.body = response.status_code, response.json()
        else:
            job = response.json()
            url = job["url"]
            assert response.headers["location"] == url == f"/jobs/{job['id']}" and job["state"] == "queued"
            while job["state"] in ("queued", "running"):
                time.sleep(0.05)
                job = client.get(url, headers=AUTH).json()
            self.status_code = 201 if job["state"] == "done" else job["error"]["status"]
            self.body = job["result"] if job["state"] == "done" else {"detail": job["error"]["detail"]}
        self.text = json.dumps(self.body, ensure_ascii=False)

    def json(self):
        return self.body


def upload(client, name, content, headers=AUTH, **fields):
    return Outcome(client, client.post("/documents", headers=headers, files={"file": (name, content)}, data=fields))


def test_upload_search_replace_and_delete(admin):
    created = upload(admin, "harbour.md", PORT_REPORT.encode(), title="Harbour", language="en")
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "harbour" and created.json()["chunks"] >= 1 and created.json()["status"] == "added"
    answer = admin.get("/search", params={"q": "How many containers does the Valparaíso terminal handle?"}).json()
    assert answer["passages"][0]["document_id"] == "harbour"
    assert answer["index_version"] == created.json()["index_version"]
    assert "Grace Hopper" in [s["name"] for s in answer["speakers"]]

    assert upload(admin, "harbour.md", PORT_REPORT.encode()).json()["status"] == "unchanged"
    conflict = upload(admin, "harbour.md", (PORT_REPORT + " The port opens at night.").encode())
    assert conflict.status_code == 409 and "replace" in conflict.json()["detail"]  # an id collision asks first
    replaced = upload(admin, "harbour.md", (PORT_REPORT + " The port opens at night.").encode(), replace="true")
    assert replaced.status_code == 201 and replaced.json()["status"] == "replaced"
    assert sorted(d["id"] for d in admin.get("/documents").json()) == ["harbour", "seed"]

    deleted = Outcome(admin, admin.delete("/documents/harbour", headers=AUTH))
    assert deleted.accepted and deleted.status_code == 201 and deleted.json()["status"] == "removed"
    assert [d["id"] for d in admin.get("/documents").json()] == ["seed"]
    answer = admin.get("/search", params={"q": "container terminal"}).json()
    assert all(p["document_id"] == "seed" for p in answer["passages"])


def test_rebuild(admin):
    before = admin.get("/health").json()["index_version"]
    response = Outcome(admin, admin.post("/index/rebuild", headers=AUTH))
    assert response.accepted and response.status_code == 201
    assert admin.get("/health").json()["index_version"] == response.json()["index_version"] != before


def test_every_job_that_meets_a_busy_store_answers_503(tmp_path, seed_index):
    """Another change holds the store's lock past CITEQA_LOCK_TIMEOUT: an upload, a removal and a rebuild all fail
    with 503 (send it again), not a 422 or a 500, and the index served is unchanged."""
    settings, live = seed_index(tmp_path, admin_token=TOKEN, extra_reports=[{"id": "harbour", "text": PORT_REPORT}])
    busy = LiveIndex(live.engine(), FolderStore(settings.index_dir, settings.corpus_dir, lock_timeout=0.5))
    with TestClient(create_app(busy, settings)) as client, writer_lock(settings.index_dir):
        before = client.get("/health").json()["index_version"]
        for outcome in (upload(client, "port.md", PORT_REPORT.encode()),
                        Outcome(client, client.delete("/documents/harbour", headers=AUTH)),
                        Outcome(client, client.post("/index/rebuild", headers=AUTH))):
            assert outcome.status_code == 503, outcome.text
            assert "Another citeqa process is changing the index" in outcome.json()["detail"]
        assert client.get("/health").json()["index_version"] == before
        assert sorted(d["id"] for d in client.get("/documents").json()) == ["harbour", "seed"]


def make_pdf(pages):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.cell(0, 6, text)
    return bytes(pdf.output())


@pytest.mark.parametrize("name, content, code, message", [
    ("notes.docx", b"PK\x03\x04", 415, "Unsupported file type .docx"),
    ("no-suffix", b"text", 415, "Unsupported file type"),
    ("scan.pdf", make_pdf(["", ""]), 422, "no text layer"),
    ("broken.pdf", b"%PDF-1.4 garbage", 422, "not a readable PDF"),
    ("empty.txt", b"   \n", 422, "no text"),
    ("latin1.txt", "Déclaration".encode("latin-1"), 422, "not UTF-8"),
    ("huge.txt", b"a" * 60_000, 413, "larger than"),
    ("../../etc/passwd.txt", b"Ms. Eve said hello to the world of paths.", 201, ""),
])
def test_bad_uploads_are_refused_and_change_nothing(admin, name, content, code, message):
    before = (current_path(admin.settings.index_dir), (admin.settings.corpus_dir / "reports.json").read_text())
    response = upload(admin, name, content)
    assert response.status_code == code, response.json()
    assert message in json.dumps(response.json(), ensure_ascii=False)
    if code != 201:
        assert before == (current_path(admin.settings.index_dir), (admin.settings.corpus_dir / "reports.json").read_text())
    else:  # a file name is never a path: it only gives the id
        assert response.json()["id"] == "passwd"
        assert not (admin.settings.corpus_dir.parent / "etc").exists()


@pytest.mark.parametrize("fields", [{"replace": "1"}, {"replace": "yes"}, {"language": "French"}, {"language": "FR"},
                                    {"year": "\uff12\uff10\uff12\uff15"}, {"year": " 2025"}, {"year": "999"}])
def test_form_fields_are_read_as_the_schema_says(admin, fields):
    response = admin.post("/documents", headers=AUTH, files={"file": ("a.txt", PORT_REPORT.encode())}, data=fields)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", next(iter(fields))]


def test_a_file_named_without_a_suffix_is_read_by_its_content_type(admin):
    response = admin.post("/documents", headers=AUTH, files={"file": ("harbour", PORT_REPORT.encode(), "text/markdown")})
    created = Outcome(admin, response)
    assert created.status_code == 201 and created.json()["id"] == "harbour"
    octets = admin.post("/documents", headers=AUTH, files={"file": ("harbour", b"x", "application/octet-stream")})
    assert octets.status_code == 415 and "text/markdown" in octets.json()["detail"]


def test_admin_actions_and_refusals_are_in_the_audit_log(admin):
    import hashlib

    from service.audit import AuditLog

    content = PORT_REPORT.encode()
    assert upload(admin, "audited.md", content).status_code == 201
    assert upload(admin, "audited.md", content, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert admin.delete("/documents/nope", headers=AUTH).status_code == 404
    entries = AuditLog(admin.settings.audit_log).entries()
    added, refused, missing = entries[-3:]
    assert added["action"] == "upload" and added["report_id"] == "audited" and added["result"].startswith("added")
    assert added["sha256"] == hashlib.sha256(content).hexdigest() and added["client"] and added["time"]
    assert refused["result"].startswith("refused 403") and refused["sha256"] == ""
    assert missing["action"] == "remove" and missing["result"].startswith("refused 404")


def test_an_audit_entry_stays_one_line_whatever_its_report_id_carries(tmp_path):
    from service.audit import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl")
    odd = "a\x85b\u2028c\u2029d\x1ce\nf"  # line breaks to str.splitlines (found by the contract test)
    log.record("127.0.0.1", "remove", "refused 404: unknown report", odd)
    assert len(log.path.read_text(encoding="utf-8").splitlines()) == 1 and log.entries()[0]["report_id"] == odd


def test_tokens(admin):
    assert upload(admin, "a.txt", b"x", headers={}).status_code == 401
    assert upload(admin, "a.txt", b"x", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert admin.delete("/documents/nope", headers=AUTH).status_code == 404
    assert admin.delete("/documents/seed", headers={"Authorization": "Basic abc"}).status_code == 401


def test_admin_api_is_off_without_a_token(client):
    response = client.post("/documents", files={"file": ("a.txt", b"hello")}, headers=AUTH)
    assert response.status_code == 403 and "CITEQA_ADMIN_TOKEN" in response.text


def test_an_upload_is_queued_while_another_writer_holds_the_lock(admin):
    from index_build.store.folder.versions import writer_lock

    with writer_lock(admin.settings.index_dir):  # e.g. `citeqa add` running in another process
        started = time.perf_counter()
        response = admin.post("/documents", headers=AUTH, files={"file": ("queued.md", PORT_REPORT.encode())})
        assert response.status_code == 202 and time.perf_counter() - started < 10  # the request did not wait
        assert admin.get("/search", params={"q": "abeilles"}).status_code == 200
        assert admin.get(response.json()["url"], headers=AUTH).json()["state"] in ("queued", "running")
    outcome = Outcome(admin, response)
    assert outcome.status_code == 201 and outcome.json()["id"] == "queued"
    assert admin.get("/jobs/nope", headers=AUTH).status_code == 404


def test_uploads_that_fill_a_tier_queue_a_merge_that_is_served(admin):
    from index_build.store.folder.merging import MERGE_FACTOR

    before = json.loads((current_path(admin.settings.index_dir) / "manifest.json").read_text())["segments"]
    merge_job = None
    for number in range(MERGE_FACTOR - len(before)):  # each upload is a segment of its own
        created = upload(admin, f"port-{number}.md", f"{PORT_REPORT} Berth {number} was opened.".encode(),
                         language="en")
        assert created.status_code == 201, created.text
        merge_job = created.json().get("merge_job")
        assert (merge_job is None) == (number < MERGE_FACTOR - len(before) - 1), created.text  # on the last one
    job = admin.get(f"/jobs/{merge_job}", headers=AUTH).json()
    while job["state"] in ("queued", "running"):
        time.sleep(0.05)
        job = admin.get(f"/jobs/{merge_job}", headers=AUTH).json()
    assert job["action"] == "merge" and job["state"] == "done" and job["result"]["status"] == "merged", job
    manifest = json.loads((current_path(admin.settings.index_dir) / "manifest.json").read_text())
    assert len(manifest["segments"]) == 1 and manifest["version"] == job["result"]["index_version"]
    assert admin.get("/health").json()["index_version"] == manifest["version"]
    answer = admin.get("/search", params={"q": "Which berth was opened in Valparaíso?"}).json()
    assert answer["passages"] and answer["passages"][0]["document_id"].startswith("port-")
    assert len(admin.get("/documents").json()) == MERGE_FACTOR


# --- issue 22, L3/L7: refused before a job is queued; a bounded queue ------------------------------------------
def refused_at_once(client, name, content, **fields):
    """An upload's answer, which must be a refusal of the request itself (no job: no 202, no Location)."""
    jobs_before = client.app.state.jobs.states()
    response = client.post("/documents", headers=AUTH, files={"file": (name, content)}, data=fields)
    assert response.status_code != 202 and "location" not in response.headers, response.text
    assert client.app.state.jobs.states() == jobs_before  # nothing queued
    return response


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty.txt: the file is empty (0 bytes)"),
    ("empty.pdf", b"", "empty.pdf: the file is empty (0 bytes)"),
    ("empty.md", b"", "empty.md: the file is empty (0 bytes)"),
    ("blank.md", b" \n\t\n", "blank.md: no text found in the report"),
    ("latin1.txt", "Déclaration".encode("latin-1"), "latin1.txt: not UTF-8 text"),
])
def test_an_empty_or_unreadable_text_upload_is_refused_before_any_job_is_queued(admin, name, content, message):
    before = (current_path(admin.settings.index_dir), (admin.settings.corpus_dir / "reports.json").read_text())
    response = refused_at_once(admin, name, content)
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]  # the shape of every 422: the field, and what to do
    assert problem["loc"] == ["body", "file"] and message in problem["msg"]
    assert before == (current_path(admin.settings.index_dir), (admin.settings.corpus_dir / "reports.json").read_text())
    from service.audit import AuditLog

    assert AuditLog(admin.settings.audit_log).entries()[-1]["result"].startswith("refused 422")


@pytest.mark.parametrize("field, limit", [("title", 500), ("publisher", 200), ("id", 120)])
def test_an_over_long_text_field_is_refused_with_its_limit(admin, field, limit):
    response = refused_at_once(admin, "harbour.md", PORT_REPORT.encode(), **{field: "x" * (limit + 1)})
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["body", field] and problem["type"] == "string_too_long"
    assert problem["msg"] == f"{field} is {limit + 1:,} characters long; at most {limit:,} are accepted: shorten it"
    assert len(problem["input"]) < 200  # the refused input is not echoed whole
    long_name = refused_at_once(admin, "r" * 300 + ".md", PORT_REPORT.encode())
    assert long_name.status_code == 422 and "rename the file" in long_name.json()["detail"][0]["msg"]


def test_texts_at_their_limits_are_kept_and_a_pdf_title_is_cut_to_the_limit(admin):
    created = upload(admin, "harbour.md", PORT_REPORT.encode(), title="T" * 500, publisher="P" * 200, id="h" * 120)
    assert created.status_code == 201, created.text
    entry = admin.get(f"/documents/{'h' * 120}").json()
    assert (entry["title"], entry["publisher"]) == ("T" * 500, "P" * 200)
    pdf = FPDF()
    pdf.set_title("Rapport " + "M" * 20_000)  # the file's own metadata: not refused, cut
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 6, PORT_REPORT[:90])
    assert upload(admin, "meta.pdf", bytes(pdf.output())).status_code == 201
    assert admin.get("/documents/meta").json()["title"] == ("Rapport " + "M" * 20_000)[:500]


def test_a_full_job_queue_answers_429_with_retry_after_before_any_work(tmp_path, seed_index):
    from index_build.store.folder.versions import writer_lock

    settings, live = seed_index(tmp_path, admin_token=TOKEN, max_queued_jobs=2)
    with TestClient(create_app(live, settings)) as client, writer_lock(settings.index_dir):  # the worker waits
        first = client.post("/documents", headers=AUTH, files={"file": ("a.md", PORT_REPORT.encode())}).json()
        while client.get(first["url"], headers=AUTH).json()["state"] != "running":
            time.sleep(0.05)
        queued = [client.post("/documents", headers=AUTH, files={"file": (f"q{n}.md", PORT_REPORT.encode())})
                  for n in range(2)]
        assert [response.status_code for response in queued] == [202, 202]
        for refused in (client.post("/documents", headers=AUTH, files={"file": ("full.md", PORT_REPORT.encode())}),
                        client.delete("/documents/seed", headers=AUTH), client.post("/index/rebuild", headers=AUTH)):
            assert refused.status_code == 429 and refused.headers["retry-after"] == "30", refused.text
            assert refused.json()["detail"].startswith("The job queue is full: 2 jobs are waiting (at most 2, "
                                                       "CITEQA_MAX_QUEUED_JOBS). Try again in 30 s")
        assert client.app.state.jobs.states() == {"running": 1, "queued": 2}
    for job in (first, *(response.json() for response in queued)):  # the lock released: each job is done
        assert client.app.state.jobs.wait(job["id"]).state == "done"
