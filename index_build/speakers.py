"""Attribute the paragraphs of a meeting report to the people (or bodies) whose words they carry.

Heuristic, standard-library only. Works on French, English and Spanish reports:

* introductions of titled people ("M. Sikander Khan, Directeur du Bureau ... de l'UNICEF, a ...",
  "Ms. Jane Doe, Director of ..., said ...", "La Sra. Ana Gómez, directora de ..., señaló ...", "Mmes X et Y",
  "S. E. M. ...", "H.E. ...");
* bodies and roles speaking in UN style ("The representative of Mexico said", "The Chair stressed",
  "Pakistan noted", "Le représentant du Maroc a déclaré", "Le Comité a souligné", "La Relatora Especial
  señaló", "según el Comité, ...");
* back-references ("M. Khan a ...", "Ms. Smith added", "Il/Elle a ...", "He/She said", "It asked", "Él/Ella
  señaló", a Spanish sentence opening on its verb: "Añadió que ...") so that a paragraph continuing a statement
  carries its speaker;
* other report styles (:mod:`index_build.speaker_styles`, :mod:`index_build.speaker_layout`): informants and
  evaluators, lists of States, untitled introductions, credit lines, annex lists of persons met, management
  responses, declarations; surnames and bare titles resolve to the full name the report gives elsewhere
  ("Ms. Gahar" -> "Sabrina Gahar");
* reporting subjects (:mod:`index_build.speaker_reporting`): informants named by a role phrase ("An RDH analyst
  noted"), groups with reporting predicates ("senior management gave feedback that"), interview frames
  ("In interviews with UNHCR staff, ..."), co-authors of joint statements ("together with the Special Rapporteur");
* transcripts (:mod:`index_build.speaker_transcripts`): speaker labels ("MODERATOR:", "MS. SMITH:", "Q:"), each
  turn running to the next label;
* laws and decrees (:mod:`index_build.speaker_signatures`): the signatories of a closing block ("... .- Rúbrica.",
  "Fait à Paris, le ... Par le Président de la République : ...", "Signed: ...") and a promulgation header.

The modules, by role:

* vocabularies: :mod:`index_build.speaker_lexicon` (titles, roles, speech verbs) and
  :mod:`index_build.speaker_style_lexicon` (the other report styles);
* mentions: :mod:`index_build.speaker_names` (names, titles, appositions), :mod:`index_build.speaker_organisations`
  (role / organisation split), :mod:`index_build.speaker_mentions` (every mention of a sentence), with
  :mod:`index_build.speaker_styles`, :mod:`index_build.speaker_reporting` and :mod:`index_build.speaker_layout`;
* registry: :mod:`index_build.speaker_registry` (one speaker per person across a report);
* attribution: this module (paragraph classification, pronoun continuations, :func:`attribute_speakers`);
* records and helpers: :mod:`index_build.speaker_types`, :mod:`index_build.speaker_text`; sentences and accent
  folding come from :mod:`index_build.text` (:func:`index_build.speaker_text.speaker_sentences` rejoins what it
  cuts after a title it does not know, "Sra.", "Dip.").

The public API is :class:`Speaker` and :func:`attribute_speakers` (and :func:`split_role_and_organisation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index_build.speaker_layout import structural_speakers
from index_build.speaker_lexicon import (
    _ADVERBS, _EN_PRONOUN_RE, _ENGLISH_SPEECH_VERBS, _ES_NULL_SUBJECT_RE, _ES_PRONOUN_RE, _FOOTNOTE_DIGITS,
    _FOOTNOTE_RE, _FR_PRONOUN_RE, _FRENCH_AUXILIARIES, _FRENCH_SPEECH_PARTICIPLES, _FRENCH_SPEECH_PRESENT,
    _GENERIC_SUBJECT_RE, _IT_PRONOUN_RE, _NOISE_RE, _SPANISH_AUXILIARIES, _SPANISH_PAST_SPEECH,
    _SPANISH_SINGULAR_SPEECH, _SPANISH_SPEECH_PARTICIPLES, _SPANISH_SPEECH_VERBS, _TERMINAL_PUNCT, _VIEW_PHRASE_RE,
)
from index_build.speaker_mentions import find_mentions, is_speaking_body
from index_build.speaker_organisations import split_role_and_organisation
from index_build.speaker_registry import Entry, Registry
from index_build.speaker_styles import document_acronyms, find_untitled_introductions, own_body_names
from index_build.speaker_text import _strip_paragraph_number, speaker_sentences
from index_build.speaker_types import _Mention, Speaker

__all__ = ["Speaker", "attribute_speakers", "split_role_and_organisation"]


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


_SPANISH_PRONOUNS = {"él": "he", "ella": "she", "ellos": "they", "ellas": "they"}


def _leading_pronoun(sentence: str) -> str | None:
    """The personal pronoun leading a sentence ("he", "elle", "it", "view" for "Selon elle"), or None.

    A Spanish sentence opening on a speech verb has its subject in the verb: "sg" ("Añadió que") or "pl".
    """
    if _VIEW_PHRASE_RE.match(sentence):
        return "view"
    english = _EN_PRONOUN_RE.match(sentence)
    if english:
        return english.group("pron").casefold()
    spanish = _ES_PRONOUN_RE.match(sentence)
    if spanish:
        return _SPANISH_PRONOUNS[spanish.group("pron").casefold()]
    null_subject = _spanish_null_subject(sentence)
    if null_subject:
        return null_subject
    french = _FR_PRONOUN_RE.match(sentence)
    if french and _is_personal_french_predicate(french.group("pron").casefold(), french.group("rest")):
        return french.group("pron").casefold()
    it = _IT_PRONOUN_RE.match(sentence)
    if it and it.group("verb").casefold() in _ENGLISH_SPEECH_VERBS:
        return "it"
    return None


def _pronoun_target(sentence: str, active: list[Entry], recent: list[Entry]) -> list[Entry]:
    """Speakers a pronoun-led sentence stands for ([] if it is not pronoun-led or nobody fits)."""
    pronoun = _leading_pronoun(sentence)
    if pronoun is None or not (active or recent):
        return []
    if pronoun == "view":
        return active or recent[-1:]
    if pronoun in {"they", "ils", "elles", "pl"}:
        return active if len(active) >= 2 or (len(active) == 1 and active[0].plural) else []
    if pronoun == "sg":
        return active if len(active) == 1 and not active[0].plural else []
    if pronoun == "it":
        return active if len(active) == 1 and active[0].kind == "body" else []
    wanted = "m" if pronoun in {"he", "il"} else "f"
    if len(active) == 1 and active[0].gender in {"", wanted}:
        return active
    same_gender = [entry for entry in recent if entry.gender == wanted]
    return same_gender[-1:]


def _spanish_null_subject(sentence: str) -> str | None:
    """"sg"/"pl" for a sentence whose first word (after "Asimismo," ...) is a Spanish speech verb in the past
    ("Añadió que", "Han señalado"), or in the present before "que" ("Considera que"); else None."""
    match = _ES_NULL_SUBJECT_RE.match(sentence)
    if not match:
        return None
    verb, rest = match.group("verb").casefold(), sentence[match.end("verb"):].split()
    if verb in _SPANISH_AUXILIARIES and rest and rest[0].casefold().strip(",") in _SPANISH_SPEECH_PARTICIPLES:
        return "pl" if verb.endswith("n") else "sg"
    if verb not in _SPANISH_SPEECH_VERBS:
        return None
    if verb not in _SPANISH_PAST_SPEECH and not (rest and rest[0].casefold() == "que"):
        return None
    return "sg" if verb in _SPANISH_SINGULAR_SPEECH else "pl"


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

    active: list[Entry] = field(default_factory=list)  # the current subject(s)
    recent: list[Entry] = field(default_factory=list)  # people of the last text paragraph, latest last
    previous_text: str = ""


def attribute_speakers(paragraphs: list[str]) -> list[list[Speaker]]:
    """For each paragraph of one report (in reading order), the speakers whose words it carries."""
    sentences_by_paragraph = [speaker_sentences(_strip_paragraph_number(p)) for p in paragraphs]
    mentions_by_sentence = [[find_mentions(s) for s in sentences] for sentences in sentences_by_paragraph]
    _silence_documents(mentions_by_sentence, document_acronyms("\n".join(paragraphs)))
    registry = Registry(own_body_names(paragraphs))
    registry.register_introductions(_registration_mentions(sentences_by_paragraph, mentions_by_sentence))
    registry.complete_names("\n\n".join(paragraphs))
    structural = structural_speakers(paragraphs, is_speaking_body)
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
                         registry: Registry, state: _ParagraphState) -> list[Entry]:
    """Speakers of one paragraph; updates the carried-over state."""
    if _is_noise(paragraph) or _is_footnote(paragraph):
        return []
    continues = _continues_previous(paragraph, state, sentences)
    active = list(state.active) if continues else []
    recent = list(state.recent) if continues else []
    pending = None if continues else (list(state.active), list(state.recent))
    found: list[Entry] = list(active)
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


def _note_recent(recent: list[Entry], registry: Registry, mentions: list[_Mention], speaking: list[Entry]) -> None:
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


def _last_group(mentions: list[_Mention], speaking: list[Entry]) -> list[Entry]:
    """The speakers of the last mention group in a sentence (they are the current subject)."""
    speaking_mentions = [m for m in mentions if m.speaking]
    last_group = speaking_mentions[-1].group
    return _unique([e for m, e in zip(speaking_mentions, speaking) if m.group == last_group])


def _extend_unique(target: list[Entry], entries: list[Entry]) -> None:
    """Append entries not already present (by identity)."""
    for entry in entries:
        if all(entry is not existing for existing in target):
            target.append(entry)


def _unique(entries: list[Entry]) -> list[Entry]:
    """Entries without repeats, order kept."""
    result: list[Entry] = []
    _extend_unique(result, entries)
    return result
