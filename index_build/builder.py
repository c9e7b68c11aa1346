"""Build the index: report files -> clean paragraphs -> chunks with speakers -> vectors -> a new version."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index_build.chunking import chunk_document
from index_build.cleaning import CleanDocument, Paragraph, clean_pages
from index_build.corpus import ReportInfo, content_hash, load_catalog
from index_build.embedding import Embedder
from index_build.index_store import Chunk, writer_lock, write_version
from index_build.reading import read_report
from index_build.speakers import Speaker, attribute_speakers, sentence_spans

DEFAULT_CHUNK_SIZE = 600
DEFAULT_CHUNK_OVERLAP = 100
MIN_TURN_OVERLAP = 25  # characters of a speaker's turn a chunk must hold to carry that speaker (more than "M. ")


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
    turns = [turn for paragraph, speakers in zip(document.paragraphs, speakers_by_paragraph)
             for turn in speaker_turns(paragraph, speakers)]
    chunks = []
    for number, span in enumerate(chunk_document(document, chunk_size, chunk_overlap)):
        speakers: list[dict] = []
        for start, end, speaker in turns:
            overlap = min(end, span.end) - max(start, span.start)
            if overlap >= min(MIN_TURN_OVERLAP, len(span.text)) and speaker.to_dict() not in speakers:
                speakers.append(speaker.to_dict())
        chunks.append(Chunk(number, info.id, span.page, span.start, span.end, span.text, speakers))
    return PreparedReport(info, document, chunks, content_hash(path))


def speaker_turns(paragraph: Paragraph, speakers: list[Speaker]) -> list[tuple[int, int, Speaker]]:
    """Where in a paragraph each of its speakers has the floor, as (start, end, speaker) in document offsets.

    A speaker named in the paragraph holds it from their first mention to the next speaker's;
    a speaker carried over from an earlier paragraph (not named here) holds the opening part.
    """
    named = sorted((offset, speaker) for speaker in speakers
                   if (offset := _first_mention(paragraph.text, speaker)) is not None)
    carried = [speaker for speaker in speakers if all(speaker is not other for _, other in named)]
    first_named = named[0][0] if named else len(paragraph.text)
    turns = [(0, first_named, speaker) for speaker in carried]
    for (offset, speaker), following in zip(named, named[1:] + [(len(paragraph.text), None)]):
        turns.append((offset, following[0], speaker))
    return [(paragraph.start + start, paragraph.start + end, speaker) for start, end, speaker in turns if end > start]


def _first_mention(text: str, speaker: Speaker) -> int | None:
    """Offset of the first mention of a speaker's surname (or whole name) in a paragraph."""
    for needle in (speaker.name, speaker.name.split()[-1]):
        offset = text.find(needle)
        if offset >= 0:
            return offset
    return None


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
    sentence_texts = number_sentences(chunks, {report.info.id: report.document.text for report in reports})
    vectors = embedder.embed_passages([chunk.text for chunk in chunks], show_progress=show_progress)
    sentence_vectors = embedder.embed_passages(sentence_texts, show_progress=show_progress)
    manifest = {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension},
        "chunking": {"size": chunk_size, "overlap": chunk_overlap},
        "documents": [document_entry(report) for report in reports],
    }
    with writer_lock(index_dir):
        path = write_version(index_dir, manifest, vectors, chunks,
                             {report.info.id: report.document.text for report in reports}, sentence_vectors)
    manifest = {**manifest, "version": path.name, "path": str(path),
                "counts": {"documents": len(reports), "chunks": len(chunks)},
                "build_seconds": round(time.perf_counter() - started, 2)}
    return manifest


def number_sentences(chunks: list[Chunk], texts: dict[str, str]) -> list[str]:
    """Give every chunk its sentences as [start, end, row]; returns the text of each row, once per sentence."""
    rows: dict[tuple[str, int, int], int] = {}
    for chunk in chunks:
        chunk.sentences = []
        for start, end in sentence_spans(chunk.text):
            key = (chunk.document_id, chunk.start + start, chunk.start + end)
            row = rows.setdefault(key, len(rows))
            chunk.sentences.append([key[1], key[2], row])
    return [texts[document_id][start:end] for document_id, start, end in rows]


def document_entry(report: PreparedReport) -> dict:
    """The manifest's description of one document."""
    return {
        **report.info.model_dump(),
        "content_hash": report.content_hash,
        "pages": report.document.page_count,
        "chunks": len(report.chunks),
        "characters": len(report.document.text),
    }
