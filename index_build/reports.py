"""Add, replace and remove reports: the store's catalog and its index change together, or not at all.

A change reads the catalog under the store's lock, so a change made from another machine (PostgreSQL) is never
undone: what the catalog lists when the lock is taken is what the new version keeps."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index_build.builder import (DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, BuildSummary, PreparedReport, build_locked,
                                 prepare_report)
from index_build.isolation import prepare_text_isolated
from index_build.corpus import MAX_TITLE_CHARS, ReportInfo, content_hash, slug
from index_build.embedding import Embedder
from index_build.machine_translation import Translator
from index_build.reading import SUPPORTED_SUFFIXES, UnreadableReport
from index_build.store.base import Catalog, Store
from index_build.store.folder.catalog import CorpusCatalog


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
    added_at: str = ""  # when it was first added (an imported catalog keeps its dates); empty: now


def add_reports(store: Store, embedder: Embedder, reports: list[NewReport], show_progress: bool = True,
                translator: Translator | None | str = "shared") -> BuildSummary:
    """Put the files into the store's catalog, register them and index only what is new or changed.

    The same content already in the catalog is recognised by its hash and not added twice; a file with the id of
    an existing report replaces it when its ``replace`` says so and is refused (:class:`ReportExists`) otherwise.
    A file that cannot be read is refused before anything changes; if indexing fails, the catalog is put back as
    it was. ``translator``: renders the passages (None: no renderings).
    """
    with store.lock():
        catalog = store.catalog.reports()
        before = list(catalog)
        written: list[ReportInfo] = []
        prepared: dict[str, PreparedReport] = {}
        recorded = False
        try:
            indexed = store.current_documents()
            for report in reports:
                catalog = _register(store.catalog, catalog, report, written, prepared, indexed)
            store.catalog.record(catalog)
            recorded = True
            summary = build_locked(store, embedder, reports=catalog, show_progress=show_progress, prepared=prepared,
                                   translator=translator)
        except BaseException:
            if recorded:
                store.catalog.record(before)
            for info in written:
                store.catalog.discard_file(info)
            raise
        store.catalog.drop_unlisted(before, catalog)
        return summary


def remove_report(store: Store, embedder: Embedder, report_id: str, show_progress: bool = False,
                  translator: Translator | None | str = "shared") -> BuildSummary:
    """Unregister a report, forget its file and build a version without it."""
    with store.lock():
        catalog = store.catalog.reports()
        remaining = [report for report in catalog if report.id != report_id]
        if len(remaining) == len(catalog):
            raise UnknownReport(f"no report with id {report_id!r}; `citeqa list` shows the ids")
        store.catalog.record(remaining)
        try:
            summary = build_locked(store, embedder, reports=remaining, show_progress=show_progress,
                                   translator=translator)
        except BaseException:
            store.catalog.record(catalog)
            raise
        store.catalog.drop_unlisted(catalog, remaining)
        return summary


def _register(files: Catalog, catalog: list[ReportInfo], report: NewReport, written: list[ReportInfo],
              prepared: dict[str, PreparedReport], indexed: dict[str, dict]) -> list[ReportInfo]:
    """The catalog with one report added or replaced; its file is put into the store's catalog (``indexed``: the
    current version's entries, whose hashes stand for unchanged files)."""
    suffix = report.path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableReport(f"{report.path.name}: unsupported file type {suffix or '(none)'}; "
                               f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    digest = content_hash(report.path)
    for existing in catalog:
        if (files.content_hash(existing, indexed.get(existing.id)) == digest
                and (not report.id or report.id == existing.id)):  # the same content is already there
            return _with_fields(catalog, existing, report) if report.replace else catalog
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
        added_at=report.added_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    prepared[report_id] = prepare_report(report.path, info, text=text)
    if files.put_file(report.path, info, digest):
        written.append(info)
    return [r for r in catalog if r.id != report_id] + [info]


def _with_fields(catalog: list[ReportInfo], existing: ReportInfo, report: NewReport) -> list[ReportInfo]:
    """The catalog with the fields a replacement of the same content gives (title, language, year, publisher)
    set on the report already there: its file and passages stay, its entry changes."""
    changes = {name: value for name, value in (("title", report.title), ("language", report.language),
                                               ("year", report.year), ("publisher", report.publisher))
               if value not in ("", None) and value != getattr(existing, name)}
    if not changes:
        return catalog
    updated = existing.model_copy(update=changes)
    return [updated if info.id == existing.id else info for info in catalog]


def export_catalog(store: Store, folder: Path) -> str:
    """Write the store's catalog into ``folder`` (new or empty): ``reports.json`` and each report's file, as a
    corpus folder that :func:`import_catalog` (or the folder store) reads. Returns a line for people."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"{folder} is not an empty folder: export into a new one")
    reports = store.catalog.reports()
    target = CorpusCatalog(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for info in reports:
        target.put_file(store.catalog.file(info), info, "")
    target.record(reports)
    return f"Exported {len(reports)} reports from {store.describe()} into {folder}"


def import_catalog(store: Store, embedder: Embedder, folder: Path, show_progress: bool = True,
                   translator: Translator | None | str = "shared") -> BuildSummary:
    """Add every report of the corpus folder ``folder`` to the store with its catalog fields (a report of the
    same id is replaced; the store's other reports are kept)."""
    reports = [NewReport(Path(folder) / info.source_file, info.id, info.title, info.language, info.year,
                         info.publisher, replace=True, added_at=info.added_at)
               for info in CorpusCatalog(folder).reports()]
    return add_reports(store, embedder, reports, show_progress=show_progress, translator=translator)
