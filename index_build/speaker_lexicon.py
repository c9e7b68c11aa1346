"""Vocabularies for speaker attribution: character classes, titles, role words, speech verbs (EN, FR, ES).

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
    r"|Professor|Ambassadrice|Ambassadeur|Ambassador|M\."
    r"|(?:(?:Excm[oa]|Ilm[oa])\.\s+)?(?:Sres\.|Sras\.|Srta\.|Sra\.|Sr\.)|Dra\.|Doña|Embajadora|Embajador|Profesora"
    r"|Profesor)"
    r"|S\.\s?E\.|H\.\s?E\."
    r")"
    r"(?:\s+(?P<honorific>l['’]Ambassadeur|l['’]Ambassadrice|le Professeur|la Professeure|le Dr\.?"
    r"|Ambassador|Professor|Dr\.?|Judge|Justice|Embajadora?|Dra?\.))?"
    r"\s+(?=[" + _UPPER + r"])"
)
_PLURAL_TITLES = {"MM.", "Mmes", "Messrs", "Messrs.", "Sres.", "Sras."}
_FEMALE_TITLES = {"Mme", "Mmes", "Mlle", "Ms", "Ms.", "Mrs", "Mrs.", "Professeure", "Ambassadrice",
                  "Sra.", "Sras.", "Srta.", "Dra.", "Doña", "Embajadora", "Profesora"}
_MALE_TITLES = {"M.", "MM.", "Mr", "Mr.", "Messrs", "Messrs.", "Ambassadeur", "Sr.", "Sres.", "Embajador", "Profesor"}
#: Title abbreviations after which a period does not end a sentence, beyond those :mod:`index_build.text` knows
#: ("La Sra. Ana Gómez", "Dip. Luis Pérez, Presidente"): speaker attribution joins the pieces back.
_EXTRA_TITLE_ABBREVIATIONS = {"sra", "sras", "sres", "srta", "dra", "excmo", "excma", "ilmo", "ilma", "lic", "lcda",
                              "licda", "ing", "mtro", "mtra", "dip", "sen", "dña", "gral", "arq", "c.p"}

_NAME_PARTICLES = {
    "de", "da", "das", "do", "dos", "del", "della", "di", "du", "van", "von", "der", "den", "ter",
    "bin", "ibn", "binti", "al", "el", "y", "e", "la", "le", "des", "st.", "los", "las",
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
    # Spanish
    "los", "las", "una", "unos", "unas", "este", "esta", "estos", "estas", "él", "ella", "ellos", "ellas",
    "con", "para", "por", "según", "sobre", "entre", "tras", "durante", "desde", "hasta", "pero", "sin",
    "cuando", "como", "asimismo", "además", "también", "presidenta", "ministro", "ministra", "secretario",
    "secretaria", "directora", "sr", "sra", "srta", "sres", "sras", "dra", "doña", "dip", "lic", "lcda", "licda",
    "excmo", "excma",
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
    Oficina Consejo Organización Centro Ministerio Departamento Dirección División Secretaría Subsecretaría
    Comisión Comité Unión Fondo Banco Programa Red Asociación Instituto Agencia Parlamento Universidad Misión
    Delegación Grupo Federación Fundación Foro Unidad Consulado Embajada Presidencia Gobierno Asamblea Alianza
    Coalición Junta Servicio Servicios Academia Observatorio Naciones Corte Tribunal Cruz Media Proceso
    Iniciativa Sociedad Empresa Cámara Senado Congreso Procuraduría Defensoría
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
_ROLE_WORDS_ES = [
    "Alta Comisionada Adjunta", "Alto Comisionado Adjunto", "Alta Comisionada", "Alto Comisionado",
    "Secretaria General Adjunta", "Secretario General Adjunto", "Secretaria General", "Secretario General",
    "Directora General Adjunta", "Director General Adjunto", "Directora General", "Directora Ejecutiva",
    "Director Ejecutivo", "Directora", "Relatora Especial", "Relator Especial", "Relatora", "Relator",
    "Vicepresidenta", "Vicepresidente", "Copresidenta", "Copresidente", "Presidenta", "Presidente",
    "Viceministra", "Viceministro", "Ministra", "Ministro", "Representante Permanente", "Representante Especial",
    "Representante", "Enviada Especial", "Enviado Especial", "Embajadora", "Embajador", "Comisionada",
    "Comisionado", "Coordinadora", "Coordinador", "Moderadora", "Moderador", "Facilitadora", "Facilitador",
    "Portavoz", "Vocera", "Vocero", "Observadora", "Observador", "Delegada", "Delegado", "Jefa", "Jefe",
    "Subsecretaria", "Subsecretario", "Secretaria", "Secretario", "Senadora", "Senador", "Diputada", "Diputado",
    "Canciller",
]
# Gendered role heads, per language (a pronoun must agree with them: "Elle" never continues "Le représentant").
_FEMININE_ROLE_HEADS = {
    "fr": {"représentante", "présidente", "vice-présidente", "coprésidente", "directrice", "rapporteuse",
           "ambassadrice", "coordonnatrice", "modératrice", "facilitatrice", "cofacilitatrice",
           "observatrice", "déléguée", "cheffe", "envoyée"},
    "es": {"presidenta", "vicepresidenta", "copresidenta", "directora", "relatora", "embajadora", "coordinadora",
           "moderadora", "facilitadora", "observadora", "delegada", "jefa", "enviada", "ministra", "viceministra",
           "secretaria", "subsecretaria", "comisionada", "alta", "vocera", "senadora", "diputada"},
}
_MASCULINE_ROLE_HEADS = {
    "fr": {"représentant", "président", "vice-président", "coprésident", "directeur", "rapporteur",
           "ambassadeur", "coordonnateur", "modérateur", "facilitateur", "cofacilitateur", "observateur",
           "délégué", "envoyé"},
    "es": {"presidente", "vicepresidente", "copresidente", "director", "relator", "embajador", "coordinador",
           "moderador", "facilitador", "observador", "delegado", "jefe", "enviado", "ministro", "viceministro",
           "secretario", "subsecretario", "comisionado", "alto", "vocero", "senador", "diputado"},
}
_ROLE_WORDS = sorted(dict.fromkeys(_ROLE_WORDS_EN + _ROLE_WORDS_FR + _ROLE_WORDS_ES), key=len, reverse=True)
_ROLE_WORDS_FOLDED = {w.casefold() for w in _ROLE_WORDS}
_ROLE_ALT = "|".join(re.escape(w) for w in _ROLE_WORDS)
# Spanish writes roles in lower case too ("el presidente de la Comisión", "la relatora especial").
_ROLE_ALT_LOWER_ES = "|".join(re.escape(w.casefold()) for w in sorted(_ROLE_WORDS_ES, key=len, reverse=True))

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

# Spanish: lemmas conjugated regularly (3rd person preterite and present, singular and plural, and the participle
# after "ha"/"han"), then the stem-changing and irregular verbs in the same five forms ("-" where a form is left out).
# Present forms that are common nouns or adjectives ("la nota", "la cita", "la pregunta", "autorización expresa",
# "precisa") or English words ("describe") are left out.
_SPANISH_SPEECH_LEMMAS = """
señalar destacar subrayar indicar explicar afirmar declarar insistir expresar observar reconocer añadir agregar
aclarar reiterar reafirmar resaltar enfatizar recalcar mencionar comentar informar anunciar confirmar lamentar
condenar deplorar criticar elogiar felicitar agradecer acoger celebrar instar exhortar solicitar exigir reclamar
responder contestar plantear apuntar puntualizar argumentar opinar considerar asegurar presentar citar abogar
coincidir valorar aplaudir rechazar cuestionar resumir relatar narrar hablar preguntar precisar denunciar
""".split()
_SPANISH_IRREGULAR_SPEECH = [line.split() for line in """
dijo dijeron dice dicen dicho
propuso propusieron propone proponen propuesto
pidió pidieron pide piden pedido
recordó recordaron recuerda recuerdan recordado
recomendó recomendaron recomienda recomiendan recomendado
manifestó manifestaron manifiesta manifiestan manifestado
advirtió advirtieron advierte advierten advertido
sugirió sugirieron sugiere sugieren sugerido
expuso expusieron expone exponen expuesto
sostuvo sostuvieron sostiene sostienen sostenido
concluyó concluyeron concluye concluyen concluido
alentó alentaron alienta alientan alentado
defendió defendieron defiende defienden defendido
describió describieron - describen descrito
intervino intervinieron interviene intervienen intervenido
convino convinieron - - -
acordó acordaron - - acordado
estimó estimaron - - -
alertó alertaron - - -
""".strip().splitlines()]
_SPANISH_NOT_VERBS = {"nota", "cita", "pregunta", "expresa", "precisa", "denuncia", "describe", "coincide", "resume",
                      "-"}


def _spanish_forms(lemma: str) -> list[str]:
    """Preterite (singular, plural), present (singular, plural) and participle of a regular Spanish verb."""
    stem, ending = lemma[:-2], lemma[-2:]
    if ending == "ar":
        return [stem + "ó", stem + "aron", stem + "a", stem + "an", stem + "ado"]
    return [stem + "ió", stem + "ieron", stem + "e", stem + "en", stem + "ido"]


_SPANISH_CONJUGATIONS = [_spanish_forms(w) for w in _SPANISH_SPEECH_LEMMAS] + _SPANISH_IRREGULAR_SPEECH
_SPANISH_PAST_SPEECH = {f for forms in _SPANISH_CONJUGATIONS for f in forms[:2]} - _SPANISH_NOT_VERBS
_SPANISH_SPEECH_VERBS = {f for forms in _SPANISH_CONJUGATIONS for f in forms[:4]} - _SPANISH_NOT_VERBS  # finite
_SPANISH_SINGULAR_SPEECH = {f for forms in _SPANISH_CONJUGATIONS for f in forms[0:4:2]} - _SPANISH_NOT_VERBS
_SPANISH_SPEECH_PARTICIPLES = {forms[4] for forms in _SPANISH_CONJUGATIONS} - _SPANISH_NOT_VERBS
# Multi-word speech predicates ("hizo hincapié en", "se refirió a").
_SPANISH_SPEECH_PHRASES = [
    "hizo hincapié", "hicieron hincapié", "hace hincapié", "hacen hincapié", "hizo referencia", "hicieron referencia",
    "puso de relieve", "pusieron de relieve", "puso de manifiesto", "pusieron de manifiesto", "tomó la palabra",
    "tomaron la palabra", "hizo un llamamiento", "hicieron un llamamiento", "llamó la atención",
    "llamaron la atención", "se refirió", "se refirieron", "se refiere", "se refieren", "se pronunció",
    "se pronunciaron", "se mostró", "se mostraron",
]
_SPANISH_AUXILIARIES = {"ha", "han", "había", "habían", "habría", "habrían", "hubo"}
_SPANISH_ADVERBS = ["también", "además", "asimismo", "igualmente", "luego", "posteriormente", "finalmente",
                    "por su parte", "a su vez", "por otra parte", "en particular", "nuevamente", "de nuevo"]


def _alternation(words: set[str] | list[str]) -> str:
    """Regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SPEECH_VERB_PATTERN = (
    r"(?:(?:(?:also|further|then|again|subsequently|later|additionally)\s+)?(?:"
    + _alternation(_ENGLISH_SPEECH_VERBS) + r")"
    r"|(?:a|ont|avait|avaient)\s+(?:(?:également|aussi|en outre|ensuite|notamment|encore|enfin|"
    r"pour sa part|par ailleurs|quant à lui|quant à elle)\s+)*(?:"
    + _alternation(_FRENCH_SPEECH_PARTICIPLES) + r")"
    r"|(?:" + _alternation(_FRENCH_SPEECH_PRESENT) + r")"
    r"|(?:" + _alternation(_SPANISH_AUXILIARIES) + r")\s+(?:" + _alternation(_SPANISH_SPEECH_PARTICIPLES) + r")"
    r"|(?:(?:" + _alternation(_SPANISH_ADVERBS) + r")\s+)?(?:"
    + _alternation(_SPANISH_SPEECH_VERBS | set(_SPANISH_SPEECH_PHRASES)) + r"))(?![\w’'])"
)
_FRENCH_REFLEXIVE_VERB_RE = re.compile(r"(?:^|\s)(?:s['’]est|se sont|s['’]était|s['’]étaient)\b")
_ADVERBS = {
    "également", "aussi", "ensuite", "enfin", "notamment", "en", "outre", "par", "ailleurs",
    "encore", "alors", "toutefois", "cependant", "néanmoins", "lui-même", "elle-même", "pour",
    "sa", "part", "also", "further", "then", "again", "additionally", "subsequently", "later",
    "furthermore", "moreover", "however", "finally", "specifically", "particularly", "strongly",
    "repeatedly", "explicitly", "clearly", "también", "además", "asimismo", "igualmente", "nuevamente",
}
_COPULAS = {"is", "was", "were", "are", "est", "était", "étaient", "sont", "es", "era", "eran", "son", "fue", "fueron",
            "está", "están"}
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
    r"one speaker|a speaker|a participant|one participant|many|several|some|it was|there (?:was|were)|"
    r"(?:otros|otras|varios|varias|muchos|muchas|algunos|algunas|numerosos|numerosas|los|las|todos los|todas las|"
    r"la mayoría de (?:los|las))\s+(?:oradore?s|oradoras?|participantes?|panelistas?|ponentes?|delegaciones|"
    r"delegad[oa]s|expert[oa]s|representantes|Estados|miembros|países|gobiernos)|"
    r"un orador|una oradora|un participante|una participante|un ponente|una ponente|muchos|varios|algunos|hubo|"
    r"se (?:señaló|destacó|subrayó|indicó|observó|dijo|afirmó|recordó|mencionó|consideró|acordó))\b",
    re.IGNORECASE,
)

_EN_PRONOUN_RE = re.compile(r"^(?:[^,]{0,120},\s+)?(?P<pron>he|she|they)\s+(?P<next>[a-z]+)", re.I)
_FR_PRONOUN_RE = re.compile(
    r"^(?:[^,]{0,120},\s+)?(?P<pron>il|elle|ils|elles)\s+(?P<rest>[^.;:]{0,80})", re.I
)
_ES_PRONOUN_RE = re.compile(r"^(?:[^,]{0,120},\s+)?(?P<pron>él|ella|ellos|ellas)\s+(?P<next>\w+)", re.I)
# Spanish drops the subject: "Añadió que ...", "Asimismo, subrayó que ..." go on with the current speaker.
_ES_NULL_SUBJECT_RE = re.compile(
    r"^(?:(?:asimismo|además|también|finalmente|por último|por otra parte|por otro lado|igualmente|en este sentido|"
    r"en ese sentido|a continuación|luego|posteriormente|por su parte)\s*,?\s+)?(?P<verb>[^\W\d_]+)(?:\s|,|$)", re.I)
_IT_PRONOUN_RE = re.compile(r"^(?:[^,]{0,120},\s+)?it\s+(?:also\s+|further\s+)?(?P<verb>[a-z]+)", re.I)
_VIEW_PHRASE_RE = re.compile(
    r"^(?:selon (?:lui|elle|eux|elles)|d['’]après (?:lui|elle|eux|elles)|à son avis|pour (?:lui|elle)|"
    r"in (?:his|her|their) view|according to (?:him|her|them)|según (?:él|ella|ellos|ellas)|en su opinión|"
    r"a su juicio|a su entender|a su parecer|para (?:él|ella))(?!\w)",
    re.I,
)

_SPEECH_NOUNS = {
    "exposé", "point", "vue", "avis", "termes", "déclaration", "intervention", "présentation",
    "propos", "remarques", "observations", "message", "discours", "allocution", "contribution",
    "témoignage", "analyse", "proposition", "suggestion", "appel", "paroles", "mots",
    "statement", "remarks", "view", "views", "words", "presentation", "speech", "address",
    "testimony", "keynote", "opinion", "comments",
    "exposición", "opinión", "declaración", "intervención", "presentación", "palabras", "discurso", "mensaje",
    "observaciones", "comentarios", "testimonio", "análisis", "propuesta", "llamamiento", "alocución", "ponencia",
}
_SPEECH_INVERSION_RE = re.compile(
    r"(?:(?:l['’]a|l['’]ont|l['’]avait|l['’]avaient)\s+(?:[\w’']+\s+){0,2}[\w’']+|selon|d['’]après|"
    r"de l['’]avis de|according to|as (?:noted|stated|said|pointed out|explained|emphasized|"
    r"stressed|highlighted|recalled|observed) by|said|noted|added|stated|según|de acuerdo con|a juicio de|"
    r"en opinión de|en palabras de|" + _alternation(_SPANISH_PAST_SPEECH) + r")\s*$",
    re.I,
)
_SUBJECT_LEAD_RE = re.compile(
    r"(?:^|[,;:(«“\"—–]|\b(?:et|and|ou|or|tels? que|telles? que|such as|notamment|including|like|"
    r"comme|dont|puis|then|while|tandis que|alors que|lorsque|when|where|où|y|e|o|como|tales? como|"
    r"entre ellos|entre ellas|mientras que|cuando|donde|luego))\s*$",
    re.I,
)
# A Spanish article before a title or role ("El Sr. ...", "según la Sra. ..."), dropped before reading what leads it.
_SPANISH_ARTICLE_END_RE = re.compile(r"(?:^|(?<=\s))(?:el|la|los|las|del)\s*$", re.I)

_LOCATION_SEGMENT_RE = re.compile(
    rf"^(?:à|en|in|at|au|aux)\s+[{_UPPER}]\S*(?:\s+\S+){{0,3}}$"
)
_ORG_PREPOSITION_RE = re.compile(
    rf"(?:(?<=\s)|^)(?<!auprès )(?<!to )(?:de la|de l['’]|des|du|del|de los|de las|de|d['’]|à la|à l['’]|au|aux|à|"
    rf"of the|of|at the|at|with the|within the)\s*(?=[{_UPPER}])"
)
_PLACE_PREPOSITIONS = {"à", "at", "au", "aux", "in"}
# from the start of a run of spaces only, taken whole: linear on long runs of spaces
_TRAILING_LOCATION_RE = re.compile(rf"(?<!\s)\s++(?:à|in|at|en)\s++[{_UPPER}][\w\-’' ]{{0,30}}$")

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
    "ley", "decreto", "reglamento", "artículo", "fracción", "párrafo", "capítulo", "título", "sección", "anexo",
    "informe", "declaración", "convención", "pacto", "acuerdo", "estrategia", "resolución", "protocolo", "marco",
    "directrices", "carta", "estudio", "encuesta", "evaluación", "cuadro", "tabla", "gráfico", "recuadro", "norma",
    "constitución", "código", "lineamientos", "guía", "programa", "plan", "agenda", "iniciativa",
    "décret", "règlement", "code", "constitution", "decree", "regulation", "constitution",
}

# Places whose name holds its article: "El Salvador subrayó" is El Salvador, not "Salvador".
_NAMES_WITH_ARTICLE = {"el salvador", "el cairo", "la haya", "la habana", "la paz", "las palmas", "los ángeles",
                       "la valeta", "el aaiún"}


_LAST_WORD_RE = re.compile(r"(?<!\w)(\w++)\s++$")


def with_own_article(text: str, start: int, name: str) -> str:
    """`name` found at `start` of `text`, given back the article it owns ("Salvador" after "El " -> "El Salvador")."""
    before = _LAST_WORD_RE.search(text[max(0, start - 8):start])
    if before and f"{before.group(1)} {name}".casefold() in _NAMES_WITH_ARTICLE:
        return f"{before.group(1)} {name}"
    return name


# Abstract nouns that open sentences like a country name would ("Evidence suggests", "Research shows"): never bodies.
_ABSTRACT_SUBJECTS = {
    "en": {"evidence", "research", "data", "analysis", "findings", "experience", "practice", "literature",
           "information", "feedback", "monitoring", "documentation", "history", "results", "observation"},
    "fr": {"données", "analyse", "recherche", "résultats", "constats", "expérience", "pratique", "documentation",
           "information", "informations", "observation"},
    "es": {"datos", "análisis", "investigación", "resultados", "conclusiones", "experiencia", "práctica", "información",
           "evidencia", "documentación", "observación", "historia", "estadísticas", "cifras"},
}
