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
import time
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


def run_citeqa(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run one ``citeqa`` command to the end, its output read (never left in a full pipe)."""
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


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


def citeqa_env(corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    """This process's environment with the corpus and index folders set, offline."""
    return os.environ | {"CITEQA_CORPUS_DIR": str(corpus_dir), "CITEQA_INDEX_DIR": str(index_dir),
                         "HF_HUB_OFFLINE": "1"}
