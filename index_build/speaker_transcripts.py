"""Transcripts: turns opened by a speaker label ("MODERATOR:", "MS. SMITH:", "SECRETARY MAYORKAS:", "Q:",
"MODERADORA:", "M. DUPONT :"), in English, French and Spanish.

A turn runs from its label over the paragraphs after it, to the next label (or a heading, or the end mark). A
question label is a questioner; a role label ("MODERATOR:", "THE CHAIR:") is the person the transcript names for
that role ("Moderator: Jane Doe", "JANE DOE, Moderator:"), else the role itself; a titled or role-and-surname label
takes the full name the transcript gives elsewhere. Labels only count in a transcript, where at least two
paragraphs open on one that is not a bare name, and a turn's text never opens in lower case: a guide's "NOTA:",
a law's "ARTÍCULO 2:" or its definitions ("III. Asilado: a todo extranjero ...") never do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index_build.language import guess_language
from index_build.speaker_lexicon import _NAME_PARTICLES, _ROLE_WORDS, _TERMINAL_PUNCT, _UPPER
from index_build.speaker_organisations import split_role_and_organisation
from index_build.speaker_style_lexicon import (
    _ANSWER_LABELS, _LABEL_ROLES, _LABEL_TITLES, _NOT_LABEL_WORDS, _QUESTION_LABELS, _QUESTIONER, _TRANSCRIPT_END_RE,
)
from index_build.speaker_styles import full_name_in_text, is_name_token
from index_build.speaker_text import _clean_phrase
from index_build.speaker_types import Speaker
from index_build.text import fold_accents

MIN_TURNS = 2  # distinct turn labels opening paragraphs before labels are read as a transcript's

# leading spaces taken whole ("*+"): a label of spaces only was no label anyway, and a paragraph of spaces costs
# its length, not its cube
_LABEL_RE = re.compile(r"^\s*+(?P<label>[^:\n]{1,100}?)\s*:(?!//)\s*(?P<rest>.*)$", re.DOTALL)
_QUESTIONS: dict[str, list[str]] = {}  # folded label -> the languages that use it ("question": en, fr)
for _language, _labels in _QUESTION_LABELS.items():
    for _label in _labels:
        _QUESTIONS.setdefault(fold_accents(_label), []).append(_language)
_ANSWERS = {fold_accents(label) for labels in _ANSWER_LABELS.values() for label in labels}
_TITLES = {fold_accents(title) for titles in _LABEL_TITLES.values() for title in titles}
_ROLES = {fold_accents(role): role for role in _ROLE_WORDS + [r for roles in _LABEL_ROLES.values() for r in roles]}
_ARTICLES = {"the", "le", "la", "l'", "l’", "el"}
_END_RE = re.compile(_TRANSCRIPT_END_RE, re.IGNORECASE)
# "III. Asilado", "b) Secretario", "A) ...": list items ("M. DUPONT" is a title, "I. Secretario" no name either way)
_ENUMERATION_RE = re.compile(r"^(?:[IVXLC]{2,}\.|[a-z][.)]|[A-Z]\))\s")
_CAPITAL_LABEL_RE = re.compile(rf"^\s*[{_UPPER}][{_UPPER}0-9\s.'’-]{{1,40}}\s*:")  # "NOTE:", "ARTÍCULO 2:": nobody
_NOT_A_NAME_RE = re.compile(r"\d|https?|www\.")
# the name ends on its last letter (or is one character): one try per end, not one per space of a long run
_DECLARED_LABEL_RE = re.compile(r"^(?P<name>[^,()]*[^,()\s]|[^,()])\s*+(?:,\s*(?P<role>[^()]+)|\((?P<paren>[^()]+)\))$")
_INITIAL_RE = re.compile(rf"[{_UPPER}]\.")
_PARENTHESES_RE = re.compile(r"(?:(?<!\s)\s++)?\([^()]*\)")


@dataclass
class _Label:
    """What a label says: its kind ("question", "answer", "role", "person"), a role, a name as written."""

    kind: str
    role: str = ""
    name: str = ""
    languages: tuple[str, ...] = ()
    bare: bool = False  # a name without title or role ("JANE DOE:"): only read in a transcript found otherwise


def transcript_speakers(paragraphs: list[str]) -> dict[int, list[Speaker]]:
    """Speakers of the turns of a transcript, by paragraph index ({} when the report is no transcript)."""
    labels = {index: _read_label(paragraph) for index, paragraph in enumerate(paragraphs)}
    labels = {index: label for index, label in labels.items() if label}
    turns = {(label.kind, label.role, label.name) for label, _ in labels.values()
             if label.kind != "naming" and not label.bare}
    if len(turns) < MIN_TURNS:
        return {}
    text = "\n\n".join(paragraphs)
    cast = _Cast(text, guess_language(text) or "en")
    for label, _ in labels.values():
        cast.learn(label)
    found: dict[int, list[Speaker]] = {}
    current: Speaker | None = None
    for index, paragraph in enumerate(paragraphs):
        if index in labels:
            label = labels[index][0]
            current = cast.speaker(label) if label.kind != "naming" else None
        elif _ends_turn(paragraph):
            current = None
        if current is not None:
            found[index] = [current]
    return found


def _read_label(paragraph: str) -> tuple[_Label, str] | None:
    """The label opening a paragraph and the text after it, or None."""
    match = _LABEL_RE.match(paragraph)
    if not match:
        return None
    raw, rest = _clean_phrase(match.group("label")), match.group("rest").strip()
    if not raw or _NOT_A_NAME_RE.search(raw) or _ENUMERATION_RE.match(raw) or rest[:1].islower():
        return None
    label = _classify(raw)
    if label is None:
        return None
    if label.kind == "role" and _is_bare_name(rest):
        return _Label("naming", label.role, rest.rstrip(".")), rest  # "Moderator: Jane Doe" names, it does not speak
    return label, rest


def _classify(raw: str) -> _Label | None:
    """Read a label: "Q", "MODERATOR", "THE CHAIR", "MS. SMITH", "SECRETARY MAYORKAS", "JANE DOE, Moderator"."""
    folded = fold_accents(raw)
    if folded in _QUESTIONS:
        return _Label("question", languages=tuple(_QUESTIONS[folded]))
    if folded in _ANSWERS:
        return _Label("answer")
    declared = _DECLARED_LABEL_RE.match(raw)
    if declared:
        return _declared_label(declared.group("name"), declared.group("role") or declared.group("paren"))
    words = raw.split()
    if len(words) > 6 or any(fold_accents(w.strip(".")) in _NOT_LABEL_WORDS for w in words):
        return None
    if words[0].casefold() in _ARTICLES:
        words = words[1:]
    if not words:
        return None
    role, rest = _leading_role(words)
    if role and not rest:
        return _Label("role", role=role)
    if role and _is_name_words(rest, bare=False):
        return _Label("person", role=role, name=" ".join(rest))
    if fold_accents(words[0].rstrip(".")) in _TITLES and len(words) > 1 and _is_name_words(words[1:], bare=False):
        return _Label("person", name=" ".join(words[1:]))
    if _is_name_words(words, bare=True):
        return _Label("person", name=" ".join(words), bare=True)
    return None


def _declared_label(name: str, role: str) -> _Label | None:
    """"JANE DOE, Spokesperson" / "Jane Doe (UNHCR)" / "MODERATOR (Jane Doe)": a person and what they are."""
    name_words, role_words = name.split(), role.split()
    role_of_name, after_role = _leading_role(name_words)
    if role_of_name and not after_role and _is_name_words(role_words, bare=True):
        return _Label("person", role=role_of_name, name=role.strip())  # "MODERATOR (Jane Doe)"
    if not _is_name_words(name_words, bare=True) or len(role_words) > 12:
        return None
    states_role = bool(_leading_role(role_words)[0]) or role[:1].isupper()
    return _Label("person", role=_clean_phrase(role) if states_role else "", name=name.strip())


def _leading_role(words: list[str]) -> tuple[str, list[str]]:
    """The role word(s) opening a label ("SECRETARY", "High Commissioner") and the words after them."""
    for size in (3, 2, 1):
        if len(words) >= size:
            role = _ROLES.get(fold_accents(" ".join(words[:size])))
            if role:
                return role, words[size:]
    return "", words


def _is_name_words(words: list[str], bare: bool) -> bool:
    """True for 1-4 name words ("MAYORKAS", "Thomas-Greenfield", "DE LA CRUZ"); a bare name needs two."""
    names = [w for w in words if w.casefold() not in _NAME_PARTICLES]
    if not names or len(names) > 4 or (bare and len(names) < 2):
        return False
    if any(w.endswith(".") and not _INITIAL_RE.fullmatch(w) for w in names):
        return False  # "III.", "Art.": not a name
    return all(is_name_token(_title_case(w), first=i == 0) for i, w in enumerate(names)) \
        and not any(fold_accents(w) in _NOT_LABEL_WORDS for w in names)


_NAMING_TITLES_RE = re.compile(r"^(?:(?:H\.\s?E\.|S\.\s?E\.|Mr|Mrs|Ms|Dr|Dra|Prof|M|Mme|Mlle|Sr|Sra|Srta)\.?\s+)+")


def _is_bare_name(text: str) -> bool:
    """True when a label's text only names a person, maybe with a title, a role or a country ("Jane Doe",
    "H.E. Mr. Juan Pérez (Chile)", "Jane Doe, UNHCR"): the line names who holds the role, it is no turn."""
    head = _NAMING_TITLES_RE.sub("", _PARENTHESES_RE.sub("", text.rstrip(".")).split(",")[0].strip()).split()
    return 2 <= len(head) <= 5 and _is_name_words(head, bare=True) and len(text) < 120 and not text.endswith(("?", "!"))


def _title_case(word: str) -> str:
    """"MAYORKAS" -> "Mayorkas", "THOMAS-GREENFIELD" -> "Thomas-Greenfield"; mixed case stays as written."""
    if not word.isupper():
        return word
    return "-".join(part.capitalize() for part in word.split("-"))


def _as_written(name: str) -> str:
    """A label's name in the report's usual case ("DE LA CRUZ" -> "de la Cruz", "Jane Doe" unchanged)."""
    words = name.split()
    return " ".join(w.casefold() if i and w.casefold() in _NAME_PARTICLES else _title_case(w)
                    for i, w in enumerate(words))


def _ends_turn(paragraph: str) -> bool:
    """A heading, a note's label ("NOTE:") or an end mark closes the turn that runs over paragraphs."""
    text = paragraph.strip()
    if _END_RE.match(text) or _CAPITAL_LABEL_RE.match(text):
        return True
    return len(text.split()) <= 12 and not text.endswith(_TERMINAL_PUNCT)


class _Cast:
    """The people of one transcript: names given for roles and surnames, full names found in its text."""

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language if language in _QUESTIONER else "en"
        self.by_role: dict[str, Speaker] = {}
        self.people: list[Speaker] = []

    def learn(self, label: _Label) -> None:
        """Remember who holds a role ("Moderator: Jane Doe") and full names with their role ("JANE DOE, ...")."""
        if label.kind == "naming":
            name, _, organisation = label.name.partition(",")
            name = _NAMING_TITLES_RE.sub("", _PARENTHESES_RE.sub("", name).strip())
            speaker = Speaker(_as_written(name), label.role, _clean_phrase(organisation))
            self.people.append(speaker)
            self.by_role.setdefault(fold_accents(label.role), speaker)
        elif label.kind == "person" and len(label.name.split()) >= 2:
            role, organisation = split_role_and_organisation(label.role) if label.role else ("", "")
            speaker = Speaker(_as_written(label.name), role or label.role, organisation)
            self.people.append(speaker)
            if label.role:  # "JANE DOE, Spokesperson for X:" holds the role "SPOKESPERSON:" names later
                for key in {label.role, _leading_role(label.role.split())[0]} - {""}:
                    self.by_role.setdefault(fold_accents(key), speaker)

    def speaker(self, label: _Label) -> Speaker | None:
        """The speaker of a turn label (None for an answer by nobody named)."""
        if label.kind == "question":
            language = self.language if self.language in label.languages else label.languages[0]
            return Speaker(_QUESTIONER[language], _QUESTIONER[language], "")
        if label.kind == "answer":
            return None
        if label.kind == "role":
            return self.by_role.get(fold_accents(label.role)) or Speaker(label.role, label.role, "")
        known = self._known(label.name)
        if known:
            return known if known.role or not label.role else Speaker(known.name, label.role, known.organisation)
        written = _as_written(label.name)
        if len(written.split()) == 1:
            written = full_name_in_text(written, self.text) or full_name_in_text(label.name, self.text) or written
        return Speaker(written, label.role, "")

    def _known(self, name: str) -> Speaker | None:
        """A person of the cast whose full name is `name` or ends with it ("SMITH" -> "Jane Smith")."""
        wanted = fold_accents(_as_written(name)).split()
        for person in self.people:
            words = fold_accents(person.name).split()
            if words == wanted or (len(wanted) < len(words) and words[-len(wanted):] == wanted):
                return person
        return None
