"""The text work on one report file: read, clean, attribute speakers, chunk, number sentences, guess the language.

All of it runs on the report's own text, so it runs where a hostile report can only spend its own limits: in
the child process of :func:`index_build.isolation.prepare_text_isolated`. What it returns is plain data
(picklable), ready for the builder to embed.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from index_build.chunk_table import Chunk
from index_build.chunking import chunk_document
from index_build.cleaning import CleanDocument, Paragraph, clean_pages
from index_build.language import guess_language
from index_build.reading import UnreadableReport, read_report
from index_build.speaker_types import Speaker
from index_build.speakers import attribute_speakers
from index_build.text import sentence_spans

MIN_TURN_OVERLAP = 25  # characters of a speaker's turn a chunk must hold to carry that speaker (more than "M. "),
# unless it holds the whole turn (a short credit line, "Commissioned by: UNHCR")
LIST_GAP = 12  # at most this many characters between two speakers' mentions (", ", " and the ", " et de la ") make a list


@dataclass
class PreparedText:
    """A report file made ready to embed: its cleaned document, its chunks (with speakers and numbered
    sentences), the metadata the file holds and the language its first pages are written in."""

    document: CleanDocument
    chunks: list[Chunk]
    metadata: dict[str, str] = field(default_factory=dict)
    language: str = "en"


def prepare_text(path: Path, document_id: str, chunk_size: int, chunk_overlap: int) -> PreparedText:
    """Read, clean and chunk a report, attach the speakers of each chunk (chunk ids start at 0) and number
    its sentences; UnreadableReport when it holds no text."""
    raw = read_report(path)
    document = clean_pages(raw.pages)
    if not document.text.strip():
        raise UnreadableReport(f"{path.name}: no text found in the report")
    speakers_by_paragraph = attribute_speakers([paragraph.text for paragraph in document.paragraphs])
    turns = [speaker_turns(paragraph, speakers)
             for paragraph, speakers in zip(document.paragraphs, speakers_by_paragraph)]  # by paragraph
    paragraph_starts = [paragraph.start for paragraph in document.paragraphs]
    chunks = []
    for number, span in enumerate(chunk_document(document, chunk_size, chunk_overlap)):
        speakers: dict[Speaker, dict] = {}  # in the order of their turns, once each
        first = max(0, bisect.bisect_right(paragraph_starts, span.start) - 1)
        last = bisect.bisect_left(paragraph_starts, span.end)  # the paragraphs the chunk overlaps hold its turns
        for start, end, speaker in (turn for paragraph_turns in turns[first:last] for turn in paragraph_turns):
            overlap = min(end, span.end) - max(start, span.start)
            if overlap >= min(MIN_TURN_OVERLAP, len(span.text), end - start) and speaker not in speakers:
                speakers[speaker] = speaker.to_dict()
        chunks.append(Chunk(number, document_id, span.page, span.start, span.end, span.text, list(speakers.values())))
    number_sentences(chunks, {document_id: document.text})
    language = guess_language(" ".join(line for page in raw.pages[:3] for line in page)) or "en"
    return PreparedText(document, chunks, raw.metadata, language)


def speaker_turns(paragraph: Paragraph, speakers: list[Speaker]) -> list[tuple[int, int, Speaker]]:
    """Where in a paragraph each of its speakers has the floor, as (start, end, speaker) in document offsets.

    A speaker named in the paragraph holds it from their first mention to the next speaker's; speakers
    named together in a list ("Chile, Peru and Bolivia stressed …") share one turn; a speaker carried over
    from an earlier paragraph (not named here) holds the opening part.
    """
    named = sorted((mention, speaker) for speaker in speakers
                   if (mention := _first_mention(paragraph.text, speaker)) is not None)
    carried = [speaker for speaker in speakers if all(speaker is not other for _, other in named)]
    groups: list[list[tuple[tuple[int, int], Speaker]]] = []
    for mention, speaker in named:
        if groups and mention[0] - groups[-1][-1][0][1] <= LIST_GAP:
            groups[-1].append((mention, speaker))
        else:
            groups.append([(mention, speaker)])
    first_named = named[0][0][0] if named else len(paragraph.text)
    turns = [(0, first_named, speaker) for speaker in carried]
    for group, following in zip(groups, groups[1:] + [None]):
        end = following[0][0][0] if following else len(paragraph.text)
        turns += [(group[0][0][0], end, speaker) for _, speaker in group]
    return [(paragraph.start + start, paragraph.start + end, speaker) for start, end, speaker in turns if end > start]


def _first_mention(text: str, speaker: Speaker) -> tuple[int, int] | None:
    """(start, end) of the first mention of a speaker's surname (or whole name) in a paragraph."""
    for needle in (speaker.name, speaker.name.split()[-1]):
        offset = text.find(needle)
        if offset >= 0:
            return offset, offset + len(needle)
    return None


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


def sentence_texts(chunks: list[Chunk], text: str) -> list[str]:
    """The text of each sentence row the chunks of one document were numbered with (slices, no pattern)."""
    rows: dict[int, str] = {}
    for chunk in chunks:
        for start, end, row in chunk.sentences:
            rows.setdefault(row, text[start:end])
    return [rows[row] for row in range(len(rows))]
