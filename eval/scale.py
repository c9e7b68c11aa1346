"""``citeqa bench --scale N [--json FILE]``: how the index holds up at N chunks, printed and written as JSON.

The N-chunk index is synthetic but made of real parts: the library's reports (all but the one the bench
adds) replicated as new reports until N chunks. The first replica of each report is the report itself, text and
vectors unchanged (the real library, so that its figures stay comparable); every further replica differs as
another report would, cheaply and deterministically (seeded by replica and report, whatever N):

- its text: a share (``REPLACED``) of its content words (lower-case words of the library's vocabulary in the
  report's language) replaced by other words of that vocabulary drawn at random, so that the lexical (BM25)
  statistics spread over many terms instead of the same postings repeated hundreds of times. Chunks, their
  sentences and the document text stay consistent (``text[start:end] == chunk.text``, sentence spans moved with
  them, sentence rows and speakers kept); a word across a chunk or sentence boundary is never replaced;
- its chunk and sentence vectors: the original ones perturbed (Gaussian noise, ``NOISE``, renormalised) so that
  near neighbours are near, not identical, and approximate search has something to get wrong. They are not
  computed again from the changed text: the bench measures the store, not the model. Its passages' renderings in
  other languages (translations) are the original's, unchanged.

The measurement runs in a fresh process (the build's memory is not counted):

- ``open_s``: open the version and make the engine ready to answer (the model is loaded before);
- ``rss_gb``: resident memory after the open and 100 questions (``rss_anon_gb``: the process's own,
  ``rss_file_gb``: pages of the memory-mapped files it touched);
- ``search_p50_ms``, ``search_p95_ms``: the whole search without the query embedding (vectors computed first);
- ``recall_at_10``: the top 10 passages of each question with the version's approximate search against
  exact search over the same version, passages compared by their text (a passage a replica left as it was, a
  heading say, is the same hit in every replica; ``recall_questions``: over how many questions);
- ``dense_recall_at_10``: the vector indexes' own share, for passages and for sentences: the engine's candidate
  search (``dense_search``, 200) of the question's vector, approximate and exact; of the exact best 10, how many the
  approximate best 10 match by score (a hit as good as the exact 10th counts: identical vectors tie);
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
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from index_build.store.folder.segment import VECTOR_DTYPE  # the synthetic index is written as a folder

REPO = Path(__file__).resolve().parent.parent
ADDED_REPORT = "iom_eval_dialogue_binational_haiti_rd_rapport_initial_2025_fr.pdf"  # 62 pages, French
NOISE = 0.02  # standard deviation of the noise added to each coordinate of a replicated unit vector
REPLACED = 0.25  # the share of a replica's content words replaced by other words of the library's vocabulary
SEED = 0  # replica r of report i is made with the generator seeded (SEED, r, i)
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters: what a replica may replace (when a vocabulary word)
QUESTIONS = 100
DATABASE_RECALL_QUESTIONS = 20  # recall on PostgreSQL is measured on the first 20: each exact search there reads
# every vector of the table (seconds a search at a million chunks), the folder's exact search is a matrix product
INDEX_MEMORY = "8GB"  # maintenance_work_mem for the HNSW builds of the bench's load (a million vectors fit)
KEYS = ("chunks", "open_s", "rss_gb", "rss_anon_gb", "rss_file_gb", "search_p50_ms", "search_p95_ms",
        "stages_p50_ms", "recall_at_10", "dense_recall_at_10", "add_report_s", "embed_report_s")


def rss_gb(field: str = "VmRSS") -> float:
    """This process's resident memory, in GB (``RssAnon``: its own; ``RssFile``: pages of mapped files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def build_synthetic(chunks: int, work: Path, embedder, added: str = ADDED_REPORT) -> tuple[Path, Path]:
    """A corpus folder and an index of about ``chunks`` chunks made from the library index (replicas of
    its reports but ``added``: the first as it is, the others with words replaced and vectors perturbed, see the
    module's description); returns (corpus, index)."""
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
    previous = PreviousVersion(base)
    parts = {doc["id"]: previous.document(doc["id"]) for doc in documents}
    renderings = {doc["id"]: previous.renderings(doc["id"]) for doc in documents}  # shared by the replicas
    vocabulary = {}  # language -> the words a replica draws from (letters only, as _WORD finds them)
    for word, language in base.vocabulary.entries:
        if _WORD.fullmatch(word) and word.islower():
            vocabulary.setdefault(language, []).append(word)
    replaceable = {doc["id"]: replaceable_words(parts[doc["id"]][3], parts[doc["id"]][0],
                                                vocabulary.get(doc["language"], []))
                   for doc in documents}  # found once per report, not once per replica
    writer = FolderWriter(index, None)
    catalog, total = [], 0
    for replica in range(replicas):
        for position, doc in enumerate(documents):
            if total >= chunks:
                break
            doc_chunks, vectors, sentences, text = parts[doc["id"]]
            if replica:  # the first replica is the library's report as it is
                rng = np.random.default_rng((SEED, replica, position))
                text, doc_chunks = vary_report(text, doc_chunks, vocabulary.get(doc["language"], []), rng,
                                               spans=replaceable[doc["id"]])
                vectors, sentences = _perturbed(vectors, rng), _perturbed(sentences, rng)
            new_id = f"{doc['id']}-r{replica:05d}"
            suffix = Path(doc["source_file"]).suffix
            source = corpus / f"{new_id}{suffix}"
            original = (source_dir / doc["source_file"]) if doc["source_file"] != "idm-2018-capacity-development.fr.txt" \
                else REPO / "corpus" / doc["source_file"]
            source.symlink_to(original.resolve())
            own = [Chunk(i, new_id, c.page, c.start, c.end, c.text, c.speakers, c.sentences)
                   for i, c in enumerate(doc_chunks)]
            entry = {key: value for key, value in doc.items() if key not in ("first_row", "segment")}
            writer.add(DocumentPart({**entry, "id": new_id, "source_file": source.name, "characters": len(text)},
                                    text, own, vectors, sentences, renderings[doc["id"]]))
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


def replaceable_words(text: str, chunks: list, words: list[str]) -> np.ndarray:
    """The spans (start, end) of ``text``'s words a replica may replace: runs of letters that are ``words``
    (the library's vocabulary in the text's language: lower-case, no function words), none across a chunk's
    or a sentence's boundary (which would have nowhere to go)."""
    bounds = np.array(sorted({c.start for c in chunks} | {c.end for c in chunks}
                             | {edge for c in chunks for start, end, _ in c.sentences for edge in (start, end)}),
                      dtype=np.int64)
    known = set(words)
    spans = np.array([match.span() for match in _WORD.finditer(text) if match.group() in known],
                     dtype=np.int64).reshape(-1, 2)
    if not len(bounds):
        return spans
    after = np.searchsorted(bounds, spans[:, 0], side="right")  # the first boundary after each word's start
    inside = (after < len(bounds)) & (bounds[np.minimum(after, len(bounds) - 1)] < spans[:, 1])
    return spans[~inside]


def vary_report(text: str, chunks: list, words: list[str], rng: np.random.Generator, share: float = REPLACED,
                spans: np.ndarray | None = None) -> tuple[str, list]:
    """A replica's text and chunks: each of the words :func:`replaceable_words` gives (``spans``, found when not
    given) replaced, with probability ``share``, by a word of ``words`` drawn at random. The chunks keep their
    ids, document, page, speakers and sentence rows; their spans, texts and sentence spans follow the new text
    (``new_text[chunk.start:chunk.end] == chunk.text``). The same generator state gives the same replica."""
    from index_build.chunk_table import Chunk

    if spans is None:
        spans = replaceable_words(text, chunks, words)
    chosen = rng.random(len(spans)) < share
    drawn = rng.integers(0, max(len(words), 1), len(spans))
    if not words or not chosen.any():
        return text, [Chunk(c.id, c.document_id, c.page, c.start, c.end, c.text, c.speakers,
                            [list(s) for s in c.sentences]) for c in chunks]
    pieces, last, shift = [], 0, 0
    ends, shifts = [0], [0]  # after the replaced word ending at ends[i], positions move by shifts[i]
    for (start, end), pick in zip(spans[chosen].tolist(), drawn[chosen].tolist()):
        word = words[pick]
        pieces += [text[last:start], word]
        last, shift = end, shift + len(word) - (end - start)
        ends.append(end)
        shifts.append(shift)
    pieces.append(text[last:])
    varied = "".join(pieces)
    ends_array, shifts_array = np.array(ends, dtype=np.int64), np.array(shifts, dtype=np.int64)

    def moved(positions: list[int]) -> list[int]:
        at = np.asarray(positions, dtype=np.int64)
        return (at + shifts_array[np.searchsorted(ends_array, at, side="right") - 1]).tolist()

    replica = []
    for c in chunks:
        start, end = moved([c.start, c.end])
        edges = moved([edge for s, e, _ in c.sentences for edge in (s, e)])
        sentences = [[edges[2 * i], edges[2 * i + 1], row] for i, (_, _, row) in enumerate(c.sentences)]
        replica.append(Chunk(c.id, c.document_id, c.page, start, end, varied[start:end], c.speakers, sentences))
    return varied, replica


def _perturbed(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(VECTOR_DTYPE)  # as the folder keeps them


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
    took, approximate, stages = [], [], {}
    for question, vector in zip(questions, vectors):
        started = time.perf_counter()
        retrieved = engine.retrieve(question, vector=vector)
        answer = engine.answer(retrieved, 10, started=started)
        took.append((time.perf_counter() - started) * 1000)
        approximate.append(_hits_by_text(answer))
        for stage, ms in retrieved.stage_ms.items():
            stages.setdefault(stage, []).append(ms)
    memory = rss_gb()
    took_sorted = sorted(took)
    figures = {"store": "postgresql" if store else "folder", "chunks": version.live_count(),
               "open_s": round(open_s, 3), "rss_gb": round(memory, 3),
               "rss_anon_gb": round(rss_gb("RssAnon"), 3), "rss_file_gb": round(rss_gb("RssFile"), 3),
               "search_p50_ms": round(statistics.median(took_sorted), 2),
               "search_p95_ms": round(took_sorted[min(len(took) - 1, int(0.95 * len(took)))], 2),
               "stages_p50_ms": {stage: round(statistics.median(ms), 2) for stage, ms in stages.items()},
               "search": version.describe()["search"]}
    if store:
        figures["database_gb"] = _database_gb(store)
    print(json.dumps(figures), flush=True)  # each stage's figures as soon as they are known
    exact = SearchEngine(embedder, measured.open(fingerprint=embedder.fingerprint, exact=True))
    recall, dense = [], {"chunks": [], "sentences": []}
    asked = DATABASE_RECALL_QUESTIONS if store else len(questions)  # an exact search scans every row of the database
    for question, vector, found in list(zip(questions, vectors, approximate))[:asked]:
        truth = _hits_by_text(exact.search(question, 10, vector=vector))
        recall.append(len(found & truth) / max(len(truth), 1))
        for kind in dense:
            search = f"search_{kind}"
            asked = engine.settings.dense_search  # the candidates the engine asks, of which the best 10 are compared
            dense[kind].append(_score_recall(getattr(version, search)(vector, asked),
                                             getattr(exact.version, search)(vector, asked)))
    exact.version.close()
    del exact
    figures["recall_at_10"], figures["recall_questions"] = round(float(np.mean(recall)), 4), len(recall)
    figures["dense_recall_at_10"] = {kind: round(float(np.mean(values)), 4) for kind, values in dense.items()}
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
    """An answer's passages as their texts: a passage a replica left as it was (no word of it replaced: a heading,
    a short line) has the same text in every replica, so two searches that find it in different replicas found the
    same thing (recall counted by document and span called those misses)."""
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


def _score_recall(found, truth, k: int = 10, tolerance: float = 1e-4) -> float:
    """The share of the exact top ``k`` that an approximate search's top ``k`` matches by score: a hit counts when its
    score reaches the exact k-th best (less ``tolerance``), so that identical vectors tie rather than count as misses
    (ann-benchmarks' "epsilon recall")."""
    best, exact_best = np.sort(found.scores)[::-1][:k], np.sort(truth.scores)[::-1][:k]
    if len(exact_best) == 0:
        return 1.0
    return float(np.sum(best >= exact_best[-1] - tolerance)) / len(exact_best)


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
