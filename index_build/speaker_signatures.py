"""Laws and decrees: who signs them, in English, French and Spanish.

* Signatures marked "Rúbrica" ("Lima, a 3 de mayo de 2019.- Dip. Ana Ruiz Soto, Presidenta.- Sen. Luis Vega Paz,
  Secretario.- Rúbricas."): each segment between ".-" is a signatory, title and name then role, or role then name
  ("El Secretario de Gobernación, Juan Pérez Gil"); a date line or a promulgation formula is nobody.
* Closing formulas ("Fait à Paris, le ...", "Dado en Madrid, a ...", "Done at Geneva, ...") and the names and roles
  after them, in that paragraph or the short ones that follow ("Par le Président de la République : X", "Le Premier
  ministre, X").
* Signature labels ("Signed: X, Minister of ...", "Fdo.: X", "(Signé) X").
* A promulgation header ("X, Presidente de ..., a sus habitantes sabed:"): X speaks it, and a later signature of
  X without a role takes that one.

The signatories are the speakers of the block that holds their signatures.
"""

from __future__ import annotations

import re

from index_build.speaker_lexicon import _NAME_PARTICLES, _NOT_NAME_WORDS, _UPPER
from index_build.speaker_style_lexicon import (
    _BY_AUTHORITY, _CLOSING_FORMULA, _PROMULGATION, _RUBRIC_RE, _SIGNATORY_TITLES, _SIGNATURE_LABELS,
)
from index_build.speaker_styles import is_name_token
from index_build.speaker_text import _clean_phrase
from index_build.speaker_types import Speaker
from index_build.text import fold_accents

MAX_BLOCK_PARAGRAPHS = 12  # short paragraphs after a closing formula read as its signature block
MAX_LINE_WORDS = 20  # a longer paragraph ends the block

_RUBRIC_SEGMENT_RE = re.compile(rf"^\W*{_RUBRIC_RE}\W*$")
# spaces taken whole, and only from where their run starts: linear on long runs of spaces
_SEGMENT_SPLIT_RE = re.compile(r"(?:(?<!\s)\s++)?\.\s*+[-–—]\s*+")
_CLOSING_RE = re.compile("|".join(f"(?:{p.format(upper=_UPPER)})" for p in _CLOSING_FORMULA.values()))
_AUTHORITY_RES = [re.compile(p) for p in _BY_AUTHORITY.values()]
_LABELS = sorted({label for labels in _SIGNATURE_LABELS.values() for label in labels}, key=len, reverse=True)
_LABEL_RE = re.compile(rf"(?:^|(?<=[.;]\s))(?:{'|'.join(map(re.escape, _LABELS))})(?:\s*:\s*|\s+)(?=(?-i:[{_UPPER}]))",
                       re.IGNORECASE)
_PROMULGATION_RE = [re.compile(p, re.IGNORECASE) for p in _PROMULGATION.values()]
_TITLES = {title: role for titles in _SIGNATORY_TITLES.values() for title, role in titles.items()}
_TITLE_RE = re.compile(rf"^(?:{'|'.join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))})(?=\s)",
                       re.IGNORECASE)
_ROLE_HEADS = ("ministre", "minister", "ministro", "ministra", "secrétaire", "secretary", "secretario", "secretaria",
               "président", "présidente", "president", "presidente", "presidenta", "garde des sceaux", "chancellor",
               "canciller", "governor", "gouverneur", "gobernador", "gobernadora", "premier", "première", "primer",
               "primera", "vice", "senador", "senadora", "diputado", "diputada", "sénateur", "député", "senator",
               "prime minister", "attorney", "fiscal", "procurador", "procuradora", "subsecretario", "subsecretaria",
               "director", "directora", "directeur", "directrice", "jefe", "jefa", "rey", "reina", "roi", "king",
               "queen")
_ROLE_LINE_START_RE = re.compile(r"(?:Le|La|L['’]|El|The)\s+(?=\w)")
# Where a run-on block breaks into lines: before "Par le ..." / "By the ...", after a colon, before "Le ministre ...".
_LINE_SPLIT_RE = re.compile(  # a run of spaces is tried once, from its start, and taken whole
    r"(?<!\s)(?:\s++(?=(?:Par|Por|By)\s+(?:le|la|el|the)\s)|(?<=:)\s++"
    r"|\s++(?=(?:Le|La|El|The)\s+(?i:" + "|".join(_ROLE_HEADS) + r")\b))")
_FEMININE = {"Diputado": "Diputada", "Senador": "Senadora"}


def signature_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """Signatories of laws and decrees (and promulgating authorities), by paragraph index."""
    headers = _promulgation_speakers(paragraphs)
    roles = {fold_accents(s.name): s.role for speakers in headers.values() for s in speakers}
    found: dict[int, list[Speaker]] = {index: list(speakers) for index, speakers in headers.items()}
    for index, paragraph in enumerate(paragraphs):
        speakers = _rubric_signatories(paragraph) + _labelled_signatories(paragraph)
        for speaker in speakers:
            _add(found, index, _with_known_role(speaker, roles))
        closing = _CLOSING_RE.search(paragraph)
        if closing:
            block, lines = _closing_block(paragraphs, index, closing.end())
            for speaker in _block_signatories(lines):
                for where in block:
                    _add(found, where, _with_known_role(speaker, roles))
    return found


def _add(found: dict[int, list[Speaker]], index: int, speaker: Speaker) -> None:
    """Append a speaker to a paragraph's list once."""
    speakers = found.setdefault(index, [])
    if speaker not in speakers:
        speakers.append(speaker)


def _with_known_role(speaker: Speaker, roles: dict[str, str]) -> Speaker:
    """A signatory without a role takes the one a promulgation header gave the same name."""
    if speaker.role:
        return speaker
    return Speaker(speaker.name, roles.get(fold_accents(speaker.name), ""), speaker.organisation)


# ---------------------------------------------------------------------------------------------
# "Name, Role.- Rúbrica." segments
# ---------------------------------------------------------------------------------------------

def _rubric_signatories(paragraph: str) -> list[Speaker]:
    """Each signatory of a paragraph whose segments (split at ".-") are followed by a "Rúbrica" mark."""
    segments = [s.strip(" \"'”»") for s in _SEGMENT_SPLIT_RE.split(paragraph.strip())]
    marks = [i for i, segment in enumerate(segments) if _RUBRIC_SEGMENT_RE.match(segment)]
    if not marks:
        return []
    signatories = []
    for segment in segments[: marks[-1]]:
        speaker = _signatory(segment) if len(segment.split()) <= 16 else None
        if speaker:
            signatories.append(speaker)
    return signatories


_DIGIT_RE = re.compile(r"\d")


def _signatory(segment: str) -> Speaker | None:
    """"Dip. Ana Ruiz Soto, Presidenta" / "El Secretario de Gobernación, Juan Pérez Gil" / "Ana Ruiz Soto"."""
    parts = [p.strip() for p in segment.strip(" .").split(",")]
    if _DIGIT_RE.search(segment) or not parts[0]:
        return None
    if len(parts) >= 2 and _is_role(parts[0]):  # role first, name last
        name, title_role = _person_name(parts[-1])
        role = _clean_phrase(_ROLE_LINE_START_RE.sub("", ", ".join(parts[:-1]), count=1))
        return Speaker(name, _upper_first(role), "") if name else None
    name, title_role = _person_name(parts[0])
    if not name:
        return None
    role = _clean_phrase(", ".join(parts[1:]))
    if role and not _is_role(role):
        return None
    return Speaker(name, _combined_role(title_role, role), "")


def _combined_role(title_role: str, role: str) -> str:
    """"Senador" (from "Sen.") and "Presidenta" -> "Senadora, Presidenta"; either alone as it is."""
    if title_role and role:
        feminine = role.split()[0].casefold().endswith("a")
        return f"{_FEMININE.get(title_role, title_role) if feminine else title_role}, {role}"
    return title_role or role


_INITIAL_RE = re.compile(rf"[{_UPPER}]\.")


def _person_name(text: str) -> tuple[str, str]:
    """(the name as the report should show it, the role its title says) or ("", "") when it is no person's name."""
    text = text.strip(" .:;\"'”»")
    title = _TITLE_RE.match(text)
    title_role = _TITLES[title.group().casefold()] if title else ""
    words = text[title.end():].split() if title else text.split()
    names = [w for w in words if w.casefold() not in _NAME_PARTICLES]
    if not 2 <= len(names) <= 6 or len(words) > 8:
        return "", ""
    for position, word in enumerate(names):
        is_initial = bool(_INITIAL_RE.fullmatch(word))
        if not (is_initial and position) and not is_name_token(_title_case(word), first=position == 0):
            return "", ""
    return " ".join(_display(w, i) for i, w in enumerate(words)), title_role


def _is_role(text: str) -> bool:
    """True when a phrase names an office ("Presidenta", "Le ministre de l'intérieur", "Secretary of State")."""
    folded = _ROLE_LINE_START_RE.sub("", text.strip(), count=1).casefold()
    return any(folded.startswith(head) for head in _ROLE_HEADS) and len(folded.split()) <= 14


def _title_case(word: str) -> str:
    """"PEÑA" -> "Peña", "OSORIO-CHONG" -> "Osorio-Chong"; mixed case stays as written."""
    return "-".join(p.capitalize() for p in word.split("-")) if word.isupper() and len(word) > 1 else word


def _display(word: str, position: int) -> str:
    """A word of a signed name as the report's running text would write it ("DE LA" -> "de la" inside a name)."""
    if position and word.isupper() and word.casefold() in _NAME_PARTICLES:
        return word.casefold()
    return _title_case(word)


def _upper_first(text: str) -> str:
    """Capitalise the first letter only."""
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# Closing formulas and the block of names after them
# ---------------------------------------------------------------------------------------------

_DATE_END_RE = re.compile(r"\.\s+(?=[\w(])|\.$")


def _closing_block(paragraphs: list[str], index: int, start: int) -> tuple[list[int], list[str]]:
    """The paragraphs of a signature block and its lines (the formula's own sentence left out)."""
    rest = paragraphs[index][start:]
    date_end = _DATE_END_RE.search(rest)
    lines, block = _lines(rest[date_end.end():] if date_end else ""), [index]
    for following in range(index + 1, min(len(paragraphs), index + 1 + MAX_BLOCK_PARAGRAPHS)):
        paragraph = paragraphs[following]
        more = _lines(paragraph)
        if len(paragraph.split()) > MAX_LINE_WORDS or _CLOSING_RE.search(paragraph) or _LABEL_RE.search(paragraph) \
                or not more or not all(map(_is_block_line, more)):
            break
        lines += more
        block.append(following)
    return block, lines


def _lines(text: str) -> list[str]:
    """A block's text cut into lines: names, roles, "Par le Président de la République :"."""
    return [line.strip() for line in _LINE_SPLIT_RE.split(text) if line and line.strip()]


def _is_block_line(line: str) -> bool:
    """True for what a signature block holds: an authority, a role ("Le Premier ministre,"), a signatory."""
    if any(regex.fullmatch(line) for regex in _AUTHORITY_RES):
        return True
    return (_is_role(line.rstrip(",")) and line.endswith(",")) or _signatory(line) is not None


def _block_signatories(lines: list[str]) -> list[Speaker]:
    """Signatories of a block's lines: "Par le Président de la République :" gives its role to the bare name after
    it (else before it), "Le Premier ministre," to the name after it, "X, Minister of ..." as written."""
    found: list[Speaker] = []
    pending_role, authority, previous_bare = "", "", None
    for line in lines:
        by = next((m for m in (regex.fullmatch(line) for regex in _AUTHORITY_RES) if m), None)
        if by:
            authority = by.group("role")
            continue
        if _is_role(line.rstrip(",")) and line.endswith(","):
            pending_role = _upper_first(_clean_phrase(_ROLE_LINE_START_RE.sub("", line, count=1)))
            if authority and previous_bare is not None:  # "X / Par le Président de la République : / Le Premier ..."
                found[previous_bare] = Speaker(found[previous_bare].name, _clean_phrase(authority), "")
                authority = ""
            continue
        speaker = _signatory(line)
        if speaker is None:
            continue
        if not speaker.role and (pending_role or authority):
            speaker = Speaker(speaker.name, pending_role or _clean_phrase(authority), "")
            authority = "" if not pending_role else authority
        previous_bare = len(found) if not speaker.role else None
        pending_role = ""
        found.append(speaker)
    return found


# ---------------------------------------------------------------------------------------------
# Signature labels and promulgation headers
# ---------------------------------------------------------------------------------------------

_SIGNATORY_END_RE = re.compile(r"(?:(?<!\s)\s++)?[;(]|\.\s|(?<!\s)\s++(?:and|et|y)\s++")


def _labelled_signatories(paragraph: str) -> list[Speaker]:
    """"Signed: Jane Doe, Minister of Labour", "Fdo.: Ana Ruiz Soto", "(Signé) Paul Martin"."""
    found = []
    for match in _LABEL_RE.finditer(paragraph):
        text = _SIGNATORY_END_RE.split(paragraph[match.end():], maxsplit=1)[0]
        speaker = _signatory(text)
        if speaker:
            found.append(speaker)
    return found


def _promulgation_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """"X, Presidente de la República, a sus habitantes sabed:" -> X, with that role."""
    found: dict[int, list[Speaker]] = {}
    for index, paragraph in enumerate(paragraphs):
        for regex in _PROMULGATION_RE:
            match = regex.search(paragraph[:400])
            if not match:
                continue
            name, _ = _person_name(paragraph[: match.start()])
            if name and not any(w.casefold() in _NOT_NAME_WORDS for w in name.split()[:1]):
                found[index] = [Speaker(name, _clean_phrase(match.group("role")), "")]
    return found
