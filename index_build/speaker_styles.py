"""Speakers of report styles other than meeting summaries: evaluations, UN committee reports, declarations.

Sentence finders return :class:`_Mention` objects for the registry of :mod:`index_build.speakers`:

* informants and evaluators ("Interviewees noted", "one regional staff member said", "according to the
  RDH team", "les personnes interrogées ont indiqué", "The evaluation found", "L'évaluation révèle");
* lists of States or bodies ("Several States, including X, Y and Z, stressed", "Representatives of X and Y
  recommended", "X, Y and Z stressed");
* untitled introductions, registered but silent ("Gladys Cisneros, Chief of ...", "the High Commissioner,
  Volker Türk,").

Document passes return speakers per paragraph: credit lines ("Author: X", "Commandé par : OIM et PNUD"), annex lists of persons met,
management-response entries and responsible units, declaration openings ("We, the Heads of State ...").
"""

from __future__ import annotations

import re
from collections import Counter

from index_build.speaker_lexicon import (
    _DOCUMENT_WORDS,
    _CAPITALISED_STOP_WORDS, _COLLECTIVE_DETERMINERS, _COMPANY_SUFFIXES, _CREDIT_LABELS, _DECLARATION_OPENING,
    _ENGLISH_SPEECH_LEMMAS, _ENGLISH_SPEECH_VERBS, _EVALUATION_SUBJECTS, _FINDING_FR, _FINDING_IRREGULAR_EN,
    _FINDING_LEMMAS_EN, _FRENCH_SPEECH_PARTICIPLES, _FRENCH_SPEECH_PRESENT, _INFORMANT_NOUNS, _INFORMANT_QUALIFIERS,
    _INSTITUTION_HEADS, _LIST_ITEM_ARTICLES, _LOWER, _MANAGEMENT_RESPONSE, _NAME_PARTICLES, _NOT_NAME_WORDS,
    _PEOPLE_LIST_HEADING, _PLURAL_PRESENT_FR, _PLURAL_REPRESENTATIVES, _RESPONSIBLE_UNIT, _ROLE_ALT,
    _ROLE_WORDS_FOLDED, _STATE_LIST_INTRO, _UNIT_HEADS, _UPPER, _alternation, _english_forms,
)
from index_build.speaker_text import _clean_phrase, _fold, _strip_paragraph_number, _upper_first
from index_build.speaker_types import Speaker, _Mention

_LANGUAGES = ("en", "fr")

# ---------------------------------------------------------------------------------------------
# Verbs of collective subjects (plural and present forms allowed, unlike single speakers)
# ---------------------------------------------------------------------------------------------

_COLLECTIVE_VERBS_EN = set().union(*(_english_forms(w) for w in _ENGLISH_SPEECH_LEMMAS + _FINDING_LEMMAS_EN))
_COLLECTIVE_VERBS_EN |= _ENGLISH_SPEECH_VERBS | _FINDING_IRREGULAR_EN
_COLLECTIVE_VERBS_FR = set(_FRENCH_SPEECH_PRESENT) | set(_PLURAL_PRESENT_FR) | set(_FINDING_FR)
_COLLECTIVE_VERB = (
    r"(?:(?:also|further|often|repeatedly|generally|consistently|largely|widely|all|both|strongly|"
    r"frequently|commonly|clearly|have|had|has|ont|a|avaient|avait|également|aussi|souvent)\s+){0,3}"
    r"(?:" + _alternation(_COLLECTIVE_VERBS_EN | _COLLECTIVE_VERBS_FR | set(_FRENCH_SPEECH_PARTICIPLES)) + r")"
    r"(?![\w’'])"
)
_INVERSION_EN = (r"(?:(?:echoed|noted|stated|reported|highlighted|mentioned|raised|confirmed|described|expressed|"
                 r"shared|emphasi[sz]ed|stressed|cited|underlined|acknowledged|suggested|recommended)\s+by"
                 r"|according\s+to|in\s+the\s+(?:view|words|opinion)\s+of)")
_INVERSION_FR = r"(?:selon|d['’]après|de l['’]avis d(?:e|es|u)|aux yeux d(?:e|es|u))"
_SUBJECT_START = r"(?:^|(?<=,\s)|(?<=\bthat\s)|(?<=\bque\s)|(?<=\bqu['’])|(?<=;\s))"


def _name_token(word: str, first: bool) -> bool:
    """True for a word that can belong to a person's name (capitalised, not a function or role word)."""
    bare = word.strip(",;:.()")
    folded = bare.casefold()
    if not bare or folded in _NOT_NAME_WORDS or folded in _ROLE_WORDS_FOLDED or folded in _INSTITUTION_HEADS:
        return False
    if bare in _CAPITALISED_STOP_WORDS or folded in _COMPANY_SUFFIXES:
        return False
    if bare.isupper() and len(bare) > 1:
        return not first
    return bool(re.fullmatch(rf"[{_UPPER}][{_LOWER}][{_UPPER}{_LOWER}’'\-]*", bare))


_NAME_WORD = rf"[{_UPPER}][{_UPPER}{_LOWER}’'\-]+"
_PERSON_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:{'|'.join(sorted(_NAME_PARTICLES - {'e', 'y', 'la', 'le', 'des'}))})\s+)?{_NAME_WORD}){{1,4}}"


def _clean_person_name(candidate: str) -> str | None:
    """A 2-5 token person name as written, or None ("Javier SANCHEZ", "Osman Can Ünver")."""
    words = candidate.split()
    if not 2 <= len(words) <= 6:
        return None
    capitalised = [w for w in words if w.casefold() not in _NAME_PARTICLES]
    if not _name_token(capitalised[0], first=True):
        return None
    for word in capitalised[1:]:
        if not (_name_token(word, first=False) or (word.isupper() and len(word) > 1 and word.isalpha())):
            return None
    return candidate


# ---------------------------------------------------------------------------------------------
# Informants and evaluators
# ---------------------------------------------------------------------------------------------

def _informant_pattern(language: str) -> str:
    """Regex source for "[determiner] [qualifiers] <informant noun>" in one language (acronyms stay upper-case)."""
    determiners = "|".join(_COLLECTIVE_DETERMINERS[language])
    qualifiers = rf"(?:(?:(?i:{'|'.join(_INFORMANT_QUALIFIERS[language])})|[{_UPPER}]{{2,}}[\w\-]*)\s+)"
    nouns = "|".join(_INFORMANT_NOUNS[language])
    return (rf"(?:(?i:{determiners})(?:\s+|(?<=['’])))?(?P<who>{qualifiers}{{0,3}}(?i:{nouns}))"
            rf"(?:\s+(?i:interviewed|consulted|met|interviewés|interrogés|rencontrés|interrogées|rencontrées))?")


_INFORMANT_SUBJECT_RE = [re.compile(rf"{_SUBJECT_START}{_informant_pattern(lang)}\s*,?\s+(?P<verb>{_COLLECTIVE_VERB})")
                         for lang in _LANGUAGES]
_INFORMANT_INVERSION_RE = [re.compile(rf"\b(?i:{_INVERSION_EN}|{_INVERSION_FR})\s+{_informant_pattern(lang)}\b")
                           for lang in _LANGUAGES]
_EVALUATION_RE = {lang: re.compile(rf"{_SUBJECT_START}(?i:{pattern})\s+(?P<verb>{_COLLECTIVE_VERB})")
                  for lang, (_, pattern) in _EVALUATION_SUBJECTS.items()}
_EVALUATION_INVERSION_RE = {lang: re.compile(rf"\b(?:{_INVERSION_EN}|{_INVERSION_FR})\s+(?:{pattern})\b", re.IGNORECASE)
                            for lang, (_, pattern) in _EVALUATION_SUBJECTS.items()}


def _informant_speaker_name(who: str) -> tuple[str, str]:
    """("Regional staff member", "") / ("EHSA RDH team", "EHSA RDH") from the matched noun phrase."""
    words = _clean_phrase(who).split()
    named = [w for i, w in enumerate(words) if (w.isupper() and len(w) > 1) or (i > 0 and w[0].isupper())]
    return _upper_first(" ".join(words)), " ".join(named)


def find_informant_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """Interviewees, staff and teams speaking ("Interviewees noted", "selon les personnes interrogées")."""
    mentions: list[_Mention] = []
    for regex in _INFORMANT_SUBJECT_RE + _INFORMANT_INVERSION_RE:
        for match in regex.finditer(sentence):
            if _overlaps(match.span(), taken) or not match.group("who").strip():
                continue
            if _is_pronoun_object(sentence, match):
                continue
            name, organisation = _informant_speaker_name(match.group("who"))
            mentions.append(_Mention(name=name, organisation=organisation, kind="body",
                                     start=match.start(), end=match.end()))
            taken = taken + [match.span()]
    return mentions


def _is_pronoun_object(sentence: str, match: re.Match) -> bool:
    """True when "team" etc. is part of a larger noun phrase ("the data team's report", "team of ...")."""
    after = sentence[match.end("who"):match.end("who") + 3]
    return after.startswith(("’s", "'s", " of"))


def find_evaluation_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """The evaluators as speakers ("The evaluation found", "L'équipe d'évaluation constate")."""
    mentions: list[_Mention] = []
    for language, (name, _) in _EVALUATION_SUBJECTS.items():
        for regex in (_EVALUATION_RE[language], _EVALUATION_INVERSION_RE[language]):
            match = regex.search(sentence)
            if match and not _overlaps(match.span(), taken):
                mentions.append(_Mention(name=name, kind="body", start=match.start(), end=match.end()))
                return mentions
    return mentions


# ---------------------------------------------------------------------------------------------
# Lists of States, delegations and representatives
# ---------------------------------------------------------------------------------------------

def split_list_items(text: str) -> list[str]:
    """"the Argentine Republic, Barbados, and the Republic of Chile" -> names without articles."""
    parts = [p.strip() for p in re.split(r"\s*[,;]\s*", text) if p.strip()]
    if parts and not re.match(r"(?:and|et)\s", parts[-1]):
        last = re.split(rf"\s(?:and|et)\s(?={_LIST_ITEM_ARTICLES}[{_UPPER}])", parts[-1])
        parts = parts[:-1] + last
    items = []
    for part in parts:
        item = re.sub(rf"^{_LIST_ITEM_ARTICLES}", "", part.strip(), flags=re.IGNORECASE).strip(" .")
        item = re.split(rf"\s(?:and|et)\s+(?=[{_LOWER}])", item)[0]
        if item and item[0].isupper():
            items.append(item)
    return items


_LIST_BODY = rf"(?P<list>[{_UPPER}][^.;:]{{1,400}}?)"
_STATE_LIST_RE = [re.compile(rf"{_SUBJECT_START}(?i:{_STATE_LIST_INTRO[lang]})\s+(?:the\s+|le\s+|la\s+|les\s+|l['’])?{_LIST_BODY},?\s+(?P<verb>{_COLLECTIVE_VERB})")
                  for lang in _LANGUAGES]
_REPRESENTATIVES_RE = [re.compile(rf"{_SUBJECT_START}(?i:{_PLURAL_REPRESENTATIVES[lang]})\s+(?:the\s+)?{_LIST_BODY}\s+"
                                  rf"(?P<verb>{_COLLECTIVE_VERB})") for lang in _LANGUAGES]
_LIST_ITEM = (rf"[{_UPPER}][\w’'\-]*(?:\s+(?:of|the|and|de|du|des|la|le|d['’]|l['’])?\s*[{_UPPER}][\w’'\-]*"
              rf"|\s+\([^()]{{1,40}}\)){{0,5}}")
_BARE_LIST_RE = re.compile(
    rf"^(?:The\s+)?(?P<list>{_LIST_ITEM}(?:\s*,\s*(?:the\s+)?{_LIST_ITEM})*\s*,?\s+(?:and|et)\s+"
    rf"(?:the\s+|la\s+|le\s+|l['’])?{_LIST_ITEM})\s+(?P<verb>{_COLLECTIVE_VERB})"
)


def find_list_mentions(sentence: str, taken: list[tuple[int, int]], is_body) -> list[_Mention]:
    """Each State of "Several States, including X, Y and Z, stressed" (and "Representatives of X and Y")."""
    for regex, role in [(r, "") for r in _STATE_LIST_RE] + [(r, "Representative") for r in _REPRESENTATIVES_RE]:
        match = regex.search(sentence)
        if match and not _overlaps(match.span(), taken):
            return _list_mentions(match, role, is_body)
    match = _BARE_LIST_RE.match(sentence)
    if match and not _overlaps(match.span(), taken):
        items = split_list_items(match.group("list"))
        if len(items) >= 2 and all(is_body(item) and len(item.split()) <= 6 for item in items):
            return _list_mentions(match, "", is_body)
    return []


def _list_mentions(match: re.Match, role: str, is_body) -> list[_Mention]:
    """One mention per listed body, sharing a group so they are read together."""
    mentions = []
    for item in split_list_items(match.group("list")):
        if not is_body(item):
            continue
        name = f"{role} of {item}" if role else item
        mentions.append(_Mention(name=name, role=role, organisation=item, kind="body",
                                 start=match.start(), end=match.end(), group=match.start()))
    return mentions


# ---------------------------------------------------------------------------------------------
# Untitled introductions (registered for full names and role aliases, silent themselves)
# ---------------------------------------------------------------------------------------------

_ROLE_LEAD = rf"(?:the\s+|le\s+|la\s+|l['’])?(?:(?:Committee|Comité)\s+)?(?:{_ROLE_ALT}|member|membre|former|ancien|ancienne)\b"
_NAME_THEN_ROLE_RE = re.compile(
    rf"(?:^|(?<=,\s)|(?<=\b(?:with|from|avec))\s|(?<=\b(?:by|of|to|de|et))\s|(?<=\b(?:and|par))\s)(?P<name>{_PERSON_NAME}),\s+"
    rf"(?P<role>{_ROLE_LEAD}[^,;]{{0,160}})"
)
_ROLE_THEN_NAME_RE = re.compile(
    rf"\b(?:the|le|la|l['’])\s*(?P<role>[^,;]{{0,40}}?\b(?:{_ROLE_ALT})\b[^,;]{{0,200}}?),\s+(?P<name>{_PERSON_NAME})"
    rf"(?=\s*(?:[,.;)]|$))"
)


def find_untitled_introductions(sentence: str, taken: list[tuple[int, int]], split_role) -> list[_Mention]:
    """People named without a title but with a role ("Gladys Cisneros, Chief of ..."), not speaking."""
    mentions = []
    for regex in (_NAME_THEN_ROLE_RE, _ROLE_THEN_NAME_RE):
        for match in regex.finditer(sentence):
            name = _clean_person_name(match.group("name"))
            if not name or _overlaps(match.span("name"), taken):
                continue
            role_text = re.sub(r"^(?:the|le|la|l['’])\s*", "", match.group("role").strip(), flags=re.I)
            role_text = re.split(rf"\s+(?:and|et)\s+(?=(?:{_ROLE_ALT})\b)", role_text)[0]
            role, organisation = split_role(role_text)
            if not organisation:
                role = role or role_text
            mentions.append(_Mention(name=name, role=role, organisation=organisation, speaking=False,
                                     start=match.start("name"), end=match.end("name")))
            taken = taken + [match.span("name")]
    return mentions


# ---------------------------------------------------------------------------------------------
# Full names and the report's own body
# ---------------------------------------------------------------------------------------------

def full_name_in_text(short: str, text: str) -> str | None:
    """The fullest "Given [Given] Surname" form of a surname found in the report ("Diallo" -> "Fatimata Diallo")."""
    pattern = rf"(?<![\w.’'\-])((?:{_NAME_WORD} +){{1,3}}){re.escape(short)}(?![\w’'\-])"
    found: Counter[str] = Counter()
    for match in re.finditer(pattern, text):
        given = match.group(1).split()
        while given and not _name_token(given[0], first=True):
            given = given[1:]
        if given and all(_name_token(w, first=False) for w in given):
            found[" ".join(given + [short])] += 1
    if not found:
        return None
    return max(found, key=lambda name: (found[name], len(name)))


_OWN_BODY_HEADS = "Committee|Commission|Council|Board|Conference|Assembly|Comité|Conseil|Conférence|Assemblée"
_OWN_BODY_RE = re.compile(
    rf"\b(?P<head>{_OWN_BODY_HEADS})\s+(?:on|of|for|against|de|du|des|sur|pour|contre)\s+[^.;:()\n]{{3,160}}")


def own_body_names(paragraphs: list[str], limit: int = 12) -> dict[str, str]:
    """Folded head ("committee") -> the report's own body as its title names it."""
    names: dict[str, str] = {}
    for paragraph in paragraphs[:limit]:
        if len(paragraph) > 250 or paragraph.rstrip().endswith((".", ":")) or re.match(r"\s*\d", paragraph):
            continue  # only title lines name the report's own body
        for match in _OWN_BODY_RE.finditer(paragraph):
            names.setdefault(_fold(match.group("head")), _clean_phrase(match.group()))
    return names


def document_acronyms(text: str) -> set[str]:
    """Acronyms the report defines as documents ("Migration Data Strategy (MDS)"): topics, never speakers."""
    acronyms = set()
    for match in re.finditer(rf"((?:[{_UPPER}][\w\-]*\s+(?:(?:of|on|for|and|de|du|des|la|le)\s+)?){{1,8}})\(([{_UPPER}]{{2,}})\)", text):
        if any(word.casefold() in _DOCUMENT_WORDS for word in match.group(1).split()):
            acronyms.add(match.group(2))
    return acronyms


# ---------------------------------------------------------------------------------------------
# Document passes: credits, lists of persons met, management responses, declarations
# ---------------------------------------------------------------------------------------------

def structural_speakers(paragraphs: list[str], is_body) -> list[list[Speaker]]:
    """Speakers given by the layout of a report rather than by speech verbs, per paragraph."""
    result: list[list[Speaker]] = [[] for _ in paragraphs]
    for finder in (_credit_speakers, _people_list_speakers, _management_speakers):
        for index, speakers in finder(paragraphs).items():
            result[index].extend(s for s in speakers if s not in result[index])
    for index, paragraph in enumerate(paragraphs[:5]):
        result[index].extend(s for s in declaration_speakers(paragraph, is_body) if s not in result[index])
    return result


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


def credited_organisations(text: str, label_role: str) -> list[Speaker]:
    """One speaker per organisation of "OIM et PNUD en Haïti et République dominicaine" (name = organisation)."""
    text = re.split(r"\s+(?:en|in|au|aux|à|at|pour|for|dans|on behalf of)(?:\s+|$)", text.strip().rstrip("."),
                    maxsplit=1)[0]
    parts = re.split(r"\s*[,;/&]\s*|\s+(?:and|et)\s+", text)
    items = [re.sub(r"^(?:the|le|la|les|l['’])\s*", "", _clean_phrase(p), flags=re.IGNORECASE) for p in parts]
    items = [item for item in items if item]
    if not items or not all(_credited_body(item) for item in items):
        return []
    return [Speaker(item, label_role, item) for item in dict.fromkeys(items)]


def _credited_body(item: str) -> bool:
    """An acronym or an organisation name ("UNHCR Evaluation Service", "Comité de pilotage"), not a person."""
    words = item.split()
    if len(words) > 8 or not words[0][:1].isupper():
        return False
    if re.fullmatch(rf"[{_UPPER}][{_UPPER}0-9\-]+", words[0].strip("()")):
        return True
    return _organisation_like(item)


def _until_next_label(text: str) -> str:
    """Text up to the next "Label :" of a run-on information box ("X Dates des visites : ...")."""
    match = re.search(r"\s(?:[\w’'()]+\s){0,5}[\w’'()]+\s?:\s", text)
    return text[: match.start()] if match else text


_DEGREES = {"ph.d", "phd", "ph.d.", "msc", "m.sc", "ma", "mba", "md", "dr"}


def _credited_people(text: str, label_role: str) -> list[Speaker]:
    """"X, Y, and Z" (a list of people) or "X, role, organisation" after a credit label."""
    segments = [s.strip() for s in re.split(r",\s*|\s+[-–]\s+", text.strip().rstrip(".")) if s.strip()]
    segments = [re.sub(r"^(?:and|et)\s+", "", s) for s in segments if s.casefold().strip(". ") not in _DEGREES]
    first = _leading_person(segments[0]) if segments else None
    if not first:
        return []
    people = [first]
    for segment in segments[1:]:
        names = [_leading_person(part) for part in re.split(r"\s+(?:and|et)\s+", segment)]
        if all(names) and " and ".join(names) in (segment, segment.replace(" et ", " and ")) \
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
        if not (_name_token(bare, first=not words) or (words and is_upper) or (words and bare in _NAME_PARTICLES)):
            break
        words.append(bare)
        seen_upper = seen_upper or is_upper
        if len(words) == 5:
            break
    return _clean_person_name(" ".join(words)) if len(words) >= 2 else None


def _organisation_like(text: str) -> bool:
    """True for "Data Conscious Ltd", "IOM Haiti", "Regional Office": bodies, not people."""
    words = text.split()
    if not words:
        return False
    head = words[0].strip("()")
    return (head.isupper() and len(head) > 1 or head.casefold() in _INSTITUTION_HEADS and head[0].isupper()
            or any(w.casefold().strip(".") in _COMPANY_SUFFIXES for w in words))


def _role_and_organisation(segments: list[str], default_role: str) -> tuple[str, str]:
    """Role and organisation from the segments after a credited name."""
    role, organisation = default_role, ""
    for segment in segments:
        if _organisation_like(segment) and not organisation and not re.search(rf"\b(?:{_ROLE_ALT}|Officer|Analyst)\b", segment):
            organisation = segment
        elif role == default_role and not re.search(r"[@/]|\d", segment):
            role = segment
    return role, organisation


def _people_list_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """Each row of an annex list of persons met ("1. Davide BRUSCOLI Regional Data Hub Analyst")."""
    headings = [re.compile(p, re.IGNORECASE) for p in _PEOPLE_LIST_HEADING.values()]
    found: dict[int, list[Speaker]] = {}
    index = 0
    while index < len(paragraphs):
        if len(paragraphs[index]) < 200 and any(h.search(paragraphs[index]) for h in headings):
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


def _person_row(paragraph: str) -> Speaker | None:
    """Name, role and organisation of one list row; None when the row does not open with a person."""
    text = _strip_paragraph_number(paragraph).strip()
    parts = [p.strip() for p in re.split(r"\s+[-–|]\s+|\t|,\s+", text) if p.strip()]
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


def _management_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """Management's decision on each recommendation, and the unit responsible for it or its actions."""
    found: dict[int, list[Speaker]] = {}
    decisions = {lang: re.compile(p, re.IGNORECASE) for lang, (_, p) in _MANAGEMENT_RESPONSE.items()}
    if not any(regex.search(p) for p in paragraphs for regex in decisions.values()):
        return found
    units = [re.compile(p, re.IGNORECASE) for p in _RESPONSIBLE_UNIT.values()]
    for index, paragraph in enumerate(paragraphs):
        speakers = found.setdefault(index, [])
        for language, regex in decisions.items():
            if regex.search(paragraph):
                speakers.append(Speaker(_MANAGEMENT_RESPONSE[language][0], "Management response", ""))
        label = next((m for m in (u.search(paragraph) for u in units) if m), None)
        unit = _unit_phrase(paragraph[label.end():]) if label else _action_unit(paragraph)
        speakers.extend(_unit_speakers(unit))
    return found


def _unit_phrase(text: str) -> str:
    """"(Time 0) Équipes Programmes du PNUD et de l'OIM au niveau central (...) – ou ..." -> the unit."""
    text = re.sub(r"^\s*\([^)]*\)\s*", "", text)
    text = re.split(r"\s+[–—-]\s+|\s*\(|\s+(?:Management response|Réponse de la direction)|,\s+ainsi que|,\s+as well as",
                    text, maxsplit=1, flags=re.IGNORECASE)[0]
    return _clean_phrase(text)


def _action_unit(paragraph: str) -> str:
    """The unit after the dash closing a key action ("1. Organiser ... – Équipes Programmes du PNUD ...")."""
    heads = "|".join(w for table in _UNIT_HEADS.values() for w in table)
    match = re.search(rf"\s[–—]\s*(?=(?:{heads})\b)", paragraph, re.IGNORECASE)
    return _unit_phrase(paragraph[match.end():]) if match else ""


def _unit_speakers(unit: str) -> list[Speaker]:
    """One speaker per organisation acronym a responsible unit names ("... du PNUD et de l'OIM")."""
    if not unit or len(unit.split()) > 25:
        return []
    acronyms = list(dict.fromkeys(re.findall(rf"\b[{_UPPER}]{{2,}}\b", unit)))
    return [Speaker(unit, "Responsible unit", acronym) for acronym in acronyms] or [Speaker(unit, "Responsible unit", "")]


_DECLARATION_RE = [re.compile(p) for p in _DECLARATION_OPENING.values()]


def declaration_speakers(paragraph: str, is_body) -> list[Speaker]:
    """The States of "We, the Heads of State and Government of X, Y and Z, gathered ..., reiterate"."""
    for regex in _DECLARATION_RE:
        match = regex.match(paragraph.strip())
        if not match:
            continue
        rest = paragraph.strip()[match.end():]
        end = re.search(rf",\s+(?=[{_LOWER}])(?!(?:and|et|the|la|le|les|de|du|des|d['’])\s)", rest)
        items = split_list_items(rest[: end.start()] if end else rest)
        role = _upper_first(match.group("role"))
        return [Speaker(item, role, item) for item in items if is_body(item)]
    return []


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    """True if `span` intersects any span in `taken`."""
    return any(span[0] < end and start < span[1] for start, end in taken)
