"""The folder store's catalog: the corpus folder (CITEQA_CORPUS_DIR), its ``reports.json`` and report files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from index_build.corpus import ReportInfo, file_stamp, known_content_hash, load_catalog, save_catalog


class CorpusCatalog:
    """Reports listed in ``reports.json``, their files beside it (one machine: the folder store's)."""

    def __init__(self, corpus_dir: Path):
        self.corpus_dir = Path(corpus_dir)

    def reports(self) -> list[ReportInfo]:
        return load_catalog(self.corpus_dir)

    def content_hash(self, info: ReportInfo, indexed: dict | None) -> str:
        return known_content_hash(self.file(info), indexed)

    def recorded(self, info: ReportInfo) -> dict:
        return {"file_stamp": file_stamp(self.file(info))}  # an unchanged stamp: not hashed again

    def file(self, info: ReportInfo) -> Path:
        return self.corpus_dir / info.source_file

    def put_file(self, source: Path, info: ReportInfo, digest: str) -> bool:
        target = self.file(info)
        if Path(source).resolve() == target.resolve():
            return False
        temporary = self.corpus_dir / f".{info.source_file}.tmp"
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
        return True

    def discard_file(self, info: ReportInfo) -> None:
        self.file(info).unlink(missing_ok=True)

    def record(self, reports: list[ReportInfo]) -> None:
        save_catalog(self.corpus_dir, reports)

    def drop_unlisted(self, before: list[ReportInfo], after: list[ReportInfo]) -> None:
        kept = {report.source_file for report in after}
        for report in before:
            if report.source_file not in kept:
                self.file(report).unlink(missing_ok=True)
