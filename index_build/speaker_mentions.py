"""Speaker mentions in a sentence: titled people (:mod:`index_build.speaker_names`), roles ("The Chair stressed",
"Le représentant du Maroc a déclaré", "La Relatora Especial señaló"), bodies ("Pakistan noted", "Le Comité a
souligné", "México subrayó"), sources ("según el Comité, ...", "According to UNHCR, ..."), and the finders of
other report styles (:mod:`index_build.speaker_styles`, :mod:`index_build.speaker_reporting`).

:func:`find_mentions` gives every :class:`_Mention` of a sentence in reading order, each marked speaking or not;
:func:`is_speaking_body` tells a body's name from generic plurals, pronouns, roles and documents.
"""

from __future__ import annotations

import re

from index_build.speaker_lexicon import (
    _ABSTRACT_SUBJECTS, _DOCUMENT_WORDS, _ENGLISH_SPEECH_VERBS, _FEMININE_ROLE_HEADS, _LOWER, _MASCULINE_ROLE_HEADS,
    _NAMES_WITH_ARTICLE, _PLURAL_TITLES, _ROLE_ALT, _ROLE_ALT_LOWER_ES, _SPANISH_ARTICLE_END_RE, _SPEECH_INVERSION_RE,
    _SPEECH_NOUNS,
    _SPEECH_VERB_PATTERN, _SUBJECT_LEAD_RE, _TITLE_RE, _UPPER, with_own_article,
)
from index_build.speaker_names import Apposition, parse_name, read_apposition, split_plural_names
from index_build.speaker_organisations import split_role_and_organisation, starts_with_role_word
from index_build.speaker_reporting import (
    find_interview_mentions, find_joint_statement_mentions, find_reporting_mentions,
)
from index_build.speaker_styles import (
    clean_person_name, find_evaluation_mentions, find_informant_mentions, find_list_mentions,
)
from index_build.speaker_text import _clean_phrase, _gender_of_title, _overlaps, _upper_first
from index_build.speaker_types import _Mention


# ---------------------------------------------------------------------------------------------
# Finding mentions in a sentence
# ---------------------------------------------------------------------------------------------

def _find_person_mentions(sentence: str) -> list[_Mention]:
    """Titled people in a sentence, with role/organisation and whether they speak there."""
    mentions: list[_Mention] = []
    cursor = 0
    while True:
        match = _TITLE_RE.search(sentence, cursor)
        if not match:
            break
        group, cursor = _read_title_group(sentence, match)
        mentions.extend(group)
    return mentions


def _read_title_group(sentence: str, match: re.Match) -> tuple[list[_Mention], int]:
    """Read one titled person (or several joined by et/and) starting at a title match."""
    group: list[_Mention] = []
    current = match
    appositions: list[Apposition] = []
    end = match.end()
    while current:
        title = current.group("title")
        gender = _gender_of_title(title)
        if title in _PLURAL_TITLES:
            names, name_end = split_plural_names(sentence, current.end())
        else:
            parsed = parse_name(sentence, current.end())
            names, name_end = ([parsed[0]], parsed[1]) if parsed else ([], current.end())
        if not names:
            return group, max(end, current.end())
        apposition = read_apposition(sentence, name_end)
        role, organisation = split_role_and_organisation(", ".join(apposition.role_parts))
        if apposition.organisation and not organisation:
            organisation = apposition.organisation
        for name in names:
            group.append(_Mention(name=name, role=role, organisation=organisation, gender=gender,
                                  start=current.start(), end=max(name_end, apposition.end)))
        appositions.append(apposition)
        end = max(name_end, apposition.end)
        current = None
        if apposition.next_title_at is not None:
            current = _TITLE_RE.match(sentence, apposition.next_title_at)
            end = apposition.next_title_at
    speaking = _group_is_speaking(sentence, group[0].start, appositions[-1])
    for mention in group:
        mention.speaking = speaking
        mention.group = group[0].start
    _attach_preceding_role(sentence, group)
    return group, end


#: Whitespace-separated tokens before a mention that the patterns reading how it is led in can reach ("l'a
#: ensuite souligné Mme", "as pointed out by", "según el"; "the Secrétaire générale adjointe de la ... ,"): they read
#: this end of the sentence only, not the whole sentence again for each of its mentions.
_LEAD_TOKENS = 8
_ROLE_LEAD_TOKENS = 48  # an article, a role of three words, "of" and 60 characters, a comma


def _lead_start(sentence: str, end: int, tokens: int) -> int:
    """Where the last ``tokens`` whitespace-separated tokens of ``sentence[:end]`` start (0 when it has fewer)."""
    cut = end
    for _ in range(tokens):
        while cut > 0 and sentence[cut - 1].isspace():
            cut -= 1
        while cut > 0 and not sentence[cut - 1].isspace():
            cut -= 1
    return cut


def _lead(sentence: str, end: int, tokens: int) -> tuple[str, bool]:
    """What leads to ``end`` over its last ``tokens`` tokens, a Spanish article before the mention dropped; and
    whether that is all the sentence before it."""
    cut = _lead_start(sentence, end, tokens)
    return _SPANISH_ARTICLE_END_RE.sub("", sentence[cut:end].rstrip()).rstrip(), cut == 0


def _group_is_speaking(sentence: str, start: int, last_apposition: Apposition) -> bool:
    """True when the mention is a subject followed by a verb, or named as the source of words."""
    before, _ = _lead(sentence, start, _LEAD_TOKENS)
    if _SPEECH_INVERSION_RE.search(before):
        return True
    if _speech_noun_before(sentence, start):
        return True
    return bool(_SUBJECT_LEAD_RE.search(before)) and last_apposition.verb_follows


_WORDS_RE = re.compile(r"[\w’']+")


def _speech_noun_before(sentence: str, start: int) -> bool:
    """True for "le point de vue de", "un bref exposé de mise en situation de", "a statement by": the last seven
    words before ``start``, read from the end (over more tokens until seven are found)."""
    tokens = 2 * _LEAD_TOKENS
    while True:
        before, whole = _lead(sentence, start, tokens)
        words = _WORDS_RE.findall(before.casefold())
        if len(words) >= 7 or whole:
            break
        tokens *= 4
    if not words or words[-1] not in {"de", "of", "by", "from", "del"}:
        return False
    return any(word in _SPEECH_NOUNS for word in words[-7:-1])


_PRECEDING_ROLE_RE = re.compile(
    rf"(?:^|\s)(?:[Tt]he|[Ll]e|[Ll]a|[Ll]['’]|[Ee]l)\s*"
    rf"((?:{_ROLE_ALT})(?:\s+(?:of|de|du|des|de la|del)\s+[^,]{{1,60}})?),\s*$"
)


def _attach_preceding_role(sentence: str, group: list[_Mention]) -> None:
    """Use "the Chair, Ms. Diallo, ..." to give a role to a name introduced without apposition."""
    if len(group) != 1 or group[0].role or group[0].organisation:
        return
    match = _PRECEDING_ROLE_RE.search(sentence[_lead_start(sentence, group[0].start, _ROLE_LEAD_TOKENS):group[0].start])
    if match:
        group[0].role, group[0].organisation = split_role_and_organisation(match.group(1))
        if not group[0].role:
            group[0].role = match.group(1)


_ROLE_SUBJECT_RE = re.compile(
    rf"(?:^|,\s+|\bet\s+|\band\s+|\by\s+)(?P<article>[Tt]he|[Ll]e|[Ll]a|[Ll]['’]|[Uu]ne?|[Aa]|[Ee]l|[Uu]na)\s*"
    rf"(?P<role>{_ROLE_ALT}|{_ROLE_ALT_LOWER_ES}|[Rr]eprésentante?|[Rr]epresentative|[Dd]elegation|[Dd]élégation"
    rf"|[Dd]elegación)\b"
    rf"(?P<of>\s+(?:of|for|de la|de l['’]|des|du|del|de los|de las|de|d['’]|para)\s*(?P<org>[^,;:.]{{1,90}}?))?"
    rf"(?:\s*,\s*[^,]{{1,80}},)?"
    rf"\s+(?P<verb>{_SPEECH_VERB_PATTERN})",
)
_BODY_SUBJECT_RE = re.compile(
    rf"(?:^|,\s+)(?:(?:[Tt]he|[Ll]e|[Ll]a|[Ll]es|[Ll]['’]|[Ee]l|[Ll]os|[Ll]as)\s*)?"
    rf"(?P<body>[{_UPPER}][\w\-]*"
    rf"(?:\s+(?:(?:of|the|and|for|on|de|du|des|de la|d['’]|l['’]|del|los|las|el|y)\s*)*[{_UPPER}][\w’'\-]*){{0,7}})"
    rf"(?:,\s+[{_LOWER}]+ing\b[^.;]{{0,200}}?,)?"
    rf"\s+(?P<verb>{_SPEECH_VERB_PATTERN})",
)
_BODY_EXCLUDED_HEADS = {
    "experts", "participants", "speakers", "panellists", "panelists", "delegations", "delegates",
    "members", "member", "states", "state", "parliamentarians", "representatives", "many", "several",
    "some", "other", "others", "all", "both", "most", "they", "it", "he", "she", "we", "this",
    "these", "those", "there", "governments", "countries", "organizations", "organisations",
    "stakeholders", "respondents", "interviewees", "key", "evaluation", "report", "table", "figure",
    "annex", "section", "chapter", "in", "on", "at", "as", "during", "following", "with", "for",
    "il", "elle", "ils", "elles", "ce", "cette", "les", "des", "orateurs", "états", "pays", "un",
    "une", "de", "d'", "en", "dans", "pour", "selon", "after", "before", "when", "while", "if",
    "responding", "referring", "turning", "addressing", "noting", "recalling", "however", "but",
    "and", "or", "to", "by", "from", "an", "a", "the", "one", "our", "their", "its", "his", "her",
    "nous", "notre", "leur", "leurs", "son", "sa", "ses", "si", "mais", "ainsi", "aussi", "enfin",
    "et", "ou", "quel", "quelle", "quels", "quelles", "comment", "pourquoi", "what", "how", "why",
    "la", "le", "l'", "l’", "ces", "cet", "tous", "toutes", "chaque", "each", "every", "no", "none",
    "staff", "personnel", "team", "teams", "équipe", "équipes", "people", "migrants", "refugees",
    "women", "men",
    # Spanish
    "él", "ella", "ellos", "ellas", "este", "esta", "estos", "estas", "los", "las", "el", "una", "unos", "unas",
    "para", "según", "tras", "durante", "con", "sin", "sobre", "asimismo", "además", "también", "pero", "y", "o",
    "cuando", "todos", "todas", "cada", "ningún", "ninguna", "nuestro", "nuestra", "su", "sus", "qué", "cómo",
    "cuál", "por", "porque", "estados", "países", "participantes", "oradores", "delegaciones", "miembros",
    "expertos", "representantes", "gobiernos", "organizaciones", "personal", "equipo", "equipos", "personas",
    "migrantes", "refugiados", "mujeres", "hombres", "varios", "varias", "muchos", "muchas", "algunos", "algunas",
    "otros", "otras", "ambos", "ambas", "se", "no", "hay", "usted", "ustedes", "quien", "quienes",
}
# Present-tense forms a body may use ("The Committee stresses"); others ("adds value") are too loose.
_BODY_PRESENT_FORMS = {
    "says", "states", "notes", "stresses", "emphasizes", "emphasises", "underlines", "welcomes",
    "urges", "recommends", "calls", "expresses", "recalls", "reiterates", "regrets", "considers",
    "reaffirms", "encourages", "commends", "highlights", "acknowledges", "requests", "invites",
    "deplores", "condemns", "declares", "affirms", "insists", "suggests", "proposes",
}
_ADVERBIAL_OPENERS = {
    "in", "on", "at", "during", "following", "after", "before", "with", "for", "furthermore",
    "moreover", "however", "also", "additionally", "finally", "lastly", "similarly", "likewise",
    "meanwhile", "as", "by", "through", "regarding", "concerning", "dans", "en", "lors", "au", "à",
    "après", "avant", "pour", "par", "de", "enfin", "ensuite", "selon", "quant", "concernant",
    "s’agissant", "s'agissant", "toutefois", "cependant", "ainsi", "outre", "sur", "d’autre",
    "d'autre", "d’une", "d'une", "when", "while", "lorsque", "tout", "indeed", "notably", "overall",
    "durante", "tras", "después", "antes", "con", "para", "por", "además", "asimismo", "sin", "también",
    "finalmente", "igualmente", "según", "respecto", "cuando", "mientras", "sobre", "del", "desde", "hasta",
}


def _opens_with_adverbial(sentence: str) -> bool:
    """True for "In that regard, ...", "Addressing X, ...", "Évoquant X, ..." (not a list of nouns)."""
    first = sentence.split(" ", 1)[0].strip(",").casefold()
    return first in _ADVERBIAL_OPENERS or first.endswith(("ing", "ant", "ando", "iendo"))


def _subject_start_ok(sentence: str, start: int) -> bool:
    """A subject starts the sentence (or a clause after ";"), or follows the comma closing an adverbial opener.

    Subjects inside reported speech ("she stressed that ILO estimated that") are sources quoted by the
    speaker, not speakers of their own.
    """
    before = sentence[:start]
    if not before.strip() or before.endswith("; "):
        return True
    return before.endswith(", ") and _opens_with_adverbial(sentence)


def _subject_position_ok(sentence: str, match: re.Match) -> bool:
    """A subject found after a comma must follow an adverbial opener, not a list of nouns."""
    return not sentence[match.start():].startswith(",") or _opens_with_adverbial(sentence)


_LEADING_ARTICLE_RE = re.compile(r"^(?:the|la|le|l['’]|el|los|las)\s+|^l['’]", re.I)
_ELIDED_RE = re.compile(r"^[ldLD]['’]")
_ASCII_ACRONYM_RE = re.compile(r"\b[A-Z]{2,}\b")


def _find_role_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """'The Chair stressed', 'The representative of Mexico said', 'Le représentant du Maroc a dit'."""
    mentions = []
    for match in _ROLE_SUBJECT_RE.finditer(sentence):
        if _overlaps(match.span(), taken) or not _subject_position_ok(sentence, match):
            continue
        role = _upper_first(match.group("role"))
        organisation = _LEADING_ARTICLE_RE.sub("", _clean_phrase(match.group("org") or ""))
        preposition = _clean_phrase(match.group("of") or "")
        name = f"{role} {preposition}" if preposition else role
        indefinite = match.group("article").casefold() in {"un", "une", "a", "una"}
        gender = _gender_of_role(role) or _ARTICLE_GENDER.get(match.group("article").casefold(), "")
        mentions.append(_Mention(name=name, role=role, organisation=organisation, kind="role", gender=gender,
                                 role_key=role.casefold(), indefinite=indefinite, start=match.start(),
                                 end=match.end()))
    return mentions


_ARTICLE_GENDER = {"el": "m", "un": "m", "le": "m", "la": "f", "una": "f", "une": "f"}  # "la representante"


def _gender_of_role(role: str) -> str:
    """'f' for "Représentante", "Présidenta"...; 'm' for the masculine forms (French, Spanish); else ''."""
    head = role.split()[0].casefold()
    if any(head in heads for heads in _FEMININE_ROLE_HEADS.values()):
        return "f"
    return "m" if any(head in heads for heads in _MASCULINE_ROLE_HEADS.values()) else ""


def _find_body_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """Countries and bodies as subjects of a speech verb ("Pakistan stressed", "Le Comité a noté")."""
    mentions = []
    for match in _BODY_SUBJECT_RE.finditer(sentence):
        if _overlaps(match.span(), taken) or not _subject_position_ok(sentence, match):
            continue
        body = with_own_article(sentence, match.start("body"), _clean_phrase(match.group("body")))
        if not is_speaking_body(body) or not _is_body_speech_verb(match.group("verb")):
            continue
        mentions.append(_Mention(name=body, organisation=body, kind="body", start=match.start(), end=match.end()))
    return mentions


def _is_body_speech_verb(verb: str) -> bool:
    """Past-tense or French speech verbs, and only well-known present forms ("stresses", not "adds")."""
    last = verb.split()[-1].casefold()
    if last in _ENGLISH_SPEECH_VERBS and last.endswith("s") and not last.endswith("ss"):
        return last in _BODY_PRESENT_FORMS
    return True


def is_speaking_body(body: str) -> bool:
    """Reject generic plurals, pronouns, roles, documents, titles and elided articles as body names."""
    first = body.split()[0].casefold()
    if any(body.casefold().startswith(name) for name in _NAMES_WITH_ARTICLE):
        first = body.split()[1].casefold()
    if first in _BODY_EXCLUDED_HEADS or starts_with_role_word(body):
        return False
    if len(body.split()) == 1 and any(first in words for words in _ABSTRACT_SUBJECTS.values()):
        return False
    if any(word.casefold() in _DOCUMENT_WORDS for word in body.split()):
        return False
    if _ELIDED_RE.match(body) or _TITLE_RE.match(body + " X"):
        return False
    return len(body) > 1


_SOURCE_RE = re.compile(
    rf"(?:^|(?<=[,;]\s))(?:[Ss]egún|[Dd]e acuerdo con|[Ss]elon|[Dd]['’]après|[Aa]ccording to)\s+"
    rf"(?P<article>(?:the|le|la|les|l['’]|el|los|las)\s*)?(?P<who>[{_UPPER}{_LOWER}][^,;:.()\d]{{1,90}}?)\s*,")
_SOURCE_ROLE_RE = re.compile(
    rf"(?P<role>{_ROLE_ALT}|{_ROLE_ALT_LOWER_ES}|[Rr]eprésentante?|[Rr]epresentative)\b"
    rf"(?P<of>\s+(?:of|for|de la|de l['’]|des|du|del|de los|de las|de|d['’]|para)\s*(?P<org>.+))?$")


def _find_source_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """The body or role a sentence is ascribed to: "según el Comité, ...", "selon l'OIM, ...", "According to UNHCR,
    ..."; never a document ("según el artículo 3"), data or a lower-case noun ("according to the data")."""
    mentions = []
    for match in _SOURCE_RE.finditer(sentence):
        if _overlaps(match.span(), taken):
            continue
        who = _clean_phrase(match.group("who"))
        role = _SOURCE_ROLE_RE.match(who)
        if role and match.group("article"):
            role_word = _upper_first(role.group("role"))
            organisation = _LEADING_ARTICLE_RE.sub("", _clean_phrase(role.group("org") or ""))
            preposition = _clean_phrase(role.group("of") or "")
            name = f"{role_word} {preposition}" if preposition else role_word
            mentions.append(_Mention(name=name, role=role_word, organisation=organisation, kind="role",
                                     gender=_gender_of_role(role_word), role_key=role_word.casefold(),
                                     start=match.start(), end=match.end()))
        elif not match.group("article") and clean_person_name(who) and not _ASCII_ACRONYM_RE.search(who):
            mentions.append(_Mention(name=who, start=match.start(), end=match.end()))  # "Según Ana Ruiz Soto, ..."
        elif who[:1].isupper() and len(who.split()) <= 8 and _names_a_body(who) and is_speaking_body(who):
            mentions.append(_Mention(name=who, organisation=who, kind="body", start=match.start(), end=match.end()))
    return mentions


def _names_a_body(phrase: str) -> bool:
    """Capitalised words joined by particles ("Comité de Derechos Humanos", "UNHCR", "Ministerio del Interior")."""
    connectors = {"de", "del", "des", "du", "la", "le", "les", "los", "las", "el", "of", "the", "and", "for", "on",
                  "et", "y", "pour", "para", "sobre", "sur", "d'", "d’", "l'", "l’"}
    for word in phrase.split():
        if not (word[:1].isupper() or word.casefold() in connectors or _ELIDED_RE.match(word)):
            return False
    return True


def find_mentions(sentence: str) -> list[_Mention]:
    """All speaker mentions in a sentence, in reading order."""
    people = _find_person_mentions(sentence)
    taken = [(m.start, m.end) for m in people]
    roles = _find_role_mentions(sentence, taken)
    roles += _find_source_mentions(sentence, taken + [(m.start, m.end) for m in roles])
    taken += [(m.start, m.end) for m in roles]
    styled = find_list_mentions(sentence, taken, is_speaking_body)
    styled += find_evaluation_mentions(sentence, taken + [(m.start, m.end) for m in styled])
    styled += find_informant_mentions(sentence, taken + [(m.start, m.end) for m in styled])
    taken += [(m.start, m.end) for m in styled]
    bodies = _find_body_mentions(sentence, taken)
    reporting = _find_reporting_mentions(sentence, taken + [(m.start, m.end) for m in bodies])
    mentions = sorted(people + roles + styled + bodies + reporting, key=lambda m: m.start)
    for mention in mentions:
        if mention.group < 0:
            mention.group = mention.start
    return mentions


def _find_reporting_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """Role-phrase informants, group subjects of reporting predicates, interview frames, joint statements."""
    found = find_joint_statement_mentions(sentence, taken, is_speaking_body)
    found += find_interview_mentions(sentence, taken + [(m.start, m.end) for m in found])
    found += find_reporting_mentions(sentence, taken + [(m.start, m.end) for m in found], _subject_start_ok)
    return found
