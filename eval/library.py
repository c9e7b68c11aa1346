"""The library: the seed corpus plus the reports of ``../shared/corpus_extra``, its questions and its index.

The report files are read where they are (never copied into the repository): the library corpus is a
folder of symbolic links under ``var/library`` with one ``reports.json`` made from ``eval/library/reports.json``
and the seed corpus's own catalog.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from eval.evidence import EvidenceLocator, normalise
from index_build.cleaning import CleanDocument, clean_pages
from index_build.corpus import ReportInfo, content_hash, load_catalog, save_catalog
from index_build.reading import read_report

REPO = Path(__file__).resolve().parents[1]
LIBRARY_ENV = "CITEQA_LIBRARY_DIR"
DEFAULT_LIBRARY_DIR = REPO.parent / "shared" / "corpus_extra"
CATALOG_FILE = Path(__file__).parent / "library" / "reports.json"
QUESTIONS_FILE = Path(__file__).parent / "library" / "questions.jsonl"
DEFAULT_WORK_DIR = REPO / "var" / "library"  # the library index of the model's own vectors (fp32 ONNX, torch)


def work_dir_for(fingerprint: str, base: Path = DEFAULT_WORK_DIR) -> Path:
    """Where the library index of these vectors is built: ``base`` for the model's own vectors, ``base-ENCODER``
    for an encoder's own (var/library-onnx-int8), so that measuring one encoder never rebuilds another's index."""
    from index_build.retrieval import vectors_encoder

    encoder = vectors_encoder(fingerprint)
    return base if encoder is None else base.with_name(f"{base.name}-{encoder}")


def library_question_sets(seed_questions: Path | None = None) -> dict[str, list]:
    """The question sets scored on the library index: the seed questions (without the seed's negatives:
    they were checked against the seed report only, and other reports do answer some, e.g. statelessness
    in the Los Angeles declaration) and the library questions (negatives checked against all nine reports)."""
    from eval.runner import QUESTIONS_FILE as SEED_QUESTIONS, load_questions

    seed = [question for question in load_questions(seed_questions or SEED_QUESTIONS) if not question.is_negative]
    return {"seed questions": seed, "library questions": load_questions(QUESTIONS_FILE)}


def library_reports() -> list[ReportInfo]:
    """The reports of the library (not the seed corpus), as the catalog in the repository describes them."""
    data = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return [ReportInfo.model_validate(report) for report in data["reports"]]


def _configured_dir() -> Path:
    """Where the library's files should be (CITEQA_LIBRARY_DIR, read by the service's settings)."""
    from service.settings import Settings

    return Settings().library_dir or DEFAULT_LIBRARY_DIR


def library_dir() -> Path | None:
    """The folder that holds the library's files, or None when it (or one of its files) is absent."""
    folder = _configured_dir()
    if not all((folder / report.source_file).is_file() for report in library_reports()):
        return None
    return folder


def missing_library_message() -> str:
    """What to say when the library's files are not there."""
    folder = _configured_dir()
    return (f"The library eval needs the reports of {folder} (set {LIBRARY_ENV} to their folder); "
            "they are not there, so it is skipped.")


def make_library_corpus(target: Path, seed_corpus: Path, folder: Path) -> Path:
    """A corpus folder of links to the seed reports and the library's, with one ``reports.json``."""
    target.mkdir(parents=True, exist_ok=True)
    seed = load_catalog(seed_corpus)
    reports = seed + library_reports()
    sources = {report.source_file: (seed_corpus if report in seed else folder) / report.source_file
               for report in reports}
    for entry in target.iterdir():
        if entry.is_symlink() and entry.name not in sources:
            entry.unlink()
    for name, source in sources.items():
        link = target / name
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source.resolve())
    save_catalog(target, reports)
    return target


def ensure_library_index(embedder, seed_corpus: Path = REPO / "corpus", work_dir: Path | None = None,
                         show_progress: bool = True, store: str = "",
                         chunking: tuple[int, int] | None = None) -> Path | None:
    """The library's index folder (seed corpus + library), built when missing or out of date; None without
    the library's files. Reports already embedded are reused by content hash. ``store``: build it into this
    PostgreSQL database instead (its current version is replaced; the folder's path is still returned).
    ``chunking``: (characters, overlap) of the passages, when not the defaults. ``work_dir``: where the corpus
    and the index folder are (default: :func:`work_dir_for` the embedder's vectors)."""
    from index_build.builder import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, build_index, is_up_to_date
    from index_build.store.factory import StoreLocation, open_store

    size, overlap = chunking or (DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP)

    work_dir = work_dir_for(embedder.fingerprint) if work_dir is None else work_dir
    folder = library_dir()
    if folder is None:
        return None
    corpus = make_library_corpus(work_dir / "corpus", seed_corpus, folder)
    index_dir = work_dir / "index"
    target = open_store(StoreLocation(store, index_dir, corpus))
    reports = load_catalog(corpus)  # exactly the library, whatever the store's catalog held
    try:
        if not is_up_to_date(target, embedder, reports=reports, chunk_size=size, chunk_overlap=overlap):
            print(build_index(target, embedder, reports=reports, show_progress=show_progress, chunk_size=size,
                              chunk_overlap=overlap).line(), file=sys.stderr)
    finally:
        target.close()
    return index_dir


def library_store(index_dir: Path, store: str = "", work_dir: Path | None = None):
    """The store of the library index that :func:`ensure_library_index` built (``store``: its database; its corpus
    is beside ``index_dir``, in ``work_dir``, unless told)."""
    from index_build.store.factory import StoreLocation, open_store

    return open_store(StoreLocation(store, index_dir, (index_dir.parent if work_dir is None else work_dir) / "corpus"))


def report_paths(seed_corpus: Path, folder: Path) -> dict[str, Path]:
    """Report id -> its file, for the seed corpus and the library."""
    paths = {report.id: seed_corpus / report.source_file for report in load_catalog(seed_corpus)}
    return paths | {report.id: folder / report.source_file for report in library_reports()}


def read_clean(path: Path) -> CleanDocument:
    """A report's cleaned text, as the index holds it."""
    return clean_pages(read_report(path).pages)


@dataclass
class EvidenceProblem:
    """An evidence string, page or speaker of a library question that the report does not bear out."""

    question_id: str
    problem: str


def check_questions(questions: list[dict], paths: dict[str, Path]) -> list[EvidenceProblem]:
    """Every evidence string is in its report and starts on the page given; expected speakers are named there."""
    locators: dict[str, EvidenceLocator] = {}
    problems = []
    for question in questions:
        qid, document_id = question["id"], question.get("document_id", "")
        if question["kind"] == "negative":
            continue
        if document_id not in paths:
            problems.append(EvidenceProblem(qid, f"unknown document_id {document_id!r}"))
            continue
        evidence = question["evidence"]
        pages = question.get("evidence_pages", [])
        documents = question.get("evidence_documents") or [document_id] * len(evidence)
        if len(pages) != len(evidence) or len(documents) != len(evidence):
            problems.append(EvidenceProblem(qid, "evidence_pages (and evidence_documents, when given) must have "
                                                 "one entry per evidence string"))
            continue
        for string, page, source in zip(evidence, pages, documents):
            if source not in paths:
                problems.append(EvidenceProblem(qid, f"unknown evidence document {source!r}"))
                continue
            found = _locator(locators, source, paths).pages(string)
            given = page if isinstance(page, list) else [page]
            if not found:
                problems.append(EvidenceProblem(qid, f"evidence not in {source}: {string!r}"))
            elif given == found:
                continue
            elif len(found) > 1:
                problems.append(EvidenceProblem(qid, f"evidence {string[:40]!r} starts on each of pages {found}: "
                                                     f"give them all, as a list"))
            else:
                problems.append(EvidenceProblem(qid, f"evidence {string[:40]!r} starts on page {found[0]}, not {page}"))
        named = " ".join(normalise(_locator(locators, source, paths).document.text) for source in set(documents))
        for name in question.get("expected_speakers", []):
            if normalise(name) not in named:
                problems.append(EvidenceProblem(qid, f"expected speaker {name!r} is not named in {document_id}"))
    return problems


def _locator(locators: dict[str, EvidenceLocator], document_id: str, paths: dict[str, Path]) -> EvidenceLocator:
    """The evidence locator of a report, read once."""
    if document_id not in locators:
        locators[document_id] = EvidenceLocator(read_clean(paths[document_id]))
    return locators[document_id]


def main(argv: list[str] | None = None) -> int:
    """``python -m eval.library check [QUESTIONS]``: check the library questions against the files."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "check":
        print("usage: python -m eval.library check [QUESTIONS.jsonl]")
        return 2
    folder = library_dir()
    if folder is None:
        print(missing_library_message())
        return 0
    path = Path(args[1]) if len(args) > 1 else QUESTIONS_FILE
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = check_questions(questions, report_paths(REPO / "corpus", folder))
    for problem in problems:
        print(f"{problem.question_id}: {problem.problem}")
    print(f"{len(questions)} questions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
