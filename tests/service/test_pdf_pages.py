"""A PDF's pages through PDFium (service/pdf_pages.py), on PDFs made here with fpdf2: the printed page number, a
passage found by its text across a page break, the boxes on the image."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from service.pdf_pages import RENDER_SCALE, PageProblem, PdfPages, fold

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"
WORDS = ("The committee examined the reports of the States parties on the protection of migrant workers and "
         "members of their families, and adopted its concluding observations after a constructive dialogue. ")


def numbered_pdf(path: Path, footers: list[str], body: str = "") -> Path:
    """A PDF of one page per footer (an empty footer prints no number), ``body`` flowing across its pages."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=11)
    for at, footer in enumerate(footers):
        pdf.add_page()
        pdf.set_xy(20, 30)
        pdf.multi_cell(170, 6, body[at * 900:(at + 1) * 900] or "A page of the report.")
        if footer:
            pdf.set_xy(20, 280)
            pdf.cell(170, 6, footer, align="C")
    pdf.output(str(path))
    return path


def test_the_printed_number_is_the_running_one_not_the_file_position(tmp_path):
    path = numbered_pdf(tmp_path / "numbered.pdf", ["", "ii", "1", "2", "Page 3", "48"])
    with PdfPages(path) as pages:
        printed = [pages.facts(number).printed for number in range(1, 7)]
    # the cover prints nothing; "ii" has no neighbour counting with it; "48" does not follow 3
    assert printed == ["", "", "1", "2", "3", ""]


def test_a_passage_over_a_page_break_is_found_in_part_on_each_page(tmp_path):
    text = " ".join(SEED.read_text(encoding="utf-8").split())  # real text that does not repeat itself
    body = text[3000:4800].encode("latin-1", "replace").decode("latin-1")  # fpdf2's core fonts are Latin-1
    path = numbered_pdf(tmp_path / "flow.pdf", ["1", "2"], body)
    passage = body[700:1100]  # page 1 holds body[:900], page 2 the rest
    with PdfPages(path) as pages:
        first, second = pages.locate(1, passage), pages.locate(2, passage)
        facts = pages.facts(1)
    assert first.found and second.found
    assert first.starts_here and not first.ends_here
    assert second.ends_here and not second.starts_here
    assert first.share + second.share == pytest.approx(1.0, abs=0.05)
    for box in first.boxes + second.boxes:
        assert 0 <= box.left and box.left + box.width <= facts.width + 1
        assert 0 <= box.top and box.top + box.height <= facts.height + 1
    assert facts.width == round(595.28 * RENDER_SCALE)  # A4 in points, at the image's scale


def test_text_that_is_not_on_the_page_is_not_outlined(tmp_path):
    path = numbered_pdf(tmp_path / "flow.pdf", ["1"], WORDS * 5)
    with PdfPages(path) as pages:
        absent = pages.locate(1, "Las personas solicitantes de asilo presentan su solicitud en la oficina de extranjería.")
    assert not absent.found and absent.boxes == []
    assert fold("Déjà-vu, L’ÉTAT")[0] == "dejavuletat"  # accents, case, punctuation and spaces folded away


def test_a_file_that_is_not_a_pdf_or_a_page_out_of_range_is_refused(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a PDF at all", encoding="utf-8")
    with pytest.raises(PageProblem, match="cannot be read as a PDF"):
        PdfPages(fake)
    with PdfPages(numbered_pdf(tmp_path / "one.pdf", ["1"])) as pages, pytest.raises(PageProblem, match="from 1 to 1"):
        pages.facts(2)
