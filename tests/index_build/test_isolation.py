"""Reports that fight back: each is refused with a message, in a child process with limits; all the work on a
report's text happens there, so a server keeps answering while a hostile report is prepared."""

import ast
import io
import json
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF

from index_build.isolation import prepare_text_isolated
from index_build.reading import MAX_PDF_PAGES, UnreadableReport
from index_build.store.folder.store import FolderStore


def pdf_bytes(pages: int, text: str = "A line of text for the report, long enough to count.", **encryption) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if encryption:
        pdf.set_encryption(**encryption)
    for _ in range(pages):
        pdf.add_page()
        pdf.cell(0, 6, text)
    return bytes(pdf.output())


def prepared_in_child(path, **limits):
    """The report read and prepared in the child (chunks of 600 characters, 100 overlapping)."""
    return prepare_text_isolated(path, "r", 600, 100, **limits)


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.txt", "not a pdf")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("truncated.pdf", pdf_bytes(3)[:700], "not a readable PDF"),
    ("archive.pdf", zipped(), "not a readable PDF"),
    ("empty.pdf", b"", "not a readable PDF"),
    ("binary.txt", bytes(range(256)) * 8, "not UTF-8"),
    ("locked.pdf", pdf_bytes(1, owner_password="owner", user_password="secret"), "encrypted"),
    ("bomb.pdf", pdf_bytes(MAX_PDF_PAGES + 1, text="x"), f"more than the {MAX_PDF_PAGES}"),
])
def test_hostile_files_are_refused_with_a_message(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableReport, match=message):
        prepared_in_child(path)


def test_a_good_report_reads_as_it_does_in_process(tmp_path):
    from index_build.preparation import prepare_text

    path = tmp_path / "good.pdf"
    path.write_bytes(pdf_bytes(2))
    assert prepared_in_child(path) == prepare_text(path, "r", 600, 100)


def test_past_the_time_limit_the_reader_is_stopped(tmp_path):
    path = tmp_path / "slow.pdf"
    path.write_bytes(pdf_bytes(50))
    with pytest.raises(UnreadableReport, match="longer than"):
        prepared_in_child(path, seconds=0.01)


def test_past_the_memory_limit_the_file_is_refused(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(pdf_bytes(20))
    with pytest.raises(UnreadableReport, match="more than 24 MB of memory"):
        prepared_in_child(path, memory_bytes=24 << 20)


#: What the modules a server runs (the builder, the reports' admin) may take from the modules that read, clean,
#: chunk and attribute a report: types, constants and slicing, never a function that runs a pattern over its text.
SERVER_SIDE = {"builder.py", "reports.py"}
TEXT_MODULES = {"reading", "cleaning", "chunking", "speakers", "text", "language", "preparation"}
ALLOWED = {"UnreadableReport", "SUPPORTED_SUFFIXES", "CleanDocument", "PreparedText", "sentence_texts"}


def test_the_builder_and_the_reports_leave_the_text_work_to_the_child():
    package = Path(__file__).parents[2] / "index_build"
    taken = set()
    for name in SERVER_SIDE:
        for node in ast.walk(ast.parse((package / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("index_build."):
                module = node.module.split(".", 1)[1]
                if module in TEXT_MODULES or module.startswith("speaker_"):
                    taken |= {alias.name for alias in node.names}
    assert taken <= ALLOWED, taken - ALLOWED


TOKEN = "isolation-test-admin-token-of-32-characters"


@pytest.mark.slow
def test_a_hostile_contents_line_is_prepared_in_the_child_while_health_answers(tmp_path, embedder):
    """Issue 22, H1: a 40 KB upload froze /health for 17.7 s, its contents line cleaned in the server's process."""
    from eval.live_server import ServeProcess, citeqa_env
    from index_build.builder import build_index

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "seed.txt").write_text("Mme Ada Lovelace a parlé des abeilles de Lyon.", encoding="utf-8")
    (corpus / "reports.json").write_text(json.dumps({"reports": [
        {"id": "seed", "title": "Abeilles", "language": "fr", "source_file": "seed.txt"}]}), encoding="utf-8")
    build_index(FolderStore(index, corpus), embedder, show_progress=False)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    with ServeProcess(citeqa_env(corpus, index) | {"CITEQA_ADMIN_TOKEN": TOKEN}, tmp_path / "server.log") as server:
        done = threading.Event()

        def poll_health() -> None:
            while not done.is_set():
                started = time.perf_counter()
                httpx.get(f"{server.url}/health", timeout=60).raise_for_status()
                latencies.append(time.perf_counter() - started)
                time.sleep(0.05)

        poller = threading.Thread(target=poll_health, daemon=True)
        poller.start()
        try:
            hostile = ("Chapitre" + " " * 40_000 + "un .... 12\n").encode()
            response = httpx.post(f"{server.url}/documents", headers=auth, timeout=60,
                                  files={"file": ("contents.txt", hostile)})
            assert response.status_code == 202, response.text
            job = response.json()
            url = f"{server.url}{job['url']}"
            while job["state"] in ("queued", "running"):
                time.sleep(0.1)
                job = httpx.get(url, headers=auth, timeout=60).json()
        finally:
            done.set()
            poller.join(timeout=120)
        document = httpx.get(f"{server.url}/documents/contents", timeout=60).json()
    assert job["state"] == "done" and job["result"]["status"] == "added", job
    assert document["id"] == "contents" and document["chunks"] == 1, document
    assert len(latencies) >= 5 and max(latencies) < 1.0, latencies
