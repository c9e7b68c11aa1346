"""Reporting subjects of evaluation and UN reports that the other finders miss (English, French, Spanish).

Sentence finders returning :class:`_Mention` objects for :mod:`index_build.speakers`:

* a single informant named by a role phrase ("An RDH analyst noted", "Un responsable du programme a expliqué",
  "Un coordinador regional indicó");
* a person, group or body noun phrase with a reporting predicate ("senior management gave feedback to the
  evaluation team that", "staff told the evaluators that", "La direction a fait part de ses préoccupations");
* the group an interview frame names ("In interviews with UNHCR country office staff, the consensus was that",
  "Lors des entretiens avec les partenaires, ...");
* the co-authors of a joint statement ("the Committee, together with the Special Rapporteur on ..., issued a
  joint statement").

A subject only counts when its head noun names people, a group or a body (:data:`_PEOPLE_HEADS`), or when it
is an acronym or a capitalised institution name: "The data showed that" has no speaker.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from index_build.speaker_lexicon import (
    _DOCUMENT_WORDS, _ENGLISH_SPEECH_VERBS, _INSTITUTION_HEADS, _ROLE_ALT, _SPEECH_VERB_PATTERN, _UPPER,
)
from index_build.speaker_style_lexicon import (
    _INFORMANT_ARTICLES, _INTERVIEW_FRAME, _INTERVIEW_SUBJECT, _INTERVIEW_SUBJECT_VERB, _JOINT_WITH,
    _NP_PREPOSITIONS_EN, _NP_STOP_WORDS, _PEOPLE_HEADS, _REPORTING_PREDICATE, _STATEMENT_PREDICATE,
    _SUBJECT_DETERMINERS, _VIEW_MARKER,
)
from index_build.speaker_text import _clean_phrase, _overlaps, _upper_first
from index_build.speaker_types import _Mention

_LANGUAGES = ("en", "fr", "es")
_HEAD_FIRST = {"fr", "es"}  # languages whose noun phrases open on their head noun ("responsable du programme")
_ACRONYM_RE = re.compile(rf"^[{_UPPER}][{_UPPER}0-9&\-]+$")
_NP_WORDS = r"[\w’'\-&]+(?:\s+[\w’'\-&]+){0,7}?"
_SUBJECT_AT = r"(?:^|(?<=,\s)|(?<=\bthat\s)|(?<=\bque\s)|(?<=\bqu['’])|(?<=;\s))"

PositionCheck = Callable[[str, int], bool]
BodyCheck = Callable[[str], bool]


# ---------------------------------------------------------------------------------------------
# Noun phrases naming people, groups or bodies
# ---------------------------------------------------------------------------------------------

_DETERMINER_RES = {lang: re.compile(rf"^{pattern}", re.IGNORECASE) for lang, pattern in _SUBJECT_DETERMINERS.items()}


def strip_determiner(phrase: str, language: str) -> str:
    """"One regional data officer" -> "regional data officer"; "les partenaires" -> "partenaires"."""
    return _DETERMINER_RES[language].sub("", phrase.strip(), count=1).strip()


def _head_words(phrase: str, language: str) -> list[str]:
    """The words naming the head: before the first preposition in English, the first ones in French and Spanish."""
    words = phrase.split()
    if language in _HEAD_FIRST:
        return words[:2]
    core: list[str] = []
    for word in words:
        if word.casefold() in _NP_PREPOSITIONS_EN:
            break
        core.append(word)
    return core


def _has_people_head(words: list[str], language: str) -> bool:
    """True when the head word (or two-word head) is a people, group or body noun."""
    if not words:
        return False
    heads = _PEOPLE_HEADS[language]
    folded = [w.strip("’'").casefold() for w in words]
    if language in _HEAD_FIRST:
        return folded[0] in heads or " ".join(folded[:2]) in heads
    return folded[-1] in heads or " ".join(folded[-2:]) in heads


def _is_named_body(words: list[str]) -> bool:
    """True for an acronym ("UNHCR", "IOM Haiti") or a capitalised institution ("Ministry of Health")."""
    if not words or not all(w[:1].isupper() for w in words):
        return False
    return any(_ACRONYM_RE.match(w) for w in words) or any(w.casefold() in _INSTITUTION_HEADS for w in words)


def is_group_phrase(phrase: str, language: str) -> bool:
    """True when a noun phrase (determiner already stripped) names people, a group or a body."""
    words = phrase.split()
    if not words or len(words) > 9:
        return False
    stops = _NP_STOP_WORDS[language]
    if any(w.casefold() in stops for w in words):
        return False
    if language == "en" and any(w.casefold() in _ENGLISH_SPEECH_VERBS for w in words):
        return False
    head = _head_words(phrase, language)
    if any(w.casefold() in _DOCUMENT_WORDS for w in head):
        return False  # "The evaluation report noted", "Le rapport a souligné"
    return _has_people_head(head, language) or _is_named_body(head)


_ACRONYM_WORD_RE = re.compile(r"[\w&\-]+")


def _acronyms(phrase: str) -> str:
    """The acronyms of a phrase, space-separated ("UNHCR country office staff" -> "UNHCR")."""
    return " ".join(dict.fromkeys(w for w in _ACRONYM_WORD_RE.findall(phrase) if _ACRONYM_RE.match(w)))


def _group_mention(phrase: str, start: int, end: int) -> _Mention:
    """A speaking group: name as written (first letter capitalised), organisation = its acronyms."""
    written = _clean_phrase(phrase)
    name = _upper_first(written)
    organisation = _acronyms(name)
    if not organisation and _is_named_body(written.split()):
        organisation = name
    return _Mention(name=name, organisation=organisation, kind="body", start=start, end=end)


# ---------------------------------------------------------------------------------------------
# Subjects of speech verbs and reporting predicates
# ---------------------------------------------------------------------------------------------

_INFORMANT_RE = {lang: re.compile(rf"{_SUBJECT_AT}{_INFORMANT_ARTICLES[lang]}(?P<who>{_NP_WORDS})\s*,?\s+"
                                  rf"(?P<verb>{_SPEECH_VERB_PATTERN})") for lang in _LANGUAGES}
_REPORTING_RE = {lang: re.compile(rf"{_SUBJECT_AT}(?P<who>{_NP_WORDS})\s+(?P<verb>{_REPORTING_PREDICATE[lang]})")
                 for lang in _LANGUAGES}


def find_reporting_mentions(sentence: str, taken: list[tuple[int, int]], position_ok: PositionCheck) -> list[_Mention]:
    """Informants named by a role phrase and group subjects of reporting predicates."""
    mentions: list[_Mention] = []
    for language in _LANGUAGES:
        for regex in (_INFORMANT_RE[language], _REPORTING_RE[language]):
            for match in regex.finditer(sentence):
                mention = _subject_mention(sentence, match, language, taken, position_ok)
                if mention:
                    mentions.append(mention)
                    taken = taken + [(mention.start, mention.end)]
    return mentions


def _subject_mention(sentence: str, match: re.Match, language: str, taken: list[tuple[int, int]],
                     position_ok: PositionCheck) -> _Mention | None:
    """The mention for a subject match, or None when it overlaps, sits mid-clause or is no group."""
    if _overlaps(match.span(), taken) or not position_ok(sentence, match.start()):
        return None
    phrase = strip_determiner(match.group("who"), language)
    if not is_group_phrase(phrase, language):
        return None
    return _group_mention(phrase, match.start(), match.end("who"))


# ---------------------------------------------------------------------------------------------
# Interview frames: "In interviews with X, ...", "Lors des entretiens avec les X, ..."
# ---------------------------------------------------------------------------------------------

_FRAME_RE = {lang: re.compile(rf"^{_INTERVIEW_FRAME[lang]}(?P<who>[^,;:()]{{2,120}}?),\s+(?P<rest>.+)$", re.DOTALL)
             for lang in _LANGUAGES}
_FRAME_SUBJECT_RE = {lang: re.compile(rf"^{_INTERVIEW_SUBJECT[lang]}(?P<who>[^,;:()]{{2,120}}?)\s+"
                                      rf"{_INTERVIEW_SUBJECT_VERB[lang]}") for lang in _LANGUAGES}
_VIEW_MARKER_RE = {lang: re.compile(_VIEW_MARKER[lang], re.IGNORECASE) for lang in _LANGUAGES}


def find_interview_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """The group an interview frame names, when the rest of the sentence reports views."""
    for language in _LANGUAGES:
        match = _FRAME_RE[language].match(sentence)
        if match and not _VIEW_MARKER_RE[language].search(match.group("rest")):
            match = None
        match = match or _FRAME_SUBJECT_RE[language].match(sentence)
        if not match or _overlaps(match.span("who"), taken):
            continue
        phrase = strip_determiner(match.group("who"), language)
        if is_group_phrase(phrase, language):
            return [_group_mention(phrase, match.start("who"), match.end("who"))]
    return []


# ---------------------------------------------------------------------------------------------
# Joint statements: "X, together with A, B and C, issued a joint statement"
# ---------------------------------------------------------------------------------------------

_ARTICLE = r"(?:the|le|la|les|l['’]|du|de\s+la|de\s+l['’]|des|el|los|las|del|de\s+los|de\s+las)\s*"
_JOINT_RE = {
    lang: re.compile(
        rf"(?P<subject>(?:(?:[Tt]he|[Ll]e|[Ll]a|[Ll]['’]|[Ee]l)\s*)?[{_UPPER}][^,;]{{0,120}}?),\s+{_JOINT_WITH[lang]}"
        rf"(?P<list>[^;]{{3,600}}?),?\s+(?P<verb>{_STATEMENT_PREDICATE[lang]}|{_SPEECH_VERB_PATTERN})"
    )
    for lang in _LANGUAGES
}


_LEADING_ARTICLE_RE = re.compile(rf"^{_ARTICLE}", re.IGNORECASE)


def find_joint_statement_mentions(sentence: str, taken: list[tuple[int, int]], is_body: BodyCheck) -> list[_Mention]:
    """The subject and each co-author of a joint statement, read together as one group."""
    for language in _LANGUAGES:
        match = _JOINT_RE[language].search(sentence)
        if not match or _overlaps(match.span(), taken):
            continue
        subject = _LEADING_ARTICLE_RE.sub("", match.group("subject").strip())
        items = [item for item in split_coauthors(match.group("list")) if _is_coauthor(item, is_body)]
        if not items:
            continue
        names = ([subject] if _is_coauthor(subject, is_body) else []) + items
        return [_Mention(name=n, organisation=n, kind="body", start=match.start(), end=match.end(),
                         group=match.start()) for n in names]
    return []


_ARTICLE_FIRST_RE = re.compile(rf"{_ARTICLE}[{_UPPER}]", re.IGNORECASE)
_ARTICLE_ITEM_CUT_RE = re.compile(rf"(?:,|(?<!\s))\s++(?:and|et|y|e)\s++(?={_ARTICLE}[{_UPPER}])"
                                  rf"|,\s++(?={_ARTICLE}[{_UPPER}])")
_ITEM_CUT_RE = re.compile(rf"(?:,|(?<!\s))\s++(?:and|et|y|e)\s++(?=[{_UPPER}])|,\s++(?=[{_UPPER}])")


def split_coauthors(text: str) -> list[str]:
    """"the Special Rapporteur on extrajudicial, summary or arbitrary executions and the Committee on X" -> 2 items.

    When the list uses articles, a new item starts only at ", the" / " and the" (so commas inside a mandate do
    not split it); otherwise at a comma or "and"/"et" before a capitalised word.
    """
    text = text.strip().rstrip(",")
    uses_articles = bool(_ARTICLE_FIRST_RE.match(text))
    parts = (_ARTICLE_ITEM_CUT_RE if uses_articles else _ITEM_CUT_RE).split(text)
    items = [_LEADING_ARTICLE_RE.sub("", p.strip()).strip(" ,") for p in parts]
    return [item for item in items if item]


_LEADING_ROLE_RE = re.compile(rf"(?:{_ROLE_ALT})\b")


def _is_coauthor(item: str, is_body: BodyCheck) -> bool:
    """A mandate holder ("Special Rapporteur on ..."), a body or a named organisation; never a document."""
    words = item.split()
    if not item[:1].isupper() or len(words) > 14 or any(w.casefold() in _DOCUMENT_WORDS for w in words):
        return False
    if _LEADING_ROLE_RE.match(item):
        return True
    lead = []
    for word in words:
        if not word[:1].isupper():
            break
        lead.append(word)
    return _is_named_body(lead) and is_body(item)
