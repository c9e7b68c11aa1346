"""Speakers of report styles other than meeting summaries: evaluations, UN committee reports, declarations.

Sentence finders return :class:`_Mention` objects for the registry of :mod:`index_build.speakers`:

* informants and evaluators ("Interviewees noted", "one regional staff member said", "according to the
  RDH team", "les personnes interrogées ont indiqué", "Las personas entrevistadas señalaron", "The evaluation
  found", "L'évaluation révèle"), and members of an assembly speaking as one body ("Los eurodiputados piden");
* lists of States or bodies ("Several States, including X, Y and Z, stressed", "Representatives of X and Y
  recommended", "X, Y and Z stressed");
* untitled introductions, registered but silent ("Gladys Cisneros, Chief of ...", "the High Commissioner,
  Volker Türk,").

Name helpers shared with :mod:`index_build.speaker_layout` (the document passes: credit lines, lists of persons
met, management responses, declarations): :func:`is_name_token`, :func:`clean_person_name`, :func:`split_list_items`.
"""

from __future__ import annotations

import re
from collections import Counter

from index_build.speaker_lexicon import (
    _alternation, _DOCUMENT_WORDS, _english_forms, _ENGLISH_SPEECH_LEMMAS, _ENGLISH_SPEECH_VERBS,
    _FRENCH_SPEECH_PARTICIPLES, _FRENCH_SPEECH_PRESENT, _INSTITUTION_HEADS, _LOWER, _NAME_PARTICLES, _NOT_NAME_WORDS,
    _ROLE_ALT, _ROLE_WORDS_FOLDED, _SPANISH_SPEECH_PARTICIPLES, _SPANISH_SPEECH_PHRASES, _SPANISH_SPEECH_VERBS, _UPPER,
    with_own_article,
)
from index_build.speaker_style_lexicon import (
    _ASSEMBLY_MEMBERS, _CAPITALISED_STOP_WORDS, _COLLECTIVE_DETERMINERS, _COMPANY_SUFFIXES, _EVALUATION_SUBJECTS,
    _FINDING_ES, _FINDING_FR, _FINDING_IRREGULAR_EN, _FINDING_LEMMAS_EN, _INFORMANT_NOUNS, _INFORMANT_POST_QUALIFIERS,
    _INFORMANT_QUALIFIERS, _LIST_ITEM_ARTICLES, _PLURAL_PRESENT_FR, _PLURAL_REPRESENTATIVES, _STATE_LIST_INTRO,
)
from index_build.speaker_text import _clean_phrase, _overlaps, _upper_first
from index_build.speaker_types import _Mention
from index_build.text import fold_accents

_LANGUAGES = ("en", "fr", "es")

# ---------------------------------------------------------------------------------------------
# Verbs of collective subjects (plural and present forms allowed, unlike single speakers)
# ---------------------------------------------------------------------------------------------

_COLLECTIVE_VERBS_EN = set().union(*(_english_forms(w) for w in _ENGLISH_SPEECH_LEMMAS + _FINDING_LEMMAS_EN))
_COLLECTIVE_VERBS_EN |= _ENGLISH_SPEECH_VERBS | _FINDING_IRREGULAR_EN
_COLLECTIVE_VERBS_FR = set(_FRENCH_SPEECH_PRESENT) | set(_PLURAL_PRESENT_FR) | set(_FINDING_FR)
_COLLECTIVE_VERBS_ES = _SPANISH_SPEECH_VERBS | set(_SPANISH_SPEECH_PHRASES) | set(_FINDING_ES)
_COLLECTIVE_VERB = (
    r"(?:(?:also|further|often|repeatedly|generally|consistently|largely|widely|all|both|strongly|"
    r"frequently|commonly|clearly|have|had|has|ont|a|avaient|avait|également|aussi|souvent|"
    r"también|además|asimismo|ha|han|había|habían|a menudo|generalmente|todos|todas)\s+){0,3}"
    r"(?:" + _alternation(_COLLECTIVE_VERBS_EN | _COLLECTIVE_VERBS_FR | set(_FRENCH_SPEECH_PARTICIPLES)
                          | _COLLECTIVE_VERBS_ES | _SPANISH_SPEECH_PARTICIPLES) + r")"
    r"(?![\w’'])"
)
_INVERSION_EN = (r"(?:(?:echoed|noted|stated|reported|highlighted|mentioned|raised|confirmed|described|expressed|"
                 r"shared|emphasi[sz]ed|stressed|cited|underlined|acknowledged|suggested|recommended)\s+by"
                 r"|according\s+to|in\s+the\s+(?:view|words|opinion)\s+of)")
_INVERSION_FR = r"(?:selon|d['’]après|de l['’]avis d(?:e|es|u)|aux yeux d(?:e|es|u))"
_INVERSION_ES = r"(?:según|de acuerdo con|en opinión de|a juicio de|a ojos de|en palabras de)"
_INVERSIONS = rf"(?:{_INVERSION_EN}|{_INVERSION_FR}|{_INVERSION_ES})"
_SUBJECT_START = r"(?:^|(?<=,\s)|(?<=\bthat\s)|(?<=\bque\s)|(?<=\bqu['’])|(?<=;\s))"


_CAPITALISED_NAME_RE = re.compile(rf"[{_UPPER}][{_LOWER}][{_UPPER}{_LOWER}’'\-]*")


def is_name_token(word: str, first: bool) -> bool:
    """True for a word that can belong to a person's name (capitalised, not a function or role word)."""
    bare = word.strip(",;:.()")
    folded = bare.casefold()
    if not bare or folded in _NOT_NAME_WORDS or folded in _ROLE_WORDS_FOLDED or folded in _INSTITUTION_HEADS:
        return False
    if bare in _CAPITALISED_STOP_WORDS or folded in _COMPANY_SUFFIXES:
        return False
    if bare.isupper() and len(bare) > 1:
        return not first
    return bool(_CAPITALISED_NAME_RE.fullmatch(bare))


_NAME_WORD = rf"[{_UPPER}][{_UPPER}{_LOWER}’'\-]+"
_PERSON_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:{'|'.join(sorted(_NAME_PARTICLES - {'e', 'y', 'la', 'le', 'des'}))})\s+)?{_NAME_WORD}){{1,4}}"


def clean_person_name(candidate: str) -> str | None:
    """A 2-5 token person name as written, or None ("Javier SANCHEZ", "Osman Can Ünver")."""
    words = candidate.split()
    if not 2 <= len(words) <= 6:
        return None
    capitalised = [w for w in words if w.casefold() not in _NAME_PARTICLES]
    if not is_name_token(capitalised[0], first=True):
        return None
    for word in capitalised[1:]:
        if not (is_name_token(word, first=False) or (word.isupper() and len(word) > 1 and word.isalpha())):
            return None
    return candidate


# ---------------------------------------------------------------------------------------------
# Informants and evaluators
# ---------------------------------------------------------------------------------------------

def _informant_pattern(language: str) -> str:
    """Regex source for "[determiner] [qualifiers] <informant noun>" in one language (acronyms stay upper-case)."""
    determiners = "|".join(_COLLECTIVE_DETERMINERS[language])
    # an acronym-led word is taken whole ("{2,}+", "*+"): a word of 40 000 capitals costs its length, not its square
    qualifiers = (rf"(?:(?:(?i:{'|'.join(_INFORMANT_QUALIFIERS[language])})|[{_UPPER}]{{2,}}+[\w\-]*+)\s+)"
                  if _INFORMANT_QUALIFIERS[language] else rf"(?:[{_UPPER}]{{2,}}+[\w\-]*+\s+)")
    nouns = "|".join(_INFORMANT_NOUNS[language] + _ASSEMBLY_MEMBERS[language])
    after = "|".join(_INFORMANT_POST_QUALIFIERS[language])
    post = rf"(?:\s+(?i:{after})){{0,2}}" if after else ""
    return (rf"(?:(?i:{determiners})(?:\s+|(?<=['’])))?(?P<who>{qualifiers}{{0,3}}(?i:{nouns}){post})"
            rf"(?:\s+(?i:interviewed|consulted|met|interviewés|interrogés|rencontrés|interrogées|rencontrées|"
            rf"entrevistad[oa]s|consultad[oa]s))?")


_INFORMANT_SUBJECT_RE = [re.compile(rf"{_SUBJECT_START}{_informant_pattern(lang)}\s*,?\s+(?P<verb>{_COLLECTIVE_VERB})")
                         for lang in _LANGUAGES]
_INFORMANT_INVERSION_RE = [re.compile(rf"\b(?i:{_INVERSIONS})\s+{_informant_pattern(lang)}\b") for lang in _LANGUAGES]
_EVALUATION_RE = {lang: re.compile(rf"{_SUBJECT_START}(?i:{pattern})\s+(?P<verb>{_COLLECTIVE_VERB})")
                  for lang, (_, pattern) in _EVALUATION_SUBJECTS.items()}
_EVALUATION_INVERSION_RE = {lang: re.compile(rf"\b{_INVERSIONS}\s+(?:{pattern})\b", re.IGNORECASE)
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
            plural = _is_plural_noun_phrase(match.group("who"))
            mentions.append(_Mention(name=name, organisation=organisation, kind="body", plural=plural,
                                     start=match.start(), end=match.end()))
            taken = taken + [match.span()]
    return mentions


_PLURAL_NOUNS = {noun.casefold() for table in (_INFORMANT_NOUNS, _ASSEMBLY_MEMBERS) for nouns in table.values()
                 for noun in nouns if noun.split()[0].endswith(("s", "x"))}


def _is_plural_noun_phrase(who: str) -> bool:
    """True for "personas entrevistadas", "eurodéputés", "Interviewees": a group that plural pronouns go on with."""
    folded = _clean_phrase(who).casefold()
    return any(folded == noun or folded.endswith(" " + noun) or folded.startswith(noun + " ") for noun in _PLURAL_NOUNS)


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

_LIST_CUT_RE = re.compile(r"(?:(?<!\s)\s++)?[,;]\s*+")
_LEADING_AND_RE = re.compile(r"(?:and|et|y|e)\s")
_LAST_ITEM_CUT_RE = re.compile(rf"\s(?:and|et|y|e)\s(?={_LIST_ITEM_ARTICLES}[{_UPPER}])")
_LIST_ITEM_ARTICLE_RE = re.compile(rf"^{_LIST_ITEM_ARTICLES}", re.IGNORECASE)
_ITEM_TAIL_RE = re.compile(rf"\s(?:and|et|y|e)\s+(?=[{_LOWER}])")


def split_list_items(text: str) -> list[str]:
    """"the Argentine Republic, Barbados, and the Republic of Chile" -> names without articles."""
    parts = [p.strip() for p in _LIST_CUT_RE.split(text) if p.strip()]
    if parts and not _LEADING_AND_RE.match(parts[-1]):
        last = _LAST_ITEM_CUT_RE.split(parts[-1])
        parts = parts[:-1] + last
    items = []
    for part in parts:
        bare = _LIST_ITEM_ARTICLE_RE.sub("", part.strip()).strip(" .")
        item = with_own_article(part.strip(), len(part.strip()) - len(bare), bare) if bare else bare
        item = _ITEM_TAIL_RE.split(item)[0]
        if item and item[0].isupper():
            items.append(item)
    return items


_LIST_BODY = rf"(?P<list>[{_UPPER}][^.;:]{{1,400}}?)"
_STATE_LIST_RE = [re.compile(rf"{_SUBJECT_START}(?i:{_STATE_LIST_INTRO[lang]})\s+"
                             rf"(?:the\s+|le\s+|la\s+|les\s+|l['’]|el\s+|los\s+|las\s+)?{_LIST_BODY},?\s+"
                             rf"(?P<verb>{_COLLECTIVE_VERB})")
                  for lang in _LANGUAGES]
_REPRESENTATIVES_RE = [re.compile(rf"{_SUBJECT_START}(?i:{_PLURAL_REPRESENTATIVES[lang]})\s+(?:the\s+|el\s+)?{_LIST_BODY}\s+"
                                  rf"(?P<verb>{_COLLECTIVE_VERB})") for lang in _LANGUAGES]
_LIST_ITEM = (rf"[{_UPPER}][\w’'\-]*(?:\s+(?:of|the|and|de|du|des|la|le|d['’]|l['’]|del|los|las)?\s*[{_UPPER}][\w’'\-]*"
              rf"|\s+\([^()]{{1,40}}\)){{0,5}}")
_BARE_LIST_RE = re.compile(
    rf"^(?:The\s+)?(?P<list>{_LIST_ITEM}(?:\s*,\s*(?:the\s+|el\s+)?{_LIST_ITEM})*\s*,?\s+(?:and|et|y|e)\s+"
    rf"(?:the\s+|la\s+|le\s+|l['’]|el\s+)?{_LIST_ITEM})\s+(?P<verb>{_COLLECTIVE_VERB})"
)


def find_list_mentions(sentence: str, taken: list[tuple[int, int]], is_body) -> list[_Mention]:
    """Each State of "Several States, including X, Y and Z, stressed" (and "Representatives of X and Y")."""
    for regex, role, language in ([(r, "", "en") for r in _STATE_LIST_RE]
                                  + [(r, _REPRESENTATIVE[lang], lang) for r, lang in zip(_REPRESENTATIVES_RE, _LANGUAGES)]):
        match = regex.search(sentence)
        if match and not _overlaps(match.span(), taken):
            return _list_mentions(match, role, is_body, language)
    match = _BARE_LIST_RE.match(sentence)
    if match and not _overlaps(match.span(), taken):
        items = split_list_items(match.group("list"))
        if len(items) >= 2 and all(is_body(item) and len(item.split()) <= 6 for item in items):
            return _list_mentions(match, "", is_body)
    return []


_REPRESENTATIVE = {"en": "Representative", "fr": "Representative", "es": "Representante"}
_OF = {"en": "of", "fr": "of", "es": "de"}


def _list_mentions(match: re.Match, role: str, is_body, language: str = "en") -> list[_Mention]:
    """One mention per listed body, sharing a group so they are read together."""
    mentions = []
    for item in split_list_items(match.group("list")):
        if not is_body(item):
            continue
        name = f"{role} {_OF[language]} {item}" if role else item
        mentions.append(_Mention(name=name, role=role, organisation=item, kind="body",
                                 start=match.start(), end=match.end(), group=match.start()))
    return mentions


# ---------------------------------------------------------------------------------------------
# Untitled introductions (registered for full names and role aliases, silent themselves)
# ---------------------------------------------------------------------------------------------

_ROLE_LEAD = (rf"(?:the\s+|le\s+|la\s+|l['’]|el\s+)?(?:(?:Committee|Comité)\s+)?(?:{_ROLE_ALT}|member|membre|former|"
              rf"ancien|ancienne|miembro|exministr[oa])\b")
_NAME_THEN_ROLE_RE = re.compile(
    rf"(?:^|(?<=,\s)|(?<=\b(?:with|from|avec))\s|(?<=\b(?:by|of|to|de|et))\s|(?<=\b(?:and|par|con|por|del))\s"
    rf"|(?<=\by)\s)(?P<name>{_PERSON_NAME}),\s+"
    rf"(?P<role>{_ROLE_LEAD}[^,;]{{0,160}})"
)
_ROLE_THEN_NAME_RE = re.compile(
    rf"\b(?:the|le|la|l['’]|el)\s*(?P<role>[^,;]{{0,40}}?\b(?:{_ROLE_ALT})\b[^,;]{{0,200}}?),\s+(?P<name>{_PERSON_NAME})"
    rf"(?=\s*(?:[,.;)]|$))"
)


_ROLE_ARTICLE_RE = re.compile(r"^(?:the|le|la|l['’]|el)\s*", re.I)
_NEXT_ROLE_RE = re.compile(rf"(?<!\s)\s++(?:and|et|y)\s++(?=(?:{_ROLE_ALT})\b)")


def find_untitled_introductions(sentence: str, taken: list[tuple[int, int]], split_role) -> list[_Mention]:
    """People named without a title but with a role ("Gladys Cisneros, Chief of ..."), not speaking."""
    mentions = []
    for regex in (_NAME_THEN_ROLE_RE, _ROLE_THEN_NAME_RE):
        for match in regex.finditer(sentence):
            name = clean_person_name(match.group("name"))
            if not name or _overlaps(match.span("name"), taken):
                continue
            role_text = _ROLE_ARTICLE_RE.sub("", match.group("role").strip())
            role_text = _NEXT_ROLE_RE.split(role_text)[0]
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

def full_name_pattern(short: str) -> re.Pattern:
    """"Given [Given] Surname" forms of a surname: up to three name words before it."""
    return re.compile(rf"(?<![\w.’'\-])((?:{_NAME_WORD} +){{1,3}}){re.escape(short)}(?![\w’'\-])")


_PORTFOLIO_END_RE = re.compile(r"\b(?:of|for|de|du|des|del)\s+$")


def full_name_in_text(short: str, text: str) -> str | None:
    """The fullest "Given [Given] Surname" form of a surname found in the report ("Diallo" -> "Fatimata Diallo")."""
    found: Counter[str] = Counter()
    for match in full_name_pattern(short).finditer(text):
        given = match.group(1).split()
        while given and not is_name_token(given[0], first=True):
            given = given[1:]
        if len(given) >= 2 and _PORTFOLIO_END_RE.search(text[max(0, match.start() - 5):match.start()]):
            given = given[1:]  # "Secretary of Labour Ingrid Halvorsen": "Labour" ends the portfolio, not a given name
        if given and all(is_name_token(w, first=False) for w in given):
            found[" ".join(given + [short])] += 1
    if not found:
        return None
    return max(found, key=lambda name: (found[name], len(name)))


_OWN_BODY_HEADS = ("Committee|Commission|Council|Board|Conference|Assembly|Comité|Conseil|Conférence|Assemblée"
                   "|Comisión|Consejo|Junta|Conferencia|Asamblea")
_OWN_BODY_RE = re.compile(
    rf"\b(?P<head>{_OWN_BODY_HEADS})\s+(?:on|of|for|against|de|du|des|sur|pour|contre|del|sobre|para|contra)\s+"
    rf"[^.;:()\n]{{3,160}}")


_LEADING_NUMBER_RE = re.compile(r"^\s*+\d")


def own_body_names(paragraphs: list[str], limit: int = 12) -> dict[str, str]:
    """Folded head ("committee") -> the report's own body as its title names it."""
    names: dict[str, str] = {}
    for paragraph in paragraphs[:limit]:
        if len(paragraph) > 250 or paragraph.rstrip().endswith((".", ":")) or _LEADING_NUMBER_RE.match(paragraph):
            continue  # only title lines name the report's own body
        for match in _OWN_BODY_RE.finditer(paragraph):
            names.setdefault(fold_accents(match.group("head")), _clean_phrase(match.group()))
    return names


_ACRONYM_CONNECTOR = r"(?:(?:of|on|for|and|de|du|des|la|le|del|los|las|y)\s+)?"
# tried once per word, from its first capital (every capital of a word ends the same way): linear on long words
_DEFINED_ACRONYM_RE = re.compile(rf"(?<![\w\-])(?:(?![{_UPPER}])[\w\-])*+"
                                 rf"((?:[{_UPPER}][\w\-]*+\s+{_ACRONYM_CONNECTOR}){{1,8}})\(([{_UPPER}]{{2,}})\)")


def document_acronyms(text: str) -> set[str]:
    """Acronyms the report defines as documents ("Migration Data Strategy (MDS)"): topics, never speakers."""
    acronyms = set()
    for match in _DEFINED_ACRONYM_RE.finditer(text):
        if any(word.casefold() in _DOCUMENT_WORDS for word in match.group(1).split()):
            acronyms.add(match.group(2))
    return acronyms
