"""What an upload is checked for before its job is queued: the length of every text it carries, and a file
that cannot be a report when that is cheap to tell (empty; a text file that is not UTF-8 or holds only blanks).

Reading a PDF is left to the job (it is parsed in a child process with limits, never in the server's); its
metadata title is cut to :data:`~index_build.corpus.MAX_TITLE_CHARS` there (:mod:`index_build.reports`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.exceptions import RequestValidationError

from index_build.corpus import MAX_PUBLISHER_CHARS, MAX_TITLE_CHARS

MAX_REPORT_ID_CHARS = 120  # as a catalog's ids (index_build.corpus)
MAX_FILE_NAME_CHARS = 255  # the longest file name most file systems allow

#: Each text of an upload's form and the most characters it may have.
TEXT_LIMITS = {"id": MAX_REPORT_ID_CHARS, "title": MAX_TITLE_CHARS, "publisher": MAX_PUBLISHER_CHARS}


def check_texts(fields: dict[str, str], file_name: str) -> None:
    """Refuse (422 naming each field, like pydantic's) a form text or a file name over its limit."""
    problems = [{"type": "string_too_long", "loc": ("body", name), "input": value,
                 "msg": f"{name} is {len(value):,} characters long; at most {TEXT_LIMITS[name]:,} are accepted: "
                        "shorten it", "ctx": {"max_length": TEXT_LIMITS[name]}}
                for name, value in fields.items() if len(value) > TEXT_LIMITS[name]]
    if len(file_name) > MAX_FILE_NAME_CHARS:
        problems.append({"type": "string_too_long", "loc": ("body", "file"), "input": file_name,
                         "msg": f"the file's name is {len(file_name):,} characters long; at most "
                                f"{MAX_FILE_NAME_CHARS} are accepted: rename the file"})
    if problems:
        raise RequestValidationError(problems)


def check_content(path: Path, shown_name: str) -> None:
    """Refuse (422 on ``file``, like pydantic's) a saved upload that cannot be a report, as far as that is cheap
    to tell: an empty file; a .txt or .md file that is not UTF-8, or holds only blanks. The messages say what
    its job would have said."""
    if path.stat().st_size == 0:
        _refuse("file_empty", shown_name, f"{shown_name}: the file is empty (0 bytes); upload the report's file itself")
    if path.suffix.lower() in (".txt", ".md"):
        try:
            text = path.read_text(encoding="utf-8-sig")  # as index_build.reading reads it
        except UnicodeDecodeError as error:
            _refuse("file_not_utf8", shown_name, f"{shown_name}: not UTF-8 text ({error.reason}); save it as UTF-8 "
                                                 "and upload it again")
        if not text.strip():
            _refuse("file_without_text", shown_name, f"{shown_name}: no text found in the report (only blanks)")


def _refuse(kind: str, shown_name: str, message: str) -> None:
    raise RequestValidationError([{"type": kind, "loc": ("body", "file"), "msg": message, "input": shown_name}])
