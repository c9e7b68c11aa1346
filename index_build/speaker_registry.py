"""The people and bodies of one report, one :class:`Speaker` each: surnames resolve to the full name ("Ms. Gahar"
-> "Sabrina Gahar"), roles to the person holding them ("the Chair"), repeated mentions to the same entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index_build.speaker_lexicon import _ROLE_ALT
from index_build.speaker_styles import full_name_in_text
from index_build.speaker_types import _Mention, Speaker
from index_build.text import fold_accents


# ---------------------------------------------------------------------------------------------
# Registry: one Speaker object per person across a report
# ---------------------------------------------------------------------------------------------

@dataclass
class Entry:
    """A registered speaker plus what is needed to resolve back-references to it."""

    speaker: Speaker
    gender: str
    kind: str
    last_seen: int = -1
    plural: bool = False  # a group named by a plural noun: plural pronouns go on with it


def _alias_fits(alias: Entry, mention: _Mention) -> bool:
    """Whether "the <role> [of X]" may stand for the person registered under that role."""
    if not mention.organisation:
        return True
    if alias.speaker.organisation and fold_accents(alias.speaker.organisation) == fold_accents(mention.organisation):
        return True
    if _names_same_body(alias, mention.organisation):
        return True
    if alias.speaker.organisation:
        return False
    return not mention.role_key.startswith(("represent", "représent", "deleg", "délég"))


_WORD_RE = re.compile(r"[\w’'\-]+")
_AND_RE = re.compile(r"(?<!\s)\s++(?:et|and)\s++")
_ROLE_RE = re.compile(rf"(?:{_ROLE_ALT})")


def _names_same_body(alias: Entry, organisation: str) -> bool:
    """"ILO Migration Branch" fits "Chief of the Labour Migration Branch, International Labour Organization (ILO)"."""
    described = set(_WORD_RE.findall(fold_accents(f"{alias.speaker.role} {alias.speaker.organisation}")))
    wanted = [w for w in _WORD_RE.findall(organisation) if w[:1].isupper()]
    return len(wanted) >= 2 and all(fold_accents(w) in described for w in wanted)


def _fill_role(entry: Entry, mention: _Mention) -> None:
    """Give a registered person without a role (or gender) what a surname mention states ("Ms. Gahar, ...")."""
    if (mention.role or mention.organisation) and not (entry.speaker.role or entry.speaker.organisation):
        entry.speaker = replace(entry.speaker, role=mention.role, organisation=mention.organisation)
    entry.gender = entry.gender or mention.gender


class Registry:
    """People and bodies of one report; resolves surnames, roles and repeated mentions."""

    def __init__(self, own_bodies: dict[str, str] | None = None) -> None:
        self.entries: list[Entry] = []
        self.role_aliases: dict[str, Entry] = {}
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
            for part in _AND_RE.split(role_text):
                role_word = _ROLE_RE.search(part.split(" of ")[0].split(" de ")[0])
                if role_word and role_word.group().casefold() not in self.role_aliases:
                    self.role_aliases[role_word.group().casefold()] = entry

    def _add(self, mention: _Mention) -> Entry:
        """Create an entry for a mention."""
        entry = Entry(Speaker(mention.name, mention.role, mention.organisation), mention.gender, mention.kind,
                      plural=mention.plural)
        self.entries.append(entry)
        return entry

    def _find_by_full_name(self, name: str) -> Entry | None:
        """Entry with exactly this name (accent/case-insensitive)."""
        folded = fold_accents(name)
        return next((e for e in self.entries if fold_accents(e.speaker.name) == folded), None)

    def _surname_candidates(self, name: str, gender: str) -> list[Entry]:
        """People whose full name contains `name` as its tail (or inner surname run)."""
        ref = fold_accents(name).split()
        found = []
        for entry in self.entries:
            if entry.kind != "person":
                continue
            tokens = fold_accents(entry.speaker.name).split()
            if len(ref) >= len(tokens):
                continue
            tail_runs = [tokens[i:i + len(ref)] for i in range(1, len(tokens) - len(ref) + 1)]
            if ref in tail_runs and (not gender or not entry.gender or gender == entry.gender):
                found.append(entry)
        return found

    def _person_by_surname(self, mention: _Mention) -> Entry | None:
        """The one known person a one-word subject names by surname ("Según Ruiz, ...", "Diallo stressed")."""
        if len(mention.name.split()) != 1:
            return None
        candidates = self._surname_candidates(mention.name, "")
        return candidates[0] if len(candidates) == 1 else None

    def find_known_person(self, mention: _Mention) -> Entry | None:
        """Entry for a titled mention if the person is already known (never creates one)."""
        if mention.kind != "person":
            return None
        candidates = self._surname_candidates(mention.name, mention.gender)
        known = self._find_by_full_name(mention.name)
        return known or (max(candidates, key=lambda e: e.last_seen) if candidates else None)

    def resolve_person(self, mention: _Mention, position: int) -> Entry:
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

    def resolve_role(self, mention: _Mention, position: int) -> Entry:
        """Entry for "The Chair" / "the representative of Mexico": a person holding it, else the role."""
        alias = None if mention.indefinite else self.role_aliases.get(mention.role_key)
        if alias and _alias_fits(alias, mention):
            alias.last_seen = position
            return alias
        if not mention.organisation:
            same_role = [e for e in self.entries if e.kind == "role" and fold_accents(e.speaker.role) == fold_accents(mention.role)]
            if same_role:
                entry = max(same_role, key=lambda e: e.last_seen)
                entry.last_seen = position
                return entry
        entry = self._find_by_full_name(mention.name) or self._add(mention)
        entry.last_seen = position
        return entry

    def resolve(self, mention: _Mention, position: int) -> Entry:
        """Entry for any kind of mention."""
        if mention.kind == "person":
            return self.resolve_person(mention, position)
        if mention.kind == "role":
            return self.resolve_role(mention, position)
        own = self.own_bodies.get(fold_accents(mention.name))
        if own:
            mention = replace(mention, name=own, organisation=own)
        entry = self._find_by_full_name(mention.name) or self._person_by_surname(mention) or self._add(mention)
        entry.last_seen = position
        return entry
