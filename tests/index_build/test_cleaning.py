"""Cleaning extracted text into paragraphs, on the seed's real quirks and on small made-up pages."""

from pathlib import Path

import pytest

from index_build.cleaning import clean_pages
from index_build.reading import FOOTNOTE_RULE, PARAGRAPH_BREAK, read_report

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"


@pytest.fixture(scope="module")
def seed():
    return clean_pages(read_report(SEED).pages)


def paragraph_with(document, needle):
    return next(p for p in document.paragraphs if needle in p.text)


def test_spans_point_at_the_paragraphs(seed):
    assert seed.paragraphs
    for paragraph in seed.paragraphs:
        assert seed.text[paragraph.start:paragraph.end] == paragraph.text
        assert "\n" not in paragraph.text and "  " not in paragraph.text


def test_hard_wrapped_lines_are_joined_into_paragraphs(seed):
    first = paragraph_with(seed, "Le développement et le partage des capacités")
    assert first.text.endswith("en matière de développement des capacités.")
    assert 30 <= len(seed.paragraphs) <= 80


def test_the_printed_page_number_is_dropped_and_the_sentence_runs_on(seed):
    arbour = paragraph_with(seed, "Mme Louise Arbour")
    assert "d’appuyer la mise en œuvre du Pacte par les États Membres. À cette fin" in arbour.text
    assert not any(p.text.strip() == "3" for p in seed.paragraphs)
    assert " 3 " not in arbour.text


def test_footnotes_are_their_own_paragraphs_and_the_interrupted_paragraph_is_whole(seed):
    notes = [p for p in seed.paragraphs if p.is_footnote]
    assert [n.text[:16] for n in notes] == ["1 Mme Diallo n’a", "2 Mme Boudraa n’"]
    gatea = paragraph_with(seed, "Mme Sima Gatea")
    assert "De l" in gatea.text and "le partage des enseignements tirés" in gatea.text
    assert seed.paragraphs.index(notes[0]) == seed.paragraphs.index(gatea) + 1


def test_paragraphs_know_their_page(seed):
    assert paragraph_with(seed, "Résumé des conclusions").page == 1
    assert paragraph_with(seed, "Les six tables rondes ont réuni").page == 2
    assert paragraph_with(seed, "M. Tomas Boček").page == 6
    assert paragraph_with(seed, "Mme Laura Thompson").page == 12
    assert seed.page_count == 13


def test_page_of_an_offset_follows_a_paragraph_onto_the_next_page(seed):
    arbour = paragraph_with(seed, "Mme Louise Arbour")
    assert seed.page_at(arbour.start) == 2
    assert seed.page_at(seed.text.index("Membres. À cette fin")) == 3


def test_words_cut_by_a_hyphen_are_mended_and_real_hyphens_kept():
    doc = clean_pages([["Les représentants des gouverne-", "ments ont parlé de l’Afrique-", "Centrale et de co-", "opération."]])
    assert doc.paragraphs[0].text == "Les représentants des gouvernements ont parlé de l’Afrique- Centrale et de coopération."


def test_repeated_headers_and_footers_and_page_numbers_are_dropped():
    words = ["alpha", "beta", "gamma", "delta"]
    pages = [["IOM Evaluation Report", f"The {word} section starts with a line that", "runs on over a second line",
              f"about {word} things and ends here.", f"Page {n} of 4"] for n, word in enumerate(words, start=1)]
    doc = clean_pages(pages)
    assert "IOM Evaluation Report" not in doc.text and "of 4" not in doc.text
    assert [p.page for p in doc.paragraphs] == [1, 2, 3, 4]


def test_footnote_rule_and_paragraph_breaks():
    page = ["A paragraph that is cut", "by the page.", PARAGRAPH_BREAK, "Next one.", FOOTNOTE_RULE, "1 A footnote."]
    doc = clean_pages([page])
    assert [(p.text, p.is_footnote) for p in doc.paragraphs] == [
        ("A paragraph that is cut by the page.", False), ("Next one.", False), ("1 A footnote.", True)]
