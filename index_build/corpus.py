"""The corpus: report files and the one metadata file (``reports.json``) that describes them."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from index_build.text import strip_accents

CATALOG_FILE = "reports.json"
MAX_TITLE_CHARS = 500  # a report's title, as an upload gives it (longer: refused) or a PDF's metadata holds it (cut)
MAX_PUBLISHER_CHARS = 200  # a report's publisher, as an upload gives it (longer: refused)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$"


class CorpusError(ValueError):
    """The corpus metadata is missing, malformed or points at missing files."""


class ReportInfo(BaseModel):
    """What the corpus says about one report."""

    id: str = Field(pattern=_ID_PATTERN, description="Stable id, used in citations")
    title: str = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, e.g. fr, en")
    year: int | None = None
    publisher: str = ""
    source_file: str = Field(min_length=1, description="File name inside the corpus folder")
    added_at: str = Field("", description="When the report was added (UTC, ISO 8601)")

    @classmethod
    def of_entry(cls, entry: dict) -> "ReportInfo":
        """The catalog's fields of a version's document entry (which also holds counts, hashes and stamps)."""
        return cls.model_validate({name: entry[name] for name in cls.model_fields if name in entry})

    @field_validator("source_file")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        if Path(value).name != value or value in (".", ".."):
            raise ValueError("source_file must be a plain file name inside the corpus folder")
        return value


class Catalog(BaseModel):
    """The content of ``reports.json``."""

    reports: list[ReportInfo]


def load_catalog(corpus_dir: Path) -> list[ReportInfo]:
    """Read and check the corpus metadata file; every listed file must exist."""
    path = corpus_dir / CATALOG_FILE
    if not path.is_file():
        raise CorpusError(f"{path} is missing: it must list the reports (id, title, language, source_file)")
    try:
        catalog = Catalog.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as error:
        raise CorpusError(f"{path} is not valid: {error}") from error
    ids = [report.id for report in catalog.reports]
    duplicates = sorted({report_id for report_id in ids if ids.count(report_id) > 1})
    if duplicates:
        raise CorpusError(f"{path}: duplicate report ids {duplicates}")
    for report in catalog.reports:
        if not (corpus_dir / report.source_file).is_file():
            raise CorpusError(f"{path}: report {report.id!r} names {report.source_file!r}, which is not in {corpus_dir}")
    return catalog.reports


def save_catalog(corpus_dir: Path, reports: list[ReportInfo]) -> None:
    """Write ``reports.json`` atomically (temporary file, flush, rename)."""
    path = corpus_dir / CATALOG_FILE
    temporary = path.with_name(f".{CATALOG_FILE}.tmp")
    payload = {"reports": [report.model_dump(exclude_defaults=False) for report in reports]}
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def content_hash(path: Path) -> str:
    """sha256 of a file's bytes, to recognise the same report and changed ones."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_stamp(path: Path) -> list[int]:
    """(size, modification time in ns, inode) of a file (of its target, for a link). A report whose stamp is
    the one recorded when it was indexed is taken as unchanged without reading it, as make and git do: a
    library of thousands of reports is not hashed again at every change."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def known_content_hash(path: Path, indexed: dict | None) -> str:
    """The file's content hash: the one its index entry recorded when the file's stamp is unchanged, else
    computed."""
    if indexed and indexed.get("content_hash") and indexed.get("file_stamp") == file_stamp(path):
        return indexed["content_hash"]
    return content_hash(path)


def slug(text: str) -> str:
    """A report id made from a file name or title: accents dropped ("Déclaration" -> "Declaration"), other
    characters turned into hyphens; a name with no letter or digit left gets a short hash of itself."""
    ascii_text = strip_accents(text).encode("ascii", "ignore").decode("ascii")
    made = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-._")[:120]
    return made or f"report-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
