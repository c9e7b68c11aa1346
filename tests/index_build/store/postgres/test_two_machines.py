"""Two machines on one PostgreSQL database (issue #23), as people run them: each machine is ``citeqa`` in a child
process with its own working folders (CITEQA_CORPUS_DIR, CITEQA_INDEX_DIR) and the same CITEQA_STORE. They add,
replace and remove reports in turn; after every change no report is lost (``citeqa list`` on both shows every
report either added and neither removed), and a ``citeqa serve`` on each machine answers from the whole catalog.
And ``citeqa export`` then ``citeqa import`` moves a catalog from an index folder into PostgreSQL.

Questions are not machine-translated and passages not rendered (CITEQA_TRANSLATION=false): the catalog and the
versions are the same with it, only slower to build."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from eval.live_server import ServeProcess, citeqa_env, run_citeqa
from index_build.corpus import ReportInfo, save_catalog
from tests.index_build.store.contract import AGUA, HARBOUR, RUCHES, RUCHES_V2, Report, write

pytestmark = pytest.mark.slow


def machine(root, name: str, store: str = "") -> dict[str, str]:
    """The environment of one machine: its own folders under ``root / name``, the store ``store``."""
    folder = root / name
    (folder / "corpus").mkdir(parents=True, exist_ok=True)
    return citeqa_env(folder / "corpus", folder / "index") | {
        "CITEQA_STORE": store, "CITEQA_TRANSLATION": "false", "CITEQA_AUDIT_LOG": str(folder / "audit.jsonl")}


def citeqa(env: dict[str, str], *args: str) -> str:
    """Run one command to its end; its output (it must succeed)."""
    done = run_citeqa(env, *args, timeout=300)
    assert done.returncode == 0, f"citeqa {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


def version_of(output: str) -> str:
    """The version a change made current ("Index version X in …")."""
    return next(line.split()[2] for line in output.splitlines() if line.startswith("Index version"))


def listed(env: dict[str, str]) -> dict[str, str]:
    """`citeqa list`: report id -> the start of its file's sha256."""
    lines = citeqa(env, "list").splitlines()
    assert lines[0].startswith("Index version") and ("PostgreSQL" in lines[0]) == bool(env["CITEQA_STORE"]), lines
    return {line.split()[0]: line.split()[4] for line in lines[2:] if line.strip()}


def add_file(env: dict[str, str], folder, report: Report, text: str | None = None, *options: str) -> str:
    """`citeqa add` of the report's file (written into ``folder``) with its id and catalog fields."""
    path = write(folder, report, text)
    return citeqa(env, "add", str(path), "--id", report.id, "--title", report.title, "--lang", report.language,
                  "--year", str(report.year), "--publisher", report.publisher, *options)


def served_documents(url: str) -> set[str]:
    response = httpx.get(f"{url}/documents", timeout=30)
    assert response.status_code == 200, response.text
    return {document["id"] for document in response.json()}


def follows(server: ServeProcess, version: str) -> None:
    """Wait until the server answers from ``version`` (it reads the database's current version every second)."""
    deadline = time.monotonic() + 60
    while httpx.get(f"{server.url}/health", timeout=30).json().get("index_version") != version:
        assert time.monotonic() < deadline, f"{server.url} does not serve {version}: {server.log_tail()}"
        time.sleep(0.2)


def cited(server: ServeProcess, question: str, k: int = 3) -> list[tuple[str, str]]:
    """(report id, passage text) of the passages the server cites for the question."""
    response = httpx.post(f"{server.url}/search", json={"question": question, "k": k}, timeout=60)
    assert response.status_code == 200, response.text
    return [(passage["document_id"], passage["text"]) for passage in response.json()["passages"]]


def test_two_machines_changing_in_turn_lose_no_report_and_both_serve_the_whole_catalog(tmp_path, postgres_dsn):
    first, second = machine(tmp_path, "first", postgres_dsn), machine(tmp_path, "second", postgres_dsn)
    first_files, second_files = tmp_path / "first" / "files", tmp_path / "second" / "files"
    # the first machine's corpus folder holds one report: the new database starts from it
    write(tmp_path / "first" / "corpus", RUCHES)
    save_catalog(tmp_path / "first" / "corpus", [ReportInfo(id=RUCHES.id, title=RUCHES.title, language="fr",
                                                            year=RUCHES.year, publisher=RUCHES.publisher,
                                                            source_file="ruches.txt")])
    texts = {"ruches": RUCHES.text}

    def no_report_lost(output: str, servers=()) -> None:
        """Both machines list exactly the reports of ``texts``, the same files; every server serves them."""
        version = version_of(output)
        on_first, on_second = listed(first), listed(second)
        assert set(on_first) == set(texts) and on_first == on_second, (on_first, on_second)
        for server in servers:
            follows(server, version)
            assert served_documents(server.url) == set(texts)

    done = add_file(first, first_files, HARBOUR)
    assert "2 added" in done and "PostgreSQL" in done, done
    texts["harbour"] = HARBOUR.text
    no_report_lost(done)

    with ServeProcess(first, tmp_path / "first.log") as on_first, \
            ServeProcess(second, tmp_path / "second.log") as on_second:
        servers = (on_first, on_second)
        assert served_documents(on_second.url) == {"ruches", "harbour"}  # the second machine never added one

        done = add_file(second, second_files, AGUA)
        assert "1 added" in done and "2 unchanged" in done, done
        texts["agua"] = AGUA.text
        no_report_lost(done, servers)
        assert cited(on_first, "¿A qué nivel están los embalses de Santiago?", 1)[0][0] == "agua"  # the second's,
        assert cited(on_second, "How long do customs checks take?", 1)[0][0] == "harbour"  # and the first's

        done = add_file(second, second_files, RUCHES, RUCHES_V2, "--replace")  # the first machine's report
        assert "1 replaced" in done, done
        texts["ruches"] = RUCHES_V2
        no_report_lost(done, servers)
        for server in servers:
            assert any(report == "ruches" and "tilleuls" in text
                       for report, text in cited(server, "Combien de tilleuls seront plantés à Lyon ?"))

        done = citeqa(first, "remove", "agua")  # the second machine's report, removed by the first
        assert "1 removed" in done and "0 replaced" in done, done  # the replacement stays
        del texts["agua"]
        no_report_lost(done, servers)
        assert cited(on_second, "¿A qué nivel están los embalses de Santiago?", 3)[0][0] != "agua"

        done = add_file(first, first_files, AGUA)  # added again, from the other machine
        texts["agua"] = AGUA.text
        no_report_lost(done, servers)
        assert cited(on_second, "¿A qué nivel están los embalses de Santiago?", 1)[0][0] == "agua"
        for server in servers:
            assert httpx.get(f"{server.url}/health", timeout=30).json()["documents"] == 3

    exported = tmp_path / "exported"
    assert "Exported 3 reports" in citeqa(second, "export", str(exported))
    catalog = json.loads((exported / "reports.json").read_text(encoding="utf-8"))["reports"]
    assert {report["id"]: (exported / report["source_file"]).read_text(encoding="utf-8")
            for report in catalog} == texts  # every machine's files, the replacement's included


def test_export_then_import_moves_a_catalog_from_an_index_folder_into_postgresql(tmp_path, postgres_dsn):
    folder = machine(tmp_path, "folder")
    corpus = tmp_path / "folder" / "corpus"
    for report in (RUCHES, HARBOUR):
        write(corpus, report)
    save_catalog(corpus, [ReportInfo(id=r.id, title=r.title, language=r.language, year=r.year, publisher=r.publisher,
                                     source_file=f"{r.id}.txt", added_at="2024-05-01T08:00:00Z")
                          for r in (RUCHES, HARBOUR)])
    assert "2 added" in citeqa(folder, "build")
    in_folder = listed(folder)

    exported = tmp_path / "exported"
    assert "Exported 2 reports" in citeqa(folder, "export", str(exported))
    database = machine(tmp_path, "database", postgres_dsn)
    done = citeqa(database, "import", str(exported))
    assert "2 added" in done and "PostgreSQL" in done, done
    assert listed(database) == in_folder  # the same reports, the same files

    again = tmp_path / "exported-again"
    citeqa(database, "export", str(again))
    before, after = (json.loads((where / "reports.json").read_text(encoding="utf-8"))["reports"]
                     for where in (exported, again))
    assert [{**report, "source_file": ""} for report in after] == [{**report, "source_file": ""} for report in before]
    assert ({report["id"]: (again / report["source_file"]).read_bytes() for report in after}  # ids, fields, dates
            == {report["id"]: (exported / report["source_file"]).read_bytes() for report in before})  # and files
    # (a file is named by its report and content in a store: "ruches.txt" is "ruches-66675e0c.txt" there)
    asked = citeqa(database, "ask", "How long do customs checks take?", "-k", "1")
    assert "Harbour review, p. 1" in asked, asked
