"""Reports that fight back: each is refused with a message, in a child process with limits."""

import io
import zipfile

import pytest
from fpdf import FPDF

from index_build.isolation import read_report_isolated
from index_build.reading import MAX_PDF_PAGES, UnreadableReport


def pdf_bytes(pages: int, text: str = "A line of text for the report, long enough to count.", **encryption) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if encryption:
        pdf.set_encryption(**encryption)
    for _ in range(pages):
        pdf.add_page()
        pdf.cell(0, 6, text)
    return bytes(pdf.output())


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.txt", "not a pdf")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("truncated.pdf", pdf_bytes(3)[:700], "not a readable PDF"),
    ("archive.pdf", zipped(), "not a readable PDF"),
    ("empty.pdf", b"", "not a readable PDF"),
    ("binary.txt", bytes(range(256)) * 8, "not UTF-8"),
    ("locked.pdf", pdf_bytes(1, owner_password="owner", user_password="secret"), "encrypted"),
    ("bomb.pdf", pdf_bytes(MAX_PDF_PAGES + 1, text="x"), f"more than the {MAX_PDF_PAGES}"),
])
def test_hostile_files_are_refused_with_a_message(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableReport, match=message):
        read_report_isolated(path)


def test_a_good_report_reads_as_it_does_in_process(tmp_path):
    from index_build.reading import read_report

    path = tmp_path / "good.pdf"
    path.write_bytes(pdf_bytes(2))
    assert read_report_isolated(path).pages == read_report(path).pages


def test_past_the_time_limit_the_reader_is_stopped(tmp_path):
    path = tmp_path / "slow.pdf"
    path.write_bytes(pdf_bytes(50))
    with pytest.raises(UnreadableReport, match="longer than"):
        read_report_isolated(path, seconds=0.01)


def test_past_the_memory_limit_the_file_is_refused(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(pdf_bytes(20))
    with pytest.raises(UnreadableReport, match="more than 24 MB of memory"):
        read_report_isolated(path, memory_bytes=24 << 20)
