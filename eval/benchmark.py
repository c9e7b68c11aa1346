"""Speed and size figures: `python -m eval.benchmark` (or `make bench`) builds a fresh index and times queries."""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

from eval.runner import load_questions


def folder_size(path: Path) -> int:
    """Bytes of all files under a folder."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    """Print model load, build, index size, query latency and peak memory."""
    from index_build.builder import build_index
    from index_build.embedding import Embedder
    from index_build.index_store import load_version
    from service.search import SearchEngine
    from service.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    embedder = Embedder.load(settings.model, settings.model_cache_dir, settings.encoder, settings.onnx_threads)
    load_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder)
        summary = build_index(settings.corpus_dir, index_dir, embedder, show_progress=False)
        size = folder_size(Path(summary.path))
        engine = SearchEngine(embedder, load_version(index_dir))
        questions = [q.question for q in load_questions()]
        engine.search(questions[0])  # warm-up
        latencies = []
        for question in questions * 2:
            begin = time.perf_counter()
            engine.search(question, 5)
            latencies.append((time.perf_counter() - begin) * 1000)
    latencies.sort()
    print(f"model load            {load_s:6.1f} s   ({settings.model}, encoder {embedder.encoder_name})")
    print(f"index build           {summary.seconds:6.1f} s   ({summary.documents} documents, {summary.chunks} chunks)")
    print(f"index size on disk    {size / 1e6:6.2f} MB")
    print(f"query latency p50     {statistics.median(latencies):6.1f} ms  (k=5, {len(latencies)} queries, hybrid)")
    print(f"query latency p95     {latencies[int(0.95 * (len(latencies) - 1))]:6.1f} ms")
    print(f"peak memory (RSS)     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MB")


if __name__ == "__main__":
    main()
