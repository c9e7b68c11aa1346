"""Speakers given by the layout of a report rather than by speech verbs, per paragraph (English, French, Spanish).

Credit lines ("Author: X", "Commandé par : OIM et PNUD"), annex lists of persons met, management-response
entries and responsible units, declaration openings ("We, the Heads of State ..."), and from their own modules
the turns of transcripts (:mod:`index_build.speaker_transcripts`) and the signatories of laws and decrees
(:mod:`index_build.speaker_signatures`).
"""

from __future__ import annotations

import re

from index_build.speaker_lexicon import _INSTITUTION_HEADS, _LOWER, _NAME_PARTICLES, _ROLE_ALT, _UPPER
from index_build.speaker_style_lexicon import (
    _COMPANY_SUFFIXES, _CREDIT_LABELS, _DECLARATION_OPENING, _MANAGEMENT_RESPONSE, _PEOPLE_LIST_HEADING,
    _RESPONSIBLE_UNIT, _UNIT_HEADS,
)
from index_build.speaker_styles import clean_person_name, is_name_token, split_list_items
from index_build.speaker_text import _clean_phrase, _strip_paragraph_number, _upper_first
from index_build.speaker_signatures import signature_speakers
from index_build.speaker_transcripts import transcript_speakers
from index_build.speaker_types import Speaker


def structural_speakers(paragraphs: list[str], is_body) -> list[list[Speaker]]:
    """Speakers given by the layout of a report rather than by speech verbs, per paragraph."""
    result: list[dict[Speaker, None]] = [{} for _ in paragraphs]  # each paragraph's speakers in order, once each
    for finder in (transcript_speakers, signature_speakers, _credit_speakers, _people_list_speakers,
                   _management_speakers):
        for index, speakers in finder(paragraphs).items():
            result[index].update(dict.fromkeys(speakers))
    for index, paragraph in enumerate(paragraphs[:5]):
        result[index].update(dict.fromkeys(declaration_speakers(paragraph, is_body)))
    return [list(speakers) for speakers in result]


def _credit_label_re() -> re.Pattern:
    """Regex of credit labels ("Author:", "Évaluateur(s) :", "Géré par :") in all languages."""
    labels = sorted({label for table in _CREDIT_LABELS.values() for label in table}, key=len, reverse=True)
    alternation = "|".join(re.escape(label) for label in labels)
    return re.compile(rf"(?:^|(?<=[\s.;(]))(?P<label>{alternation})\s*(?:\([^)]{{0,40}}\))?\s*:\s*", re.IGNORECASE)


_CREDIT_LABEL_RE = _credit_label_re()
_ROLE_BY_LABEL = {label: role for table in _CREDIT_LABELS.values() for label, role in table.items()}


def _credit_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """People or organisations named after a credit label, in that paragraph (or the next one when the label
    stands alone), and the organisations of short credit lines without colon."""
    found: dict[int, list[Speaker]] = {}
    for index, paragraph in enumerate(paragraphs):
        for match in _CREDIT_LABEL_RE.finditer(paragraph):
            rest, where = _until_next_label(paragraph[match.end():]), index
            if not rest.strip() and index + 1 < len(paragraphs):
                rest, where = paragraphs[index + 1], index + 1
            role = _ROLE_BY_LABEL[match.group("label").casefold()]
            for speaker in credited_organisations(rest, role) or _credited_people(rest, role):
                found.setdefault(where, []).append(speaker)
        for speaker in _bare_credit_line(paragraph):
            found.setdefault(index, []).append(speaker)
    return found


_BY_LABELS = sorted((label for table in _CREDIT_LABELS.values() for label in table
                     if label.endswith((" by", " par"))), key=len, reverse=True)
_BARE_CREDIT_RE = re.compile(rf"^(?:[\w’'-]+\s+){{0,2}}(?P<label>{'|'.join(map(re.escape, _BY_LABELS))})\s+(?=\S)",
                             re.IGNORECASE)


def _bare_credit_line(paragraph: str) -> list[Speaker]:
    """Organisations of a short credit line without colon ("Evaluation commissioned by UNHCR Evaluation Service")."""
    text = paragraph.strip()
    if len(text) > 120 or text.endswith(".") or ":" in text:
        return []
    match = _BARE_CREDIT_RE.match(text)
    if not match:
        return []
    return credited_organisations(text[match.end():], _ROLE_BY_LABEL[match.group("label").casefold()])


_PLACE_CUT_RE = re.compile(r"(?<!\s)\s++(?:en|in|au|aux|à|at|pour|for|dans|on behalf of|para)(?:\s++|$)")
_LIST_CUT_RE = re.compile(r"(?:(?<!\s)\s++)?[,;/&]\s*+|(?<!\s)\s++(?:and|et|y|e)\s++")
_LEADING_ARTICLE_RE = re.compile(r"^(?:the|le|la|les|el|los|las)\s+|^l['’]", re.IGNORECASE)


def credited_organisations(text: str, label_role: str) -> list[Speaker]:
    """One speaker per organisation of "OIM et PNUD en Haïti et République dominicaine" (name = organisation)."""
    text = _PLACE_CUT_RE.split(text.strip().rstrip("."), maxsplit=1)[0]
    parts = _LIST_CUT_RE.split(text)
    items = [_LEADING_ARTICLE_RE.sub("", _clean_phrase(p)) for p in parts]
    items = [item for item in items if item]
    if not items or not all(_credited_body(item) for item in items):
        return []
    return [Speaker(item, label_role, item) for item in dict.fromkeys(items)]


_ACRONYM_HEAD_RE = re.compile(rf"[{_UPPER}][{_UPPER}0-9\-]+")


def _credited_body(item: str) -> bool:
    """An acronym or an organisation name ("UNHCR Evaluation Service", "Comité de pilotage"), not a person."""
    words = item.split()
    if len(words) > 8 or not words[0][:1].isupper():
        return False
    if _ACRONYM_HEAD_RE.fullmatch(words[0].strip("()")):
        return True
    return _organisation_like(item)


_NEXT_LABEL_RE = re.compile(r"\s(?:[\w’'()]+\s){0,5}[\w’'()]+\s?:\s")


def _until_next_label(text: str) -> str:
    """Text up to the next "Label :" of a run-on information box ("X Dates des visites : ...")."""
    match = _NEXT_LABEL_RE.search(text)
    return text[: match.start()] if match else text


_DEGREES = {"ph.d", "phd", "ph.d.", "msc", "m.sc", "ma", "mba", "md", "dr"}


_CREDIT_SEGMENT_RE = re.compile(r",\s*+|(?<!\s)\s++[-–]\s++")
_LEADING_AND_RE = re.compile(r"^(?:and|et|y)\s+")
_AND_RE = re.compile(r"(?<!\s)\s++(?:and|et|y)\s++")
_ET_Y_RE = re.compile(r"(?<!\s)\s++(?:et|y)\s++")


def _credited_people(text: str, label_role: str) -> list[Speaker]:
    """"X, Y, and Z" (a list of people) or "X, role, organisation" after a credit label."""
    segments = [s.strip() for s in _CREDIT_SEGMENT_RE.split(text.strip().rstrip(".")) if s.strip()]
    segments = [_LEADING_AND_RE.sub("", s) for s in segments if s.casefold().strip(". ") not in _DEGREES]
    first = _leading_person(segments[0]) if segments else None
    if not first:
        return []
    people = [first]
    for segment in segments[1:]:
        names = [_leading_person(part) for part in _AND_RE.split(segment)]
        if all(names) and " and ".join(names) == _ET_Y_RE.sub(" and ", segment) \
                and not _organisation_like(segment):
            people.extend(names)
            continue
        break
    if len(people) > 1 or len(segments) == 1 or segments[0] != first:
        return [Speaker(name, label_role, "") for name in people]
    role, organisation = _role_and_organisation(segments[1:3], label_role)
    return [Speaker(first, role, organisation)]


def _leading_person(text: str) -> str | None:
    """The person's name opening a text, stopping after an upper-case surname ("Célestin SIKUBE TAKAMGNO Dates")."""
    words, seen_upper = [], False
    for word in text.split():
        bare = word.strip(",;:")
        is_upper = bare.isupper() and len(bare) > 1 and bare.replace("-", "").isalpha()
        if seen_upper and not is_upper:
            break
        if not (is_name_token(bare, first=not words) or (words and is_upper) or (words and bare in _NAME_PARTICLES)):
            break
        words.append(bare)
        seen_upper = seen_upper or is_upper
        if len(words) == 5:
            break
    return clean_person_name(" ".join(words)) if len(words) >= 2 else None


def _organisation_like(text: str) -> bool:
    """True for "Data Conscious Ltd", "IOM Haiti", "Regional Office": bodies, not people."""
    words = text.split()
    if not words:
        return False
    head = words[0].strip("()")
    return (head.isupper() and len(head) > 1 or head.casefold() in _INSTITUTION_HEADS and head[0].isupper()
            or any(w.casefold().strip(".") in _COMPANY_SUFFIXES for w in words))


_ROLE_WORD_RE = re.compile(rf"\b(?:{_ROLE_ALT}|Officer|Analyst)\b")
_CONTACT_RE = re.compile(r"[@/]|\d")


def _role_and_organisation(segments: list[str], default_role: str) -> tuple[str, str]:
    """Role and organisation from the segments after a credited name."""
    role, organisation = default_role, ""
    for segment in segments:
        if _organisation_like(segment) and not organisation and not _ROLE_WORD_RE.search(segment):
            organisation = segment
        elif role == default_role and not _CONTACT_RE.search(segment):
            role = segment
    return role, organisation


_PEOPLE_LIST_HEADING_RES = [re.compile(p, re.IGNORECASE) for p in _PEOPLE_LIST_HEADING.values()]


def _people_list_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """Each row of an annex list of persons met ("1. Davide BRUSCOLI Regional Data Hub Analyst")."""
    found: dict[int, list[Speaker]] = {}
    index = 0
    while index < len(paragraphs):
        if len(paragraphs[index]) < 200 and any(h.search(paragraphs[index]) for h in _PEOPLE_LIST_HEADING_RES):
            index = _read_people_rows(paragraphs, index + 1, found)
        index += 1
    return found


def _read_people_rows(paragraphs: list[str], start: int, found: dict[int, list[Speaker]]) -> int:
    """Attribute consecutive person rows from `start`; return the index of the last row read."""
    index, misses = start, 0
    while index < len(paragraphs) and misses <= 1:
        speaker = _person_row(paragraphs[index])
        if speaker:
            found.setdefault(index, []).append(speaker)
            misses = 0
        elif found.get(index - 1) or len(paragraphs[index].split()) > 4:
            misses += 2
        else:
            misses += 1
        index += 1
    return index - 1


_ROW_CELL_RE = re.compile(r"(?<!\s)\s++[-–|]\s++|\t|,\s++")


def _person_row(paragraph: str) -> Speaker | None:
    """Name, role and organisation of one list row; None when the row does not open with a person."""
    text = _strip_paragraph_number(paragraph).strip()
    parts = [p.strip() for p in _ROW_CELL_RE.split(text) if p.strip()]
    name = _leading_person(parts[0]) if parts else None
    if not name:
        return None
    rest = [parts[0][len(name):].strip()] + parts[1:]
    rest = [r for r in rest if r]
    if len(parts) == 1 and not any(w.isupper() and len(w) > 1 for w in name.split()[1:]):
        return None  # "Name Role" without separators is only trusted with an upper-case surname
    role, organisation = _role_and_organisation(rest, "")
    if rest and not role and not organisation:
        role = rest[0]
    return Speaker(name, role, organisation)


_DECISION_RES = {lang: re.compile(p, re.IGNORECASE) for lang, (_, p) in _MANAGEMENT_RESPONSE.items()}
_RESPONSIBLE_UNIT_RES = [re.compile(p, re.IGNORECASE) for p in _RESPONSIBLE_UNIT.values()]


def _management_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """Management's decision on each recommendation, and the unit responsible for it or its actions."""
    found: dict[int, list[Speaker]] = {}
    if not any(regex.search(p) for p in paragraphs for regex in _DECISION_RES.values()):
        return found
    for index, paragraph in enumerate(paragraphs):
        speakers = found.setdefault(index, [])
        for language, regex in _DECISION_RES.items():
            if regex.search(paragraph):
                speakers.append(Speaker(_MANAGEMENT_RESPONSE[language][0], "Management response", ""))
        label = next((m for m in (u.search(paragraph) for u in _RESPONSIBLE_UNIT_RES) if m), None)
        unit = _unit_phrase(paragraph[label.end():]) if label else _action_unit(paragraph)
        speakers.extend(_unit_speakers(unit))
    return found


_UNIT_TIME_RE = re.compile(r"^\s*\([^)]*\)\s*")
_UNIT_END_RE = re.compile(r"(?<!\s)\s++[–—-]\s++|(?:(?<!\s)\s++)?\(|(?<!\s)\s++(?:Management response|"
                          r"Réponse de la direction|Respuesta de la dirección)|,\s+ainsi que|,\s+as well as",
                          re.IGNORECASE)


def _unit_phrase(text: str) -> str:
    """"(Time 0) Équipes Programmes du PNUD et de l'OIM au niveau central (...) – ou ..." -> the unit."""
    text = _UNIT_TIME_RE.sub("", text)
    text = _UNIT_END_RE.split(text, maxsplit=1)[0]
    return _clean_phrase(text)


_UNIT_DASH_RE = re.compile(rf"\s[–—]\s*(?=(?:{'|'.join(w for table in _UNIT_HEADS.values() for w in table)})\b)",
                            re.IGNORECASE)


def _action_unit(paragraph: str) -> str:
    """The unit after the dash closing a key action ("1. Organiser ... – Équipes Programmes du PNUD ...")."""
    match = _UNIT_DASH_RE.search(paragraph)
    return _unit_phrase(paragraph[match.end():]) if match else ""


_ACRONYM_RE = re.compile(rf"\b[{_UPPER}]{{2,}}\b")


def _unit_speakers(unit: str) -> list[Speaker]:
    """One speaker per organisation acronym a responsible unit names ("... du PNUD et de l'OIM")."""
    if not unit or len(unit.split()) > 25:
        return []
    acronyms = list(dict.fromkeys(_ACRONYM_RE.findall(unit)))
    return [Speaker(unit, "Responsible unit", acronym) for acronym in acronyms] or [Speaker(unit, "Responsible unit", "")]


_DECLARATION_RE = [re.compile(p) for p in _DECLARATION_OPENING.values()]


_LIST_END_RE = re.compile(rf",\s+(?=[{_LOWER}])(?!(?:and|et|y|the|la|le|les|de|du|des|d['’]|el|los|las|del)\s)")


def declaration_speakers(paragraph: str, is_body) -> list[Speaker]:
    """The States of "We, the Heads of State and Government of X, Y and Z, gathered ..., reiterate"."""
    for regex in _DECLARATION_RE:
        match = regex.match(paragraph.strip())
        if not match:
            continue
        rest = paragraph.strip()[match.end():]
        end = _LIST_END_RE.search(rest)
        items = split_list_items(rest[: end.start()] if end else rest)
        role = _upper_first(match.group("role"))
        return [Speaker(item, role, item) for item in items if is_body(item)]
    return []
