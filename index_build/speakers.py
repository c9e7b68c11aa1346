"""Attribute the paragraphs of a meeting report to the people (or bodies) whose words they carry.

Heuristic, standard-library only. Works on French and English reports:

* introductions of titled people ("M. Sikander Khan, Directeur du Bureau ... de l'UNICEF, a ...",
  "Ms. Jane Doe, Director of ..., said ...", "Mmes X et Y", "S. E. M. ...", "H.E. ...");
* bodies and roles speaking in UN style ("The representative of Mexico said", "The Chair stressed",
  "Pakistan noted", "Le représentant du Maroc a déclaré", "Le Comité a souligné");
* back-references ("M. Khan a ...", "Ms. Smith added", "Il/Elle a ...", "He/She said", "It asked")
  so that a paragraph continuing a statement carries its speaker;
* other report styles (:mod:`index_build.speaker_styles`): informants and evaluators, lists of States,
  untitled introductions, credit lines, annex lists of persons met, management responses, declarations;
  surnames and bare titles resolve to the full name the report gives elsewhere ("Ms. Gahar" -> "Sabrina Gahar");
* reporting subjects (:mod:`index_build.speaker_reporting`): informants named by a role phrase ("An RDH analyst
  noted"), groups with reporting predicates ("senior management gave feedback that"), interview frames
  ("In interviews with UNHCR staff, ..."), co-authors of joint statements ("together with the Special Rapporteur").

Vocabularies live in :mod:`index_build.speaker_lexicon`, text helpers in :mod:`index_build.speaker_text`.

The public API is :class:`Speaker` and :func:`attribute_speakers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from index_build.speaker_lexicon import (
    _ABSTRACT_SUBJECTS, _ADVERBS, _alternation, _APOS, _COPULAS, _DOCUMENT_WORDS, _EN_PRONOUN_RE, _ENGLISH_AUXILIARIES,
    _ENGLISH_SPEECH_VERBS, _FOOTNOTE_DIGITS, _FOOTNOTE_RE, _FR_PRONOUN_RE, _FRENCH_AUXILIARIES,
    _FRENCH_FEMININE_ROLE_HEADS, _FRENCH_MASCULINE_ROLE_HEADS, _FRENCH_REFLEXIVE_VERB_RE,
    _FRENCH_SPEECH_PARTICIPLES, _FRENCH_SPEECH_PRESENT, _GENERIC_SUBJECT_RE, _INSTITUTION_HEADS,
    _IT_PRONOUN_RE, _LOCATION_SEGMENT_RE, _LOWER, _NAME_PARTICLES, _NOISE_RE, _NOT_NAME_WORDS,
    _ORG_PREPOSITION_RE, _PLACE_PREPOSITIONS, _PLURAL_TITLES, _ROLE_ALT, _ROLE_WORDS_FOLDED,
    _SPEECH_INVERSION_RE, _SPEECH_NOUNS, _SPEECH_VERB_PATTERN, _SUBJECT_LEAD_RE, _TERMINAL_PUNCT, _TITLE_RE,
    _TRAILING_LOCATION_RE, _UPPER, _VIEW_PHRASE_RE
)
from index_build.speaker_styles import (
    document_acronyms, find_evaluation_mentions, find_informant_mentions, find_list_mentions,
    find_untitled_introductions, full_name_in_text, own_body_names, structural_speakers,
)
from index_build.speaker_reporting import (
    find_interview_mentions, find_joint_statement_mentions, find_reporting_mentions,
)
from index_build.speaker_text import (  # noqa: F401 - sentence_spans, split_sentences are re-exported
    _clean_phrase, _fold, _gender_of_title, _is_capitalised, _strip_footnote_marker, _strip_paragraph_number,
    _upper_first, sentence_spans, split_sentences
)
from index_build.speaker_types import Speaker, _Mention

__all__ = ["Speaker", "attribute_speakers", "sentence_spans", "split_role_and_organisation", "split_sentences"]


# ---------------------------------------------------------------------------------------------
# Parsing names and appositions
# ---------------------------------------------------------------------------------------------

def _parse_name(text: str, pos: int) -> tuple[str, int] | None:
    """Read a 1-5 token capitalised name at `pos`; return (name, end position) or None."""
    tokens: list[str] = []
    end = pos
    for match in re.finditer(r"\S+", text[pos:]):
        raw = match.group()
        word = raw.rstrip(",;:)»”\"")
        is_initial = bool(re.fullmatch(rf"[{_UPPER}]\.", word))
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
        is_particle = word.casefold() in _NAME_PARTICLES and tokens and not ends_name
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
    if re.fullmatch(rf"[{_UPPER}]\.", word):
        return not first
    if word.isupper() and len(word) > 1:
        return not first  # "M. OIM" is an acronym, "Jean DUPONT" is a name
    return bool(re.fullmatch(rf"[{_UPPER}][{_UPPER}{_LOWER}{_APOS}\-]*", word))


def _next_is_capitalised(text: str, pos: int) -> bool:
    """True when the next word after `pos` (skipping particles like "der") starts with a capital."""
    for word in text[pos:].split()[:3]:
        if word.casefold() not in _NAME_PARTICLES:
            return word[0].isupper()
    return False


def _split_plural_names(text: str, pos: int) -> tuple[list[str], int]:
    """Read "X, Y et Z" after a plural title (Mmes, MM., Messrs.)."""
    names, end = [], pos
    while True:
        parsed = _parse_name(text, pos)
        if not parsed:
            break
        names.append(parsed[0])
        end = parsed[1]
        joiner = re.match(r"(?:\s*,\s*|\s+)(?:et|and)\s+|\s*,\s+(?=[" + _UPPER + "])", text[end:])
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
        follows_article = index > 0 and words[index - 1].casefold() in {"the", "a", "an"}
        if index > 0 and bare.endswith("ed") and word[0].islower() and not follows_article:
            return True
    return False


_VERB_STARTS = (
    _FRENCH_AUXILIARIES | _ENGLISH_AUXILIARIES | _ENGLISH_SPEECH_VERBS | set(_FRENCH_SPEECH_PRESENT) | _ADVERBS
)


def _starts_with_verb(text: str) -> bool:
    """True when `text` opens with a verb phrase ("a souligné", "said", "qui a parlé", "s'est appuyé")."""
    stripped = text.lstrip(" ,")
    original = stripped.split(" ", 1)[0].strip(",;:.")
    first = original.casefold()
    if first in _COPULAS:
        return False
    if first in {"qui", "who"}:
        return any(_is_speech_word(w) for w in stripped.split(" ", 3)[1:3])
    is_past_tense = first.endswith("ed") and original.isalpha() and original.islower()
    if first in _VERB_STARTS or is_past_tense:
        return True
    return bool(_FRENCH_REFLEXIVE_VERB_RE.match(stripped.casefold()))


def _is_speech_word(word: str) -> bool:
    """True for a speech verb (any language, any form we know)."""
    bare = word.strip(",;:.").casefold()
    return bare in _ENGLISH_SPEECH_VERBS or bare in _FRENCH_SPEECH_PARTICIPLES or bare in _FRENCH_AUXILIARIES


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
                     "vice-ministre", "deputy", "acting", "senior", "principal", "principale"}


@dataclass
class _Apposition:
    """Result of reading what follows a name: role text, organisation, where it stops."""

    role_parts: list[str] = field(default_factory=list)
    organisation: str = ""
    end: int = 0
    verb_follows: bool = False
    next_title_at: int | None = None


def _read_apposition(text: str, pos: int) -> _Apposition:
    """Read ", Directeur de X, au Royaume-Uni, a dit" style material after a name at `pos`."""
    result = _Apposition(end=pos)
    parenthetical = re.match(r"\s*\(([^()]{1,80})\)", text[pos:])
    if parenthetical:  # "Ms. Jane Doe (UNHCR) said"
        result.organisation = _clean_phrase(parenthetical.group(1))
        pos = result.end = pos + parenthetical.end()
    if text[pos:].startswith(","):
        _read_comma_segments(text, pos, result)
    else:
        _finish_without_comma(text, pos, result)
    return result


def _read_comma_segments(text: str, pos: int, result: _Apposition) -> None:
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
        if re.match(rf"(?:et|and)\s+[{_UPPER}]", stripped):  # "..., and Joseph Whittal, Chairperson of ..."
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


def _next_person_title(segment: str) -> int | None:
    """Offset of the title if a segment starts another titled person ("et Mme Y", "Mr. Z")."""
    conjunction = re.match(r"(?:et|and)\s+", segment)
    offset = conjunction.end() if conjunction else 0
    return offset if _TITLE_RE.match(segment, offset) else None


_FRENCH_INNER_VERB_RE = re.compile(
    rf"\s(?:a|ont)(?=,|$|\s+(?:(?:{_alternation(_ADVERBS)})\s+)*"
    rf"(?:{_alternation(_FRENCH_SPEECH_PARTICIPLES)}|[{_LOWER}]+é)\b)"
)


def _finish_without_comma(text: str, pos: int, result: _Apposition) -> None:
    """Handle "Mme X a dit", "Mr. X of UNHCR said", "Mme X et d'autres orateurs ont dit"."""
    rest = text[pos:]
    organisation = re.match(rf"\s+(?:of|from|de l['’]|du|de la)\s*((?:[{_UPPER}][^\s,]*\s?){{1,5}})", rest)
    if organisation:
        candidate = organisation.group(1).strip()
        after = rest[organisation.end():]
        if _starts_with_verb(after):
            result.organisation = candidate
            result.verb_follows = True
            return
    coordination = re.match(r"\s+(?:et|and|ainsi que|as well as)\s+", rest)
    if coordination and not _TITLE_RE.match(rest, coordination.end()):
        words = rest[coordination.end():].split()[:7]
        result.verb_follows = any(_is_speech_word(w) or w.casefold() in {"se", "s'est"} for w in words)
        return
    if coordination:
        result.next_title_at = pos + coordination.end()
        return
    result.verb_follows = _starts_with_verb(rest)


def _trim_role_segment(segment: str) -> str:
    """Cut an English role at an adjunct: "Committee member ... as its focal point for ..." -> before "as"."""
    match = re.search(r"\s(?:as|who|which|that|since|during|in order to)\s", segment)
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
    if first and head.casefold() in {"the", "a", "an", "le", "la", "l'", "un", "une"}:
        return True
    continues_role = head.casefold() in {"la", "le", "les", "l'", "and", "et"}
    return have_role and continues_role and not _LOCATION_SEGMENT_RE.match(segment)


def _is_aside_segment(segment: str) -> bool:
    """True for a location, a relative clause or a short adverbial inserted after a name."""
    if _LOCATION_SEGMENT_RE.match(segment):
        return True
    head = segment.split()[0].casefold()
    if head in {"dont", "whose", "which", "où", "lequel", "laquelle"}:
        return True
    return len(segment.split()) <= 6 and not _segment_has_verb(segment) and segment[0].islower()


# ---------------------------------------------------------------------------------------------
# Role / organisation split
# ---------------------------------------------------------------------------------------------

def split_role_and_organisation(apposition: str) -> tuple[str, str]:
    """Split "Directeur du Bureau ... de l'UNICEF à Genève" into (role, organisation)."""
    text = _clean_phrase(apposition)
    if not text:
        return "", ""
    text = _strip_trailing_location(text)
    leading = _ORG_PREPOSITION_RE.match(text)
    if leading and leading.start() == 0:
        return "", _clean_phrase(text[leading.end():])
    candidates = _organisation_candidates(text)
    chosen = _choose_organisation(text, candidates)
    if chosen is None:
        if _is_proper_name_phrase(text) and not _contains_role_word(text):
            return "", text
        return text, ""
    prep_start, org_start, org_end = chosen
    organisation = _clean_phrase(text[org_start:org_end])
    role = text if org_end < len(text.rstrip()) - 1 else text[:prep_start]
    return _clean_phrase(role), organisation


def _strip_trailing_location(text: str) -> str:
    """Drop "à Genève" / "in Geneva" at the end unless it is an institution ("à l'OIM")."""
    match = _TRAILING_LOCATION_RE.search(text)
    if match and not _contains_institution_head(match.group()):
        return text[: match.start()]
    return text


def _organisation_candidates(text: str) -> list[tuple[int, int, int]]:
    """(preposition start, body start, body end) for each "de/of + Capitalised" phrase."""
    candidates = []
    for match in _ORG_PREPOSITION_RE.finditer(text):
        body_end = _organisation_body_end(text, match.end())
        candidates.append((match.start(), match.end(), body_end))
    return candidates


def _organisation_body_end(text: str, start: int) -> int:
    """Where a named body starting at `start` stops (comma, "et + lower-case noun", a place, the end)."""
    stop = re.compile(
        rf",(?!\s(?:la|le|les|l['’])\s?[{_LOWER}])|\s(?:et|and)\s(?=[{_LOWER}](?!e |a |u |es |l['’]|he ))"
        rf"|\s(?:à|in)\s[{_UPPER}]|\s(?:auprès|to)\s"
    )
    match = stop.search(text, start)
    return match.start() if match else len(text)


def _choose_organisation(text: str, candidates: list[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    """Pick the last institution-like body; fall back to the last proper name that is not a role."""
    institutional = [c for c in candidates if _candidate_is_institution(text, c)]
    if institutional:
        return _merge_with_previous(text, candidates, institutional[-1])
    proper = [c for c in candidates
              if _is_proper_name_phrase(text[c[1]:c[2]]) and not _starts_with_role_word(text[c[1]:c[2]])
              and _preposition_of(text, c) not in _PLACE_PREPOSITIONS]
    if not proper:
        return None
    return _widen_across_des(text, proper)


def _widen_across_des(text: str, proper: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """"de Terre" + "des Hommes" -> "Terre des Hommes"; "of Interior" + "of Tunisia" stays "Tunisia"."""
    chosen = proper[-1]
    for candidate in reversed(proper[:-1]):
        if candidate[2] != chosen[2] or _preposition_of(text, chosen) != "des":
            break
        chosen = candidate
    return chosen


def _preposition_of(text: str, candidate: tuple[int, int, int]) -> str:
    """The preposition introducing a candidate body ("de", "of the", "à"...)."""
    return text[candidate[0]:candidate[1]].strip().casefold()


def _candidate_is_institution(text: str, candidate: tuple[int, int, int]) -> bool:
    """True when the body starts with an institution word or is an acronym."""
    body = text[candidate[1]:candidate[2]]
    if _starts_with_role_word(body):
        return False
    leading_caps = re.match(rf"(?:[{_UPPER}][^\s]*\s?)+", body)
    if not leading_caps:
        return False
    words = leading_caps.group().split()
    if any(w.strip("()").isupper() and len(w.strip("()")) >= 2 for w in words[:1]):
        return True
    return _contains_institution_head(" ".join(words)) or _contains_institution_head(body.split()[0])


def _merge_with_previous(text: str, candidates: list, chosen: tuple[int, int, int]) -> tuple[int, int, int]:
    """Turn "Conseil" + "de l'Europe" / "Conseil" + "de l'OIM" into one body when adjacent."""
    index = candidates.index(chosen)
    if index == 0:
        return chosen
    previous = candidates[index - 1]
    gap = text[previous[1]:chosen[0]]
    if _contains_institution_head(gap.split()[0]) and not _ORG_PREPOSITION_RE.search(gap[1:]) \
            and len(gap.split()) <= 3 and not _starts_with_role_word(gap):
        return previous[0], previous[1], chosen[2]
    return chosen


def _contains_institution_head(text: str) -> bool:
    """True when any word of `text` heads institution names (Bureau, Council, Fund...)."""
    return any(w.strip("(),.’'").casefold() in _INSTITUTION_HEADS for w in text.split())


def _contains_role_word(text: str) -> bool:
    """True for "United Nations High Commissioner for Human Rights" (any role word inside)."""
    return bool(re.search(rf"\b(?:{_ROLE_ALT})\b", text))


def _starts_with_role_word(text: str) -> bool:
    """True for "Secrétaire général ...", "Chair ...", etc."""
    return bool(re.match(rf"(?:{_ROLE_ALT})\b", text.strip()))


def _is_proper_name_phrase(text: str) -> bool:
    """True for "Terre des Hommes", "Migrants Organise", "SINGA Allemagne", "Guatemala"."""
    words = text.split()
    if not words or len(words) > 8 or not _is_capitalised(words[0]):
        return False
    connectors = {"de", "des", "du", "d'", "la", "le", "les", "l'", "et", "of", "the", "and", "for", "&", "-", "−"}
    for word in words:
        bare = word.strip("()")
        if not bare:
            continue
        if _is_capitalised(bare) or bare.casefold() in connectors or re.match(r"^[ld]['’][" + _UPPER + "]", bare):
            continue
        return False
    return True


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
    appositions: list[_Apposition] = []
    end = match.end()
    while current:
        title = current.group("title")
        gender = _gender_of_title(title)
        if title in _PLURAL_TITLES:
            names, name_end = _split_plural_names(sentence, current.end())
        else:
            parsed = _parse_name(sentence, current.end())
            names, name_end = ([parsed[0]], parsed[1]) if parsed else ([], current.end())
        if not names:
            return group, max(end, current.end())
        apposition = _read_apposition(sentence, name_end)
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


def _group_is_speaking(sentence: str, start: int, last_apposition: _Apposition) -> bool:
    """True when the mention is a subject followed by a verb, or named as the source of words."""
    before = sentence[:start].rstrip()
    if _SPEECH_INVERSION_RE.search(before):
        return True
    if _speech_noun_before(before):
        return True
    return bool(_SUBJECT_LEAD_RE.search(before)) and last_apposition.verb_follows


def _speech_noun_before(before: str) -> bool:
    """True for "le point de vue de", "un bref exposé de mise en situation de", "a statement by"."""
    words = re.findall(r"[\w’']+", before.casefold())
    if not words or words[-1] not in {"de", "of", "by", "from"}:
        return False
    return any(word in _SPEECH_NOUNS for word in words[-7:-1])


_PRECEDING_ROLE_RE = re.compile(
    rf"(?:^|\s)(?:[Tt]he|[Ll]e|[Ll]a|[Ll]['’])\s*((?:{_ROLE_ALT})(?:\s+(?:of|de|du|des|de la)\s+[^,]{{1,60}})?),\s*$"
)


def _attach_preceding_role(sentence: str, group: list[_Mention]) -> None:
    """Use "the Chair, Ms. Diallo, ..." to give a role to a name introduced without apposition."""
    if len(group) != 1 or group[0].role or group[0].organisation:
        return
    before = sentence[: group[0].start]
    match = _PRECEDING_ROLE_RE.search(before)
    if match:
        group[0].role, group[0].organisation = split_role_and_organisation(match.group(1))
        if not group[0].role:
            group[0].role = match.group(1)


_ROLE_SUBJECT_RE = re.compile(
    rf"(?:^|,\s+|\bet\s+|\band\s+)(?P<article>[Tt]he|[Ll]e|[Ll]a|[Ll]['’]|[Uu]ne?|[Aa])\s*"
    rf"(?P<role>{_ROLE_ALT}|[Rr]eprésentante?|[Rr]epresentative|[Dd]elegation|[Dd]élégation)\b"
    rf"(?P<of>\s+(?:of|for|de la|de l['’]|des|du|de|d['’])\s*(?P<org>[^,;:.]{{1,90}}?))?"
    rf"(?:\s*,\s*[^,]{{1,80}},)?"
    rf"\s+(?P<verb>{_SPEECH_VERB_PATTERN})",
)
_BODY_SUBJECT_RE = re.compile(
    rf"(?:^|,\s+)(?:(?:[Tt]he|[Ll]e|[Ll]a|[Ll]es|[Ll]['’])\s*)?"
    rf"(?P<body>[{_UPPER}][\w\-]*"
    rf"(?:\s+(?:(?:of|the|and|for|on|de|du|des|de la|d['’]|l['’])\s*)*[{_UPPER}][\w’'\-]*){{0,7}})"
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
}


def _opens_with_adverbial(sentence: str) -> bool:
    """True for "In that regard, ...", "Addressing X, ...", "Évoquant X, ..." (not a list of nouns)."""
    first = sentence.split(" ", 1)[0].strip(",").casefold()
    return first in _ADVERBIAL_OPENERS or first.endswith(("ing", "ant"))


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


def _find_role_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """'The Chair stressed', 'The representative of Mexico said', 'Le représentant du Maroc a dit'."""
    mentions = []
    for match in _ROLE_SUBJECT_RE.finditer(sentence):
        if _overlaps(match.span(), taken) or not _subject_position_ok(sentence, match):
            continue
        role = _upper_first(match.group("role"))
        organisation = re.sub(r"^(?:the|la|le|l['’])\s*", "", _clean_phrase(match.group("org") or ""), flags=re.I)
        preposition = _clean_phrase(match.group("of") or "")
        name = f"{role} {preposition}" if preposition else role
        indefinite = match.group("article").casefold() in {"un", "une", "a"}
        mentions.append(_Mention(name=name, role=role, organisation=organisation, kind="role",
                                 gender=_gender_of_role(role), role_key=role.casefold(),
                                 indefinite=indefinite, start=match.start(), end=match.end()))
    return mentions


def _gender_of_role(role: str) -> str:
    """'f' for "Représentante", "Présidente"...; 'm' for their French masculine forms; else ''."""
    head = role.split()[0].casefold()
    if head in _FRENCH_FEMININE_ROLE_HEADS:
        return "f"
    return "m" if head in _FRENCH_MASCULINE_ROLE_HEADS else ""


def _find_body_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[_Mention]:
    """Countries and bodies as subjects of a speech verb ("Pakistan stressed", "Le Comité a noté")."""
    mentions = []
    for match in _BODY_SUBJECT_RE.finditer(sentence):
        if _overlaps(match.span(), taken) or not _subject_position_ok(sentence, match):
            continue
        body = _clean_phrase(match.group("body"))
        if not _is_speaking_body(body) or not _is_body_speech_verb(match.group("verb")):
            continue
        mentions.append(_Mention(name=body, organisation=body, kind="body", start=match.start(), end=match.end()))
    return mentions


def _is_body_speech_verb(verb: str) -> bool:
    """Past-tense or French speech verbs, and only well-known present forms ("stresses", not "adds")."""
    last = verb.split()[-1].casefold()
    if last in _ENGLISH_SPEECH_VERBS and last.endswith("s") and not last.endswith("ss"):
        return last in _BODY_PRESENT_FORMS
    return True


def _is_speaking_body(body: str) -> bool:
    """Reject generic plurals, pronouns, roles, documents, titles and elided articles as body names."""
    first = body.split()[0].casefold()
    if first in _BODY_EXCLUDED_HEADS or _starts_with_role_word(body):
        return False
    if len(body.split()) == 1 and any(first in words for words in _ABSTRACT_SUBJECTS.values()):
        return False
    if any(word.casefold() in _DOCUMENT_WORDS for word in body.split()):
        return False
    if re.match(r"^[LlDd]['’]", body) or _TITLE_RE.match(body + " X"):
        return False
    return len(body) > 1


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    """True if `span` intersects any span in `taken`."""
    return any(span[0] < end and start < span[1] for start, end in taken)


def _find_mentions(sentence: str) -> list[_Mention]:
    """All speaker mentions in a sentence, in reading order."""
    people = _find_person_mentions(sentence)
    taken = [(m.start, m.end) for m in people]
    roles = _find_role_mentions(sentence, taken)
    taken += [(m.start, m.end) for m in roles]
    styled = find_list_mentions(sentence, taken, _is_speaking_body)
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
    found = find_joint_statement_mentions(sentence, taken, _is_speaking_body)
    found += find_interview_mentions(sentence, taken + [(m.start, m.end) for m in found])
    found += find_reporting_mentions(sentence, taken + [(m.start, m.end) for m in found], _subject_start_ok)
    return found


# ---------------------------------------------------------------------------------------------
# Registry: one Speaker object per person across a report
# ---------------------------------------------------------------------------------------------

@dataclass
class _Entry:
    """A registered speaker plus what is needed to resolve back-references to it."""

    speaker: Speaker
    gender: str
    kind: str
    last_seen: int = -1


def _alias_fits(alias: _Entry, mention: _Mention) -> bool:
    """Whether "the <role> [of X]" may stand for the person registered under that role."""
    if not mention.organisation:
        return True
    if alias.speaker.organisation and _fold(alias.speaker.organisation) == _fold(mention.organisation):
        return True
    if _names_same_body(alias, mention.organisation):
        return True
    if alias.speaker.organisation:
        return False
    return not mention.role_key.startswith(("represent", "représent", "deleg", "délég"))


def _names_same_body(alias: _Entry, organisation: str) -> bool:
    """"ILO Migration Branch" fits "Chief of the Labour Migration Branch, International Labour Organization (ILO)"."""
    described = set(re.findall(r"[\w’'\-]+", _fold(f"{alias.speaker.role} {alias.speaker.organisation}")))
    wanted = [w for w in re.findall(r"[\w’'\-]+", organisation) if w[:1].isupper()]
    return len(wanted) >= 2 and all(_fold(w) in described for w in wanted)


def _fill_role(entry: _Entry, mention: _Mention) -> None:
    """Give a registered person without a role (or gender) what a surname mention states ("Ms. Gahar, ...")."""
    if (mention.role or mention.organisation) and not (entry.speaker.role or entry.speaker.organisation):
        entry.speaker = replace(entry.speaker, role=mention.role, organisation=mention.organisation)
    entry.gender = entry.gender or mention.gender


class _Registry:
    """People and bodies of one report; resolves surnames, roles and repeated mentions."""

    def __init__(self, own_bodies: dict[str, str] | None = None) -> None:
        self.entries: list[_Entry] = []
        self.role_aliases: dict[str, _Entry] = {}
        self.own_bodies = own_bodies or {}  # "committee" -> the report's own Committee as its title names it

    def register_introductions(self, mentions: list[_Mention]) -> None:
        """Pre-pass over a report: one entry per person, from the first mention that gives a role."""
        people = [m for m in mentions if m.kind == "person"]
        longest_first_with_role_first = sorted(
            people, key=lambda m: (-len(m.name.split()), not (m.role or m.organisation))
        )
        for mention in longest_first_with_role_first:
            known = self._find_by_full_name(mention.name) or self._surname_candidates(mention.name, mention.gender)
            if not known:
                self._add(mention)
            elif isinstance(known, list) and len(known) == 1:
                _fill_role(known[0], mention)
        self._index_role_aliases(people)

    def complete_names(self, text: str) -> None:
        """Give surname-only people the full name the report writes elsewhere ("Ms. Gahar" -> "Sabrina Gahar")."""
        for entry in self.entries:
            if entry.kind != "person" or len(entry.speaker.name.split()) > 2:
                continue
            full = full_name_in_text(entry.speaker.name, text)
            if full and not self._find_by_full_name(full):
                entry.speaker = replace(entry.speaker, name=full)

    def _index_role_aliases(self, mentions: list[_Mention]) -> None:
        """Map role words ("Chair", "High Commissioner") to people who hold them."""
        for mention in mentions:
            if mention.kind != "person":
                continue
            entry = self.resolve_person(mention, position=-1)
            role_text = entry.speaker.role
            for part in re.split(r"\s+(?:et|and)\s+", role_text):
                role_word = re.search(rf"(?:{_ROLE_ALT})", part.split(" of ")[0].split(" de ")[0])
                if role_word and role_word.group().casefold() not in self.role_aliases:
                    self.role_aliases[role_word.group().casefold()] = entry

    def _add(self, mention: _Mention) -> _Entry:
        """Create an entry for a mention."""
        entry = _Entry(Speaker(mention.name, mention.role, mention.organisation), mention.gender, mention.kind)
        self.entries.append(entry)
        return entry

    def _find_by_full_name(self, name: str) -> _Entry | None:
        """Entry with exactly this name (accent/case-insensitive)."""
        folded = _fold(name)
        return next((e for e in self.entries if _fold(e.speaker.name) == folded), None)

    def _surname_candidates(self, name: str, gender: str) -> list[_Entry]:
        """People whose full name contains `name` as its tail (or inner surname run)."""
        ref = _fold(name).split()
        found = []
        for entry in self.entries:
            if entry.kind != "person":
                continue
            tokens = _fold(entry.speaker.name).split()
            if len(ref) >= len(tokens):
                continue
            tail_runs = [tokens[i:i + len(ref)] for i in range(1, len(tokens) - len(ref) + 1)]
            if ref in tail_runs and (not gender or not entry.gender or gender == entry.gender):
                found.append(entry)
        return found

    def find_known_person(self, mention: _Mention) -> _Entry | None:
        """Entry for a titled mention if the person is already known (never creates one)."""
        if mention.kind != "person":
            return None
        candidates = self._surname_candidates(mention.name, mention.gender)
        known = self._find_by_full_name(mention.name)
        return known or (max(candidates, key=lambda e: e.last_seen) if candidates else None)

    def resolve_person(self, mention: _Mention, position: int) -> _Entry:
        """Entry for a titled mention: exact name, else most recent surname match, else new."""
        entry = self._find_by_full_name(mention.name)
        if entry is None:
            candidates = self._surname_candidates(mention.name, mention.gender)
            if candidates:
                entry = max(candidates, key=lambda e: (e.last_seen, -self.entries.index(e)))
        if entry is None:
            entry = self._add(mention)
        if position >= 0:
            entry.last_seen = position
        return entry

    def resolve_role(self, mention: _Mention, position: int) -> _Entry:
        """Entry for "The Chair" / "the representative of Mexico": a person holding it, else the role."""
        alias = None if mention.indefinite else self.role_aliases.get(mention.role_key)
        if alias and _alias_fits(alias, mention):
            alias.last_seen = position
            return alias
        if not mention.organisation:
            same_role = [e for e in self.entries if e.kind == "role" and _fold(e.speaker.role) == _fold(mention.role)]
            if same_role:
                entry = max(same_role, key=lambda e: e.last_seen)
                entry.last_seen = position
                return entry
        entry = self._find_by_full_name(mention.name) or self._add(mention)
        entry.last_seen = position
        return entry

    def resolve(self, mention: _Mention, position: int) -> _Entry:
        """Entry for any kind of mention."""
        if mention.kind == "person":
            return self.resolve_person(mention, position)
        if mention.kind == "role":
            return self.resolve_role(mention, position)
        own = self.own_bodies.get(_fold(mention.name))
        if own:
            mention = replace(mention, name=own, organisation=own)
        entry = self._find_by_full_name(mention.name) or self._add(mention)
        entry.last_seen = position
        return entry


# ---------------------------------------------------------------------------------------------
# Paragraph classification and pronoun continuations
# ---------------------------------------------------------------------------------------------

def _is_noise(paragraph: str) -> bool:
    """Page numbers, running headers like "A/80/48" or "GE.25-10053 7"."""
    text = paragraph.strip()
    return not text or bool(_NOISE_RE.fullmatch(text))


def _is_footnote(paragraph: str) -> bool:
    """A footnote line: "1 Mme Diallo n'a pas pu être présente ..." (number without a period)."""
    return bool(_FOOTNOTE_RE.match(paragraph)) and len(paragraph) < 1500


def _ends_mid_sentence(paragraph: str) -> bool:
    """True when a (long) paragraph stops without final punctuation: it was cut by a page break."""
    text = paragraph.rstrip().rstrip(_FOOTNOTE_DIGITS)
    return len(text.split()) > 12 and not text.endswith(_TERMINAL_PUNCT)


def _leading_pronoun(sentence: str) -> str | None:
    """The personal pronoun leading a sentence ("he", "elle", "it", "view" for "Selon elle"), or None."""
    if _VIEW_PHRASE_RE.match(sentence):
        return "view"
    english = _EN_PRONOUN_RE.match(sentence)
    if english:
        return english.group("pron").casefold()
    french = _FR_PRONOUN_RE.match(sentence)
    if french and _is_personal_french_predicate(french.group("pron").casefold(), french.group("rest")):
        return french.group("pron").casefold()
    it = _IT_PRONOUN_RE.match(sentence)
    if it and it.group("verb").casefold() in _ENGLISH_SPEECH_VERBS:
        return "it"
    return None


def _pronoun_target(sentence: str, active: list[_Entry], recent: list[_Entry]) -> list[_Entry]:
    """Speakers a pronoun-led sentence stands for ([] if it is not pronoun-led or nobody fits)."""
    pronoun = _leading_pronoun(sentence)
    if pronoun is None or not (active or recent):
        return []
    if pronoun == "view":
        return active or recent[-1:]
    if pronoun in {"they", "ils", "elles"}:
        return active if len(active) >= 2 else []
    if pronoun == "it":
        return active if len(active) == 1 and active[0].kind == "body" else []
    wanted = "m" if pronoun in {"he", "il"} else "f"
    if len(active) == 1 and active[0].gender in {"", wanted}:
        return active
    same_gender = [entry for entry in recent if entry.gender == wanted]
    return same_gender[-1:]


def _is_personal_french_predicate(pronoun: str, rest: str) -> bool:
    """'Il a souligné' is personal; 'Il a été admis', 'Il est essentiel', 'Il y a' are not."""
    words = [w.strip(",") for w in rest.split()]
    if not words:
        return False
    index = 0
    while index < len(words) and words[index].casefold() in _ADVERBS:
        index += 1
    if index < len(words) and words[index].casefold() in _FRENCH_SPEECH_PRESENT:
        return True
    if index >= len(words) or words[index].casefold() not in _FRENCH_AUXILIARIES:
        return False
    index += 1
    while index < len(words) and words[index].casefold() in _ADVERBS:
        index += 1
    if index >= len(words):
        return False
    participle = words[index].casefold()
    if pronoun == "il" and participle in {"été", "fallu", "semblé", "paru"}:
        return False
    looks_like_participle = participle.endswith(("é", "ée", "és", "ées", "i", "it", "is", "u", "t"))
    return looks_like_participle or participle in _FRENCH_SPEECH_PARTICIPLES


# ---------------------------------------------------------------------------------------------
# Main entry point
# ---------------------------------------------------------------------------------------------

@dataclass
class _ParagraphState:
    """What carries over from one paragraph to the next."""

    active: list[_Entry] = field(default_factory=list)  # the current subject(s)
    recent: list[_Entry] = field(default_factory=list)  # people of the last text paragraph, latest last
    previous_text: str = ""


def attribute_speakers(paragraphs: list[str]) -> list[list[Speaker]]:
    """For each paragraph of one report (in reading order), the speakers whose words it carries."""
    sentences_by_paragraph = [split_sentences(_strip_paragraph_number(p)) for p in paragraphs]
    mentions_by_sentence = [[_find_mentions(s) for s in sentences] for sentences in sentences_by_paragraph]
    _silence_documents(mentions_by_sentence, document_acronyms("\n".join(paragraphs)))
    registry = _Registry(own_body_names(paragraphs))
    registry.register_introductions(_registration_mentions(sentences_by_paragraph, mentions_by_sentence))
    registry.complete_names("\n\n".join(paragraphs))
    structural = structural_speakers(paragraphs, _is_speaking_body)
    state = _ParagraphState()
    result = []
    for index, paragraph in enumerate(paragraphs):
        entries = _attribute_paragraph(index, paragraph, sentences_by_paragraph[index],
                                       mentions_by_sentence[index], registry, state)
        speakers = [entry.speaker for entry in entries]
        result.append(speakers + [s for s in structural[index] if s not in speakers])
    return result


def _silence_documents(mentions_by_sentence: list[list[list[_Mention]]], documents: set[str]) -> None:
    """A strategy or report named by its acronym ("the MDS highlighted") is a topic, not a speaker."""
    for paragraph in mentions_by_sentence:
        for sentence in paragraph:
            sentence[:] = [m for m in sentence if not (m.kind == "body" and m.name in documents)]


def _registration_mentions(sentences_by_paragraph: list[list[str]],
                           mentions_by_sentence: list[list[list[_Mention]]]) -> list[_Mention]:
    """All mentions of a report in reading order, plus the silent untitled introductions."""
    everything: list[_Mention] = []
    for sentences, mentions in zip(sentences_by_paragraph, mentions_by_sentence):
        for sentence, sentence_mentions in zip(sentences, mentions):
            taken = [(m.start, m.end) for m in sentence_mentions]
            silent = find_untitled_introductions(sentence, taken, split_role_and_organisation)
            everything.extend(sorted(sentence_mentions + silent, key=lambda m: m.start))
    return everything


def _attribute_paragraph(index: int, paragraph: str, sentences: list[str], mentions: list[list[_Mention]],
                         registry: _Registry, state: _ParagraphState) -> list[_Entry]:
    """Speakers of one paragraph; updates the carried-over state."""
    if _is_noise(paragraph) or _is_footnote(paragraph):
        return []
    continues = _continues_previous(paragraph, state, sentences)
    active = list(state.active) if continues else []
    recent = list(state.recent) if continues else []
    pending = None if continues else (list(state.active), list(state.recent))
    found: list[_Entry] = list(active)
    for sentence, sentence_mentions in zip(sentences, mentions):
        speaking = [registry.resolve(m, index) for m in sentence_mentions if m.speaking]
        _note_recent(recent, registry, sentence_mentions, speaking)
        if speaking:
            active, pending = _last_group(sentence_mentions, speaking), None
            _extend_unique(found, speaking)
            continue
        target = _pronoun_target(sentence, active, recent)
        if not target and pending:
            target = _pronoun_target(sentence, *pending)
            _extend_unique(recent, target)
        if target:
            active, pending = target, None
            _extend_unique(found, target)
            continue
        if _GENERIC_SUBJECT_RE.match(sentence):
            active, pending = [], None
    state.active, state.recent, state.previous_text = active, recent, paragraph
    return found


def _note_recent(recent: list[_Entry], registry: _Registry, mentions: list[_Mention], speaking: list[_Entry]) -> None:
    """Move people mentioned in a sentence (speaking or not) to the end of the recency list."""
    mentioned = speaking + [e for e in map(registry.find_known_person, mentions) if e is not None]
    for entry in mentioned:
        if any(entry is existing for existing in recent):
            recent.remove(entry)
        recent.append(entry)


def _continues_previous(paragraph: str, state: _ParagraphState, sentences: list[str]) -> bool:
    """True when this paragraph goes on with the previous speaker's words."""
    if not state.active or not sentences:
        return False
    text = _strip_paragraph_number(paragraph).lstrip(" «“\"")
    if text[:1].islower():
        return True
    previous = state.previous_text.rstrip()
    if previous.endswith(":") or _ends_mid_sentence(previous):
        return True
    target = _pronoun_target(sentences[0], state.active, state.recent)
    if target:
        state.active = target
    return bool(target)


def _last_group(mentions: list[_Mention], speaking: list[_Entry]) -> list[_Entry]:
    """The speakers of the last mention group in a sentence (they are the current subject)."""
    speaking_mentions = [m for m in mentions if m.speaking]
    last_group = speaking_mentions[-1].group
    return _unique([e for m, e in zip(speaking_mentions, speaking) if m.group == last_group])


def _extend_unique(target: list[_Entry], entries: list[_Entry]) -> None:
    """Append entries not already present (by identity)."""
    for entry in entries:
        if all(entry is not existing for existing in target):
            target.append(entry)


def _unique(entries: list[_Entry]) -> list[_Entry]:
    """Entries without repeats, order kept."""
    result: list[_Entry] = []
    _extend_unique(result, entries)
    return result
