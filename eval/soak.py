"""Load and soak: ``python -m eval.soak --minutes N [--clients 16]``.

Serves a copy of corpus/ with ``citeqa serve`` (admin API on) and lets N clients mix questions, keyword
queries and bad requests against it, while a report is added and removed over the admin API every
interval. Prints requests by status, errors (5xx, failed connections), search latency p50/p95/p99 and
the server's memory before and after; exits 1 when a request got a 5xx or failed, or when memory grew
by more than 10 %.
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from eval.live_server import ServeProcess, citeqa_env, run_citeqa
from eval.runner import load_questions

REPO = Path(__file__).parents[1]
MAX_MEMORY_GROWTH = 0.10
REPORT = ("Mme Ada Lovelace, Directrice de l’Observatoire des ports, a déclaré que le port de Valparaíso traite "
          "1,2 million de conteneurs par an. Elle a ajouté que les contrôles douaniers prennent deux jours.")


def bad_requests(url: str) -> list[tuple[str, dict]]:
    """Requests a client may get wrong: (method, httpx arguments); none may cause a 5xx."""
    return [("POST", {"url": "/search", "json": {"question": ""}}),
            ("POST", {"url": "/search", "json": {"question": "x", "k": 0}}),
            ("POST", {"url": "/search", "content": b"{not json", "headers": {"Content-Type": "application/json"}}),
            ("POST", {"url": "/search", "content": b"x" * 100_000, "headers": {"Content-Type": "application/json"}}),
            ("GET", {"url": "/search", "params": {"q": "a" * 5000}}),
            ("GET", {"url": "/nowhere"}),
            ("POST", {"url": "/documents", "files": {"file": ("a.txt", b"hello")}}),
            ("DELETE", {"url": "/documents/seed", "headers": {"Authorization": "Bearer wrong"}})]


class Soak:
    """The clients, the report mutator and what they saw."""

    def __init__(self, url: str, token: str, clients: int, interval: float):
        self.url, self.token, self.interval = url, token, interval
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.latencies: list[float] = []
        self.changes = 0
        self.stop = threading.Event()
        questions = [q.question for q in load_questions()]
        self.asks = questions + ["financement durable", "protection enfants", "Pacte mondial", "traite"]
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)]
        self.threads.append(threading.Thread(target=self._mutator, daemon=True))
        self._lock = threading.Lock()

    def run(self, seconds: float) -> None:
        for thread in self.threads:
            thread.start()
        time.sleep(seconds)
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=300)

    def _record(self, status: int | None, error: str = "", latency: float | None = None) -> None:
        with self._lock:
            if status is not None:
                self.statuses[status] += 1
            if error or (status is not None and status >= 500):
                self.failures.append(error or f"HTTP {status}")
            if latency is not None:
                self.latencies.append(latency)

    def _client(self, number: int) -> None:
        rng = random.Random(number)
        bad = bad_requests(self.url)
        with httpx.Client(base_url=self.url, timeout=120) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    if rng.random() < 0.15:
                        method, arguments = rng.choice(bad)
                        response = client.request(method, **arguments)
                        self._record(response.status_code)
                    else:
                        response = client.post("/search", json={"question": rng.choice(self.asks), "k": 5})
                        self._record(response.status_code, latency=(time.perf_counter() - started) * 1000)
                except httpx.HTTPError as error:
                    self._record(None, f"{type(error).__name__}: {error}")

    def _mutator(self) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, timeout=600, headers=auth) as client:
            while not self.stop.wait(self.interval / 2):
                for method, arguments in (("POST", {"url": "/documents", "data": {"id": "soak", "replace": "true"},
                                                    "files": {"file": ("soak.txt", REPORT.encode())}}),
                                          ("DELETE", {"url": "/documents/soak"})):
                    try:
                        job = client.request(method, **arguments)
                        self._record(job.status_code)
                        while job.status_code == 202 or job.json().get("state") in ("queued", "running"):
                            time.sleep(0.2)
                            job = client.get(f"/jobs/{job.json()['id']}")
                        if job.json().get("state") != "done":
                            self.failures.append(f"{method} job: {job.json()}")
                        self.changes += 1
                    except httpx.HTTPError as error:
                        self._record(None, f"{method} {type(error).__name__}: {error}")
                    if self.stop.wait(self.interval / 2):
                        return


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its figures; exit 1 on a 5xx, a failed request or memory growth."""
    parser = argparse.ArgumentParser(prog="python -m eval.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--interval", type=float, default=60, help="seconds between report changes (add, then remove)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="citeqa-soak-") as folder:
        corpus, index = Path(folder) / "corpus", Path(folder) / "index"
        shutil.copytree(REPO / "corpus", corpus)
        token = secrets.token_urlsafe(32)
        env = citeqa_env(corpus, index) | {"CITEQA_ADMIN_TOKEN": token,
                                           "CITEQA_AUDIT_LOG": str(Path(folder) / "audit.jsonl")}
        built = run_citeqa(env, "build")
        if built.returncode:
            print(built.stderr, file=sys.stderr)
            return 2
        with ServeProcess(env, Path(folder) / "serve.log") as server:
            warm = Soak(server.url, token, args.clients, interval=4)  # the same load and changes first: caches filled
            warm.run(20)
            before = rss_mb(server.process.pid)
            soak = Soak(server.url, token, args.clients, args.interval)
            started = time.perf_counter()
            soak.run(args.minutes * 60)
            took = time.perf_counter() - started
            after = rss_mb(server.process.pid)
    total = sum(soak.statuses.values())
    growth = (after - before) / before if before else 0.0
    print(f"soak: {args.clients} clients for {took:.0f} s, {soak.changes} report changes")
    print(f"requests: {total} ({total / took:.1f}/s); by status: "
          + ", ".join(f"{code}: {count}" for code, count in sorted(soak.statuses.items())))
    print(f"5xx or failed: {len(soak.failures)}" + (f" (first: {soak.failures[0]})" if soak.failures else ""))
    print(f"search latency ms: p50 {percentile(soak.latencies, 0.5):.0f}, p95 {percentile(soak.latencies, 0.95):.0f}, "
          f"p99 {percentile(soak.latencies, 0.99):.0f} (mean {statistics.fmean(soak.latencies or [0]):.0f})")
    print(f"server memory: {before:.0f} MB after warm-up, {after:.0f} MB at the end ({growth:+.1%})")
    ok = not soak.failures and growth <= MAX_MEMORY_GROWTH
    print("soak: OK" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
