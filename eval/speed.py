"""``citeqa bench [--runs R] [--seconds S] [--json FILE]``: how fast citeqa answers and builds, printed and as JSON.

On the seed corpus (``corpus/``), in a folder of its own, with the encoder the service uses (CITEQA_ENCODER):

- ``embed_query_ms``: the bare query embedding, one eval question at a time, nothing cached;
- ``model_load_s``: loading the model (and exporting it, on a machine's first run);
- ``build``: the whole index built from scratch (chunks per second) against bare encoding of the same chunks,
  and the index's size on disk;
- ``stages_ms``: each stage of an in-process search (:data:`service.search.STAGES`, plus the JSON of the
  answer and the whole search), p50 and p95 over the eval questions;
- ``http``: ``citeqa serve`` in a child process with CITEQA_QUERY_CACHE=0 (every question embedded), loaded
  by ``wrk`` at 1, 8 and 32 connections for a fixed time each: requests/s, p50/p95/p99, errors;
- ``memory_mb``: the server's resident memory at rest (after a warm-up) and after the load.

With ``--servers N``, N ``citeqa serve`` processes share the index (the folder, or the database of CITEQA_STORE),
each loaded by its own ``wrk`` with its share of the connections: requests/s are summed, latencies are the
slowest server's, memory is summed.

Every figure is the median of ``runs`` runs, with the lowest and highest run beside it. The question words'
vectors stay cached in the server (CITEQA_QUERY_CACHE does not touch them), as in a server that has run a while.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eval.encoder_bench import Spread, percentile
from eval.live_server import ServeProcess, citeqa_env
from eval.runner import load_questions
from service.search import STAGES

CLIENTS = (1, 8, 32)
WARM_UP_SECONDS = 5
RESULT_TAG = "CITEQA_WRK"
STAGE_KEYS = (*STAGES, "json", "search")  # the search's own stages, the answer's JSON, the whole search
KEYS = ("model_load_s", "embed_query_ms", "build", "stages_ms", "http", "memory_mb", "ratios")


class BenchProblem(RuntimeError):
    """The bench cannot run here (a missing load generator, a server that would not start)."""


def spread_of(values: list[float]) -> dict:
    """A median of runs with its lowest and highest run, rounded for the JSON."""
    found = Spread.of(values)
    return {"median": round(found.median, 3), "low": round(found.low, 3), "high": round(found.high, 3)}


def wrk_script(questions: list[str], path: Path) -> Path:
    """A wrk Lua script that POSTs the questions to /search in turn and prints its figures on one line."""
    bodies = ",\n".join(_lua_string(json.dumps({"question": question, "k": 5})) for question in questions)
    path.write_text(f"""local bodies = {{
{bodies}
}}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, "/search", nil, bodies[(n % #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{RESULT_TAG} %d %d %.1f %.1f %.1f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
""", encoding="utf-8")
    return path


def _lua_string(text: str) -> str:
    """A Lua string literal of ``text`` (decimal escapes for every byte that is not plain printable ASCII)."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\{b}" for b in text.encode()) + '"'


def run_wrk(url: str, script: Path, clients: int, seconds: float) -> dict:
    """One wrk run: requests/s, latency percentiles (ms) and errors (non-2xx answers and socket errors)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchProblem("wrk is not installed: `make wrk` (Debian's package wrk) installs it")
    threads = min(clients, os.cpu_count() or 1)
    done = subprocess.run([wrk, f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                           "-s", str(script), url], capture_output=True, text=True, timeout=seconds + 60)
    line = next((line for line in done.stdout.splitlines() if line.startswith(RESULT_TAG)), None)
    if done.returncode != 0 or line is None:
        raise BenchProblem(f"wrk failed (exit {done.returncode}): {(done.stderr or done.stdout)[-500:]}")
    requests, micros, p50, p95, p99, status_errors, socket_errors = (float(x) for x in line.split()[1:])
    return {"requests_per_s": requests / (micros / 1e6), "p50_ms": p50 / 1000, "p95_ms": p95 / 1000,
            "p99_ms": p99 / 1000, "errors": int(status_errors + socket_errors), "requests": int(requests)}


def resident_mb(pid: int) -> float:
    """The resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_embedding(embedder, questions: list[str], runs: int) -> dict:
    """p50/p95 of the bare query embedding, nothing cached."""
    from eval.encoder_bench import query_run

    samples = [query_run(embedder, questions) for _ in range(runs)]
    return {"p50": spread_of([p50 for p50, _ in samples]), "p95": spread_of([p95 for _, p95 in samples])}


def measure_build(corpus_dir: Path, work: Path, runs: int) -> tuple[dict, Path]:
    """Chunks per second of a whole build of the corpus, and of encoding its chunks alone, with the model as the
    command line's builds run it (CITEQA_BUILD_THREADS); the last index built."""
    from index_build.builder import build_index
    from index_build.embedding import Embedder
    from index_build.store.factory import StoreLocation, open_store
    from service.settings import get_settings

    settings = get_settings()
    embedder = Embedder.load(settings.model, settings.model_cache_dir, settings.encoder, settings.build_threads,
                             query_cache=0)

    build_rates, encode_rates, index_dir = [], [], work / "index"
    for run in range(runs):
        if index_dir.exists():
            shutil.rmtree(index_dir)
        store = open_store(StoreLocation("", index_dir, corpus_dir))  # a folder of its own
        summary = build_index(store, embedder, show_progress=False, reuse=False)
        build_rates.append(summary.chunks / summary.seconds)
        texts = [chunk.text for chunk in store.open().iter_chunks()]
        started = time.perf_counter()
        embedder.embed_passages(texts)
        encode_rates.append(len(texts) / (time.perf_counter() - started))
    size = sum(path.stat().st_size for path in index_dir.rglob("*") if path.is_file())
    return {"chunks": summary.chunks, "build_chunks_per_s": spread_of(build_rates),
            "encode_chunks_per_s": spread_of(encode_rates), "index_mb": round(size / 1e6, 2)}, index_dir


def measure_stages(engine, questions: list[str], runs: int) -> dict:
    """p50/p95 of each search stage over the questions (question vectors not cached), median of runs."""
    for question in questions:  # the question words' vectors, kept as in a server that has run a while
        engine.search(question)
    samples: dict[str, dict[str, list[float]]] = {key: {"p50": [], "p95": []} for key in STAGE_KEYS}
    for _ in range(runs):
        took: dict[str, list[float]] = {key: [] for key in STAGE_KEYS}
        for question in questions:
            started = time.perf_counter()
            retrieved = engine.retrieve(question)
            answer = engine.answer(retrieved, 5, started=started)
            serialised = time.perf_counter()
            answer.model_dump_json()
            took["json"].append((time.perf_counter() - serialised) * 1000)
            took["search"].append((time.perf_counter() - started) * 1000)
            for stage in STAGES:
                took[stage].append(retrieved.stage_ms.get(stage, 0.0))
        for key, values in took.items():
            samples[key]["p50"].append(percentile(values, 0.5))
            samples[key]["p95"].append(percentile(values, 0.95))
    return {key: {"p50": spread_of(value["p50"]), "p95": spread_of(value["p95"])} for key, value in samples.items()}


def measure_http(index_dir: Path, corpus_dir: Path, questions: list[str], work: Path, runs: int, seconds: float,
                 clients: tuple[int, ...], servers: int = 1) -> tuple[dict, dict]:
    """wrk against ``citeqa serve`` at each number of connections (with several servers, one wrk each, the
    connections shared out: requests/s summed, latencies the slowest server's); the servers' memory at rest
    and after the load (summed)."""
    script = wrk_script(questions, work / "search.lua")
    env = citeqa_env(corpus_dir, index_dir) | {"CITEQA_QUERY_CACHE": "0", "CITEQA_AUDIT_LOG": str(work / "audit.jsonl")}
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=servers) as pool:
        started = [stack.enter_context(ServeProcess(env, work / f"serve-{n}.log", timeout=300)) for n in range(servers)]

        def load(count: int, load_seconds: float) -> dict:
            shares = [count // servers + (n < count % servers) for n in range(servers)]
            done = list(pool.map(lambda pair: run_wrk(pair[0].url, script, pair[1], load_seconds),
                                 [(server, share) for server, share in zip(started, shares) if share]))
            return {"requests_per_s": sum(d["requests_per_s"] for d in done),
                    **{key: max(d[key] for d in done) for key in ("p50_ms", "p95_ms", "p99_ms")},
                    "errors": sum(d["errors"] for d in done), "requests": sum(d["requests"] for d in done)}

        load(servers, WARM_UP_SECONDS)  # first calls allocate; the question words get embedded
        at_rest = sum(resident_mb(server.process.pid) for server in started)
        figures = {}
        for count in clients:
            done = [load(count, seconds) for _ in range(runs)]
            figures[str(count)] = {key: spread_of([run[key] for run in done])
                                   for key in ("requests_per_s", "p50_ms", "p95_ms", "p99_ms")}
            figures[str(count)]["errors"] = sum(run["errors"] for run in done)
            figures[str(count)]["requests"] = sum(run["requests"] for run in done)
        after = sum(resident_mb(server.process.pid) for server in started)
    return figures, {"at_rest": round(at_rest, 1), "after_load": round(after, 1)}


def run(json_path: Path | None = None, runs: int = 3, seconds: float = 20, clients: tuple[int, ...] = CLIENTS,
        work: Path | None = None, http_only: bool = False, servers: int = 1) -> dict:
    """Every figure, printed as it is measured and written to ``json_path``; with ``http_only``, only the HTTP
    load and memory figures, against the index of CITEQA_INDEX_DIR (to compare server settings quickly)."""
    from index_build.embedding import Embedder
    from index_build.store.factory import StoreLocation, open_store
    from service.search import SearchEngine
    from service.settings import get_settings

    settings = get_settings()
    questions = [question.question for question in load_questions()]
    runs = max(1, runs)
    with tempfile.TemporaryDirectory(prefix="citeqa-bench-") as temporary:
        work = Path(work or temporary)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        embedder = Embedder.load(settings.model, settings.model_cache_dir, settings.encoder, settings.onnx_threads,
                                 query_cache=0)
        model_load_s = round(time.perf_counter() - started, 2)
        figures: dict = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                     "encoder": settings.encoder, "onnx_threads": settings.onnx_threads,
                                     "build_threads": settings.build_threads,
                                     "batch_max": settings.batch_max, "batch_wait_ms": settings.batch_wait_ms,
                                     "search_concurrency": settings.search_concurrency, "servers": servers,
                                     "store": open_store(settings).describe() if http_only else "folder"},
                         "runs": runs, "seconds": seconds, "questions": len(questions), "model_load_s": model_load_s}
        figures["embed_query_ms"] = measure_embedding(embedder, questions, runs)
        _print_embedding(figures)
        if http_only:
            index_dir = settings.index_dir
        else:
            figures["build"], index_dir = measure_build(settings.corpus_dir, work, runs)
            _print_build(figures)
            engine = SearchEngine(embedder, open_store(StoreLocation("", index_dir, settings.corpus_dir)).open())
            figures["stages_ms"] = measure_stages(engine, questions, runs)
            _print_stages(figures)
        del embedder  # the server loads its own
        figures["http"], figures["memory_mb"] = measure_http(index_dir, settings.corpus_dir, questions, work, runs,
                                                             seconds, clients, servers)
        figures["ratios"] = _ratios(figures)
        _print_http(figures)
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"Figures written to {json_path}")
    return figures


def _ratios(figures: dict) -> dict:
    embed = figures["embed_query_ms"]["p50"]["median"]
    ratios = {}
    if "build" in figures:
        ratios["build_over_encoding"] = round(figures["build"]["build_chunks_per_s"]["median"]
                                              / figures["build"]["encode_chunks_per_s"]["median"], 3)
    if "1" in figures["http"]:
        ratios["http_p50_1_client_over_embedding"] = round(figures["http"]["1"]["p50_ms"]["median"] / embed, 3)
    return ratios


def _print_embedding(figures: dict) -> None:
    machine = figures["machine"]
    print(f"citeqa bench: {machine['cores']} cores, encoder {machine['encoder']} ({machine['onnx_threads']} thread(s)), "
          f"batches of up to {machine['batch_max']}, {machine['search_concurrency']} searches at a time; "
          f"{figures['questions']} eval questions; median of "
          f"{figures['runs']} runs (lowest–highest)")
    embed = figures["embed_query_ms"]
    print(f"model_load_s          {figures['model_load_s']:8.2f}")
    print(f"embed_query_ms        p50 {Spread(**embed['p50'])}   p95 {Spread(**embed['p95'])}")


def _print_build(figures: dict) -> None:
    build = figures["build"]
    print(f"build ({figures['machine']['build_threads']} thread(s))   {Spread(**build['build_chunks_per_s'])} chunks/s ({build['chunks']} chunks); "
          f"bare encoding {Spread(**build['encode_chunks_per_s'])} chunks/s; index {build['index_mb']:.1f} MB")


def _print_stages(figures: dict) -> None:
    print("stages_ms (in process)          p50                      p95")
    for stage, row in figures["stages_ms"].items():
        print(f"  {stage:<16} {Spread(**row['p50'])!s:>24} {Spread(**row['p95'])!s:>24}")


def _print_http(figures: dict) -> None:
    machine = figures["machine"]
    print(f"http ({machine['servers']} server(s), {machine['store']} store; wrk, {figures['seconds']:g} s a run)   requests/s               p50 ms                   p95 ms"
          "                   p99 ms              errors")
    for clients, row in figures["http"].items():
        print(f"  {clients:>3} clients {Spread(**row['requests_per_s'])!s:>24} {Spread(**row['p50_ms'])!s:>24} "
              f"{Spread(**row['p95_ms'])!s:>24} {Spread(**row['p99_ms'])!s:>24} {row['errors']:>6}")
    memory = figures["memory_mb"]
    print(f"memory_mb             at rest {memory['at_rest']:.0f}, after the load {memory['after_load']:.0f}")
    print("ratios                " + ", ".join(f"{key} {value:.2f}" for key, value in figures["ratios"].items()))
