"""Build the index: report files -> clean paragraphs -> chunks with speakers -> vectors -> a new version."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index_build.chunking import chunk_document
from index_build.cleaning import CleanDocument, clean_pages
from index_build.corpus import ReportInfo, content_hash, load_catalog
from index_build.embedding import Embedder
from index_build.index_store import Chunk, writer_lock, write_version
from index_build.reading import read_report
from index_build.speakers import attribute_speakers

DEFAULT_CHUNK_SIZE = 600
DEFAULT_CHUNK_OVERLAP = 100


@dataclass
class PreparedReport:
    """A report read, cleaned and chunked, ready to embed."""

    info: ReportInfo
    document: CleanDocument
    chunks: list[Chunk]
    content_hash: str


def prepare_report(path: Path, info: ReportInfo, chunk_size: int = DEFAULT_CHUNK_SIZE,
                   chunk_overlap: int = DEFAULT_CHUNK_OVERLAP) -> PreparedReport:
    """Read, clean, chunk a report and attach the speakers of each chunk (chunk ids start at 0)."""
    raw = read_report(path)
    document = clean_pages(raw.pages)
    if not document.text.strip():
        raise ValueError(f"{path.name}: no text found in the report")
    speakers_by_paragraph = attribute_speakers([paragraph.text for paragraph in document.paragraphs])
    chunks = []
    for number, span in enumerate(chunk_document(document, chunk_size, chunk_overlap)):
        speakers: list[dict] = []
        for paragraph, speakers_here in zip(document.paragraphs, speakers_by_paragraph):
            if paragraph.start < span.end and span.start < paragraph.end:
                speakers.extend(s.to_dict() for s in speakers_here if s.to_dict() not in speakers)
        chunks.append(Chunk(number, info.id, span.page, span.start, span.end, span.text, speakers))
    return PreparedReport(info, document, chunks, content_hash(path))


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, *,
                chunk_size: int = DEFAULT_CHUNK_SIZE, chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
                show_progress: bool = True) -> dict:
    """Rebuild the whole index from the corpus as a new version; returns its manifest."""
    started = time.perf_counter()
    reports = [prepare_report(corpus_dir / info.source_file, info, chunk_size, chunk_overlap)
               for info in load_catalog(corpus_dir)]
    chunks: list[Chunk] = []
    for report in reports:
        for chunk in report.chunks:
            chunk.id = len(chunks)
            chunks.append(chunk)
    vectors = embedder.embed_passages([chunk.text for chunk in chunks], show_progress=show_progress)
    manifest = {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension},
        "chunking": {"size": chunk_size, "overlap": chunk_overlap},
        "documents": [document_entry(report) for report in reports],
    }
    with writer_lock(index_dir):
        path = write_version(index_dir, manifest, vectors, chunks,
                             {report.info.id: report.document.text for report in reports})
    manifest = {**manifest, "version": path.name, "path": str(path),
                "counts": {"documents": len(reports), "chunks": len(chunks)},
                "build_seconds": round(time.perf_counter() - started, 2)}
    return manifest


def document_entry(report: PreparedReport) -> dict:
    """The manifest's description of one document."""
    return {
        **report.info.model_dump(),
        "content_hash": report.content_hash,
        "pages": report.document.page_count,
        "chunks": len(report.chunks),
        "characters": len(report.document.text),
    }
