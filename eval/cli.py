"""``citeqa eval``: score the in-process systems (BM25, dense, hybrid) or a running server."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from eval import library
from eval.report import print_report, print_sets
from eval.runner import (FLOORS_FILE, QUESTIONS_FILE, QuestionResult, check_floors, evaluate, load_questions,
                         relevant_chunks, summarise)

LIBRARY_FLOORS_FILE = library.CATALOG_FILE.parent / "floors.json"

SYSTEMS = {"bm25": "BM25 only", "dense": "dense only", "hybrid": "full system"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``citeqa eval``."""
    parser.add_argument("--url", help="score a running server (e.g. http://127.0.0.1:8000) instead of the in-process systems")
    parser.add_argument("--questions", type=Path, default=QUESTIONS_FILE, help="eval set (JSON lines)")
    parser.add_argument("--json", type=Path, help="write per-question results and summaries to this file")
    parser.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit non-zero when METRIC falls below VALUE (ceiling for false_abstention, chars, latency)")
    parser.add_argument("--floors", type=Path, nargs="?", const=FLOORS_FILE,
                        help=f"check the floors in a JSON file (default {FLOORS_FILE.name} when given without a path; "
                             "the library's own floors are checked too)")
    parser.add_argument("--no-library", dest="library", action="store_false",
                        help="only the single-report eval (by default the library eval follows it: the seed report "
                             "and ../shared/corpus_extra in one index, built once and cached under var/library)")
    parser.add_argument("--library-store", default="", metavar="postgresql://…",
                        help="build the library index into this PostgreSQL database (its current version is replaced: "
                             "give it a database of its own) and score it there, instead of under var/library")


def run(args: argparse.Namespace, engine=None) -> int:
    """Run the eval, print the tables, write JSON, check floors; returns the exit code."""
    questions = load_questions(args.questions)
    if args.url:
        runs = {"server": evaluate(_http_search(args.url), questions)}
    else:
        relevant = relevant_chunks(questions, list(engine.version.iter_chunks()))
        runs = {label: evaluate(lambda q, k, mode=mode: _as_dict(engine.search(q, k, mode=mode)), questions, relevant)
                for mode, label in SYSTEMS.items()}
    print_report(runs)
    main_system = list(runs)[-1]
    floors = _parse_floors(args.min)
    if args.floors:
        floors = json.loads(args.floors.read_text(encoding="utf-8")) | floors
    broken = _report_floors(main_system, summarise(runs[main_system]), floors)
    sets = _library_sets(args, engine) if engine is not None and getattr(args, "library", True) else {}
    if sets:
        library_floors = json.loads(LIBRARY_FLOORS_FILE.read_text(encoding="utf-8")) if args.floors else {}
        for name, results in sets.items():
            broken += _report_floors(f"{name}, library index", summarise(results), library_floors.get(name, {}))
    if args.json:
        everything = _to_json(runs) | {f"{name}, library index": _to_json({"": results})[""] for name, results in sets.items()}
        args.json.write_text(json.dumps(everything, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"Per-question results written to {args.json}")
    return 1 if broken else 0


def _report_floors(label: str, summary: dict, floors: dict[str, float]) -> list[str]:
    """Check and print the floors of one summary; returns the broken ones."""
    broken = check_floors(summary, floors)
    for line in broken:
        print(f"FLOOR BROKEN ({label}): {line}")
    if floors and not broken:
        print(f"All {len(floors)} floors hold ({label}).")
    return broken


def _library_sets(args: argparse.Namespace, engine) -> dict[str, list[QuestionResult]]:
    """The seed questions and the library questions, scored on the library index (empty without its files)."""
    from service.search import SearchEngine

    store = getattr(args, "library_store", "")
    index_dir = library.ensure_library_index(engine.embedder, store=store)
    if index_dir is None:
        print(library.missing_library_message())
        return {}
    store_of_library = library.library_store(index_dir, store)
    version = store_of_library.open(fingerprint=engine.embedder.fingerprint, dimension=engine.embedder.dimension)
    try:
        library_engine = SearchEngine(engine.embedder, version)
        sets = score_sets(library_engine, library.library_question_sets(args.questions))
    finally:
        version.close()
        store_of_library.close()
    where = "PostgreSQL" if store else "folder"
    print_sets(sets, f"citeqa eval — the library index ({len(version.documents)} reports, {version.live_count()} chunks, "
                     f"{where})")
    return sets


def score_sets(engine, sets: dict[str, list]) -> dict[str, list[QuestionResult]]:
    """Each question set scored with the full system of an engine."""
    languages = {doc["id"]: doc.get("language", "") for doc in engine.version.documents}
    return {name: evaluate(lambda q, k: _as_dict(engine.search(q, k)), questions,
                           relevant_chunks(questions, list(engine.version.iter_chunks())), languages)
            for name, questions in sets.items()}


def _parse_floors(pairs: list[str]) -> dict[str, float]:
    floors = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--min takes METRIC=VALUE, e.g. accuracy@5=0.9 (got {pair!r})")
        floors[name.strip()] = float(value)
    return floors


def _as_dict(answer) -> dict:
    return answer.model_dump()


def _http_search(url: str):
    import httpx

    client = httpx.Client(base_url=url.rstrip("/"), timeout=60)

    def search(question: str, k: int) -> dict:
        response = client.post("/search", json={"question": question, "k": k})
        response.raise_for_status()
        return response.json()

    return search


def _to_json(runs: dict[str, list[QuestionResult]]) -> dict:
    return {system: {"summary": summarise(results), "questions": [asdict(r) for r in results]}
            for system, results in runs.items()}
