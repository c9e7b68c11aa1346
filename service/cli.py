"""The ``citeqa`` command line: build, serve, ask, speakers, eval.

The top layer (index_build <- service <- eval <- this module): the only module of ``service`` that imports
``eval``, and only inside the ``eval`` command.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

from index_build.corpus import CorpusError
from index_build.onnx_export import OnnxExportError
from index_build.store.base import DatabaseProblem
from index_build.reading import UnreadableReport
from index_build.reports import UnknownReport
from index_build.store.base import IndexProblem
from service.settings import Settings, get_settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``citeqa`` command."""
    parser = argparse.ArgumentParser(prog="citeqa", description="Answers from reports, with cited passages.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="bring the index up to date with corpus/ (embeds only what changed)")
    build.add_argument("--if-missing", action="store_true", help="do nothing when an index already exists")
    commands.add_parser("rebuild", help="rebuild the whole index from scratch (after a model change)")

    add = commands.add_parser("add", help="add or replace reports (.pdf, .txt, .md) and index them")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--id", default="", help="report id (default: from the file name)")
    add.add_argument("--replace", action="store_true", help="replace the report that has this id (otherwise refused)")
    add.add_argument("--title", default="", help="title (default: from the file's metadata or name)")
    add.add_argument("--lang", default="", help="ISO 639-1 language code, e.g. fr or en (default: guessed)")
    add.add_argument("--year", type=int, default=None)
    add.add_argument("--publisher", default="")

    remove = commands.add_parser("remove", help="remove a report from the corpus and the index")
    remove.add_argument("id")

    commands.add_parser("list", help="the reports in the index")

    export = commands.add_parser("export", help="write the store's catalog (reports.json and the report files) into "
                                 "a folder, to import into another store")
    export.add_argument("folder", type=Path, help="an empty or new folder")
    import_ = commands.add_parser("import", help="add every report of a corpus folder (reports.json and its files) "
                                  "to the store, with its id, title, language, year and publisher; reports of the "
                                  "same id are replaced, the others kept")
    import_.add_argument("folder", type=Path, help="a corpus folder, e.g. written by `citeqa export`")

    merge = commands.add_parser("merge", help="merge the index's small segments (and drop removed reports' rows) "
                                "as the merge policy asks; add, remove and build do it after their change")
    merge.add_argument("--all", action="store_true", help="merge every segment into one")

    commands.add_parser("serve", help="serve the HTTP API on HOST:PORT")
    commands.add_parser("mcp", help="serve the MCP tools (search, speakers, documents, document_page) on stdin and "
                        "stdout, for an assistant (docs/mcp.md)")

    ask = commands.add_parser("ask", help="ask a question and print the cited passages")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="how many passages (default 5)")
    ask.add_argument("--format", choices=["text", "json", "markdown", "csv"], default="text",
                     help="text to read (default); json: the API's answer; markdown or csv: the answer with its "
                          "citations and links (docs/export.md)")
    ask.add_argument("--base-url", default=None, metavar="URL", help="with markdown or csv: where the links point "
                     "(default http://HOST:PORT, where `citeqa serve` listens)")
    _add_filter_arguments(ask, speakers=True)

    speakers = commands.add_parser("speakers", help="who speaks in the reports: role, organisation, reports, passages")
    speakers.add_argument("query", nargs="?", default="",
                          help="only names or organisations containing this (case and accents ignored)")
    _add_filter_arguments(speakers, speakers=False)

    evaluate = commands.add_parser("eval", help="score the answers on the eval set of expected answers")
    from eval.cli import add_arguments

    add_arguments(evaluate)

    bench = commands.add_parser("bench", help="speed figures printed and written as JSON: embedding, build, search "
                                "stages, HTTP under load (PERFORMANCE.md); with --scale N, a synthetic index of N chunks")
    bench.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures here")
    bench.add_argument("--runs", type=int, default=3, help="repeated runs; each figure is their median (default 3)")
    bench.add_argument("--seconds", type=float, default=20, help="seconds of load at each number of clients (default 20)")
    bench.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], metavar="N",
                       help="concurrent HTTP connections, one load each (default 1 8 32)")
    bench.add_argument("--http-only", action="store_true", help="only the HTTP load and memory, against the index "
                       "of CITEQA_INDEX_DIR (to compare CITEQA_ONNX_THREADS, CITEQA_BATCH_MAX, CITEQA_SEARCH_CONCURRENCY)")
    bench.add_argument("--servers", type=int, default=1, metavar="N", help="citeqa serve processes sharing the index, "
                       "each loaded by its own wrk (default 1)")
    bench.add_argument("--scale", type=int, default=None, metavar="N", help="measure a synthetic index of N chunks instead")
    bench.add_argument("--encoders", nargs="+", default=None, metavar="NAME[:THREADS]",
                       help="measure these encoders side by side instead (query cost, chunks/s, agreement with the "
                            "first), e.g. onnx onnx-int8 onnx-q4")
    bench.add_argument("--eval", action="store_true", help="with --encoders: each encoder's eval figures too (its own "
                                                           "library index, built when missing)")
    bench.add_argument("--report", type=Path, default=None, help="with --scale: the report added (default: a 62-page "
                       "library PDF)")
    bench.add_argument("--store", default="", metavar="postgresql://…",
                       help="with --scale: load the synthetic index into this PostgreSQL database and measure it there "
                            "(its current version is replaced: give the bench a database of its own)")
    bench.add_argument("--search-only", action="store_true",
                       help="with --scale: reuse the synthetic index of an earlier run and measure the search only")

    database = commands.add_parser("db", help="the PostgreSQL store (pgvector): its schema, and an index copied in")
    database.add_argument("--dsn", required=True, metavar="postgresql://USER@HOST:PORT/DB",
                          help="the database (a libpq connection string or URI)")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("migrate", help="create or upgrade citeqa's tables (vectors of the model's length)")
    copy_from = database_commands.add_parser("copy-from", help="copy the current version of an index folder into "
                                             "the database and make it current, without embedding anything")
    copy_from.add_argument("folder", type=Path, help="the index folder (CITEQA_INDEX_DIR of the embedded store)")
    copy_from.add_argument("--corpus", type=Path, default=None, metavar="FOLDER",
                           help="its corpus folder, whose report files become the database's catalog (default: "
                                "CITEQA_CORPUS_DIR)")
    copy_from.add_argument("--index-memory", default=None, metavar="SIZE",
                           help="maintenance_work_mem for building the vector indexes of a first load (default 1GB; "
                                "an index that fits in it is built in memory, far faster)")

    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        return {"build": _build, "rebuild": _build, "add": _add, "remove": _remove, "list": _list, "merge": _merge,
                "export": _export, "import": _import,
                "serve": _serve, "mcp": _mcp, "ask": _ask, "speakers": _speakers, "eval": _eval, "bench": _bench,
                "db": _database}[args.command](args, settings)
    except (IndexProblem, CorpusError, UnreadableReport, UnknownReport, OnnxExportError, DatabaseProblem,
            ValueError) as error:
        print(f"citeqa: {error}", file=sys.stderr)
        return 2


def _add_filter_arguments(parser: argparse.ArgumentParser, speakers: bool) -> None:
    """The filters of ``ask`` (and, but --speaker, of ``speakers``); each list option may be repeated."""
    parser.add_argument("--document", action="append", default=[], metavar="ID",
                        help="only this report (repeat for several; `citeqa list` shows the ids)")
    parser.add_argument("--language", action="append", default=[], type=_language_code, metavar="CODE",
                        help="only reports in this language, e.g. fr (repeatable)")
    parser.add_argument("--year-from", type=int, default=None, metavar="YEAR", help="only reports of this year or later")
    parser.add_argument("--year-to", type=int, default=None, metavar="YEAR", help="only reports of this year or earlier")
    parser.add_argument("--publisher", action="append", default=[], metavar="TEXT",
                        help="only reports whose publisher contains this (repeatable)")
    if speakers:
        parser.add_argument("--speaker", action="append", default=[], metavar="TEXT",
                            help="only passages where someone whose name or organisation contains this speaks (repeatable)")


def _language_code(value: str) -> str:
    import re

    if re.fullmatch("[a-z]{2}", value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a two-letter ISO 639-1 code in lower case, e.g. fr or en")
    return value


def _filter_of(args: argparse.Namespace, version):
    """The options' filter, checked against the index version (an unknown report id is a ValueError: exit 2)."""
    from service.filters import search_filter

    return search_filter((doc["id"] for doc in version.documents), documents=args.document,
                         languages=args.language, year_from=args.year_from, year_to=args.year_to,
                         publishers=args.publisher, speakers=getattr(args, "speaker", []))


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.builder import build_index

    store = _store(settings)
    if getattr(args, "if_missing", False) and store.has_current():  # an index of the previous format is converted
        print(f"Index already built in {store.describe()} (use `citeqa build` to bring it up to date).")
        return 0
    summary = build_index(store, _embedder(settings), reuse=args.command != "rebuild", translator=_translator(settings))
    print(summary.line())
    return _maintain_after(store)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.reports import NewReport, add_reports

    if len(args.paths) > 1 and args.id:
        raise ValueError("--id names one report: add the files one at a time to give each its id")
    missing = [str(path) for path in args.paths if not path.is_file()]
    if missing:
        raise ValueError(f"no such file: {', '.join(missing)}")
    reports = [NewReport(path, args.id, args.title, args.lang, args.year, args.publisher, args.replace)
               for path in args.paths]
    store = _store(settings)
    print(add_reports(store, _embedder(settings), reports, translator=_translator(settings)).line())
    return _maintain_after(store)


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.reports import remove_report

    store = _store(settings)
    print(remove_report(store, _embedder(settings), args.id, translator=_translator(settings)).line())
    return _maintain_after(store)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.reports import export_catalog

    print(export_catalog(_store(settings), args.folder))
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.reports import import_catalog

    store = _store(settings)
    print(import_catalog(store, _embedder(settings), args.folder, translator=_translator(settings)).line())
    return _maintain_after(store)


def _merge(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    print(store.maintain(everything=args.all).line)
    return 0


def _maintain_after(store) -> int:
    """After a change, the maintenance the store asks for (the folder's merge policy; the new version is already
    current and served)."""
    maintained = store.maintain()
    if maintained.done:
        print(maintained.line)
    return 0


def _store(settings: Settings):
    """The store of CITEQA_STORE, CITEQA_INDEX_DIR and CITEQA_CORPUS_DIR."""
    from index_build.store.factory import open_store

    return open_store(settings)


def _current_version(settings: Settings):
    """The store's current version (refused with what to run when missing)."""
    return _store(settings).open()


def _list(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    version = store.open()
    print(f"Index version {version.version} ({store.describe()})")
    print(f"{'id':<45} {'lang':<4} {'pages':>5} {'chunks':>6}  {'sha256':<12}  indexed")
    for doc in version.documents:
        print(f"{doc['id']:<45} {doc['language']:<4} {doc['pages']:>5} {doc['chunks']:>6}  "
              f"{doc['content_hash'][:12]}  {doc.get('indexed_at', '')}")
    return 0


def _translator(settings: Settings) -> str | None:
    """What renders the passages of a build: the process's translator, or none with CITEQA_TRANSLATION=false."""
    return "shared" if settings.translation else None


def _embedder(settings: Settings):
    """The model for a command-line build or question: every core is the command's (CITEQA_BUILD_THREADS)."""
    from index_build.embedding import Embedder

    started = time.perf_counter()
    embedder = Embedder.load(settings.model, settings.model_cache_dir, settings.encoder, settings.build_threads)
    print(f"Model {settings.model} ({settings.encoder}) loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return embedder


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.app import create_app
    from service.live import LiveIndex
    from service.logs import configure

    configure(sys.stderr)  # JSON lines: requests, index switches, refused admin requests, uvicorn's own lines
    live = LiveIndex.open(_store(settings), settings.model, settings.model_cache_dir,
                          settings.batch_max, settings.batch_wait_ms)
    # citeqa writes its own request lines (service/request_log.py); uvicorn keeps the logging configured above
    # (log_config=None) and finishes requests in flight on SIGTERM
    uvicorn.run(create_app(live, settings), host=settings.host, port=settings.port, access_log=False,
                log_config=None, timeout_graceful_shutdown=30)
    return 0


def _mcp(args: argparse.Namespace, settings: Settings) -> int:
    """The MCP server on stdio over the live index (it follows a rebuilt index, as `serve` does); stdout carries
    the protocol only: logs, and anything printed while the index and model load, go to stderr."""
    import contextlib

    import anyio

    from service.live import LiveIndex
    from service.logs import configure
    from service.mcp_server import serve_stdio

    configure(sys.stderr)
    with contextlib.redirect_stdout(sys.stderr):
        live = LiveIndex.open(_store(settings), settings.model, settings.model_cache_dir,
                              settings.batch_max, settings.batch_wait_ms)
    anyio.run(serve_stdio, live, settings)
    return 0


def _engine(settings: Settings, version=None):
    """A search engine over ``version`` (default: the current one) with the command line's model."""
    from index_build.store.base import check_model
    from service.search import SearchEngine

    version = version or _current_version(settings)  # a missing index is refused before the model loads
    embedder = _embedder(settings)
    check_model(version, settings.model, embedder.fingerprint, embedder.dimension)
    return SearchEngine(embedder, version)


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    version = _current_version(settings)
    search_filter = _filter_of(args, version)  # refused before the model loads
    engine = _engine(settings, version)
    answer = engine.search(args.question, args.k or settings.default_k, search_filter=search_filter)
    if args.format != "text":
        return _print_exported(answer, args.format, args.base_url or _served_url(settings))
    print(f"{args.question}  ({answer.took_ms:.0f} ms)\n")
    if not search_filter.empty:
        conditions = ", ".join(f"{key}={value}" for key, value in search_filter.to_dict().items())
        print(f"Filter: {conditions}\n")
    for language, text in answer.translations.items():
        print(f"Also searched in {language} as: {text}")
    if answer.translations:
        print()
    if not answer.answerable:
        print(f"Not answered: {answer.reason}\n")
    for passage in answer.passages:
        who = ", ".join(s.name for s in passage.speakers) or "-"
        print(f"[{passage.rank}] {passage.title}, p. {passage.page}, chars {passage.start}-{passage.end}  "
              f"score {passage.score:.3f}  speakers: {who}")
        print(textwrap.indent(textwrap.fill(passage.text, 100), "    "), end="\n\n")
    return 0


def _served_url(settings: Settings) -> str:
    """Where ``citeqa serve`` listens: http://HOST:PORT (an IPv6 host in brackets)."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


def _print_exported(answer, format: str, base_url: str) -> int:
    """The answer on stdout as JSON (the API's), Markdown or CSV (service.export), in UTF-8."""
    from service.export import render

    text = answer.model_dump_json(indent=2) + "\n" if format == "json" else render(answer, format, base_url)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))  # a question of undecodable bytes too
    sys.stdout.buffer.flush()
    return 0


def _speakers(args: argparse.Namespace, settings: Settings) -> int:
    from service.filters import SpeakerDirectory

    version = _current_version(settings)  # no model needed: the directory is in the index
    entries = SpeakerDirectory(version).find(args.query, _filter_of(args, version))
    for entry in entries:
        about = ", ".join(part for part in (entry["role"], entry["organisation"]) if part)
        passages = f"{entry['passages']} passage{'' if entry['passages'] == 1 else 's'}"
        print(f"{entry['name']}{f' — {about}' if about else ''}")
        print(f"    {passages} in {', '.join(entry['documents'])}")
    shown = f"{len(entries)} speaker{'' if len(entries) == 1 else 's'}"
    print(f"{shown}{f' matching {args.query!r}' if args.query else ''} (index version {version.version})",
          file=sys.stderr)
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.cli import run

    if args.url:
        return run(args)
    return run(args, _engine(settings))


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from index_build.store.factory import is_postgres

    if args.store and (args.scale is None or not is_postgres(args.store)):
        raise ValueError("--store takes a postgresql:// address and goes with --scale (the HTTP bench serves "
                         "CITEQA_STORE)")
    if args.encoders:
        from eval.encoder_bench import side_by_side

        if args.scale is not None or args.store or args.http_only:
            raise ValueError("--encoders measures the encoders alone: not with --scale, --store or --http-only")
        side_by_side(args.encoders, args.runs, args.eval, args.json)
        return 0
    if args.eval:
        raise ValueError("--eval goes with --encoders")
    if args.scale is None:
        from eval.speed import BenchProblem, run as run_speed

        if args.runs < 1 or args.seconds < 1 or min(args.clients) < 1 or not 1 <= args.servers <= 16:
            raise ValueError("--runs, --seconds and --clients must be at least 1, --servers from 1 to 16")
        try:
            run_speed(args.json, args.runs, args.seconds, tuple(args.clients), http_only=args.http_only,
                      servers=args.servers)
        except BenchProblem as problem:
            print(f"citeqa: {problem}", file=sys.stderr)
            return 2
        return 0
    from eval.scale import run

    if args.scale < 1:
        raise ValueError("--scale must be a positive number of chunks")
    run(args.scale, args.json, report=args.report, search_only=args.search_only, store=args.store)
    return 0


def _database(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "copy-from":
        from index_build.store.postgres.copy import copy_from_folder

        memory = {"index_memory": args.index_memory} if args.index_memory else {}  # else copy_from_folder's default
        print(copy_from_folder(args.dsn, args.folder, args.corpus or settings.corpus_dir, **memory).line())
        return 0
    from index_build.store.postgres.schema import SCHEMA_VERSION, migrate

    applied = migrate(args.dsn, _embedder(settings).dimension)
    print(f"Schema version {SCHEMA_VERSION}: " + (f"applied {', '.join(map(str, applied))}" if applied else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
