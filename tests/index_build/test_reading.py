"""Reading report files into pages: the seed's page markers, Markdown front matter, real PDFs and their layout."""

import re
import tempfile
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index_build.cleaning import clean_pages
from index_build.reading import (FOOTNOTE_RULE, PARAGRAPH_BREAK, UnreadableReport, drop_comments, heading_text,
                                 link_texts, read_report, split_text_pages)

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"


def test_seed_pages_start_at_leading_space_lines_and_at_the_printed_page_number():
    pages = read_report(SEED).pages
    assert len(pages) == 13
    assert pages[0][0].strip() == "Résumé des conclusions"
    assert pages[1][0].startswith(" Les six tables rondes")
    assert pages[2][0].strip() == "3"  # the one printed page number opens page 3


def test_double_spaced_extraction_drops_wrap_artefacts_and_keeps_paragraph_breaks():
    text = "First line of a\n\nparagraph ends.\n\n \n\nSecond paragraph.\n\n"
    [page] = split_text_pages(text)
    assert page == ["First line of a", "paragraph ends.", PARAGRAPH_BREAK, "Second paragraph."]


def test_form_feeds_split_pages():
    pages = split_text_pages("page one text.\fpage two text.\f\fpage four text.")
    assert [page[0] for page in pages] == ["page one text.", "page two text.", "page four text."]


def test_markdown_front_matter_becomes_metadata(tmp_path):
    path = tmp_path / "decl.md"
    path.write_text('---\ntitle: "Déclaration de Los Angeles"\ndate: 2022-06-10\n---\n# Heading\n\nBody text.\n',
                    encoding="utf-8")
    report = read_report(path)
    assert report.metadata["title"] == "Déclaration de Los Angeles"
    assert "Heading" in report.pages[0] and "Body text." in report.pages[0]
    assert not any(line.startswith("---") for line in report.pages[0])


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A real PDF with a text layer, one list of lines per page."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_pdf_pages_are_pdf_pages(tmp_path):
    path = make_pdf(tmp_path / "r.pdf", [["Rapport annuel", "Première page, été."], ["Deuxième page."], ["Troisième."]])
    pages = read_report(path).pages
    assert len(pages) == 3
    assert "Première page, été." in pages[0]
    assert pages[1] == ["Deuxième page."]


def test_pdf_without_text_layer_is_refused(tmp_path):
    path = make_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(UnreadableReport, match="no text layer"):
        read_report(path)


@pytest.mark.parametrize("name, content", [("notes.docx", b"PK\x03\x04"), ("broken.pdf", b"%PDF-1.4 garbage")])
def test_unsupported_or_broken_files_are_refused(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableReport):
        read_report(path)


# --- PDF layout: where paragraphs break, footnotes, margins, blank pages, tables, Markdown markup ---

def write_lines(pdf: FPDF, lines: list[str], height: float = 6) -> None:
    for line in lines:
        pdf.cell(0, height, line, new_x="LMARGIN", new_y="NEXT")


FIRST = ["The committee met twice in the year and heard the reports of the three working",
         "groups on labour migration, on the return of migrants and on data collection.",
         "It adopted all of them without a vote and thanked the rapporteurs for their work."]
SECOND = ["The second paragraph tells what the secretariat did between the two sessions of",
          "the committee, when it prepared the documents for the next meeting in Geneva."]


def test_pdf_paragraphs_break_where_the_layout_leaves_extra_space(tmp_path):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    write_lines(pdf, FIRST)
    pdf.ln(5)  # the space after a paragraph; the last line above is full and ends a sentence
    write_lines(pdf, SECOND)
    pdf.output(str(tmp_path / "gaps.pdf"))
    [page] = read_report(tmp_path / "gaps.pdf").pages
    assert page == FIRST + [PARAGRAPH_BREAK] + SECOND
    assert [p.text for p in clean_pages([page]).paragraphs] == [" ".join(FIRST), " ".join(SECOND)]


def test_pdf_headings_in_a_bigger_font_are_their_own_paragraph(tmp_path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 8, "Membership and attendance", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    write_lines(pdf, FIRST)
    pdf.output(str(tmp_path / "heading.pdf"))
    [page] = read_report(tmp_path / "heading.pdf").pages
    assert page == ["Membership and attendance", PARAGRAPH_BREAK] + FIRST


def test_pdf_footnotes_in_small_print_are_marked_and_the_paragraph_runs_on_over_them(tmp_path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    write_lines(pdf, FIRST[:2] + ["It adopted all of them without a vote, as it did at its previous session, and"])
    pdf.set_y(265)
    pdf.set_font("Helvetica", size=6)
    pdf.cell(3, 4, "1")  # the footnote's number: smaller than its text
    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 4, "See the report of the thirty-ninth session.", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    write_lines(pdf, ["thanked the rapporteurs for their work.", "", *SECOND])
    pdf.output(str(tmp_path / "notes.pdf"))
    pages = read_report(tmp_path / "notes.pdf").pages
    assert pages[0][-2:] == [FOOTNOTE_RULE, "1 See the report of the thirty-ninth session."]
    doc = clean_pages(pages)
    body, note = doc.paragraphs[0], doc.paragraphs[1]
    assert body.text.endswith("at its previous session, and thanked the rapporteurs for their work.")
    assert (body.page, doc.page_at(doc.text.index("thanked"))) == (1, 2)
    assert (note.text, note.is_footnote, note.page) == ("1 See the report of the thirty-ninth session.", True, 1)


def test_pdf_running_header_and_footer_are_dropped_even_when_extracted_mid_page(tmp_path):
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=11)
    expected = []
    for number, place in enumerate(["Geneva", "Nairobi", "Bangkok"], start=1):
        first = [line.replace("twice", f"in {place}") for line in FIRST]
        second = [line.replace("Geneva", place) for line in SECOND]
        pdf.add_page()
        pdf.set_y(12)
        pdf.cell(0, 5, "IOM Evaluation | Case study", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(40)
        write_lines(pdf, first)
        y = pdf.get_y()
        pdf.set_y(285)  # the footer is drawn, and so extracted, between two paragraphs
        pdf.cell(0, 5, f"Page {number} of 3", align="C")
        pdf.set_y(y + 5)
        write_lines(pdf, second)
        expected += [(number, " ".join(first)), (number, " ".join(second))]
    pdf.output(str(tmp_path / "margins.pdf"))
    doc = clean_pages(read_report(tmp_path / "margins.pdf").pages)
    assert "IOM Evaluation" not in doc.text and " of 3" not in doc.text
    assert [(p.page, p.text) for p in doc.paragraphs] == expected


def test_pdf_blank_pages_end_paragraphs_and_later_pages_keep_their_numbers(tmp_path):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    write_lines(pdf, ["Report of the Committee on the Protection of the Rights of All Migrant Workers"])
    pdf.add_page()  # intentionally blank
    pdf.add_page()
    write_lines(pdf, FIRST)
    pdf.output(str(tmp_path / "blank.pdf"))
    doc = clean_pages(read_report(tmp_path / "blank.pdf").pages)
    assert doc.page_count == 3
    assert [(p.page, p.text[:24]) for p in doc.paragraphs] == [(1, "Report of the Committee "), (3, "The committee met twice ")]


def test_pdf_table_rows_are_one_paragraph_each_with_their_wrapped_cells(tmp_path):
    rows = [("State Party", "Type of report", "Session"),
            ("Albania", "Initial", "Thirteenth session (2010)"),
            ("Belize", "Initial", "Twenty-first session (2014), in the absence of a report and of a delegation"),
            ("Benin", "Second", "Thirty-ninth session (2024)")]
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Annex III: reports of States Parties")
    pdf.ln(4)
    with pdf.table(col_widths=(40, 40, 40), text_align="LEFT", line_height=5, padding=2) as table:
        for row in rows:
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.output(str(tmp_path / "table.pdf"))
    doc = clean_pages(read_report(tmp_path / "table.pdf").pages)
    assert [p.text for p in doc.paragraphs] == ["Annex III: reports of States Parties"] + [" ".join(row) for row in rows]


def test_pdf_columns_and_text_boxes_start_new_paragraphs_unless_a_sentence_runs_on(tmp_path):
    def column(pdf: FPDF, x: float, y: float, lines: list[str]) -> None:
        for number, line in enumerate(lines):
            pdf.set_xy(x, y + 6 * number)
            pdf.cell(90, 6, line)

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    column(pdf, 10, 20, ["The project worked on both sides of", "the border for four years."])
    column(pdf, 10, 40, ["It set up spaces for dialogue between", "the border towns and the migrants", "who cross the"])
    column(pdf, 110, 20, ["border every day to work or trade.", "It also trained local officials."])
    column(pdf, 110, 40, ["Project information: Haiti and the", "Dominican Republic, 2021 to 2025."])
    pdf.add_page()
    column(pdf, 10, 20, ["The second phase will start in 2026", "if the donors agree."])
    column(pdf, 10, 40, ["Its budget is not yet known, and the", "team waits for the donors."])
    column(pdf, 110, 20, ["Lessons learned: dialogue needs time", "and steady funding."])
    pdf.output(str(tmp_path / "columns.pdf"))
    assert [p.text for p in clean_pages(read_report(tmp_path / "columns.pdf").pages).paragraphs] == [
        "The project worked on both sides of the border for four years.",
        "It set up spaces for dialogue between the border towns and the migrants who cross the border every day"
        " to work or trade. It also trained local officials.",
        "Project information: Haiti and the Dominican Republic, 2021 to 2025.",
        "The second phase will start in 2026 if the donors agree.",
        "Its budget is not yet known, and the team waits for the donors.",
        "Lessons learned: dialogue needs time and steady funding."]


def test_pdf_table_rows_without_space_between_them_end_where_a_row_of_cells_does(tmp_path):
    rows = [(["Dans quelle mesure les résultats", "attendus du projet ont-ils été", "atteints"],
             ["PNUD, OIM, CMB, collectivités", "locales, société civile"]),
            (["Les ressources ont-elles été", "utilisées de manière optimale"], ["PNUD, OIM, partenaires", "financiers"])]
    pdf = FPDF(unit="pt")
    pdf.set_font("Helvetica", size=9)
    pdf.add_page()
    top = 100
    for question, sources in rows:  # rows one line apart; a row's second cell is drawn after its first
        for number, line in enumerate(question):
            pdf.set_xy(100, top + 11 * number)
            pdf.cell(200, 11, line)
        for number, line in enumerate(sources, start=len(question) - len(sources)):
            pdf.set_xy(320, top + 11 * number)
            pdf.cell(200, 11, line)
        top += 11 * len(question)
    pdf.output(str(tmp_path / "rows.pdf"))
    assert [p.text for p in clean_pages(read_report(tmp_path / "rows.pdf").pages).paragraphs] == [
        " ".join(question + sources) for question, sources in rows]


def test_pdf_bullets_of_symbol_fonts_become_bullet_characters():
    from index_build.reading import _make_line

    line = _make_line([("\uf0b7", (72.0, 700.0, 10.0)), (" Describe the approaches", (80.0, 700.0, 10.0))])
    assert (line.text, line.x, line.y, line.size) == ("• Describe the approaches", 72.0, 700.0, 10.0)


def test_markdown_markup_is_dropped_and_its_text_kept(tmp_path):
    path = tmp_path / "decl.md"
    path.write_text('---\ntitle: "D\\xE9claration de Los Angeles sur les migrations et la\\_protection"\n---\n'
                    "**Promouvoir une gestion humaine\ndes migrations**\n\nNous affirmons \\*notre\\* engagement.\n\n"
                    "<!-- -->\n\n- Réunir les banques de [développement](https://example.org).\n\n"
                    "------------------------------------------------------------------------\n\n\\###\n",
                    encoding="utf-8")
    report = read_report(path)
    assert report.metadata["title"] == "Déclaration de Los Angeles sur les migrations et la protection"
    text = [line for line in report.pages[0] if line != PARAGRAPH_BREAK]
    assert text == ["Promouvoir une gestion humaine", "des migrations", "Nous affirmons *notre* engagement.",
                    "Réunir les banques de développement."]


# --- issue 22, H1b: Markdown read in linear time, as the patterns it replaced read it -------------------------------
#: The patterns drop_comments, link_texts and heading_text replaced (each quadratic on runs of "<!--", "[", spaces).
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
MARKUP = st.lists(st.sampled_from(["<!--", "-->", "<", "!", "-", ">", "[", "]", "(", ")", "![", "](", "#", "##", " ",
                                   "\t", "\n", "a", "é"]), max_size=16).map("".join)


@given(MARKUP)
def test_comments_links_and_headings_are_read_as_the_patterns_read_them(text):
    line = text.replace("\n", "")
    heading = HEADING.match(line)
    assert drop_comments(text) == COMMENT.sub("", text)
    assert link_texts(text) == LINK.sub(r"\1", text)
    assert heading_text(line) == (heading.group(1) if heading else None)


@pytest.mark.parametrize("unit", ["<!--", "[", "![", "[a](", "[a]", "](", "<!-- a", "#", "# ", "- ", "**", "\\", "---\n"])
def test_hostile_markdown_is_read_in_linear_time(tmp_path, unit, cpu_seconds):
    small, large = tmp_path / "small.md", tmp_path / "large.md"
    small.write_text(unit * (10_000 // len(unit)), encoding="utf-8")  # "<!--" * 20 000 (78 KB) took 7.6 s
    large.write_text(unit * (100_000 // len(unit)), encoding="utf-8")
    small_s = cpu_seconds(lambda: read_report(small))
    assert cpu_seconds(lambda: read_report(large), runs=1) < 30 * max(small_s, 0.001)


@pytest.fixture(scope="session")
def seed_seconds_per_kb(cpu_seconds) -> float:
    """CPU seconds per KB of reading and cleaning the seed report: ordinary text, the measure of the bound."""
    text = SEED.read_text(encoding="utf-8")
    return cpu_seconds(lambda: clean_pages(split_text_pages(text))) / (len(text.encode()) / 1000)


PIECES = [" ", "  ", "\t", "\n", "\n\n", "\f", "\x1f", ".", "....", ". . ", "-", "- ", " -", "[", "]", "(", ")", "![",
          "](", "<!--", "-->", "#", "## ", "*", "**", "__", "\\", "0", "12", "iv", "Page ", "p. ", "de ", "|", "•", "—",
          ",", " ,", "’", "'", "a", "mot", "Mot", "é", "É", "M. ", "Mme ", ":", "---\n", "  - ", "1. ", "gouverne-"]
WRITTEN = Path(tempfile.mkdtemp(prefix="citeqa-fuzz-"))


@st.composite
def hostile_reports(draw) -> tuple[str, str]:
    """A report of 2 to 40 KB: a run of a few pieces repeated, between a head and a tail; Markdown or text."""
    pieces = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
    unit = draw(pieces.filter(bool))
    size = draw(st.integers(2_000, 40_000))
    return draw(st.sampled_from([".md", ".txt"])), draw(pieces) + unit * (size // len(unit) + 1) + draw(pieces)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_reports())
def test_any_report_is_read_and_cleaned_within_its_time_per_kb(cpu_seconds, seed_seconds_per_kb, report):
    suffix, text = report
    path = WRITTEN / f"report{suffix}"
    path.write_text(text, encoding="utf-8")
    kb = len(text.encode()) / 1000
    seconds = cpu_seconds(lambda: clean_pages(read_report(path).pages), runs=1)
    if seconds > 50 * seed_seconds_per_kb * kb:
        seconds = cpu_seconds(lambda: clean_pages(read_report(path).pages), runs=2)  # once more, against noise
    assert seconds <= 50 * seed_seconds_per_kb * kb, (seconds, kb, seed_seconds_per_kb)
