"""Names, titles and appositions: what follows a courtesy title ("M. Sikander Khan, Directeur du Bureau des
programmes d'urgence de l'UNICEF, a abordé ...", "La Sra. Ana Gómez, directora de la Oficina ..., señaló ...").

:func:`parse_name` reads the capitalised name after a title, :func:`split_plural_names` the names after "Mmes",
"MM." or "Messrs."; :func:`read_apposition` what follows a name: the role parts, an organisation in parentheses,
where it stops, whether a speech verb follows, another titled person joined by "et"/"and".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index_build.speaker_lexicon import (
    _ADVERBS, _alternation, _APOS, _COPULAS, _ENGLISH_AUXILIARIES, _ENGLISH_SPEECH_VERBS, _FRENCH_AUXILIARIES,
    _FRENCH_REFLEXIVE_VERB_RE, _FRENCH_SPEECH_PARTICIPLES, _FRENCH_SPEECH_PRESENT, _LOCATION_SEGMENT_RE, _LOWER,
    _NAME_PARTICLES, _NOT_NAME_WORDS, _ORG_PREPOSITION_RE, _ROLE_WORDS_ES, _ROLE_WORDS_FOLDED, _SPANISH_AUXILIARIES,
    _SPANISH_SPEECH_PARTICIPLES, _SPANISH_SPEECH_PHRASES, _SPANISH_SPEECH_VERBS, _TITLE_RE, _UPPER,
)
from index_build.speaker_text import _clean_phrase, _is_capitalised, _strip_footnote_marker


# ---------------------------------------------------------------------------------------------
# Parsing names and appositions
# ---------------------------------------------------------------------------------------------

_NON_SPACE_RE = re.compile(r"\S+")
_INITIAL_RE = re.compile(rf"[{_UPPER}]\.")
_NAME_TOKEN_RE = re.compile(rf"[{_UPPER}][{_UPPER}{_LOWER}{_APOS}\-]*")


def parse_name(text: str, pos: int, joins: bool = False) -> tuple[str, int] | None:
    """Read a 1-5 token capitalised name at `pos`; return (name, end position) or None.

    With `joins`, "y"/"e" join two names instead of belonging to one ("Sres. Juan Mora y Luis Vega").
    """
    tokens: list[str] = []
    end = pos
    for match in _NON_SPACE_RE.finditer(text[pos:]):
        raw = match.group()
        word = raw.rstrip(",;:)»”\"")
        is_initial = bool(_INITIAL_RE.fullmatch(word))
        ends_name = word != raw or (word.endswith(".") and not is_initial)
        word = _strip_footnote_marker(word if is_initial else word.rstrip("."))
        if not word:
            break
        if _is_capitalised(word) and _looks_like_name_token(word, first=not tokens):
            tokens.append(word)
            end = pos + match.start() + len(raw.rstrip(",;:)»”\""))
            if ends_name or sum(_is_capitalised(t) for t in tokens) == 5:
                break
            continue
        is_particle = word.casefold() in _NAME_PARTICLES and tokens and not ends_name \
            and not (joins and word.casefold() in {"y", "e"})
        if is_particle and _next_is_capitalised(text, pos + match.end()):
            tokens.append(word)
            continue
        break
    while tokens and tokens[-1].casefold() in _NAME_PARTICLES:
        tokens.pop()
    if not tokens:
        return None
    return " ".join(tokens), end


def _looks_like_name_token(word: str, first: bool) -> bool:
    """True for a capitalised word that can be part of a person's name."""
    if word.casefold() in _NOT_NAME_WORDS or word.casefold() in _ROLE_WORDS_FOLDED:
        return False
    if _INITIAL_RE.fullmatch(word):
        return not first
    if word.isupper() and len(word) > 1:
        return not first  # "M. OIM" is an acronym, "Jean DUPONT" is a name
    return bool(_NAME_TOKEN_RE.fullmatch(word))


def _next_is_capitalised(text: str, pos: int) -> bool:
    """True when the next word after `pos` (skipping particles like "der") starts with a capital."""
    for word in text[pos:].split()[:3]:
        if word.casefold() not in _NAME_PARTICLES:
            return word[0].isupper()
    return False


_NAME_JOINER_RE = re.compile(r"(?:(?:(?<!\s)\s++)?,\s*+|(?<!\s)\s++)(?:et|and|y|e)\s++|(?:(?<!\s)\s++)?,\s++(?=["
                             + _UPPER + "])")


def split_plural_names(text: str, pos: int) -> tuple[list[str], int]:
    """Read "X, Y et Z" after a plural title (Mmes, MM., Messrs.)."""
    names, end = [], pos
    while True:
        parsed = parse_name(text, pos, joins=True)
        if not parsed:
            break
        names.append(parsed[0])
        end = parsed[1]
        joiner = _NAME_JOINER_RE.match(text[end:])
        if not joiner or _TITLE_RE.match(text, end + joiner.end()):
            break
        pos = end + joiner.end()
    return names, end


def _segment_has_verb(segment: str) -> bool:
    """True when an apposition segment contains a finite verb (so it is a clause, not a role)."""
    if _FRENCH_INNER_VERB_RE.search(" " + segment) or _FRENCH_REFLEXIVE_VERB_RE.search(segment.casefold()):
        return True
    words = segment.split()
    for index, word in enumerate(words):
        bare = word.strip(",;:.()").casefold()
        if bare in _ENGLISH_SPEECH_VERBS or bare in _ENGLISH_AUXILIARIES or bare in {"ont", "avait", "avaient"}:
            return True
        if bare in _SPANISH_SPEECH_VERBS or bare in _SPANISH_AUXILIARIES:
            return True
        follows_article = index > 0 and words[index - 1].casefold() in {"the", "a", "an"}
        if index > 0 and bare.endswith("ed") and word[0].islower() and not follows_article:
            return True
    return False


_VERB_STARTS = (
    _FRENCH_AUXILIARIES | _ENGLISH_AUXILIARIES | _ENGLISH_SPEECH_VERBS | set(_FRENCH_SPEECH_PRESENT) | _ADVERBS
    | _SPANISH_SPEECH_VERBS | _SPANISH_AUXILIARIES
)
_SPANISH_PHRASE_START_RE = re.compile(rf"(?:{_alternation(_SPANISH_SPEECH_PHRASES)})\b")


def _starts_with_verb(text: str) -> bool:
    """True when `text` opens with a verb phrase ("a souligné", "said", "qui a parlé", "s'est appuyé")."""
    stripped = text.lstrip(" ,")
    original = stripped.split(" ", 1)[0].strip(",;:.")
    first = original.casefold()
    if first in _COPULAS:
        return False
    if first in {"qui", "who", "quien", "quienes"}:
        return any(_is_speech_word(w) for w in stripped.split(" ", 3)[1:3])
    is_past_tense = first.endswith("ed") and original.isalpha() and original.islower()
    if first in _VERB_STARTS or is_past_tense:
        return True
    folded = stripped.casefold()
    return bool(_FRENCH_REFLEXIVE_VERB_RE.match(folded) or _SPANISH_PHRASE_START_RE.match(folded))


def _is_speech_word(word: str) -> bool:
    """True for a speech verb (any language, any form we know)."""
    bare = word.strip(",;:.").casefold()
    return (bare in _ENGLISH_SPEECH_VERBS or bare in _FRENCH_SPEECH_PARTICIPLES or bare in _FRENCH_AUXILIARIES
            or bare in _SPANISH_SPEECH_VERBS or bare in _SPANISH_SPEECH_PARTICIPLES or bare in _SPANISH_AUXILIARIES)


MAX_APPOSITION_CHARS = 600  # what follows a name is read this far at most (a role and organisation are shorter;
# reading to the sentence's end for every name made a long sentence of names quadratic)


def _split_apposition_segments(text: str) -> list[str]:
    """Split the text after a name into comma-separated segments, up to the sentence end."""
    segments, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            segments.append("".join(current))
            current = []
            continue
        current.append(char)
    segments.append("".join(current))
    return segments


_ROLE_START_WORDS = {"chargé", "chargée", "chargés", "chargées", "membre", "member", "cofacilitateur",
                     "cofacilitatrice", "co-facilitator", "co-chair", "ancien", "ancienne", "former",
                     "vice-ministre", "deputy", "acting", "senior", "principal", "principale",
                     # Spanish writes roles in lower case: "directora de la Oficina ...", "encargado de ..."
                     "encargado", "encargada", "miembro", "integrante", "responsable", "asesor", "asesora",
                     "oficial", "experto", "experta", "especialista", "consultor", "consultora", "investigador",
                     "investigadora", "profesor", "profesora", "exministro", "exministra", "fundador", "fundadora",
                     "alcalde", "alcaldesa", "gobernador", "gobernadora", "titular", "funcionario", "funcionaria"}
_ROLE_START_WORDS |= {w.split()[0].casefold() for w in _ROLE_WORDS_ES}


@dataclass
class Apposition:
    """Result of reading what follows a name: role text, organisation, where it stops."""

    role_parts: list[str] = field(default_factory=list)
    organisation: str = ""
    end: int = 0
    verb_follows: bool = False
    next_title_at: int | None = None


_PARENTHETICAL_RE = re.compile(r"(?:(?<!\s)\s++)?\(([^()]{1,80})\)")


def read_apposition(text: str, pos: int) -> Apposition:
    """Read ", Directeur de X, au Royaume-Uni, a dit" style material after a name at `pos`."""
    result = Apposition(end=pos)
    parenthetical = _PARENTHETICAL_RE.match(text[pos:])
    if parenthetical:  # "Ms. Jane Doe (UNHCR) said"
        result.organisation = _clean_phrase(parenthetical.group(1))
        pos = result.end = pos + parenthetical.end()
    if text[pos:].startswith(","):
        _read_comma_segments(text, pos, result)
    else:
        _finish_without_comma(text, pos, result)
    return result


_COORDINATED_NAME_RE = re.compile(rf"(?:et|and|y)\s+[{_UPPER}]")


def _read_comma_segments(text: str, pos: int, result: Apposition) -> None:
    """Walk the ", ..." segments after a name: role parts, asides, another titled person, the verb."""
    consumed, coordinated = pos, False
    for index, segment in enumerate(_split_apposition_segments(text[pos + 1:pos + 1 + MAX_APPOSITION_CHARS])):
        seg_start, consumed = consumed + 1, consumed + 1 + len(segment)
        stripped = segment.strip()
        if not stripped:
            return
        next_title = _next_person_title(stripped)
        if next_title is not None:
            result.next_title_at = seg_start + segment.index(stripped) + next_title
            return
        if _starts_with_verb(segment):
            result.verb_follows = True
            return
        if _COORDINATED_NAME_RE.match(stripped):  # "..., and Joseph Whittal, Chairperson of ..."
            coordinated = True
            continue
        inner_verb = _FRENCH_INNER_VERB_RE.search(stripped)
        if inner_verb and index == 0 and _is_capitalised(stripped):  # "Sous-Directeur ... du Costa Rica a, ..."
            result.role_parts.append(stripped[: inner_verb.start()])
            result.verb_follows = True
            result.end = seg_start + segment.index(stripped) + inner_verb.start()
            return
        stripped = _trim_role_segment(stripped)
        if _is_role_segment(stripped, first=index == 0, have_role=bool(result.role_parts)):
            if not coordinated:
                result.role_parts.append(stripped)
                result.end = consumed
        elif _is_aside_segment(stripped):
            result.end = consumed
        else:
            return


_CONJUNCTION_RE = re.compile(r"(?:(?:et|and|y|e)\s+)?(?:(?:el|la|los|las)\s+)?")


def _next_person_title(segment: str) -> int | None:
    """Offset of the title if a segment starts another titled person ("et Mme Y", "Mr. Z")."""
    conjunction = _CONJUNCTION_RE.match(segment)
    offset = conjunction.end() if conjunction else 0
    return offset if _TITLE_RE.match(segment, offset) else None


_FRENCH_INNER_VERB_RE = re.compile(
    rf"\s(?:a|ont)(?=,|$|\s+(?:(?:{_alternation(_ADVERBS)})\s+)*"
    rf"(?:{_alternation(_FRENCH_SPEECH_PARTICIPLES)}|[{_LOWER}]+é)\b)"
)


_OF_ORGANISATION_RE = re.compile(rf"(?<!\s)\s++(?:of|from|de l['’]|du|de la|del|de)\s*+"
                                 rf"((?:[{_UPPER}][^\s,]*\s?){{1,5}})")
_COORDINATION_RE = re.compile(r"(?<!\s)\s++(?:et|and|ainsi que|as well as|y|e|así como)\s++(?:(?:el|la|los|las)\s++)?")


def _finish_without_comma(text: str, pos: int, result: Apposition) -> None:
    """Handle "Mme X a dit", "Mr. X of UNHCR said", "Mme X et d'autres orateurs ont dit"."""
    rest = text[pos:]
    organisation = _OF_ORGANISATION_RE.match(rest)
    if organisation:
        candidate = organisation.group(1).strip()
        after = rest[organisation.end():]
        if _starts_with_verb(after):
            result.organisation = candidate
            result.verb_follows = True
            return
    coordination = _COORDINATION_RE.match(rest)
    if coordination and not _TITLE_RE.match(rest, coordination.end()):
        words = rest[coordination.end():].split()[:7]
        result.verb_follows = any(_is_speech_word(w) or w.casefold() in {"se", "s'est"} for w in words)
        return
    if coordination:
        result.next_title_at = pos + coordination.end()
        return
    result.verb_follows = _starts_with_verb(rest)


_ADJUNCT_RE = re.compile(r"\s(?:as|who|which|that|since|during|in order to)\s")


def _trim_role_segment(segment: str) -> str:
    """Cut an English role at an adjunct: "Committee member ... as its focal point for ..." -> before "as"."""
    match = _ADJUNCT_RE.search(segment)
    return segment[: match.start()] if match else segment


def _is_role_segment(segment: str, first: bool, have_role: bool) -> bool:
    """True when an apposition segment describes a role or organisation."""
    if _segment_has_verb(segment) or len(segment.split()) > 30:
        return False
    head = segment.split()[0]
    if _is_capitalised(head):
        return True
    if head.casefold() in _ROLE_START_WORDS:
        return True
    if first and _ORG_PREPOSITION_RE.match(segment):
        return True
    if first and head.casefold() in {"the", "a", "an", "le", "la", "l'", "un", "une", "el", "una"}:
        return True
    continues_role = head.casefold() in {"la", "le", "les", "l'", "and", "et", "el", "los", "las", "y"}
    return have_role and continues_role and not _LOCATION_SEGMENT_RE.match(segment)


def _is_aside_segment(segment: str) -> bool:
    """True for a location, a relative clause or a short adverbial inserted after a name."""
    if _LOCATION_SEGMENT_RE.match(segment):
        return True
    head = segment.split()[0].casefold()
    if head in {"dont", "whose", "which", "où", "lequel", "laquelle", "cuyo", "cuya", "cuyos", "cuyas", "donde"}:
        return True
    return len(segment.split()) <= 6 and not _segment_has_verb(segment) and segment[0].islower()
