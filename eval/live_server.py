"""`citeqa serve` and the other `citeqa` commands as child processes, for benchmarks and tests.

A child's output always goes to a file or is read to the end: a pipe nobody reads fills up (64 KiB,
about a thousand access-log lines) and then blocks the server's event loop in ``write``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, alive: Callable[[], bool], timeout: float = 120, why: Callable[[], str] = str) -> None:
    """Poll ``GET /health`` until it answers 200; fail when the server dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server at {url} stopped before it was ready: {why()}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} was not ready after {timeout:.0f} s: {why()}")


def run_citeqa(env: dict[str, str], *args: str, timeout: float = 600, nice: int = 0) -> subprocess.CompletedProcess:
    """Run one ``citeqa`` command to the end, its output read (never left in a full pipe); ``nice`` lowers
    its CPU priority (as ``nice -n``)."""
    prefix = ["nice", "-n", str(nice)] if nice else []
    return subprocess.run([*prefix, sys.executable, "-m", "service.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def start_citeqa(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    """Start one ``citeqa`` command in the background, its output going to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


class ServeProcess:
    """``citeqa serve`` on a free port of 127.0.0.1 in a child process, ready when entered."""

    def __init__(self, env: dict[str, str], log: Path, timeout: float = 120):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env | {"HOST": "127.0.0.1", "PORT": str(self.port)}
        self.log, self.timeout = log, timeout
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ServeProcess":
        self.process = start_citeqa(self.env, "serve", log=self.log)
        try:
            wait_healthy(self.url, lambda: self.process.poll() is None, self.timeout, self.log_tail)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Ask the server to stop (SIGINT, as Ctrl-C), kill it if it does not within 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's output."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Request:
    """One search of the loop: when it started and ended (seconds, perf_counter), and what came back."""

    started: float
    ended: float
    answer: dict | None = None  # the JSON answer, when there is one
    error: str = ""

    @property
    def version(self) -> str:
        return self.answer["index_version"] if self.answer else ""

    @property
    def cited(self) -> set[str]:
        return {passage["document_id"] for passage in self.answer["passages"]} if self.answer else set()

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


class SearchLoop:
    """N threads asking the server questions in turn (each from its own place in the list), recording
    every request; stopped when the ``with`` block ends."""

    def __init__(self, url: str, threads: int, questions: list[str]):
        self.url, self.questions = url, questions
        self.requests: list[Request] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(n * len(questions) // threads,), daemon=True)
                        for n in range(threads)]

    def __enter__(self) -> "SearchLoop":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _loop(self, first: int) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as client:
            n = first
            while not self.stop.is_set():
                question = self.questions[n % len(self.questions)]
                n += 1
                started = time.perf_counter()
                try:
                    response = client.post("/search", json={"question": question, "k": 5})
                    ended = time.perf_counter()
                    if response.status_code != 200:
                        self.requests.append(Request(started, ended, error=f"HTTP {response.status_code} {response.text[:200]}"))
                        continue
                    self.requests.append(Request(started, ended, response.json()))
                except httpx.HTTPError as error:
                    self.requests.append(Request(started, time.perf_counter(), error=repr(error)))

    def first_answer_from(self, version: str) -> Request | None:
        """The earliest-ending request answered from ``version``."""
        done = [r for r in list(self.requests) if r.version == version]
        return min(done, key=lambda r: r.ended) if done else None


def citeqa_env(corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    """This process's environment with the corpus and index folders set, offline."""
    return os.environ | {"CITEQA_CORPUS_DIR": str(corpus_dir), "CITEQA_INDEX_DIR": str(index_dir),
                         "HF_HUB_OFFLINE": "1"}
