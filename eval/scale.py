"""``citeqa bench --scale N [--json FILE]``: how the index holds up at N chunks, printed and written as JSON.

The N-chunk index is synthetic but made of real parts: the library's reports (all but the one the bench
adds) replicated as new reports until N chunks, their real chunk and sentence vectors perturbed
(Gaussian noise, renormalised) so that near neighbours are near, not identical, and approximate search
has something to get wrong. The measurement runs in a fresh process (the build's memory is not counted):

- ``open_s``: open the version and make the engine ready to answer (the model is loaded before);
- ``rss_gb``: resident memory after the open and 100 questions (``rss_anon_gb``: the process's own,
  ``rss_file_gb``: pages of the memory-mapped files it touched);
- ``search_p50_ms``, ``search_p95_ms``: the whole search without the query embedding (vectors computed first);
- ``recall_at_10``: the top 10 passages of each question with the version's approximate search against
  exact search over the same version, passages compared by their text (a replica's copy of a passage is the same
  hit; ``recall_questions``: over how many questions);
- ``add_report_s``: adding one 60-page report to the N-chunk index, end to end (``citeqa add``'s path);
- ``embed_report_s``: embedding that report's chunks, sentences and new words alone, same encoder.

With ``--store postgresql://…`` the same index is loaded into that database (``citeqa db copy-from``: its HNSW
indexes built once after the rows; ``load_s``) and measured there with the same keys: ``open_s`` opens the
database's current version, ``rss_gb`` is the citeqa process's own memory (``database_gb``: the database's size
on disk), recall is against exact search (every row scanned) in the same database, and the report is added through the
database (``citeqa add`` with CITEQA_STORE). The database's current version is replaced: give one for the bench.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
ADDED_REPORT = "iom_eval_dialogue_binational_haiti_rd_rapport_initial_2025_fr.pdf"  # 62 pages, French
NOISE = 0.02  # standard deviation of the noise added to each coordinate of a replicated unit vector
QUESTIONS = 100
DATABASE_RECALL_QUESTIONS = 20  # recall on PostgreSQL is measured on the first 20: each exact search there reads
# every vector of the table (seconds a search at a million chunks), the folder's exact search is a matrix product
INDEX_MEMORY = "8GB"  # maintenance_work_mem for the HNSW builds of the bench's load (a million vectors fit)
KEYS = ("chunks", "open_s", "rss_gb", "search_p50_ms", "search_p95_ms", "recall_at_10", "add_report_s",
        "embed_report_s")


def rss_gb(field: str = "VmRSS") -> float:
    """This process's resident memory, in GB (``RssAnon``: its own; ``RssFile``: pages of mapped files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def build_synthetic(chunks: int, work: Path, embedder, added: str = ADDED_REPORT) -> tuple[Path, Path]:
    """A corpus folder and an index of about ``chunks`` chunks made from the library index (replicas of
    its reports but ``added``, vectors perturbed); returns (corpus, index)."""
    from eval import library
    from index_build.chunk_table import Chunk
    from index_build.corpus import ReportInfo, save_catalog
    from index_build.store.base import DocumentPart, PreviousVersion
    from index_build.store.folder.versions import writer_lock
    from index_build.store.folder.writer import FolderWriter  # the synthetic index is written as a folder, then
    # measured there or copied into PostgreSQL (load_into)

    base_dir = library.ensure_library_index(embedder)
    base = library.library_store(base_dir).open(fingerprint=embedder.fingerprint, dimension=embedder.dimension)
    source_dir = library.library_dir()
    documents = [doc for doc in base.documents if doc["source_file"] != added]
    per_replica = sum(doc["chunks"] for doc in documents)
    replicas = max(1, math.ceil(chunks / per_replica))
    shutil.rmtree(work, ignore_errors=True)
    corpus, index = work / "corpus", work / "index"
    corpus.mkdir(parents=True)
    rng = np.random.default_rng(0)
    previous = PreviousVersion(base)
    parts = {doc["id"]: previous.document(doc["id"]) for doc in documents}
    writer = FolderWriter(index, None)
    catalog, total = [], 0
    for replica in range(replicas):
        for doc in documents:
            if total >= chunks:
                break
            doc_chunks, vectors, sentences, text = parts[doc["id"]]
            new_id = f"{doc['id']}-r{replica:05d}"
            suffix = Path(doc["source_file"]).suffix
            source = corpus / f"{new_id}{suffix}"
            original = (source_dir / doc["source_file"]) if doc["source_file"] != "idm-2018-capacity-development.fr.txt" \
                else REPO / "corpus" / doc["source_file"]
            source.symlink_to(original.resolve())
            own = [Chunk(i, new_id, c.page, c.start, c.end, c.text, c.speakers, c.sentences)
                   for i, c in enumerate(doc_chunks)]
            entry = {key: value for key, value in doc.items() if key not in ("first_row", "segment")}
            writer.add(DocumentPart({**entry, "id": new_id, "source_file": source.name}, text, own,
                                    _perturbed(vectors, rng), _perturbed(sentences, rng),
                                    previous.renderings(doc["id"])))
            total += len(own)
            catalog.append(ReportInfo(id=new_id, title=doc["title"], language=doc["language"], year=doc.get("year"),
                                      publisher=doc.get("publisher", ""), source_file=source.name))
    save_catalog(corpus, catalog)
    manifest = {"built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "model": base.manifest["model"],
                "chunking": base.manifest["chunking"], "pipeline": base.manifest["pipeline"],  # the library's: the
                # reports the bench adds are prepared and rendered as it was, the replicas carried over as they are
                "retrieval": base.manifest.get("retrieval")}
    with writer_lock(index):
        writer.commit(manifest, base.vocabulary, [info.id for info in catalog])
    return corpus, index


def _perturbed(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def load_into(store: str, index: Path) -> float:
    """Copy the synthetic index into the database at ``store`` (only what it does not hold) with its corpus's
    files; returns the seconds."""
    from index_build.store.postgres.copy import copy_from_folder

    started = time.perf_counter()
    print(copy_from_folder(store, index, index.parent / "corpus", index_memory=INDEX_MEMORY).line(), flush=True)
    return round(time.perf_counter() - started, 1)


def _store(index: Path, store: str):
    """The store to measure: the synthetic folder, or the database it was copied into."""
    from index_build.store.factory import StoreLocation, open_store

    return open_store(StoreLocation(store, index, index.parent / "corpus"))


def _database_gb(store: str) -> float:
    from index_build.store.postgres.schema import connect

    with connect(store) as connection:
        return round(connection.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**30, 2)


def measure(corpus: Path, index: Path, report: Path, search_only: bool = False, store: str = "") -> dict:
    """The figures, in this (fresh) process (``search_only``: not the report's embedding and addition; ``store``:
    a database holding the same index)."""
    from index_build.builder import prepare_report
    from index_build.corpus import ReportInfo
    from index_build.embedding import Embedder
    from index_build.preparation import number_sentences
    from index_build.reports import NewReport, add_reports
    from index_build.vocabulary import vocabulary_words
    from service.search import SearchEngine
    from service.settings import get_settings

    settings = get_settings()
    embedder = Embedder.load(settings.model, settings.model_cache_dir)
    files = [REPO / "eval" / "questions.jsonl", REPO / "eval" / "library" / "questions.jsonl"]
    questions = [json.loads(line)["question"] for path in files
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:QUESTIONS]
    vectors = [embedder.embed_query(question) for question in questions]
    started = time.perf_counter()
    measured = _store(index, store)
    version = measured.open(fingerprint=embedder.fingerprint, dimension=embedder.dimension)
    engine = SearchEngine(embedder, version)
    open_s = time.perf_counter() - started
    for question, vector in zip(questions, vectors):  # warm-up: word vectors of the translator, page cache
        engine.search(question, 10, vector=vector)
    took, approximate = [], []
    for question, vector in zip(questions, vectors):
        started = time.perf_counter()
        answer = engine.search(question, 10, vector=vector)
        took.append((time.perf_counter() - started) * 1000)
        approximate.append(_hits_by_text(answer))
    memory = rss_gb()
    took_sorted = sorted(took)
    figures = {"store": "postgresql" if store else "folder", "chunks": version.live_count(),
               "open_s": round(open_s, 3), "rss_gb": round(memory, 3),
               "rss_anon_gb": round(rss_gb("RssAnon"), 3), "rss_file_gb": round(rss_gb("RssFile"), 3),
               "search_p50_ms": round(statistics.median(took_sorted), 2),
               "search_p95_ms": round(took_sorted[min(len(took) - 1, int(0.95 * len(took)))], 2),
               "search": version.describe()["search"]}
    if store:
        figures["database_gb"] = _database_gb(store)
    print(json.dumps(figures), flush=True)  # each stage's figures as soon as they are known
    exact = SearchEngine(embedder, measured.open(fingerprint=embedder.fingerprint, exact=True))
    recall = []
    asked = DATABASE_RECALL_QUESTIONS if store else len(questions)  # an exact search scans every row of the database
    for question, vector, found in list(zip(questions, vectors, approximate))[:asked]:
        truth = _hits_by_text(exact.search(question, 10, vector=vector))
        recall.append(len(found & truth) / max(len(truth), 1))
    exact.version.close()
    del exact
    figures["recall_at_10"], figures["recall_questions"] = round(float(np.mean(recall)), 4), len(recall)
    print(json.dumps(figures), flush=True)
    if search_only:
        return figures
    language = "fr" if "_fr." in report.name or ".fr." in report.name else "en"
    info = ReportInfo(id="scale-bench-added", title="added by the bench", language=language, source_file=report.name)
    prepared = prepare_report(report, info)
    known_words = set(version.vocabulary.entries)
    sentences = number_sentences(prepared.chunks, {info.id: prepared.document.text})
    new_words = sorted(w for w in vocabulary_words(prepared.document.text, language) if (w, language) not in known_words)
    started = time.perf_counter()
    embedder.embed_passages([chunk.text for chunk in prepared.chunks], show_progress=False)
    embedder.embed_passages(sentences, show_progress=False)
    embedder.embed_words(new_words, False, remember=False)
    figures["embed_report_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures), flush=True)
    version.close()
    del engine, version
    started = time.perf_counter()
    add_reports(measured, embedder, [NewReport(report, id=info.id, language=language)], show_progress=False)
    figures["add_report_s"] = round(time.perf_counter() - started, 1)
    return figures


def _hits_by_text(answer) -> set[str]:
    """An answer's passages as their texts: a replica of a report holds the same texts, so two searches that find
    the same passage in different replicas found the same thing (recall counted by document and span called those
    misses)."""
    return {passage.text for passage in answer.passages}


def run(chunks: int, json_path: Path | None, work: Path | None = None, report: Path | None = None,
        search_only: bool = False, store: str = "") -> dict:
    """Build the N-chunk index, measure it in a fresh process, print and write the figures (``report``: the
    report added, by default the library's 62-page French evaluation). ``search_only`` reuses the synthetic
    index a previous run left (when there is one) and measures the search only. ``store``: load the index into
    this PostgreSQL database and measure it there."""
    from eval import library

    folder = library.library_dir()
    if folder is None:
        raise SystemExit(library.missing_library_message())
    report = report or folder / ADDED_REPORT
    work = work or REPO / "var" / f"scale-{chunks}"
    started = time.perf_counter()
    corpus, index = work / "corpus", work / "index"
    if not (search_only and (index / "current").exists()):
        built = subprocess.run([sys.executable, "-m", "eval.scale", "--build", str(chunks), str(work), report.name],
                               capture_output=True, text=True, cwd=REPO, env=os.environ)  # its memory is freed after
        if built.returncode:
            raise SystemExit(f"building the synthetic index failed:\n{built.stderr[-3000:]}")
        print(f"synthetic index of {chunks} chunks built in {time.perf_counter() - started:.0f} s ({work})", flush=True)
    load_s = None
    if store:
        loaded = subprocess.run([sys.executable, "-m", "eval.scale", "--load", store, str(index)],
                                capture_output=True, text=True, cwd=REPO, env=os.environ)
        if loaded.returncode:
            raise SystemExit(f"loading the synthetic index into PostgreSQL failed:\n{loaded.stderr[-3000:]}")
        load_s = float(loaded.stdout.strip().splitlines()[-1])
        print(f"loaded into PostgreSQL in {load_s:.0f} s", flush=True)
    command = [sys.executable, "-m", "eval.scale", "--measure", str(corpus), str(index), str(report)]
    child = subprocess.run(command + (["--search-only"] if search_only else []) + (["--store", store] if store else []),
                           capture_output=True, text=True, cwd=REPO, env=os.environ)
    lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"the measurement failed:\n{child.stderr[-3000:]}")
    figures = json.loads(lines[-1])
    if load_s is not None:
        figures["load_s"] = load_s
    if child.returncode:  # killed on the way (out of memory in the add, say): what it measured, and why not more
        figures["failed"] = (f"the measurement stopped with code {child.returncode} after these figures"
                             f"{': ' + child.stderr.strip().splitlines()[-1] if child.stderr.strip() else ''}")
    for key in KEYS + (("load_s", "database_gb") if store else ()):
        print(f"{key:16} {figures.get(key, 'not measured')}")
    if "failed" in figures:
        print(f"{'failed':16} {figures['failed']}")
    print(f"{'search':16} {json.dumps(figures['search'])}")
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"written to {json_path}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="chunks in the synthetic index")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--report", type=Path, default=None, help="the report added (default: a 62-page library PDF)")
    parser.add_argument("--measure", nargs=3, type=Path, metavar=("CORPUS", "INDEX", "REPORT"), help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=3, metavar=("N", "WORK", "REPORT_NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--search-only", action="store_true",
                        help="reuse the synthetic index of an earlier run and measure the search only")
    parser.add_argument("--store", default="", metavar="postgresql://…",
                        help="load the index into this PostgreSQL database and measure it there (its current "
                             "version is replaced)")
    parser.add_argument("--load", nargs=2, metavar=("DSN", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        print(load_into(args.load[0], Path(args.load[1])))
        return 0
    if args.build:
        from index_build.embedding import Embedder
        from service.settings import get_settings

        settings = get_settings()
        build_synthetic(int(args.build[0]), Path(args.build[1]), Embedder.load(settings.model, settings.model_cache_dir),
                        args.build[2])
        return 0
    if args.measure:
        print(json.dumps(measure(*args.measure, search_only=args.search_only, store=args.store)))
        return 0
    run(args.scale, args.json, report=args.report, search_only=args.search_only, store=args.store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
