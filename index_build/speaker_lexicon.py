"""Vocabularies for speaker attribution: character classes, titles, role words, speech verbs (EN, FR).

Each list is per language where it matters, so another language can be added by extending them. The
vocabularies of other report styles (evaluations, committee reports, declarations) are in
:mod:`index_build.speaker_style_lexicon`.
"""

from __future__ import annotations

import re

from index_build.text import LOWER as _LOWER, UPPER as _UPPER  # one definition of the letter classes

# ---------------------------------------------------------------------------------------------
# Character classes and vocabularies
# ---------------------------------------------------------------------------------------------

_APOS = "'’"
_FOOTNOTE_DIGITS = "0123456789¹²³⁴⁵⁶⁷⁸⁹⁰"

_TITLE_RE = re.compile(
    r"(?<![\w.’'])"
    r"(?P<title>"
    r"(?:(?:S\.\s?E\.|H\.\s?E\.|Son Excellence|Her Excellency|His Excellency)\s*)?"
    r"(?:MM\.|Mmes|Mme|Mlle|Messrs\.?|Mrs\.?|Mr\.?|Ms\.?|Dr\.?|Pr\.?|Prof\.|Professeure|Professeur"
    r"|Professor|Ambassadrice|Ambassadeur|Ambassador|M\.)"
    r"|S\.\s?E\.|H\.\s?E\."
    r")"
    r"(?:\s+(?P<honorific>l['’]Ambassadeur|l['’]Ambassadrice|le Professeur|la Professeure|le Dr\.?"
    r"|Ambassador|Professor|Dr\.?|Judge|Justice))?"
    r"\s+(?=[" + _UPPER + r"])"
)
_PLURAL_TITLES = {"MM.", "Mmes", "Messrs", "Messrs."}
_FEMALE_TITLES = {"Mme", "Mmes", "Mlle", "Ms", "Ms.", "Mrs", "Mrs.", "Professeure", "Ambassadrice"}
_MALE_TITLES = {"M.", "MM.", "Mr", "Mr.", "Messrs", "Messrs.", "Ambassadeur"}

_NAME_PARTICLES = {
    "de", "da", "das", "do", "dos", "del", "della", "di", "du", "van", "von", "der", "den", "ter",
    "bin", "ibn", "binti", "al", "el", "y", "e", "la", "le", "des", "st.",
}
_NOT_NAME_WORDS = {
    # articles, pronouns, conjunctions and other capitalised function words at sentence starts
    "le", "la", "les", "l'", "un", "une", "des", "du", "de", "ce", "cet", "cette", "ces", "il",
    "elle", "ils", "elles", "on", "nous", "vous", "dans", "en", "au", "aux", "pour", "par", "sur",
    "selon", "et", "ou", "mais", "si", "lors", "après", "avant", "comme", "ainsi", "enfin",
    "the", "a", "an", "this", "that", "these", "those", "he", "she", "it", "they", "we", "in",
    "on", "at", "for", "of", "and", "or", "but", "if", "as", "when", "while", "with", "by",
    "président", "présidente", "president", "chair", "chairperson", "minister", "ministre",
    "secretary-general", "secrétaire", "secretary", "director", "directeur", "directrice",
}

# Words heading the name of an institution (used to find the organisation in an apposition).
_INSTITUTION_HEADS = {
    w.casefold() for w in """
    Bureau Conseil Organisation Organization Organisation Centre Center Ministère Ministry Département
    Department Direction Directorate Division Secrétariat Secretariat Commission Committee Comité Union
    Fonds Fund Banque Bank Programme Program Réseau Network Association Internationale International
    Institut Institute Agence Agency Office Parlement Parliament Université University Mission
    Délégation Delegation Groupe Group Fédération Federation Fondation Foundation Forum Unité Unit
    Consulat Consulate Ambassade Embassy Présidence Presidency Gouvernement Government Assemblée
    Assembly Alliance Coalition Council Board Service Services Academy Académie Observatoire
    Observatory Haut-Commissariat Nations Cour Court Tribunal Croix-Rouge Cross Crescent Red Croissant
    Processus Process Partenariat Partnership Initiative Société Society Company Entreprise Caritas
    """.split()
}

# Role words (a role alone is never an organisation; used for "The Chair said", aliases).
_ROLE_WORDS_EN = [
    "Deputy High Commissioner", "Assistant High Commissioner", "High Commissioner",
    "Deputy Secretary-General", "Under-Secretary-General", "Assistant Secretary-General",
    "Secretary-General", "Deputy Director-General", "Director-General", "Director General",
    "Executive Director", "Deputy Director", "Director", "Special Rapporteur", "Rapporteur",
    "Vice-Chair", "Vice-Chairperson", "Co-Chair", "Chairperson", "Chairman", "Chairwoman", "Chair",
    "Vice-President", "President", "Deputy Minister", "Vice-Minister", "Minister",
    "Permanent Representative", "Special Representative", "Representative", "Special Envoy",
    "Envoy", "Ambassador", "Commissioner", "Coordinator", "Moderator", "Co-facilitator",
    "Facilitator", "Spokesperson", "Observer", "Delegate", "Chief", "Head", "Secretary",
]
_ROLE_WORDS_FR = [
    "Haut-Commissaire adjoint", "Haut-Commissaire", "Secrétaire générale adjointe",
    "Secrétaire général adjoint", "Secrétaire générale", "Secrétaire général",
    "Directrice générale adjointe", "Directeur général adjoint", "Directrice générale",
    "Directeur général", "Directrice exécutive", "Directeur exécutif", "Directrice", "Directeur",
    "Rapporteuse spéciale", "Rapporteur spécial", "Rapporteuse", "Rapporteur",
    "Vice-Présidente", "Vice-Président", "Coprésidente", "Coprésident", "Présidente", "Président",
    "Vice-Ministre", "Ministre", "Représentante permanente", "Représentant permanent",
    "Représentante spéciale", "Représentant spécial", "Représentante", "Représentant",
    "Envoyée spéciale", "Envoyé spécial", "Ambassadrice", "Ambassadeur", "Commissaire",
    "Coordonnatrice", "Coordonnateur", "Modératrice", "Modérateur", "Facilitatrice",
    "Facilitateur", "Cofacilitatrice", "Cofacilitateur", "Porte-parole", "Observatrice",
    "Observateur", "Déléguée", "Délégué", "Cheffe", "Chef", "Secrétaire",
]
_FRENCH_FEMININE_ROLE_HEADS = {
    "représentante", "présidente", "vice-présidente", "coprésidente", "directrice", "rapporteuse",
    "ambassadrice", "coordonnatrice", "modératrice", "facilitatrice", "cofacilitatrice",
    "observatrice", "déléguée", "cheffe", "envoyée",
}
_FRENCH_MASCULINE_ROLE_HEADS = {
    "représentant", "président", "vice-président", "coprésident", "directeur", "rapporteur",
    "ambassadeur", "coordonnateur", "modérateur", "facilitateur", "cofacilitateur", "observateur",
    "délégué", "envoyé",
}
_ROLE_WORDS = sorted(_ROLE_WORDS_EN + _ROLE_WORDS_FR, key=len, reverse=True)
_ROLE_WORDS_FOLDED = {w.casefold() for w in _ROLE_WORDS}
_ROLE_ALT = "|".join(re.escape(w) for w in _ROLE_WORDS)

_ENGLISH_SPEECH_LEMMAS = """
say state note stress emphasize emphasise underline underscore highlight add explain observe
remark recall reiterate express welcome commend ask inquire enquire urge call recommend suggest
propose argue indicate mention reference refer raise regret condemn acknowledge affirm reaffirm
insist caution warn describe present outline share report announce confirm agree appreciate
conclude thank encourage invite request question inform declare maintain believe hope
cite reassure convey respond reply answer comment address brief introduce point voice deplore
praise reject applaud contend assert claim
""".split()
_ENGLISH_IRREGULAR_SPEECH = {"said", "says", "told", "spoke", "speaks", "gave", "gives", "felt",
                             "feels", "drew", "draws", "referred"}


def _english_forms(lemma: str) -> set[str]:
    """Present and past forms of a regular English verb."""
    if lemma.endswith("e"):
        return {lemma, lemma + "s", lemma + "d"}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma, lemma[:-1] + "ies", lemma[:-1] + "ied"}
    plural = lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x")) else "s")
    return {lemma, plural, lemma + "ed"}


_ENGLISH_SPEECH_VERBS = set().union(*(_english_forms(w) for w in _ENGLISH_SPEECH_LEMMAS))
_ENGLISH_SPEECH_VERBS |= _ENGLISH_IRREGULAR_SPEECH
# Base forms that are also nouns or French words ("Et comment ...", "La question ...") are dropped.
_ENGLISH_SPEECH_VERBS -= {"comment", "question", "point",
                          "present", "address", "state", "report", "call", "request", "share",
                          "raise", "voice", "reference", "cite", "note", "observe", "propose",
                          "suggest", "remark", "reply", "answer", "respond", "describe", "express"}

_FRENCH_SPEECH_PARTICIPLES = """
souligné déclaré dit indiqué estimé précisé rappelé relevé noté fait expliqué affirmé réaffirmé
insisté ajouté présenté évoqué mentionné abordé cité salué remercié demandé proposé recommandé
suggéré exprimé conclu clôturé ouvert attiré commenté partagé préconisé plaidé encouragé invité
signalé appelé exhorté mis pris répondu jugé considéré confirmé reconnu regretté condamné félicité
décrit exposé témoigné parlé annoncé informé déploré constaté observé convenu approuvé appuyé
prononcé posé interrogé averti alerté rendu réitéré soutenu défendu dénoncé illustré résumé
""".split()
_FRENCH_SPEECH_PRESENT = """
souligne déclare dit indique estime précise rappelle relève note fait explique affirme réaffirme
insiste ajoute présente évoque mentionne aborde cite salue remercie demande propose recommande
suggère exprime conclut considère pense juge observe constate signale
""".split()
_FRENCH_AUXILIARIES = {"a", "ont", "avait", "avaient", "aurait", "auraient"}


def _alternation(words: set[str] | list[str]) -> str:
    """Regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SPEECH_VERB_PATTERN = (
    r"(?:(?:(?:also|further|then|again|subsequently|later|additionally)\s+)?(?:"
    + _alternation(_ENGLISH_SPEECH_VERBS) + r")"
    r"|(?:a|ont|avait|avaient)\s+(?:(?:également|aussi|en outre|ensuite|notamment|encore|enfin|"
    r"pour sa part|par ailleurs|quant à lui|quant à elle)\s+)*(?:"
    + _alternation(_FRENCH_SPEECH_PARTICIPLES) + r")"
    r"|(?:" + _alternation(_FRENCH_SPEECH_PRESENT) + r"))(?![\w’'])"
)
_FRENCH_REFLEXIVE_VERB_RE = re.compile(r"(?:^|\s)(?:s['’]est|se sont|s['’]était|s['’]étaient)\b")
_ADVERBS = {
    "également", "aussi", "ensuite", "enfin", "notamment", "en", "outre", "par", "ailleurs",
    "encore", "alors", "toutefois", "cependant", "néanmoins", "lui-même", "elle-même", "pour",
    "sa", "part", "also", "further", "then", "again", "additionally", "subsequently", "later",
    "furthermore", "moreover", "however", "finally", "specifically", "particularly", "strongly",
    "repeatedly", "explicitly", "clearly",
}
_COPULAS = {"is", "was", "were", "are", "est", "était", "étaient", "sont"}
_ENGLISH_AUXILIARIES = {"has", "have", "had", "would", "will", "could", "should", "can", "may",
                        "might", "must", "did", "does", "do", "is", "was", "were", "are"}

_GENERIC_SUBJECT_RE = re.compile(
    r"^(?:(?:d['’]autres|des|les|de nombreux|de nombreuses|plusieurs|certains|certaines|"
    r"quelques|nombre de|beaucoup d['’]|la plupart des|tous les|toutes les)\s+"
    r"(?:orateurs?|oratrices?|participants?|participantes?|panélistes|intervenants?|délégations?|"
    r"délégués?|experts?|représentants?|États|membres|pays)|"
    r"un orateur|une oratrice|un participant|une participante|un intervenant|un panéliste|"
    r"de l['’]avis général|beaucoup|"
    r"(?:other |many |several |some |most |the |all )?(?:speakers|participants|panell?ists|"
    r"experts|delegations|delegates|members|states|parliamentarians|representatives|"
    r"respondents|interviewees|stakeholders|countries|governments)|"
    r"one speaker|a speaker|a participant|one participant|many|several|some|it was|there (?:was|were))\b",
    re.IGNORECASE,
)

_EN_PRONOUN_RE = re.compile(r"^(?:[^,]{0,120},\s+)?(?P<pron>he|she|they)\s+(?P<next>[a-z]+)", re.I)
_FR_PRONOUN_RE = re.compile(
    r"^(?:[^,]{0,120},\s+)?(?P<pron>il|elle|ils|elles)\s+(?P<rest>[^.;:]{0,80})", re.I
)
_IT_PRONOUN_RE = re.compile(r"^(?:[^,]{0,120},\s+)?it\s+(?:also\s+|further\s+)?(?P<verb>[a-z]+)", re.I)
_VIEW_PHRASE_RE = re.compile(
    r"^(?:selon (?:lui|elle|eux|elles)|d['’]après (?:lui|elle|eux|elles)|à son avis|pour (?:lui|elle)|"
    r"in (?:his|her|their) view|according to (?:him|her|them))\b",
    re.I,
)

_SPEECH_NOUNS = {
    "exposé", "point", "vue", "avis", "termes", "déclaration", "intervention", "présentation",
    "propos", "remarques", "observations", "message", "discours", "allocution", "contribution",
    "témoignage", "analyse", "proposition", "suggestion", "appel", "paroles", "mots",
    "statement", "remarks", "view", "views", "words", "presentation", "speech", "address",
    "testimony", "keynote", "opinion", "comments",
}
_SPEECH_INVERSION_RE = re.compile(
    r"(?:(?:l['’]a|l['’]ont|l['’]avait|l['’]avaient)\s+(?:[\w’']+\s+){0,2}[\w’']+|selon|d['’]après|"
    r"de l['’]avis de|according to|as (?:noted|stated|said|pointed out|explained|emphasized|"
    r"stressed|highlighted|recalled|observed) by|said|noted|added|stated)\s*$",
    re.I,
)
_SUBJECT_LEAD_RE = re.compile(
    r"(?:^|[,;:(«“\"—–]|\b(?:et|and|ou|or|tels? que|telles? que|such as|notamment|including|like|"
    r"comme|dont|puis|then|while|tandis que|alors que|lorsque|when|where|où))\s*$",
    re.I,
)

_LOCATION_SEGMENT_RE = re.compile(
    rf"^(?:à|en|in|at|au|aux)\s+[{_UPPER}]\S*(?:\s+\S+){{0,3}}$"
)
_ORG_PREPOSITION_RE = re.compile(
    rf"(?:(?<=\s)|^)(?<!auprès )(?<!to )(?:de la|de l['’]|des|du|de|d['’]|à la|à l['’]|au|aux|à|"
    rf"of the|of|at the|at|with the|within the)\s*(?=[{_UPPER}])"
)
_PLACE_PREPOSITIONS = {"à", "at", "au", "aux", "in"}
_TRAILING_LOCATION_RE = re.compile(rf"\s+(?:à|in|at|en)\s+[{_UPPER}][\w\-’' ]{{0,30}}$")

_PARAGRAPH_NUMBER_RE = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|\([a-z]\)|[•·\-–—*▪●])\s+")
_NOISE_RE = re.compile(r"[\d\s/.,\-–A-Z]{0,24}")
_FOOTNOTE_RE = re.compile(rf"^\s*\d{{1,3}}\s+[{_UPPER}«“\"]")
_TERMINAL_PUNCT = tuple(".!?:;»”\")…")


# Words naming documents: a subject containing one is a topic, not a speaker.
_DOCUMENT_WORDS = {
    "compact", "convention", "declaration", "report", "agenda", "pacte", "déclaration", "rapport",
    "plan", "strategy", "stratégie", "resolution", "résolution", "protocol", "protocole",
    "framework", "cadre", "guidelines", "law", "loi", "act", "article", "charter", "charte",
    "programme", "program", "initiative", "study", "étude", "survey", "enquête", "evaluation",
    "évaluation", "section", "chapter", "chapitre", "annex", "annexe", "table", "figure", "box",
}

# Abstract nouns that open sentences like a country name would ("Evidence suggests", "Research shows"): never bodies.
_ABSTRACT_SUBJECTS = {
    "en": {"evidence", "research", "data", "analysis", "findings", "experience", "practice", "literature",
           "information", "feedback", "monitoring", "documentation", "history", "results", "observation"},
    "fr": {"données", "analyse", "recherche", "résultats", "constats", "expérience", "pratique", "documentation",
           "information", "informations", "observation"},
}
