"""Chunks: exact spans into the cleaned text, also when chunks overlap; never cut mid-word."""

from pathlib import Path

import pytest

from index_build.chunking import chunk_document
from index_build.cleaning import clean_pages
from index_build.reading import read_report

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"


@pytest.fixture(scope="module")
def seed():
    return clean_pages(read_report(SEED).pages)


@pytest.mark.parametrize("size, overlap", [(300, 120), (600, 100), (1000, 0)])
def test_spans_are_exact_with_and_without_overlap(seed, size, overlap):
    chunks = chunk_document(seed, size, overlap)
    for chunk in chunks:
        assert seed.text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= size
        assert chunk.page == seed.page_at(chunk.start)
    overlapping = sum(1 for a, b in zip(chunks, chunks[1:]) if b.start < a.end)
    assert (overlapping > 0) == (overlap > 0)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_every_word_of_the_text_is_in_some_chunk(seed):
    chunks = chunk_document(seed, 300, 120)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    uncovered = [i for i, ch in enumerate(seed.text) if not ch.isspace() and i not in covered]
    assert uncovered == []


def test_chunks_never_cut_a_word(seed):
    text = seed.text
    for chunk in chunk_document(seed, 300, 120):
        assert chunk.start == 0 or text[chunk.start - 1].isspace()
        assert chunk.end == len(text) or text[chunk.end].isspace()


def test_repeated_sentences_get_their_own_spans():
    from index_build.cleaning import clean_pages as clean

    line = "Le même texte revient encore une fois ici."
    doc = clean([[line, "", line, "", line]])
    chunks = chunk_document(doc, 60, 20)
    assert [c.start for c in chunks] == [p.start for p in doc.paragraphs]


def test_spanish_titles_do_not_end_a_sentence():
    from index_build.text import split_sentences

    text = "La Sra. Olmos y el Dip. Quiroga firmaron el acuerdo. Lo publicó el Lic. Ferrer."
    assert split_sentences(text) == ["La Sra. Olmos y el Dip. Quiroga firmaron el acuerdo.", "Lo publicó el Lic. Ferrer."]
