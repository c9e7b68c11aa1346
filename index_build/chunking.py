"""Split a cleaned document into overlapping chunks that know their exact place."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from index_build.cleaning import CleanDocument

#: Paragraphs first, then lines, then sentences, then clauses, then words: never mid-word.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " "]


@dataclass(frozen=True)
class ChunkSpan:
    """A chunk of a document: ``document_text[start:end] == text``."""

    text: str
    start: int
    end: int
    page: int


def chunk_document(document: CleanDocument, chunk_size: int, chunk_overlap: int) -> list[ChunkSpan]:
    """Split on paragraph and sentence boundaries; spans are found in the source text."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    chunks: list[ChunkSpan] = []
    cursor = 0
    for piece in splitter.split_text(document.text):
        start = document.text.find(piece, cursor)
        if start < 0:  # cannot happen for a splitter that returns substrings; refuse silently wrong spans
            raise ValueError(f"chunk not found in its document text: {piece[:60]!r}")
        end = start + len(piece)
        chunks.append(ChunkSpan(piece, start, end, document.page_at(start)))
        cursor = start + 1
    return chunks
