"""A live HTTP server (`citeqa serve` in its own process) keeps answering while reports are added,
replaced and removed by `citeqa` in other processes, each answer from one whole index version, and
survives a builder killed in the middle of a change."""

import signal
import time
from pathlib import Path

import httpx
import pytest

from eval.live_server import SearchLoop, ServeProcess, citeqa_env, run_citeqa, start_citeqa
from index_build.store.folder.versions import load_version

pytestmark = pytest.mark.slow

REPORT_A = ("Mme Ada Lovelace, Directrice de l’Observatoire des abeilles, a présenté le recensement des ruches "
            "urbaines de Lyon : 4 200 ruches en 2024. Elle a insisté sur la formation des apiculteurs.")
REPORT_B = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
            "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days.")
QUESTIONS = ["combien de ruches à Lyon ?", "container terminal Valparaíso", "who spoke about bees"]


@pytest.fixture
def server(tmp_path, seed_index):
    settings, _ = seed_index(tmp_path, REPORT_A)
    env = citeqa_env(settings.corpus_dir, settings.index_dir)
    with ServeProcess(env, tmp_path / "server.log") as served:
        yield served.url, env, tmp_path


def manifest_documents(index_dir: Path) -> tuple[str, dict[str, str]]:
    """The current version on disk and the text of each of its documents."""
    version = load_version(index_dir)
    return version.version, {doc["id"]: version.document_text(doc["id"]) for doc in version.documents}


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def wait_for_version(url, version, timeout=60):
    wait_until(lambda: httpx.get(f"{url}/health", timeout=60).json()["index_version"] == version,
               f"server never switched to {version}", timeout)


def test_search_loop_sees_no_error_while_reports_change(server):
    url, env, tmp_path = server
    index_dir = Path(env["CITEQA_INDEX_DIR"])
    texts = dict([manifest_documents(index_dir)])  # version -> document id -> text, as each version is made
    (tmp_path / "harbour.md").write_text(REPORT_B, encoding="utf-8")
    (tmp_path / "abeilles-v2.txt").write_text(REPORT_A + " Elle a demandé un registre public.", encoding="utf-8")
    steps = [("add", str(tmp_path / "harbour.md")),  # added
             ("add", str(tmp_path / "abeilles-v2.txt"), "--id", "seed", "--replace"),  # replaced
             ("remove", "harbour")]  # removed
    with SearchLoop(url, len(QUESTIONS), QUESTIONS) as loop:
        for step in steps:
            process = run_citeqa(env, *step)
            assert process.returncode == 0, process.stderr
            version, documents = manifest_documents(index_dir)
            texts[version] = documents
            wait_for_version(url, version)
        wait_until(lambda: loop.first_answer_from(version) is not None, "no search was answered from the last version")

    assert [request.error for request in loop.requests if request.error] == []
    answers = [request.answer for request in loop.requests]
    assert {answer["index_version"] for answer in answers} == set(texts)  # every version answered in turn
    for answer in answers:
        served = texts[answer["index_version"]]
        for passage in answer["passages"]:  # cited documents, and spans, of the version that served the answer
            assert passage["document_id"] in served, (answer["index_version"], passage["document_id"])
            assert served[passage["document_id"]][passage["start"]:passage["end"]] == passage["text"]


def test_a_killed_builder_leaves_the_served_version_and_the_next_add_works(server):
    url, env, tmp_path = server
    index_dir, corpus = Path(env["CITEQA_INDEX_DIR"]), Path(env["CITEQA_CORPUS_DIR"])
    before = httpx.get(f"{url}/health", timeout=60).json()["index_version"]
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Paragraphe {n} : le comité a examiné la question numéro {n} des ports et des "
                               f"abeilles, avec des chiffres précis pour l’année {1900 + n}." for n in range(400)),
                   encoding="utf-8")
    builder = start_citeqa(env, "add", str(big), log=tmp_path / "killed-add.log")
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
    after = run_citeqa(env, "add", str(tmp_path / "harbour.md"))
    assert after.returncode == 0, after.stderr
    version, documents = manifest_documents(index_dir)
    assert {"seed", "harbour", "big"} == set(documents)  # the interrupted report is indexed by the next change
    assert not list((index_dir / "versions").glob(".staging-*"))
    wait_for_version(url, version)
