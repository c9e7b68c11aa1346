"""Reading report files into pages: the seed's page markers, Markdown front matter, a real PDF."""

from pathlib import Path

import pytest
from fpdf import FPDF

from index_build.reading import PARAGRAPH_BREAK, UnreadableReport, read_report, split_text_pages

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"


def test_seed_pages_start_at_leading_space_lines_and_at_the_printed_page_number():
    pages = read_report(SEED).pages
    assert len(pages) == 13
    assert pages[0][0].strip() == "Résumé des conclusions"
    assert pages[1][0].startswith(" Les six tables rondes")
    assert pages[2][0].strip() == "3"  # the one printed page number opens page 3
    assert not any(line == "" and False for line in pages[0])


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
