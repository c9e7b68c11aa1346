"""Vocabularies for speaker attribution: character classes, titles, role words, speech verbs (EN, FR).

Each list is per language where it matters, so another language can be added by extending them.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------------------------
# Character classes and vocabularies
# ---------------------------------------------------------------------------------------------

_UPPER = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper())
_LOWER = "a-z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.islower())
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
_SENTENCE_ABBREVIATIONS = {
    "m", "mm", "mme", "mr", "mrs", "ms", "dr", "pr", "prof", "st", "no", "nos", "art", "p", "pp",
    "ex", "cf", "e.g", "i.e", "vol", "inc", "ltd", "co", "messrs", "jr", "sr", "op", "cit", "n°",
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

# ---------------------------------------------------------------------------------------------
# Report styles beyond meeting summaries: evaluations, UN committee reports, declarations.
# Each vocabulary is keyed by language ("en", "fr"); add a key to support another language.
# ---------------------------------------------------------------------------------------------

# Verbs a collective or evaluative subject uses for its findings ("interviewees felt", "the evaluation found").
_FINDING_LEMMAS_EN = """
find show reveal identify credit echo feel perceive consider view see rate offer emphasize emphasise
""".split()
_FINDING_IRREGULAR_EN = {"found", "finds", "felt", "feels", "saw", "sees", "said", "say", "says", "told",
                         "referred", "refer", "refers"}
_PLURAL_PRESENT_FR = """
soulignent déclarent disent indiquent estiment précisent rappellent relèvent notent font expliquent
affirment insistent ajoutent évoquent mentionnent citent saluent demandent proposent recommandent suggèrent
expriment concluent considèrent pensent jugent observent constatent signalent reconnaissent rapportent
déplorent apprécient perçoivent regrettent craignent trouvent
""".split()
_FINDING_FR = """
constate constaté constatent révèle révélé montre montré relève relevé conclut conclu recommande recommandé
note noté observe observé souligne souligné estime estimé identifie identifié met mis
""".split()

# Who speaks in an evaluation besides named people: informants and the evaluators themselves.
_INFORMANT_NOUNS = {
    "en": ["key informants", "key informant", "interviewees", "interviewee", "respondents", "respondent",
           "informants", "informant", "staff members", "staff member", "staff", "team members", "team member",
           "team", "focal points", "focal point", "coordinators", "coordinator", "officials", "official",
           "interlocutors", "stakeholders consulted", "beneficiaries interviewed"],
    "fr": ["informateurs clés", "informatrices clés", "informateurs", "personnes interviewées",
           "personnes interrogées", "personnes rencontrées", "personnes enquêtées", "personnes consultées",
           "répondants", "répondantes", "enquêtés", "enquêtées", "interlocuteurs", "interlocutrices",
           "membres du personnel", "membres de l['’]équipe", "équipe", "points focaux", "point focal"],
}
_INFORMANT_QUALIFIERS = {
    "en": """regional country national local field senior project programme program technical mission
             headquarters hq government partner donor ministry several""".split(),
    "fr": """régional régionale régionaux régionales national nationale nationaux nationales local locale
             locaux locales technique techniques du de des projet programme terrain siège""".split(),
}
_COLLECTIVE_DETERMINERS = {
    "en": ["the", "some", "many", "several", "most", "all", "other", "few", "a few", "one", "a", "an",
           "these", "those", "both", "a number of", "a majority of", "the majority of", "most of the",
           "some of the", "many of the", "one of the", "interviewed", "other"],
    "fr": ["les", "des", "certains", "certaines", "plusieurs", "la plupart des", "de nombreux", "de nombreuses",
           "un", "une", "l['’]", "le", "la", "d['’]autres", "quelques", "la majorité des", "l['’]un des",
           "l['’]une des"],
}
_EVALUATION_SUBJECTS = {
    "en": ("Evaluation team", r"(?:the|this) (?:evaluation team|evaluators?|evaluation)(?: of the project| of this project)?"),
    "fr": ("Équipe d’évaluation", r"(?:l['’]équipe d['’]évaluation|les évaluateurs|l['’]évaluateur|le\(s\) évaluateur\(s\)"
                                  r"|l['’]évaluation)(?: finale)?(?: du projet| de ce projet)?"),
}
# Subjects that stand for several States or delegations, followed by the list of them.
_STATE_LIST_INTRO = {
    "en": r"(?:(?:several|some|many|numerous|other|a number of|the following)\s+)?"
          r"(?:States|Member States|delegations|countries|Governments)\s*,?\s*(?:including|such as|namely|among them)",
    "fr": r"(?:(?:plusieurs|certains|certaines|de nombreux|de nombreuses|d['’]autres)\s+)?"
          r"(?:États|États membres|délégations|pays|gouvernements)\s*,?\s*(?:dont|notamment|parmi lesquels|tels que)",
}
_PLURAL_REPRESENTATIVES = {
    "en": r"(?:the\s+)?(?:representatives|delegations)\s+of",
    "fr": r"(?:les\s+)?(?:représentants|représentantes|délégations)\s+(?:de la|de l['’]|des|du|de|d['’])",
}
# "We, the Heads of State and Government of ..." opening a declaration.
_DECLARATION_OPENING = {
    "en": r"We,\s+(?:the\s+)?(?P<role>Heads? of State and(?: of)? Government|Heads? of State|Ministers?(?: [a-z]+){0,4}"
          r"|Leaders|Representatives)\s+of\s+",
    "fr": r"Nous,\s+(?:les\s+)?(?P<role>[Cc]hefs? d['’]État et de gouvernement|[Cc]hefs? d['’]État|[Mm]inistres?(?: [a-zé]+){0,4}"
          r"|[Dd]irigeants|[Rr]eprésentants)\s+(?:de la|de l['’]|des|du|de|d['’])\s*",
}
_LIST_ITEM_ARTICLES = r"(?:and\s+|et\s+)?(?:the\s+|de la\s+|de l['’]|des\s+|du\s+|de\s+|d['’]|la\s+|le\s+|les\s+|l['’])?"

# Credit lines: "Author: X", "Conducted by: X, Y and Z", "Évaluateur(s) : X", "Géré par : X, role".
_CREDIT_LABELS = {
    "en": {"author": "Author", "authors": "Author", "conducted by": "Evaluator", "prepared by": "Author",
           "written by": "Author", "evaluator": "Evaluator", "evaluators": "Evaluator", "lead evaluator": "Evaluator",
           "team leader": "Team leader", "managed by": "Evaluation manager", "evaluation manager": "Evaluation manager",
           "chair": "Chair", "chairs": "Chair", "vice-chair": "Vice-Chair", "vice-chairs": "Vice-Chair",
           "rapporteur": "Rapporteur", "moderator": "Moderator", "facilitator": "Facilitator",
           "management response coordinator": "Management response coordinator",
           "commissioned by": "Commissioning organisation", "validated by": "Validation",
           "approved by": "Validation"},
    "fr": {"auteur": "Auteur", "auteurs": "Auteur", "auteure": "Auteure", "évaluateur": "Évaluateur",
           "evaluateur": "Évaluateur", "évaluateur(s)": "Évaluateur", "évaluateurs": "Évaluateur",
           "évaluatrice": "Évaluatrice", "réalisé par": "Évaluateur", "rédigé par": "Auteur",
           "géré par": "Gestionnaire de l’évaluation", "président": "Président", "présidente": "Présidente",
           "rapporteur": "Rapporteur", "rapporteuse": "Rapporteuse", "modérateur": "Modérateur",
           "modératrice": "Modératrice", "coordonnateur de la réponse de la direction": "Coordonnateur",
           "commandé par": "Commanditaire", "commanditée par": "Commanditaire", "commandée par": "Commanditaire",
           "commandité par": "Commanditaire", "préparé par": "Auteur", "validé par": "Validation"},
}
_COMPANY_SUFFIXES = {"ltd", "ltd.", "inc", "inc.", "llc", "sarl", "sa", "gmbh", "plc", "consulting", "consultants"}

# Headings of annex lists whose rows are people consulted (each row is a speaker of its paragraph).
_PEOPLE_LIST_HEADING = {
    "en": r"\b(?:list of )?(?:persons|people|key informants|interviewees|stakeholders|respondents|individuals)"
          r"\s+(?:met|interviewed|consulted|contacted)\b|\blist of (?:key informants|interviewees|respondents)\b",
    "fr": r"\b(?:liste des )?personnes\s+(?:rencontrées|interrogées|interviewées|consultées|contactées)\b"
          r"|\bliste des (?:informateurs|répondants|interlocuteurs)\b",
}
# Management responses: the decision on each recommendation and the unit responsible for it.
_MANAGEMENT_RESPONSE = {
    "en": ("Management", r"management response\s*[-–—:]\s*(?P<decision>(?:partially\s+)?(?:accept(?:ed)?|reject(?:ed)?))"),
    "fr": ("Direction", r"réponse de la direction\s*[-–—:]\s*(?P<decision>(?:partiellement\s+)?(?:acceptée?|rejetée?))"),
}
_RESPONSIBLE_UNIT = {
    "en": r"(?:responsible (?:unit|office|entity|division)s?(?:\(s\))?|unit\(s\) responsible)\s*:",
    "fr": r"(?:unités? responsables?|unité\(s\) responsable\(s\)|responsables?|entités? responsables?)\s*:",
}
_UNIT_HEADS = {
    "en": "teams team unit units office offices division section department bureau mission".split(),
    "fr": "équipes équipe unité unités bureau bureaux division section département direction chefs mission".split(),
}
_CAPITALISED_STOP_WORDS = """
January February March April May June July August September October November December Monday Tuesday Wednesday
Thursday Friday Saturday Sunday Janvier Février Mars Avril Mai Juin Juillet Août Septembre Octobre Novembre
Décembre Table Annex Annexe Figure Section Chapter Page Total Name Nom Role Title Fonction Date
Mme Mmes Mlle MM Mr Mrs Ms Messrs Dr Pr Prof Professeur Professeure Professor Ambassador Ambassadeur
Ambassadrice Son Sa Excellence Excellency His Her Judge Justice Sir Dame Lord Lady Madame Monsieur Maître
""".split()

# ---------------------------------------------------------------------------------------------
# Reporting subjects of evaluations: "An RDH analyst noted", "senior management gave feedback that",
# "In interviews with UNHCR staff, ...", credit lines naming organisations, co-authors of joint statements.
# ---------------------------------------------------------------------------------------------

def _with_plurals(words: str) -> set[str]:
    """Each word of a blank-separated list plus its plural in "s" (French "-al" words list both forms)."""
    forms = set(words.split())
    return forms | {w + "s" for w in forms if not w.endswith(("s", "x"))}


# Head nouns of a noun phrase naming people, a group of them or a body (never a document or an idea).
_PEOPLE_HEADS = {
    "en": _with_plurals("""
        analyst officer official manager coordinator specialist expert adviser advisor consultant representative
        director head chief member partner donor counterpart interviewee respondent informant colleague
        researcher practitioner leader supervisor assistant associate economist statistician enumerator
        facilitator trainer trainee participant beneficiary employee worker volunteer administrator planner
        evaluator stakeholder interlocutor user migrant refugee returnee delegate team government ministry
        office agency mission unit department division organisation organization secretariat delegation
        committee council board authority commission
        """) | {"staff", "personnel", "management", "leadership", "authorities", "ministries", "agencies",
                "women", "men", "people", "governments", "ngos", "focal point", "focal points"},
    "fr": _with_plurals("""
        responsable chargé chargée agent agente fonctionnaire cadre gestionnaire analyste coordonnateur
        coordonnatrice coordinateur coordinatrice expert experte spécialiste conseiller conseillère consultant
        consultante représentant représentante directeur directrice chef cheffe membre partenaire bailleur
        donateur homologue interlocuteur interlocutrice répondant répondante informateur informatrice
        bénéficiaire participant participante employé employée collègue évaluateur évaluatrice enquêteur
        enquêtrice équipe gouvernement ministère agence service unité organisation délégation migrant
        migrante réfugié réfugiée acteur actrice personne autorité
        """) | {"personnel", "direction", "bureau", "bureaux", "ong", "comité", "conseil", "secrétariat",
                "point focal", "points focaux", "parties prenantes"},
}
# Words that end the head part of an English noun phrase ("staff *in* country offices").
_NP_PREPOSITIONS_EN = {"of", "in", "at", "from", "within", "across", "based", "with", "for", "on", "working",
                       "involved", "interviewed", "consulted", "met", "who", "responsible"}
# Words a subject noun phrase never contains (clauses, pronouns, auxiliaries).
_NP_STOP_WORDS = {
    "en": {"that", "which", "who", "whom", "whose", "this", "it", "there", "here", "was", "were", "is", "are",
           "be", "been", "being", "has", "have", "had", "do", "does", "did", "not", "no", "if", "when", "while",
           "because", "as", "than", "then", "but", "so", "yet", "we", "they", "he", "she", "i", "you", "us",
           "them", "also", "its", "their", "his", "her", "our", "my", "such", "what", "how", "why", "where"},
    "fr": {"qui", "que", "qu'", "qu’", "dont", "où", "est", "sont", "était", "étaient", "a", "ont", "ne", "pas",
           "il", "elle", "ils", "elles", "on", "nous", "vous", "ce", "cette", "ces", "si", "lorsque", "quand",
           "comme", "mais", "donc", "y"},
}
# Determiners dropped from the front of a subject ("One regional data officer" -> "regional data officer").
_SUBJECT_DETERMINERS = {
    "en": r"(?:(?:some|many|most|several|all|one|two|three|few|a few|a number|none|each) of (?:the|its|their) |"
          r"the |an |a |one |another |some |many |several |most |all |other |few |a few |these |those |both |"
          r"two |three |various |numerous )",
    "fr": r"(?:la plupart des |la majorité des |l['’]une? des |un des |une des |de nombreux |de nombreuses |"
          r"les |des |le |la |l['’]|un |une |certains |certaines |plusieurs |quelques |d['’]autres |autres )",
}
# Articles that make a subject a single informant ("An RDH analyst noted", "Un responsable a expliqué").
_INFORMANT_ARTICLES = {
    "en": r"(?:An?|One|Another|an?|one|another)\s+",
    "fr": r"(?:Une?|une?|L['’]une? des|l['’]une? des)\s+",
}

# Reporting predicates beyond single speech verbs, each ending where the reported content starts.
_REPORTED_THAT_EN = """
reported noted explained indicated stated said confirmed stressed emphasized emphasised highlighted mentioned
observed acknowledged suggested felt believed argued complained commented remarked added warned agreed claimed
asserted underlined recalled recognized recognised perceived considered thought estimated cautioned insisted
report reports note notes explain explains indicate indicates feel feels believe believes argue argues say says
confirm confirms stress stresses mention mentions highlight highlights suggest suggests complain complains
""".split()
_REPORTING_PREDICATE = {
    "en": r"(?:(?:have|has|had)\s+)?(?:(?:also|further|often|repeatedly|consistently|generally|strongly|clearly|"
          r"[a-z]+ly)\s+)?(?:"
          r"(?:gave|give|gives|provided|offered|shared)\s+(?:[a-z]+\s+){0,2}?feedback(?:\s+to\s+[^,.;]{1,50}?)?\s+that"
          r"|told\s+[^,.;]{1,50}?\s+that"
          r"|(?:expressed|voiced|raised|shared|conveyed|reiterated|flagged)\s+(?:(?:their|its|his|her|some|strong|"
          r"serious|particular|the|a|growing|deep|similar|real)\s+){0,2}(?:concerns?|frustrations?|doubts?|"
          r"reservations?|satisfaction|appreciation|view|opinion|feeling|hope|belief|worry|worries|scepticism|"
          r"skepticism|fears?)\b"
          r"|(?:was|were)\s+of\s+the\s+(?:view|opinion)\s+that|made\s+the\s+(?:point|case)\s+that|pointed\s+out\s+that"
          r"|(?:" + _alternation(_REPORTED_THAT_EN) + r")(?:\s+to\s+[^,.;]{1,50}?)?\s+that"
          r")(?![\w’'])",
    "fr": r"(?:(?:a|ont|avait|avaient)\s+(?:(?:également|aussi|notamment|souvent|par ailleurs|en outre)\s+)*(?:"
          r"fait\s+part\s+(?:à\s+[^,.;]{1,50}?\s+)?(?:de|d['’]|du|des)"
          r"|exprimé\s+(?:leur|sa|ses|leurs|des|une|de|la|un)\s+(?:[\w’'-]+\s+){0,2}?(?:préoccupations?|"
          r"inquiétudes?|craintes?|doutes?|réserves?|satisfaction|avis|opinion|souhait|regret)"
          r"|fait\s+état\s+(?:de|d['’]|du|des)|fait\s+savoir\s+(?:à\s+[^,.;]{1,50}?\s+)?(?:que|qu['’])"
          r"|(?:" + _alternation(set(_FRENCH_SPEECH_PARTICIPLES) | {"rapporté", "signalé", "confié"}) + r")"
          r"\s+(?:à\s+[^,.;]{1,50}?\s+)?(?:que|qu['’]))"
          r"|(?:" + _alternation(set(_FRENCH_SPEECH_PRESENT) | {"rapporte", "rapportent", "indiquent", "estiment",
                                                             "signalent", "expliquent", "soulignent", "notent",
                                                             "affirment", "déclarent", "pensent", "considèrent",
                                                             "jugent", "constatent"})
          + r")\s+(?:à\s+[^,.;]{1,50}?\s+)?(?:que|qu['’]))(?![\w’'])",
}

# "In interviews with X, ..." / "Lors des entretiens avec les X, ...": X is the source of the sentence.
_INTERVIEW_FRAME = {
    "en": r"(?:(?:However|Indeed|Moreover|Also|Further|Furthermore|Similarly|Overall|Notably|Finally|Additionally|"
          r"Likewise|Again),\s+)?(?:In|During|Through|Across|From)\s+(?:the\s+|our\s+|its\s+|an?\s+|several\s+|many\s+|"
          r"various\s+|all\s+|these\s+)?(?:[\w-]+\s+){0,2}?(?:interviews?|discussions?|conversations?|consultations?|"
          r"focus\s+groups?|focus\s+group\s+discussions?|exchanges?)\s+(?:held\s+|conducted\s+)?with\s+",
    "fr": r"(?:(?:Toutefois|Par ailleurs|En outre|De plus|Ainsi|Enfin|Cependant|De même),\s+)?"
          r"(?:Lors|Au cours|Dans le cadre|À l['’]occasion|Dans)\s+"
          r"(?:des|de l['’]|du|de la|d['’]|les|l['’])\s*"
          r"(?:[\w-]+\s+){0,2}?(?:entretiens?|discussions?|échanges?|consultations?|groupes\s+de\s+discussion|"
          r"focus\s+groups?)\s+(?:menés\s+|réalisés\s+|tenus\s+|conduits\s+)?avec\s+",
}
# "Interviews with X revealed that ...": the same source as the subject.
_INTERVIEW_SUBJECT = {
    "en": r"(?:The\s+)?(?:Interviews|Discussions|Consultations|Conversations|interviews|discussions)\s+with\s+",
    "fr": r"(?:Les\s+)?(?:[Ee]ntretiens|[Éé]changes|[Dd]iscussions|[Cc]onsultations)\s+(?:menés\s+)?avec\s+",
}
_INTERVIEW_SUBJECT_VERB = {
    "en": r"(?:revealed|suggested|indicated|showed|highlighted|confirmed|pointed\s+to|underscored|noted)\b",
    "fr": r"(?:ont|a)\s+(?:révélé|montré|mis\s+en\s+évidence|fait\s+ressortir|confirmé|souligné|indiqué)\b",
}
# What the rest of a framed sentence must contain to report views ("the general consensus was that").
_VIEW_MARKER = {
    "en": r"\b(?:consensus|views?|opinions?|perceptions?|sense|feeling|impression|agreement|concerns?|that|"
          r"noted|said|reported|felt|explained|mentioned|highlighted|stressed|suggested|indicated|emphasi[sz]ed)\b",
    "fr": r"(?:\b(?:consensus|avis|opinions?|sentiment|impression|perceptions?|préoccupations?|ressort|ressorti|"
          r"noté|souligné|indiqué|mentionné|relevé|estiment|estimaient|jugent|pensent|que)\b|\bqu['’])",
}

# Co-authors: "the Committee, together with X, Y and Z, issued a joint statement".
_JOINT_WITH = {
    "en": r"(?:together|jointly)\s+with\s+",
    "fr": r"(?:conjointement|de\s+concert)\s+avec\s+",
}
_STATEMENT_PREDICATE = {
    "en": r"(?:issued|released|published|adopted|delivered|made|signed|launched|sent)\s+(?:a|an|the)\s+"
          r"(?:(?:joint|public|open|common)\s+)?(?:statement|declaration|communiqué|communique|press\s+release|"
          r"appeal|call|letter|message)",
    "fr": r"(?:(?:a|ont)\s+(?:publié|adopté|rendu\s+public|rendu\s+publique|signé|lancé|diffusé|fait|adressé)|"
          r"publient|adoptent|lancent)\s+(?:une|un|la|le)\s+(?:(?:déclaration|communiqué|appel|lettre|message)"
          r"(?:\s+(?:conjointe?|commune?|publique?|ouverte?))?)",
}
