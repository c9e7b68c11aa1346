"""Live swap benchmark: `python -m eval.live_swap [PDF]` (or `make swap-bench`).

Copies corpus/ into a temporary folder, builds its index, starts `citeqa serve` on a free port and
keeps N threads searching it; then `citeqa add PDF`, asks a question only that report answers, and
`citeqa remove`s it. Prints how long the add took, how long until the server answered from the new
version, requests served and failed during the swap, and latency before and during it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from eval.live_server import Request, SearchLoop, ServeProcess, citeqa_env, run_citeqa
from eval.runner import load_questions
from index_build.store.folder.versions import CURRENT_LINK, MANIFEST_FILE

REPO = Path(__file__).parents[1]
DEFAULT_PDF = REPO.parent / "shared" / "corpus_extra" / "iom_eval_dialogue_binational_haiti_rd_rapport_initial_2025_fr.pdf"
AFTER_S = 10.0  # seconds after the swap whose latency is printed
DEFAULT_QUESTION = "Quelle méthode d'échantillonnage est prévue pour les ménages des communautés locales ?"


class SwitchWatch:
    """Notes when the index's ``current`` pointer moves to another version (polled every 5 ms)."""

    def __init__(self, index_dir: Path):
        self.link = index_dir / CURRENT_LINK
        self.switches: dict[str, float] = {}  # version folder -> perf_counter when it became current
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "SwitchWatch":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    def _watch(self) -> None:
        while not self.stop.is_set():
            target = Path(os.readlink(self.link)).name
            self.switches.setdefault(target, time.perf_counter())
            time.sleep(0.005)


def warm_up(url: str, questions: list[str]) -> None:
    """Ask every question once, so that "before" is measured on a server that has seen them."""
    with httpx.Client(base_url=url, timeout=120) as client:
        for question in questions:
            client.post("/search", json={"question": question, "k": 5})


def current_documents(index_dir: Path) -> tuple[str, set[str]]:
    """The current version's name and document ids, from its manifest on disk."""
    manifest = json.loads((index_dir / CURRENT_LINK / MANIFEST_FILE).read_text(encoding="utf-8"))
    return manifest["version"], {doc["id"] for doc in manifest["documents"]}


def wait_for(condition, what: str, timeout: float = 300) -> None:
    """Poll until ``condition()`` holds; stop the benchmark when it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"live_swap: {what} after {timeout:.0f} s")
        time.sleep(0.05)


def percentiles(requests: list[Request]) -> str:
    """'p50 … ms / p95 … ms (n requests)' of the successful requests."""
    latencies = sorted(r.ms for r in requests if not r.error)
    if not latencies:
        return "no requests"
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    return f"p50 {statistics.median(latencies):7.1f} ms / p95 {p95:7.1f} ms  ({len(latencies)} requests)"


def run_step(env: dict[str, str], *args: str, nice: int = 0) -> None:
    """Run one citeqa command to the end (exits on failure, with its output)."""
    process = run_citeqa(env, *args, timeout=1800, nice=nice)
    if process.returncode != 0:
        raise SystemExit(f"live_swap: citeqa {' '.join(args)} failed:\n{process.stdout}{process.stderr}")


@dataclass
class SwapRun:
    """What one run saw: every request, the moments of the swap, and the documents of each version."""

    requests: list[Request]
    documents: dict[str, set[str]]  # version -> its document ids
    added: list[str]
    add_started: float
    add_ended: float
    switched: float  # when the new version became current on disk
    first_new: Request  # the first request answered from the new version
    remove_started: float
    remove_s: float
    answer: dict  # the answer to the question only the added report answers


def run_swap(pdf: Path, question: str, threads: int, before_s: float, nice: int = 0) -> SwapRun:
    """Serve a copy of corpus/, search it in a loop, add the PDF, ask the question, remove the PDF."""
    questions = [q.question for q in load_questions()]
    with tempfile.TemporaryDirectory(prefix="citeqa-swap-") as folder:
        root = Path(folder)
        shutil.copytree(REPO / "corpus", root / "corpus")
        env = citeqa_env(root / "corpus", root / "index")
        run_step(env, "build")
        old_version, old_documents = current_documents(root / "index")
        documents = {old_version: old_documents}
        with ServeProcess(env, root / "server.log") as server:
            warm_up(server.url, questions)
            with SwitchWatch(root / "index") as watch, SearchLoop(server.url, threads, questions) as loop:
                time.sleep(before_s)
                add_started = time.perf_counter()
                run_step(env, "add", str(pdf), nice=nice)
                add_ended = time.perf_counter()
                new_version, new_documents = current_documents(root / "index")
                documents[new_version] = new_documents
                wait_for(lambda: loop.first_answer_from(new_version) is not None, "no answer from the new version")
                time.sleep(2 * AFTER_S)  # searching the new version
                answer = httpx.post(f"{server.url}/search", json={"question": question, "k": 5}, timeout=120).json()
                added = sorted(new_documents - old_documents)
                remove_started = time.perf_counter()
                run_step(env, "remove", *added, nice=nice)
                remove_s = time.perf_counter() - remove_started
                removed_version, after_documents = current_documents(root / "index")
                documents[removed_version] = after_documents
                wait_for(lambda: loop.first_answer_from(removed_version) is not None, "no answer after the removal")
    return SwapRun(list(loop.requests), documents, added, add_started, add_ended, watch.switches[new_version],
                   loop.first_answer_from(new_version), remove_started, remove_s, answer)


def print_figures(run: SwapRun, pdf: Path, question: str, threads: int, nice: int) -> None:
    """The benchmark's figures, one a line."""
    requests, first_new = run.requests, run.first_new
    before = [r for r in requests if r.ended < run.add_started]
    swap = [r for r in requests if r.started >= run.add_started and r.ended <= first_new.ended]
    loading = [r for r in requests if r.ended >= run.switched and r.started <= first_new.ended]
    after = [r for r in requests if first_new.ended <= r.started < first_new.ended + AFTER_S]
    later = [r for r in requests if first_new.ended + AFTER_S <= r.started and r.ended < run.remove_started]
    wrong = [r for r in requests if not r.error and not r.cited <= run.documents.get(r.version, set())]
    print(f"report added          {pdf.name} as {', '.join(run.added)}")
    print(f"citeqa add            {run.add_ended - run.add_started:7.1f} s{f'  (under nice -n {nice})' if nice else ''}")
    print(f"new version answered  {first_new.ended - run.add_started:7.1f} s after the add started, "
          f"{first_new.ended - run.switched:5.2f} s after it became current on disk "
          f"(the add exited {run.add_ended - run.switched:.2f} s after that)")
    print(f"citeqa remove         {run.remove_s:7.1f} s")
    print(f"during the swap       {sum(1 for r in swap if not r.error)} requests served, "
          f"{sum(1 for r in swap if r.error)} failed ({threads} search threads)")
    print(f"whole run             {len(requests)} requests, {sum(1 for r in requests if r.error)} failed, "
          f"{len(wrong)} citing a report not in their version, {len({r.version for r in requests} - {''})} versions")
    print(f"latency before        {percentiles(before)}")
    print(f"latency during swap   {percentiles(swap)}  (add start -> first answer from the new version)")
    print(f"latency while loading {percentiles(loading)}  (in flight between the switch on disk and the first "
          "answer from the new version)")
    print(f"latency after swap    {percentiles(after)}  (the first {AFTER_S:.0f} s on the new version)")
    print(f"latency later         {percentiles(later)}  (the new version, from then until the remove)")
    print(f"question              {question}")
    top = run.answer["passages"][0] if run.answer["passages"] else None
    if top is None:
        print("answer                no passage")
        return
    quote = " ".join((top.get("highlight") or top)["text"].split())[:160]
    print(f"answer                {top['document_id']}, page {top['page']} "
          f"(answerable: {run.answer['answerable']}): {quote}")


def main(argv: list[str] | None = None) -> int:
    """Run the swap and print the figures; 1 when the answer does not cite the added report."""
    parser = argparse.ArgumentParser(prog="python -m eval.live_swap", description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=DEFAULT_PDF, help="the report to add and remove")
    parser.add_argument("--question", default=DEFAULT_QUESTION, help="a question only that report answers")
    parser.add_argument("--threads", type=int, default=3, help="search threads (default 3)")
    parser.add_argument("--before", type=float, default=20.0, help="seconds of searching before the add")
    parser.add_argument("--nice", type=int, default=0, help="run citeqa add/remove under `nice -n NICE`")
    args = parser.parse_args(argv)
    if not args.pdf.is_file():
        print(f"live_swap: the report to add is missing: {args.pdf}", file=sys.stderr)
        return 2
    run = run_swap(args.pdf, args.question, args.threads, args.before, args.nice)
    print_figures(run, args.pdf, args.question, args.threads, args.nice)
    passages = run.answer["passages"]
    return 0 if passages and passages[0]["document_id"] in run.added else 1


if __name__ == "__main__":
    sys.exit(main())
