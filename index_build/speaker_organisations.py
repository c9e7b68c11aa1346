"""Role and organisation of an apposition: "Directeur du Bureau ... de l'UNICEF à Genève" -> ("Directeur du
Bureau ...", "UNICEF"); institutions ("Conseil de l'Europe"), proper names ("Terre des Hommes") and places.
"""

from __future__ import annotations

import re

from index_build.speaker_lexicon import (
    _INSTITUTION_HEADS, _LOWER, _ORG_PREPOSITION_RE, _PLACE_PREPOSITIONS, _ROLE_ALT, _TRAILING_LOCATION_RE, _UPPER,
)
from index_build.speaker_text import _clean_phrase, _is_capitalised


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


_BODY_END_RE = re.compile(
    rf",(?!\s(?:la|le|les|l['’])\s?[{_LOWER}])|\s(?:et|and)\s(?=[{_LOWER}](?!e |a |u |es |l['’]|he ))"
    rf"|\s(?:à|in)\s[{_UPPER}]|\s(?:auprès|to)\s"
)


def _organisation_body_end(text: str, start: int) -> int:
    """Where a named body starting at `start` stops (comma, "et + lower-case noun", a place, the end)."""
    match = _BODY_END_RE.search(text, start)
    return match.start() if match else len(text)


def _choose_organisation(text: str, candidates: list[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    """Pick the last institution-like body; fall back to the last proper name that is not a role."""
    institutional = [c for c in candidates if _candidate_is_institution(text, c)]
    if institutional:
        return _merge_with_previous(text, candidates, institutional[-1])
    proper = [c for c in candidates
              if _is_proper_name_phrase(text[c[1]:c[2]]) and not starts_with_role_word(text[c[1]:c[2]])
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


_LEADING_CAPITALS_RE = re.compile(rf"(?:[{_UPPER}][^\s]*\s?)+")


def _candidate_is_institution(text: str, candidate: tuple[int, int, int]) -> bool:
    """True when the body starts with an institution word or is an acronym."""
    body = text[candidate[1]:candidate[2]]
    if starts_with_role_word(body):
        return False
    leading_caps = _LEADING_CAPITALS_RE.match(body)
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
            and len(gap.split()) <= 3 and not starts_with_role_word(gap):
        return previous[0], previous[1], chosen[2]
    return chosen


def _contains_institution_head(text: str) -> bool:
    """True when any word of `text` heads institution names (Bureau, Council, Fund...)."""
    return any(w.strip("(),.’'").casefold() in _INSTITUTION_HEADS for w in text.split())


_ROLE_WORD_RE = re.compile(rf"\b(?:{_ROLE_ALT})\b")
_LEADING_ROLE_WORD_RE = re.compile(rf"(?:{_ROLE_ALT})\b")


def _contains_role_word(text: str) -> bool:
    """True for "United Nations High Commissioner for Human Rights" (any role word inside)."""
    return bool(_ROLE_WORD_RE.search(text))


def starts_with_role_word(text: str) -> bool:
    """True for "Secrétaire général ...", "Chair ...", etc."""
    return bool(_LEADING_ROLE_WORD_RE.match(text.strip()))


_ELIDED_NAME_RE = re.compile(r"^[ld]['’][" + _UPPER + "]")


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
        if _is_capitalised(bare) or bare.casefold() in connectors or _ELIDED_NAME_RE.match(bare):
            continue
        return False
    return True
