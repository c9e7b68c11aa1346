"""The ``citeqa`` command line: build, serve, ask."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time

from index_build.corpus import CorpusError
from index_build.index_store import IndexProblem
from index_build.reading import UnreadableReport
from service.settings import Settings, get_settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``citeqa`` command."""
    parser = argparse.ArgumentParser(prog="citeqa", description="Answers from reports, with cited passages.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="rebuild the index from the corpus folder")
    build.add_argument("--if-missing", action="store_true", help="do nothing when an index already exists")

    commands.add_parser("serve", help="serve the HTTP API on HOST:PORT")

    ask = commands.add_parser("ask", help="ask a question and print the cited passages")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="how many passages (default 5)")

    evaluate = commands.add_parser("eval", help="score the answers on the eval set of expected answers")
    from eval.cli import add_arguments

    add_arguments(evaluate)

    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        return {"build": _build, "serve": _serve, "ask": _ask, "eval": _eval}[args.command](args, settings)
    except (IndexProblem, CorpusError, UnreadableReport) as error:
        print(f"citeqa: {error}", file=sys.stderr)
        return 2


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.builder import build_index
    from index_build.embedding import Embedder
    from index_build.index_store import current_path

    if args.if_missing and current_path(settings.index_dir) is not None:
        print(f"Index already built in {settings.index_dir} (use `citeqa build` to rebuild).")
        return 0
    started = time.perf_counter()
    embedder = Embedder.load(settings.model, settings.model_cache_dir)
    print(f"Model {settings.model} loaded in {time.perf_counter() - started:.1f} s")
    manifest = build_index(settings.corpus_dir, settings.index_dir, embedder)
    counts = manifest["counts"]
    print(f"Built index version {manifest['version']}: {counts['documents']} documents, {counts['chunks']} chunks "
          f"in {manifest['build_seconds']} s -> {manifest['path']}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.app import create_app
    from service.search import SearchEngine

    engine = SearchEngine.open(settings.index_dir, settings.model, settings.model_cache_dir)
    uvicorn.run(create_app(engine), host=settings.host, port=settings.port)
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from service.search import SearchEngine

    engine = SearchEngine.open(settings.index_dir, settings.model, settings.model_cache_dir)
    answer = engine.search(args.question, args.k or settings.default_k)
    print(f"{args.question}  ({answer.took_ms:.0f} ms)\n")
    for passage in answer.passages:
        who = ", ".join(s["name"] for s in passage.speakers) or "-"
        print(f"[{passage.rank}] {passage.title}, p. {passage.page}, chars {passage.start}-{passage.end}  "
              f"score {passage.score:.3f}  speakers: {who}")
        print(textwrap.indent(textwrap.fill(passage.text, 100), "    "), end="\n\n")
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.cli import run

    if args.url:
        return run(args)
    from service.search import SearchEngine

    return run(args, SearchEngine.open(settings.index_dir, settings.model, settings.model_cache_dir))


if __name__ == "__main__":
    sys.exit(main())
