"""Cleaning extracted text into paragraphs, on the seed's real quirks and on small made-up pages."""

import re
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index_build.cleaning import HYPHEN_WINDOW, clean_pages, mend_leaders
from index_build.reading import FOOTNOTE_RULE, PARAGRAPH_BREAK, read_report, split_text_pages

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


# --- extraction quirks of real PDFs, on small made-up pages ---

def texts(pages):
    return [p.text for p in clean_pages(pages).paragraphs]


def test_words_cut_by_stray_spaces_are_mended_when_the_document_shows_the_whole_word():
    pages = [["Elle mesure la coopération entre Haïti et la Ré publique dominicaine et l’analyse d es",
              "critères OCDE par les a gents de c ertaines institutions."],
             [PARAGRAPH_BREAK, "La République dominicaine a formé des agents, et des agents de certaines institutions."]]
    assert texts(pages) == [
        "Elle mesure la coopération entre Haïti et la République dominicaine et l’analyse des critères OCDE"
        " par les agents de certaines institutions.",
        "La République dominicaine a formé des agents, et des agents de certaines institutions."]


def test_words_next_to_each_other_are_not_joined_without_evidence_of_cut_words():
    pages = [["The Chair attended a round table in Rabat and a meeting in Geneva. Members came around",
              "noon, around the time set. L’initiative s’appuie sur le dialogue; les initiatives aussi."]]
    text = clean_pages(pages).text
    assert "attended a round table" in text and "L’initiative s’appuie" in text


def test_hyphens_spaced_by_the_extraction_are_mended():
    pages = [["Renforcer la co -construction locale, le suivi- évaluation et les liens (COVID -19) par une co -",
              "construction multi-",
              "acteurs, avec un suivi-évaluation multi-acteurs."]]
    assert texts(pages) == ["Renforcer la co-construction locale, le suivi-évaluation et les liens (COVID-19) par une"
                            " co-construction multi-acteurs, avec un suivi-évaluation multi-acteurs."]


def test_a_document_whose_line_end_hyphens_are_compounds_keeps_them():
    pages = [["The evaluation made an in-depth review of the inter-",
              "agency plans and of the in-",
              "depth studies that UNHCR commissioned in 2018."]]
    assert texts(pages) == ["The evaluation made an in-depth review of the inter-agency plans and of the in-depth"
                            " studies that UNHCR commissioned in 2018."]


def test_running_headers_with_page_number_variants_are_dropped():
    words = ["alpha", "beta", "gamma", "delta"]
    headers = ["1 | IOM Evaluation", "IOM Evaluation | 2", "3 | IOM Evaluation", "IOM Evaluation | 4"]
    footers = ["GE.25-10053 i", "ii GE.25-10053", "GE.25-10053 iii", "iv GE.25-10053"]
    pages = [[header, f"The {word} section starts with a line that", "runs on over a second line",
              f"about {word} things and ends here.", footer]
             for header, word, footer in zip(headers, words, footers)]
    doc = clean_pages(pages)
    assert "IOM" not in doc.text and "GE.25" not in doc.text
    assert [p.page for p in doc.paragraphs] == [1, 2, 3, 4]


def test_lone_page_numbers_in_roman_or_page_x_of_y_form_are_dropped():
    pages = [["Page 1 of 2", "First page text ends here."], ["Second page text ends here.", "ii"]]
    assert texts(pages) == ["First page text ends here.", "Second page text ends here."]


def test_a_blank_page_ends_the_paragraph_and_later_pages_keep_their_numbers():
    pages = [["Report of the Committee on the Protection of the Rights of All Migrant Workers"], [],
             ["General Assembly Official Records, Eightieth Session, Supplement No. 48."]]
    doc = clean_pages(pages)
    assert [(p.page, p.text[:16]) for p in doc.paragraphs] == [(1, "Report of the Co"), (3, "General Assembly")]
    assert doc.page_count == 3 and doc.page_at(doc.paragraphs[1].start) == 3


def test_a_short_last_line_without_a_stop_does_not_run_onto_the_next_page():
    body = [f"Line {n} of a page of body text that is long enough to fill the whole width." for n in range(5)]
    pages = [body + [PARAGRAPH_BREAK, "United Nations, New York, 2025"],
             ["Note", PARAGRAPH_BREAK, "Symbols of United Nations documents are composed of letters."]]
    assert texts(pages)[1:] == ["United Nations, New York, 2025", "Note",
                                "Symbols of United Nations documents are composed of letters."]


def test_a_break_before_the_footnotes_does_not_end_the_paragraph_they_interrupt():
    pages = [["A sentence that starts on the first page and runs over a full line of text to the",
              PARAGRAPH_BREAK, FOOTNOTE_RULE, "1 A note."],
             ["next page, where it ends."]]
    assert [(p.text, p.page, p.is_footnote) for p in clean_pages(pages).paragraphs] == [
        ("A sentence that starts on the first page and runs over a full line of text to the next page, where"
         " it ends.", 1, False),
        ("1 A note.", 1, True)]


def test_contents_lines_are_one_paragraph_each_with_short_leaders():
    pages = [["Contents", PARAGRAPH_BREAK,
              "I. Decisions adopted by the Committee ..................................... 1",
              "II. Organizational and other matters ...................................... 2",
              "E. Participation in the thirty-sixth meetings of the Chairs of the",
              "human rights treaty bodies ................................................ 4",
              "Annex ........................................................................ iii"]]
    assert texts(pages) == ["Contents", "I. Decisions adopted by the Committee ... 1",
                            "II. Organizational and other matters ... 2",
                            "E. Participation in the thirty-sixth meetings of the Chairs of the human rights treaty"
                            " bodies ... 4",
                            "Annex ... iii"]


def test_a_short_line_ending_in_a_colon_or_followed_by_lower_case_does_not_end_a_paragraph():
    pages = [["Argentina Initial 1 June 2008 - 2 February 2010 Fifteenth session (2011)",
              "Second 1 October 2016 Twenty-eighth (2018):",
              "1 May 2019 26 July 2019 Thirty-first (2019)",
              PARAGRAPH_BREAK,
              "There has been too little investment in a “data first”",
              "culture and in the skills that data analysis and use need in the organization."]]
    assert texts(pages)[1:] == [
        "There has been too little investment in a “data first” culture and in the skills that data analysis and"
        " use need in the organization."]
    assert texts(pages)[0].startswith("Argentina Initial") and texts(pages)[0].endswith("Thirty-first (2019)")


def test_line_end_hyphen_heads_are_read_from_the_end():
    from index_build.cleaning import hyphen_head

    assert hyphen_head("la porte-") == "porte" and hyphen_head("il a-t-") == "a-t"
    assert hyphen_head("x 12-") is None and hyphen_head("co--") is None and hyphen_head("sans trait") is None


def test_contents_lines_are_told_from_the_end():
    from index_build.cleaning import is_leader_line

    assert is_leader_line("Introduction ....... 12") and is_leader_line("Annexe . . . . iv")
    assert is_leader_line("Conclusion.....xii ")
    assert not is_leader_line("Résumé ... 4") and not is_leader_line("Table ........")
    assert not is_leader_line("x....12345")


@pytest.mark.parametrize("line", ["a-" * 100_000, "a-" * 100_000 + "1-", ". " * 100_000, ". " * 100_000 + "x",
                                  "a" * 200_000, "a- b " * 40_000])
def test_adversarial_long_lines_are_cleaned_in_linear_time(line):
    started = time.perf_counter()
    document = clean_pages([[line, "suite."]])
    assert document.text  # cleaned, nothing lost
    assert time.perf_counter() - started < 5  # quadratic matching took minutes to hours on these (issue 11)


# --- issue 22, H1: contents lines and hyphenated lines cleaned in linear time -------------------------------------
#: The pattern mend_leaders replaced: searched from every space of a run of spaces, it took quadratic time.
LEADERS = re.compile(r"\s*(?:\.\s?){4,}\s*")


@given(st.text(alphabet=" .\t\x1f\na1-", max_size=40))
def test_dot_leaders_are_mended_as_the_pattern_mended_them(line):
    assert mend_leaders(line) == LEADERS.sub(" ... ", line)


HOSTILE_TEXTS = {  # a text of about n characters
    "contents line": lambda n: "Chapitre" + " " * n + "un .... 12",  # 40 KB of it took 18.8 s in the server
    "leaders": lambda n: "Titre " + ". " * (n // 2) + "12",
    "spaced leaders": lambda n: "Titre" + " ." * (n // 2) + " 12",
    "spaces before a page number": lambda n: " " * n + "12 x",
    "hyphenated lines": lambda n: "a-\n" * (n // 3),  # one paragraph: its end was searched from its start
    "one-letter pages": lambda n: "a\f" * (n // 2),
    "cut words": lambda n: "gouverne-\nments " * (n // 17),
}


@pytest.mark.parametrize("name", HOSTILE_TEXTS)
def test_hostile_text_is_cleaned_in_linear_time(name, cpu_seconds):
    make = HOSTILE_TEXTS[name]
    small = cpu_seconds(lambda: clean_pages(split_text_pages(make(10_000))))
    large = cpu_seconds(lambda: clean_pages(split_text_pages(make(100_000))), runs=1)
    assert large < 30 * max(small, 0.001), (name, small, large)  # ten times the text: about ten times the time


def test_a_contents_line_keeps_its_words_and_page_number():
    assert clean_pages([["Chapitre" + " " * 40_000 + "un .... 12"]]).text == "Chapitre un ... 12"


def test_a_compound_longer_than_the_window_is_read_from_its_end():
    long_compound = "-".join(["abc"] * (HYPHEN_WINDOW // 2))
    document = clean_pages([[f"Le {long_compound}-", "suite de la phrase."]])
    assert document.text.startswith("Le abc-abc") and document.text.endswith("suite de la phrase.")
