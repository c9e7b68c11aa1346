"""Add, replace and remove reports: the corpus and the index change together, or not at all."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from index_build.builder import (DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, BuildSummary, PreparedReport, build_locked,
                                 prepare_report)
from index_build.isolation import prepare_text_isolated
from index_build.corpus import (MAX_TITLE_CHARS, ReportInfo, content_hash, known_content_hash, load_catalog,
                                save_catalog, slug)
from index_build.embedding import Embedder
from index_build.machine_translation import Translator
from index_build.reading import SUPPORTED_SUFFIXES, UnreadableReport
from index_build.targets import BuildTarget, as_target


class ReportExists(ValueError):
    """A report with this id is already in the corpus and replacing it was not asked for."""


class UnknownReport(KeyError):
    """No report has this id."""


@dataclass
class NewReport:
    """A file to add, with what the user says about it (empty fields are guessed)."""

    path: Path
    id: str = ""
    title: str = ""
    language: str = ""
    year: int | None = None
    publisher: str = ""
    replace: bool = False  # an existing report with the same id is replaced only when this says so


def add_reports(corpus_dir: Path, target: Path | BuildTarget, embedder: Embedder, reports: list[NewReport],
                show_progress: bool = True, translator: Translator | None | str = "shared") -> BuildSummary:
    """Copy the files into the corpus, register them and index only what is new or changed.

    The same content already in the corpus is recognised by its hash and not added twice; a
    file with the id of an existing report replaces it when its ``replace`` says so and is refused
    (:class:`ReportExists`) otherwise. A file that cannot be read is refused before anything
    changes; if indexing fails, the corpus is put back as it was. ``target``: the index (a folder's path, or any
    :class:`~index_build.targets.BuildTarget`); ``translator``: renders the passages (None: no renderings).
    """
    target = as_target(target)
    with target.lock():
        catalog = load_catalog(corpus_dir)
        before = list(catalog)
        written: list[Path] = []
        prepared: dict[str, PreparedReport] = {}
        saved = False
        try:
            indexed = target.current_documents()
            for report in reports:
                catalog = _register(corpus_dir, catalog, report, written, prepared, indexed)
            save_catalog(corpus_dir, catalog)
            saved = True
            summary = build_locked(corpus_dir, target, embedder, show_progress=show_progress, prepared=prepared,
                                   translator=translator)
        except BaseException:
            if saved:
                save_catalog(corpus_dir, before)
            for path in written:
                path.unlink(missing_ok=True)
            raise
        _drop_unlisted_files(corpus_dir, before, catalog)
        return summary


def remove_report(corpus_dir: Path, target: Path | BuildTarget, embedder: Embedder, report_id: str,
                  show_progress: bool = False, translator: Translator | None | str = "shared") -> BuildSummary:
    """Unregister a report, delete its corpus file and build a version without it."""
    target = as_target(target)
    with target.lock():
        catalog = load_catalog(corpus_dir)
        remaining = [report for report in catalog if report.id != report_id]
        if len(remaining) == len(catalog):
            raise UnknownReport(f"no report with id {report_id!r}; `citeqa list` shows the ids")
        save_catalog(corpus_dir, remaining)
        try:
            summary = build_locked(corpus_dir, target, embedder, show_progress=show_progress, translator=translator)
        except BaseException:
            save_catalog(corpus_dir, catalog)
            raise
        _drop_unlisted_files(corpus_dir, catalog, remaining)
        return summary


def _register(corpus_dir: Path, catalog: list[ReportInfo], report: NewReport, written: list[Path],
              prepared: dict[str, PreparedReport], indexed: dict[str, dict]) -> list[ReportInfo]:
    """The catalog with one report added or replaced; its file is copied into the corpus (``indexed``: the
    current version's entries, whose hashes stand for unchanged files)."""
    suffix = report.path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableReport(f"{report.path.name}: unsupported file type {suffix or '(none)'}; "
                               f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    digest = content_hash(report.path)
    for existing in catalog:
        if (known_content_hash(corpus_dir / existing.source_file, indexed.get(existing.id)) == digest
                and (not report.id or report.id == existing.id)):
            return catalog  # the same content is already there: nothing to add
    report_id = slug(report.id or report.path.stem)
    # read, cleaned, chunked in a child process with limits; an unreadable or empty file is refused before anything
    # changes, and the build uses what is prepared here: the file is read once and cleaned once
    text = prepare_text_isolated(report.path, report_id, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP)
    previous = next((r for r in catalog if r.id == report_id), None)
    if previous is not None and not report.replace:
        raise ReportExists(f"a report with id {report_id!r} is already indexed ({previous.title!r}, from "
                           f"{previous.source_file}): ask to replace it (replace=true, `citeqa add --replace`) "
                           "or give the new report another id")
    info = ReportInfo(
        id=report_id,
        title=(report.title or (text.metadata.get("title") or "")[:MAX_TITLE_CHARS].strip()  # a file's own title
               or (previous.title if previous else report.path.stem)),  # (PDF metadata, front matter): bounded
        language=report.language or (previous.language if previous else text.language),
        year=report.year if report.year is not None else (previous.year if previous else None),
        publisher=report.publisher or (previous.publisher if previous else ""),
        source_file=f"{report_id}-{digest[:8]}{suffix}",
        added_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    prepared[report_id] = prepare_report(report.path, info, text=text)
    target = corpus_dir / info.source_file
    if report.path.resolve() != target.resolve():
        temporary = corpus_dir / f".{info.source_file}.tmp"
        shutil.copyfile(report.path, temporary)
        os.replace(temporary, target)
        written.append(target)
    return [r for r in catalog if r.id != report_id] + [info]


def _drop_unlisted_files(corpus_dir: Path, before: list[ReportInfo], after: list[ReportInfo]) -> None:
    """Delete the corpus files that the catalog no longer lists (replaced or removed reports)."""
    kept = {report.source_file for report in after}
    for report in before:
        if report.source_file not in kept:
            (corpus_dir / report.source_file).unlink(missing_ok=True)

