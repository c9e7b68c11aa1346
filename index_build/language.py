"""Languages: one entry each (Snowball stemmer, function words, words that frame a question, openers of
"who" questions), and guessing a text's language from its function words.

Adding a language means adding one :class:`Language` here; nothing else in citeqa names a language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Language:
    """What citeqa needs to know of one language."""

    code: str  # ISO 639-1, as reports.json gives it
    stemmer: str  # the Snowball algorithm's name in PyStemmer
    stopwords: frozenset[str]
    question_frame: frozenset[str]  # words that frame a question rather than name its topic ("who spoke about")
    who_openers: str  # a regular expression for the openings of questions asking who said or did something
    apertium_codes: tuple[str, ...] = ()  # the names Apertium's mode files give the language ("en", "eng")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LANGUAGES: dict[str, Language] = {
    "fr": Language(
        "fr", "french",
        _words("le la les de des du un une et en à au aux pour par sur dans que qui quoi ce ces cet cette est sont a "
               "ont il elle ils elles on se sa son ses leur leurs d l qu s n ne pas plus ou où y été être avec comme"),
        _words("qui quel quels quelle quelles quoi comment combien pourquoi intervenant intervenants intervenante "
               "orateur orateurs oratrice oratrices panéliste panélistes parlé parle parler abordé aborder évoqué "
               "évoquer mentionné dit déclaré question rapport selon"),
        r"qui\b|quels?\s+(?:orateurs?|intervenants?|participants?|panélistes?|pays|états?|représentants?|"
        r"responsables?|membres?)\b|quelles?\s+(?:personnes?|organisations?|oratrices?|intervenantes?|délégations?|"
        r"institutions?|entités?)\b", ("fr", "fra")),
    "en": Language(
        "en", "english",
        _words("the a an of to in and or for on by with is are was were be been it its this that these those who what "
               "which about did do does how why when where from at as has have had"),
        _words("who whom whose which what speaker speakers spoke speak talked talk said say says mentioned addressed "
               "discussed raised question report according"),
        r"who\b|whom\b|which\s+(?:speakers?|participants?|people|persons?|panell?ists?|organi[sz]ations?|countries|"
        r"states?|delegations?|representatives?|officials?|members?|bodies|institutions?|entities)\b", ("en", "eng")),
    "es": Language(
        "es", "spanish",
        _words("el la los las lo de del un una unos unas y e o u en a al con por para que qué se su sus es son fue "
               "fueron ha han he hay como cómo más pero sin sobre entre este esta estos estas ese esa eso le les "
               "muy ya también no ni quien quién quienes quiénes cual cuál cuales cuáles cuando cuándo donde dónde "
               "ser sido está están era desde hasta según"),
        _words("quién quien quiénes quienes qué cuál cuáles cómo cuánto cuánta cuántos cuántas dónde cuándo "
               "orador oradores oradora ponente ponentes participante participantes habló hablaron hablado hablar "
               "mencionó mencionaron dijo dijeron declaró señaló abordó trató pregunta informe según"),
        r"qui[eé]n(?:es)?\b|qu[eé]\s+(?:oradore?s?|ponentes?|participantes?|personas?|pa[ií]s(?:es)?|estados?|"
        r"representantes?|delegacion(?:es)?|delegación|organizacion(?:es)?|organización|institucion(?:es)?|"
        r"institución|organismos?|miembros?|funcionari[oa]s?|entidades?|autoridades?)\b|"
        r"cu[aá]les\s+(?:oradore?s?|ponentes?|participantes?|pa[ií]ses|estados|organismos|instituciones|"
        r"delegaciones|organizaciones|autoridades)\b", ("es", "spa")),
}

#: Function words by language code (kept for the modules that only need these).
STOPWORDS = {code: set(language.stopwords) for code, language in LANGUAGES.items()}
ALL_STOPWORDS = frozenset().union(*(language.stopwords for language in LANGUAGES.values()))
ALL_QUESTION_FRAME = frozenset().union(*(language.question_frame for language in LANGUAGES.values()))
# possessive "*+": the spaces before the opener are never given back (a line of spaces costs its length)
_WHO_QUESTION = re.compile(r"^\s*+[¿¡]?\s*+(?:" + "|".join(language.who_openers for language in LANGUAGES.values())
                           + ")", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes unified."""
    return _WORD.findall(text.lower().replace("’", "'"))


def guess_language(text: str) -> str | None:
    """The language whose function words the text uses most; None when none wins (a keyword query)."""
    found = words(text)
    counts = sorted(((sum(word in language.stopwords for word in found), code) for code, language in LANGUAGES.items()),
                    reverse=True)
    if not counts or counts[0][0] == 0 or (len(counts) > 1 and counts[0][0] == counts[1][0]):
        return None
    return counts[0][1]


def is_who_question(question: str) -> bool:
    """True when the question asks who said or did something."""
    return bool(_WHO_QUESTION.match(question))
