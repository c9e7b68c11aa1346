"""An answer as a file to keep or share: Markdown to read, CSV for a spreadsheet; each passage with its
report, page, character span and an absolute link to where it is shown marked.

The one owner of both formats: ``citeqa ask --format`` and ``GET /search/export`` call :func:`render`.
The details (columns, escaping, the formula guard) are in docs/export.md.
"""

from __future__ import annotations

import csv
import io
import re
from enum import Enum
from urllib.parse import quote

from service.answers import Answer, Passage, Speaker

__all__ = ["ExportFormat", "GUARDED_STARTS", "CSV_COLUMNS", "render", "to_markdown", "to_csv", "passage_link",
           "escape_markdown", "guard_cell", "unguard_cell"]


class ExportFormat(str, Enum):
    """The formats an answer is exported in."""

    markdown = "markdown"
    csv = "csv"

    @property
    def media_type(self) -> str:
        return {"markdown": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}[self.value]

    @property
    def file_name(self) -> str:
        return {"markdown": "citeqa-answer.md", "csv": "citeqa-answer.csv"}[self.value]


CSV_COLUMNS = ("rank", "document_id", "title", "page", "start", "end", "speakers", "score", "weak", "text", "link")

#: A CSV cell starting with one of these is read as a formula by spreadsheets (OWASP, "CSV Injection"); such a
#: cell, and one that starts with an apostrophe (so that the guard can be undone), gets a leading apostrophe.
GUARDED_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters Markdown (CommonMark, and GitHub's extensions: tables, strikethrough, math) may read as syntax
# anywhere in a line; each is escaped with a backslash, which CommonMark allows before any ASCII punctuation.
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>#|~&$])")
# What may open a block at the start of a line once the characters above are escaped: a list item (- + or
# 1. 1)), a setext heading's underline (= or -).
_LINE_START_SYNTAX = re.compile(r"^([-+=])|^(\d+)([.)])")
# Link targets: anything that could end or break a Markdown link destination is percent-encoded; an absolute
# address is then written as an autolink (CommonMark: a scheme, a colon, no blank, < or >), readable as it is.
_URL_SAFE = ":/?#[]@!$&'*+,;=%-._~"
_AUTOLINK = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>\x00-\x1f]*")


def render(answer: Answer, format: ExportFormat | str, base_url: str) -> str:
    """The answer in ``format``; every passage's link is ``base_url`` + its path on the service."""
    found = ExportFormat(format)
    return to_markdown(answer, base_url) if found is ExportFormat.markdown else to_csv(answer, base_url)


def passage_link(base_url: str, passage: Passage) -> str:
    """The absolute address where the passage is shown marked (empty when the passage has no path)."""
    return base_url.rstrip("/") + passage.url if passage.url else ""


def speaker_label(speaker: Speaker) -> str:
    """A speaker as a name, with the organisation in parentheses when known."""
    return f"{speaker.name} ({speaker.organisation})" if speaker.organisation else speaker.name


# ---- Markdown ------------------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that renders as this text on one line (runs of blanks and line breaks become one
    space, as Markdown shows them anyway)."""
    return _INLINE_SYNTAX.sub(r"\\\1", " ".join(text.split()))


def _quoted_lines(text: str) -> list[str]:
    """The passage text as the lines of a blockquote: each line escaped, its leading blanks dropped (four would
    make a code block; Markdown drops fewer anyway), a blank line kept as a bare ``>``."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _INLINE_SYNTAX.sub(r"\\\1", line.strip())
        line = _LINE_START_SYNTAX.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)
        lines.append(f"> {line}" if line else ">")
    return lines


def _markdown_link(url: str) -> str:
    """``url`` as a Markdown link showing the address: ``<url>``, or ``[url](url)`` when it has no scheme."""
    target = quote(url, safe=_URL_SAFE)
    return f"<{target}>" if _AUTOLINK.fullmatch(target) else f"[{escape_markdown(url)}]({target})"


def to_markdown(answer: Answer, base_url: str) -> str:
    """The question, whether the reports answer it (and why not), who answers, then every passage: rank,
    report, page, span, speakers, its text as a blockquote and its link."""
    lines = ["# citeqa answer", "", f"**Question:** {escape_markdown(answer.question)}", ""]
    if answer.answerable:
        lines += ["**Answered:** yes", ""]
    else:
        lines += [f"**Answered:** no — {escape_markdown(answer.reason or 'nothing in the reports answers it')}", ""]
    if answer.speakers:
        who = "; ".join(f"{escape_markdown(speaker_label(s))}, passage{'s' if len(s.passages) > 1 else ''} "
                        f"{', '.join(map(str, s.passages))}" for s in answer.speakers)
        lines += [f"**Who answers:** {who}", ""]
    if answer.translations:
        also = "; ".join(f"{escape_markdown(language)}: {escape_markdown(text)}"
                         for language, text in answer.translations.items())
        lines += [f"**Also searched, machine-translated:** {also}", ""]
    lines += [f"**Index version:** {escape_markdown(answer.index_version)}", ""]
    if not answer.passages:
        lines += ["No passage found.", ""]
    elif answer.answerable:
        lines += ["## Passages", ""]
    else:
        lines += ["## Nearest passages — weak, not an answer", ""]
    for passage in answer.passages:
        lines += _passage_markdown(passage, base_url)
    return "\n".join(lines)


def _passage_markdown(passage: Passage, base_url: str) -> list[str]:
    weak = " (weak: not an answer)" if passage.weak else ""
    speakers = "; ".join(escape_markdown(speaker_label(s)) for s in passage.speakers) or "—"
    link = passage_link(base_url, passage)
    lines = [f"### {passage.rank}. {escape_markdown(passage.title)}{weak}", ""]
    if passage.weak:
        lines += ["**Weak passage:** the nearest text found; the reports do not answer the question.", ""]
    lines += [f"- Report: {escape_markdown(passage.title)} ({escape_markdown(passage.document_id)})",
              f"- Page: {passage.page}",
              f"- Characters: {passage.start}–{passage.end}",
              f"- Speakers: {speakers}",
              f"- Score: {passage.score:.3f}"]
    if link:
        lines.append(f"- Link: {_markdown_link(link)}")
    return lines + ["", *_quoted_lines(passage.text), ""]


# ---- CSV -----------------------------------------------------------------------------------------


def guard_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet: a leading apostrophe when it starts like a formula (or with an
    apostrophe, so that :func:`unguard_cell` gives the text back exactly)."""
    return f"'{text}" if text.startswith(GUARDED_STARTS + ("'",)) else text


def unguard_cell(cell: str) -> str:
    """The text of a guarded CSV cell (its one leading apostrophe dropped)."""
    return cell[1:] if cell.startswith("'") else cell


def to_csv(answer: Answer, base_url: str) -> str:
    """One row a passage under a header row (:data:`CSV_COLUMNS`), RFC 4180 (CRLF line ends, fields quoted
    where needed); text cells guarded against formulas. Without a byte-order mark: encode it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for passage in answer.passages:
        speakers = "; ".join(speaker_label(s) for s in passage.speakers)
        writer.writerow([passage.rank, guard_cell(passage.document_id), guard_cell(passage.title), passage.page,
                         passage.start, passage.end, guard_cell(speakers), repr(passage.score),
                         "true" if passage.weak else "false", guard_cell(passage.text),
                         guard_cell(passage_link(base_url, passage))])
    return out.getvalue()
