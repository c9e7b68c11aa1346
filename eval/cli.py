"""``citeqa eval``: score the in-process systems (BM25, dense, hybrid) or a running server."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from eval.report import print_report
from eval.runner import (FLOORS_FILE, QUESTIONS_FILE, QuestionResult, check_floors, evaluate, load_questions,
                         relevant_counts, summarise)

SYSTEMS = {"bm25": "BM25 only", "dense": "dense only", "hybrid": "full system"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``citeqa eval``."""
    parser.add_argument("--url", help="score a running server (e.g. http://127.0.0.1:8000) instead of the in-process systems")
    parser.add_argument("--questions", type=Path, default=QUESTIONS_FILE, help="eval set (JSON lines)")
    parser.add_argument("--json", type=Path, help="write per-question results and summaries to this file")
    parser.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit non-zero when METRIC falls below VALUE (ceiling for false_abstention, chars, latency)")
    parser.add_argument("--floors", type=Path, nargs="?", const=FLOORS_FILE,
                        help=f"check the floors in a JSON file (default {FLOORS_FILE.name} when given without a path)")


def run(args: argparse.Namespace, engine=None) -> int:
    """Run the eval, print the tables, write JSON, check floors; returns the exit code."""
    questions = load_questions(args.questions)
    if args.url:
        runs = {"server": evaluate(_http_search(args.url), questions)}
    else:
        counts = relevant_counts(questions, [chunk.text for chunk in engine.version.chunks])
        runs = {label: evaluate(lambda q, k, mode=mode: _as_dict(engine.search(q, k, mode=mode)), questions, counts)
                for mode, label in SYSTEMS.items()}
    print_report(runs)
    main_system = list(runs)[-1]
    summary = summarise(runs[main_system])
    if args.json:
        args.json.write_text(json.dumps(_to_json(runs), ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"Per-question results written to {args.json}")
    floors = _parse_floors(args.min)
    if args.floors:
        floors = json.loads(args.floors.read_text(encoding="utf-8")) | floors
    broken = check_floors(summary, floors)
    for line in broken:
        print(f"FLOOR BROKEN ({main_system}): {line}")
    if floors and not broken:
        print(f"All {len(floors)} floors hold ({main_system}).")
    return 1 if broken else 0


def _parse_floors(pairs: list[str]) -> dict[str, float]:
    floors = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--min takes METRIC=VALUE, e.g. accuracy@5=0.9 (got {pair!r})")
        floors[name.strip()] = float(value)
    return floors


def _as_dict(answer) -> dict:
    return asdict(answer)


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
