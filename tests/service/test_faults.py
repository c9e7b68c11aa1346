"""Faults while a server answers, with real files, mounts and processes: a read-only index folder, a
disk that fills during an add, a damaged version at start-up and while serving, a `citeqa add` killed at
the switch. Each time the server keeps answering from the last good version, or refuses to start with a
message that says how to recover. (A builder killed while it embeds: tests/service/test_live_server.py.)"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eval.live_server import citeqa_env, free_port, run_citeqa
from index_build.builder import build_index
from index_build.corpus import load_catalog
from index_build.store.folder.versions import current_path, load_version
from index_build.store.base import IndexProblem
from index_build.store.folder.store import FolderStore
from index_build.reports import NewReport, add_reports
from service.app import create_app
from service.live import LiveIndex
from service.search import SearchEngine
from service.settings import Settings

pytestmark = pytest.mark.slow

HARBOUR = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
           "Valparaíso handles 1.2 million containers a year.")
RADIUM = "Mme Marie Curie, Directrice de l’Institut, a parlé du radium et des rayons X."


@pytest.fixture(scope="module")
def seed(tmp_path_factory, seed_index) -> Path:
    """The seed corpus and its index, built once for the module; each test works on a copy."""
    root = tmp_path_factory.mktemp("faults-seed")
    seed_index(root)
    return root


def copy_seed(seed: Path, root: Path, index_dir: Path | None = None) -> Settings:
    """A copy of the seed corpus and index (the index where asked: on a small or read-only mount)."""
    index_dir = index_dir or root / "index"
    shutil.copytree(seed / "corpus", root / "corpus")
    shutil.copytree(seed / "index", index_dir, symlinks=True, dirs_exist_ok=True)
    return Settings(index_dir=index_dir, corpus_dir=root / "corpus", audit_log=root / "audit.jsonl")


def serve(settings: Settings, embedder) -> tuple[LiveIndex, TestClient]:
    """The real app over the index's current version (the client is entered by the caller)."""
    version = load_version(settings.index_dir, fingerprint=embedder.fingerprint, dimension=embedder.dimension)
    live = LiveIndex(SearchEngine(embedder, version), FolderStore(settings.index_dir, settings.corpus_dir))
    return live, TestClient(create_app(live, settings))


def answer(client: TestClient, question: str = "abeilles de Lyon") -> dict:
    """A search that must be answered (200) with cited passages."""
    response = client.get("/search", params={"q": question})
    assert response.status_code == 200, response.text
    assert response.json()["passages"], response.json()
    return response.json()


def wait_for(client: TestClient, version: str, timeout: float = 20) -> dict:
    """/health once the server serves ``version`` (the switch happens in a background thread)."""
    deadline = time.monotonic() + timeout
    while (health := client.get("/health").json())["index_version"] != version:
        assert time.monotonic() < deadline, f"still serving {health['index_version']}, not {version}: {health}"
        time.sleep(0.1)
    return health


def corpus_state(settings: Settings) -> tuple[list[str], list[str]]:
    """The reports the catalog lists and the files of the corpus folder."""
    return [report.id for report in load_catalog(settings.corpus_dir)], sorted(os.listdir(settings.corpus_dir))


def leftovers(index_dir: Path) -> list[str]:
    """Staging folders and temporary links a failed or killed writer could leave."""
    return sorted(p.name for p in [*(index_dir / "versions").glob(".staging-*"), *index_dir.glob(".current-*"),
                                   *(index_dir / "segments").glob(".staging-*")])


def segment_file(version: Path, name: str) -> Path:
    """A file of the newest segment of a version."""
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    return version.parent.parent / "segments" / manifest["segments"][-1]["id"] / name


def test_a_read_only_index_folder_refuses_changes_and_keeps_answering(seed, tmp_path, tmpfs, embedder):
    if os.geteuid() == 0:  # chmod does not stop root: a tmpfs remounted read-only does (skipped where refused)
        folder = tmpfs(4 << 20)
        settings = copy_seed(seed, tmp_path, folder / "index")
        tmpfs.read_only(folder)
    else:  # not root: the file permissions are real
        settings = copy_seed(seed, tmp_path)
        for path in [settings.index_dir, *settings.index_dir.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~0o222)
    (tmp_path / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    corpus = corpus_state(settings)
    live, client = serve(settings, embedder)
    with client:
        served = client.get("/health").json()["index_version"]

        with pytest.raises(IndexProblem, match=r"writer lock .* cannot be opened \((Read-only file system|Permission "
                                               r"denied)\)\. Make the folder writable"):
            add_reports(FolderStore(settings.index_dir, settings.corpus_dir), embedder, [NewReport(tmp_path / "harbour.md")],
                        show_progress=False)
        with pytest.raises(IndexProblem, match="Make the folder writable"):
            build_index(FolderStore(settings.index_dir, settings.corpus_dir), embedder, show_progress=False)

        assert corpus_state(settings) == corpus  # refused before the corpus changed
        health = client.get("/health").json()
        assert (health["index_version"], health["current_on_disk"], health["last_error"]) == (served, served, "")
        assert {p["document_id"] for p in answer(client)["passages"]} == {"seed"}


def test_a_full_disk_fails_the_add_leaves_nothing_and_keeps_answering(seed, tmp_path, tmpfs, embedder):
    folder = tmpfs(1 << 20)
    settings = copy_seed(seed, tmp_path, folder / "index")
    current = current_path(settings.index_dir)
    page = os.statvfs(folder).f_frsize
    version_pages = sum(-(-p.stat().st_size // page) for p in current.rglob("*") if p.is_file())
    free = os.statvfs(folder).f_bavail * page
    filler = folder / "filler"
    filler.write_bytes(bytes(free - version_pages // 2 * page))  # room for half of a version like the current one
    (tmp_path / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    corpus = corpus_state(settings)
    live, client = serve(settings, embedder)
    with client:
        served = client.get("/health").json()["index_version"]

        with pytest.raises(IndexProblem, match=f"(No space left on device|the disk is full).*current version is still {served}. "
                                               "Free some space"):
            add_reports(FolderStore(settings.index_dir, settings.corpus_dir), embedder, [NewReport(tmp_path / "harbour.md")],
                        show_progress=False)

        assert sorted(p.name for p in (settings.index_dir / "versions").iterdir()) == [served]  # no partial version
        assert leftovers(settings.index_dir) == [] and current_path(settings.index_dir) == current
        assert corpus_state(settings) == corpus  # the corpus is put back as it was
        health = client.get("/health").json()
        assert (health["index_version"], health["current_on_disk"], health["last_error"]) == (served, served, "")
        answer(client)

        filler.unlink()  # space freed: the same add now works and is served
        summary = add_reports(FolderStore(settings.index_dir, settings.corpus_dir), embedder, [NewReport(tmp_path / "harbour.md")],
                              show_progress=False)
        client.get("/health")
        wait_for(client, summary.version)
        assert "harbour" in {p["document_id"] for p in answer(client, "container terminal Valparaíso")["passages"]}


def garble(path: Path) -> None:
    """Flip the middle third of a file's bytes (its size unchanged: numpy still reads it)."""
    data = path.read_bytes()
    third = len(data) // 3
    path.write_bytes(data[:third] + bytes(b ^ 0xFF for b in data[third:2 * third]) + data[2 * third:])


def test_serve_refuses_a_damaged_current_version_and_says_how_to_recover(seed, tmp_path, embedder):
    settings = copy_seed(seed, tmp_path)
    previous = current_path(settings.index_dir).name
    build_index(FolderStore(settings.index_dir, settings.corpus_dir), embedder, show_progress=False, reuse=False)  # a second
    garble(segment_file(current_path(settings.index_dir), "chunk_vectors.npy"))  # version, of its own segment

    started = time.monotonic()
    env = citeqa_env(settings.corpus_dir, settings.index_dir) | {"HOST": "127.0.0.1", "PORT": str(free_port())}
    refused = run_citeqa(env, "serve", timeout=120)
    assert refused.returncode == 2, refused.stderr
    message = refused.stderr.strip().splitlines()[-1]
    assert message.startswith("citeqa: The index version in ") and "chunk_vectors.npy is not the file written" in message, message
    assert "`citeqa build`" in message and f"`ln -sfn versions/{previous} " in message, message
    assert "Traceback" not in refused.stderr and "loaded in" not in refused.stderr  # refused before the model loads
    print(f"refused in {time.monotonic() - started:.1f} s: {message}")

    subprocess.run(re.search(r"`(ln -sfn [^`]+)`", message).group(1).split(), check=True)  # as the message says
    live, client = serve(settings, embedder)
    with client:
        assert client.get("/health").json()["index_version"] == previous
        answer(client)


def test_a_damaged_new_version_is_not_served_and_health_says_why(seed, tmp_path, embedder):
    token = "faults-test-admin-token-of-32-characters-or-more"
    settings = copy_seed(seed, tmp_path).model_copy(update={"admin_token": token})  # the admin sees why in /health
    live, client = serve(settings, embedder)
    with client:
        served = client.get("/health").json()["index_version"]
        damaged = Path(build_index(FolderStore(settings.index_dir, settings.corpus_dir), embedder, show_progress=False,
                                   reuse=False).path)
        vectors = segment_file(damaged, "chunk_vectors.npy")
        vectors.write_bytes(vectors.read_bytes()[:100])  # truncated

        assert live.refresh() is False
        health = client.get("/health", headers={"Authorization": f"Bearer {token}"}).json()
        assert (health["index_version"], health["current_on_disk"]) == (served, damaged.name)
        assert "chunk_vectors.npy" in health["last_error"] and "`citeqa build`" in health["last_error"], health
        assert answer(client)["index_version"] == served  # still answering, from the last good version

        command = re.search(r"`(ln -sfn [^`]+)`", health["last_error"]).group(1)
        subprocess.run(command.split(), check=True)  # the operator points current back: nothing is wrong any more
        health = client.get("/health").json()
        assert (health["index_version"], health["current_on_disk"], health["last_error"]) == (served, served, "")

        subprocess.run(["ln", "-sfn", f"versions/{damaged.name}", str(settings.index_dir / "current")], check=True)
        for _ in range(5):  # failed five times in a row: the next try of this version waits 30 s
            assert live.refresh() is False
        rebuilt = build_index(FolderStore(settings.index_dir, settings.corpus_dir), embedder, show_progress=False)
        assert rebuilt.embedded_chunks > 0  # the damaged version is not reused: everything embedded again
        client.get("/health")
        health = wait_for(client, rebuilt.version, timeout=10)  # another version is tried at once, not in 30 s
        assert health["last_error"] == "" and health["current_on_disk"] == rebuilt.version
        answer(client)


PAUSE_AT_SWITCH = r'''
import os, signal, sys
from service.cli import main

point = sys.argv.pop(1)
real_symlink, real_replace = os.symlink, os.replace

def symlink(source, link, *args, **kwargs):
    real_symlink(source, link, *args, **kwargs)
    if point == "before" and os.path.basename(link).startswith(".current-"):
        os.kill(os.getpid(), signal.SIGSTOP)  # the new version complete, its link made, `current` not moved

def replace(source, target, *args, **kwargs):
    real_replace(source, target, *args, **kwargs)
    if point == "after" and os.path.basename(target) == "current":
        os.kill(os.getpid(), signal.SIGSTOP)  # `current` moved, its folder not flushed, the add not finished

os.symlink, os.replace = symlink, replace
sys.exit(main())
'''


def test_citeqa_add_killed_at_the_switch_leaves_a_complete_current_version(seed, tmp_path, embedder):
    """Two `citeqa add` processes, on two copies served by two servers, stop themselves just before and
    just after the atomic rename of `current` (SIGSTOP; the OS calls are the real ones) and are then
    SIGKILLed from here. (Both run at once: each loads the model, the longest part.)"""
    with contextlib.ExitStack() as stack:
        runs = {}
        for point in ("before", "after"):
            settings = copy_seed(seed, tmp_path / point)
            (tmp_path / point / "harbour.md").write_text(HARBOUR, encoding="utf-8")
            live, client = serve(settings, embedder)
            stack.enter_context(client)
            log = stack.enter_context(open(tmp_path / point / "add.log", "wb"))
            adder = subprocess.Popen([sys.executable, "-c", PAUSE_AT_SWITCH, point, "add",
                                      str(tmp_path / point / "harbour.md")],
                                     env=citeqa_env(settings.corpus_dir, settings.index_dir), stdout=log,
                                     stderr=subprocess.STDOUT)
            stack.callback(lambda adder=adder: adder.poll() is None and adder.kill())
            runs[point] = settings, client, client.get("/health").json()["index_version"], adder
        for point, (settings, client, served, adder) in runs.items():
            killed_at_the_switch(point, settings, client, served, adder, tmp_path / point, embedder)


def killed_at_the_switch(point: str, settings: Settings, client: TestClient, served: str, adder: subprocess.Popen,
                         root: Path, embedder) -> None:
    """Wait for the add to stop at ``point``, kill it, check what is left, then make the next change."""
    deadline = time.monotonic() + 120
    while not (status := os.waitpid(adder.pid, os.WUNTRACED | os.WNOHANG))[0]:
        assert time.monotonic() < deadline, f"the add never reached the switch ({point})"
        time.sleep(0.05)
    assert os.WIFSTOPPED(status[1]), (root / "add.log").read_text(encoding="utf-8", errors="replace")
    written = max(p.name for p in (settings.index_dir / "versions").iterdir() if not p.name.startswith("."))
    assert written != served
    expected = served if point == "before" else written
    assert current_path(settings.index_dir).name == expected
    if point == "after":  # the writer is frozen, the switch is made: the server follows it already
        wait_for(client, written)
    adder.send_signal(signal.SIGKILL)
    assert adder.wait(timeout=30) == -signal.SIGKILL

    assert load_version(settings.index_dir).version == expected  # complete, checked, checksums match
    assert len(list(settings.index_dir.glob(".current-*"))) == (1 if point == "before" else 0)  # a stale link
    assert not list((settings.index_dir / "versions").glob(".staging-*"))
    health = wait_for(client, expected)
    assert health["current_on_disk"] == expected and health["last_error"] == ""
    answer(client)

    (root / "radium.txt").write_text(RADIUM, encoding="utf-8")  # the next change works and tidies up
    after = add_reports(FolderStore(settings.index_dir, settings.corpus_dir), embedder, [NewReport(root / "radium.txt")],
                        show_progress=False)
    assert leftovers(settings.index_dir) == []
    assert {doc["id"] for doc in load_version(settings.index_dir).documents} == {"seed", "harbour", "radium"}  # the killed add's too
    client.get("/health")
    wait_for(client, after.version)
    assert "harbour" in {p["document_id"] for p in answer(client, "container terminal Valparaíso")["passages"]}
