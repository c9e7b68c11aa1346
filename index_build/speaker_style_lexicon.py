"""Vocabularies of report styles beyond meeting summaries, for speaker attribution (EN, FR, ES).

Evaluations, UN committee reports and declarations: verbs of findings, informants and evaluators, lists of
States, credit lines, annex lists of persons met, management responses, reporting subjects, interview frames,
joint statements, collective bodies, transcripts' speaker labels, the signatures of laws and decrees. Each
vocabulary is keyed by language ("en", "fr", "es"); add a key to support another language.
The meeting-summary vocabularies (titles, roles, speech verbs) are in :mod:`index_build.speaker_lexicon`.
"""

from __future__ import annotations

from index_build.speaker_lexicon import (
    _FRENCH_SPEECH_PARTICIPLES, _FRENCH_SPEECH_PRESENT, _SPANISH_ADVERBS, _SPANISH_AUXILIARIES,
    _SPANISH_SPEECH_PARTICIPLES, _SPANISH_SPEECH_VERBS, _alternation,
)

# ---------------------------------------------------------------------------------------------
# Report styles beyond meeting summaries: evaluations, UN committee reports, declarations.
# Each vocabulary is keyed by language ("en", "fr", "es"); add a key to support another language.
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
_FINDING_ES = """
constata constató constatan constataron revela reveló revelan revelaron muestra mostró muestran mostraron
concluye concluyó concluyen concluyeron identifica identificó identifican identificaron encontró encontraron
percibe perciben percibieron consideran consideraron estiman estimaron opinan opinaron coinciden coincidieron
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
    "es": ["informantes clave", "informantes", "personas entrevistadas", "personas consultadas", "personas encuestadas",
           "entrevistados", "entrevistadas", "encuestados", "encuestadas", "interlocutores", "interlocutoras",
           "miembros del personal", "miembros del equipo", "equipo", "personal", "puntos focales", "punto focal",
           "funcionarios", "funcionarias"],
}
# Members of an assembly speaking as one body ("Los eurodiputados piden", "Les eurodéputés soulignent").
_ASSEMBLY_MEMBERS = {
    "en": ["MEPs", "Members of the European Parliament", "lawmakers", "legislators", "senators"],
    "fr": ["eurodéputés", "eurodéputées", "députés européens", "députés", "sénateurs", "sénatrices"],
    "es": ["eurodiputados", "eurodiputadas", "diputados", "diputadas", "senadores", "senadoras", "legisladores",
           "legisladoras"],
}
_INFORMANT_QUALIFIERS = {
    "en": """regional country national local field senior project programme program technical mission
             headquarters hq government partner donor ministry several""".split(),
    "fr": """régional régionale régionaux régionales national nationale nationaux nationales local locale
             locaux locales technique techniques du de des projet programme terrain siège""".split(),
    "es": [],  # Spanish qualifiers follow the noun: _INFORMANT_POST_QUALIFIERS
}
_INFORMANT_POST_QUALIFIERS = {
    "en": [], "fr": [],
    "es": """regional regionales nacional nacionales local locales técnico técnicos técnica técnicas gubernamental
             gubernamentales clave""".split() + ["de terreno", "sobre el terreno", "de la sede", "del proyecto",
                                                  "del programa", "de la oficina", "de los asociados"],
}
_COLLECTIVE_DETERMINERS = {
    "en": ["the", "some", "many", "several", "most", "all", "other", "few", "a few", "one", "a", "an",
           "these", "those", "both", "a number of", "a majority of", "the majority of", "most of the",
           "some of the", "many of the", "one of the", "interviewed", "other"],
    "fr": ["les", "des", "certains", "certaines", "plusieurs", "la plupart des", "de nombreux", "de nombreuses",
           "un", "une", "l['’]", "le", "la", "d['’]autres", "quelques", "la majorité des", "l['’]un des",
           "l['’]une des"],
    "es": ["los", "las", "algunos", "algunas", "varios", "varias", "muchos", "muchas", "la mayoría de los",
           "la mayoría de las", "numerosos", "numerosas", "otros", "otras", "un", "una", "el", "la", "unos", "unas",
           "uno de los", "una de las", "ciertos", "ciertas", "la mayor parte de los", "la mayor parte de las"],
}
_EVALUATION_SUBJECTS = {
    "en": ("Evaluation team", r"(?:the|this) (?:evaluation team|evaluators?|evaluation)(?: of the project| of this project)?"),
    "fr": ("Équipe d’évaluation", r"(?:l['’]équipe d['’]évaluation|les évaluateurs|l['’]évaluateur|le\(s\) évaluateur\(s\)"
                                  r"|l['’]évaluation)(?: finale)?(?: du projet| de ce projet)?"),
    "es": ("Equipo de evaluación", r"(?:el equipo de evaluación|el equipo evaluador|los evaluadores|las evaluadoras"
                                   r"|el evaluador|la evaluadora|la evaluación)(?: final)?(?: del proyecto| de este proyecto)?"),
}
# Subjects that stand for several States or delegations, followed by the list of them.
_STATE_LIST_INTRO = {
    "en": r"(?:(?:several|some|many|numerous|other|a number of|the following)\s+)?"
          r"(?:States|Member States|delegations|countries|Governments)\s*,?\s*(?:including|such as|namely|among them)",
    "fr": r"(?:(?:plusieurs|certains|certaines|de nombreux|de nombreuses|d['’]autres)\s+)?"
          r"(?:États|États membres|délégations|pays|gouvernements)\s*,?\s*(?:dont|notamment|parmi lesquels|tels que)",
    "es": r"(?:(?:varios|varias|algunos|algunas|numerosos|numerosas|muchos|muchas|otros|otras)\s+)?"
          r"(?:Estados|Estados miembros|delegaciones|países|Gobiernos|gobiernos)\s*,?\s*"
          r"(?:entre ellos|entre ellas|incluidos|incluidas|como|en particular|a saber)",
}
_PLURAL_REPRESENTATIVES = {
    "en": r"(?:the\s+)?(?:representatives|delegations)\s+of",
    "fr": r"(?:les\s+)?(?:représentants|représentantes|délégations)\s+(?:de la|de l['’]|des|du|de|d['’])",
    "es": r"(?:los\s+|las\s+)?(?:representantes|delegaciones)\s+(?:de la|de los|de las|del|de)",
}
# "We, the Heads of State and Government of ..." opening a declaration.
_DECLARATION_OPENING = {
    "en": r"We,\s+(?:the\s+)?(?P<role>Heads? of State and(?: of)? Government|Heads? of State|Ministers?(?: [a-z]+){0,4}"
          r"|Leaders|Representatives)\s+of\s+",
    "fr": r"Nous,\s+(?:les\s+)?(?P<role>[Cc]hefs? d['’]État et de gouvernement|[Cc]hefs? d['’]État|[Mm]inistres?(?: [a-zé]+){0,4}"
          r"|[Dd]irigeants|[Rr]eprésentants)\s+(?:de la|de l['’]|des|du|de|d['’])\s*",
    "es": r"Nosotr[oa]s,\s+(?:los\s+|las\s+)?(?P<role>[Jj]ef[ae]s? de Estado y de Gobierno|[Jj]ef[ae]s? de Estado"
          r"|[Mm]inistr[oa]s?(?: [a-záéíóú]+){0,4}|[Dd]irigentes|[Rr]epresentantes)\s+(?:de la|de los|de las|del|de)\s*",
}
_LIST_ITEM_ARTICLES = (r"(?:and\s+|et\s+|y\s+|e\s+)?(?:the\s+|de la\s+|de l['’]|des\s+|du\s+|del\s+|de los\s+|"
                       r"de las\s+|de\s+|d['’]|la\s+|le\s+|les\s+|l['’]|el\s+|los\s+|las\s+)?")

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
    "es": {"autor": "Autor", "autora": "Autora", "autores": "Autor", "evaluador": "Evaluador", "evaluadora": "Evaluadora",
           "evaluadores": "Evaluador", "realizado por": "Evaluador", "elaborado por": "Autor", "redactado por": "Autor",
           "gestionado por": "Gestor de la evaluación", "encargado por": "Organización comitente",
           "preparado por": "Autor", "validado por": "Validación", "aprobado por": "Validación",
           "presidente": "Presidente", "presidenta": "Presidenta", "relator": "Relator", "relatora": "Relatora", "moderador": "Moderador",
           "moderadora": "Moderadora", "facilitador": "Facilitador", "facilitadora": "Facilitadora"},
}
_COMPANY_SUFFIXES = {"ltd", "ltd.", "inc", "inc.", "llc", "sarl", "sa", "gmbh", "plc", "consulting", "consultants",
                     "s.a.", "s.l.", "s.l", "consultores"}

# Headings of annex lists whose rows are people consulted (each row is a speaker of its paragraph).
_PEOPLE_LIST_HEADING = {
    "en": r"\b(?:list of )?(?:persons|people|key informants|interviewees|stakeholders|respondents|individuals)"
          r"\s+(?:met|interviewed|consulted|contacted)\b|\blist of (?:key informants|interviewees|respondents)\b",
    "fr": r"\b(?:liste des )?personnes\s+(?:rencontrées|interrogées|interviewées|consultées|contactées)\b"
          r"|\bliste des (?:informateurs|répondants|interlocuteurs)\b",
    "es": r"\b(?:lista de )?personas\s+(?:entrevistadas|consultadas|contactadas|reunidas|encuestadas)\b"
          r"|\blista de (?:informantes|entrevistados|interlocutores)\b",
}
# Management responses: the decision on each recommendation and the unit responsible for it.
_MANAGEMENT_RESPONSE = {
    "en": ("Management", r"management response\s*[-–—:]\s*(?P<decision>(?:partially\s+)?(?:accept(?:ed)?|reject(?:ed)?))"),
    "fr": ("Direction", r"réponse de la direction\s*[-–—:]\s*(?P<decision>(?:partiellement\s+)?(?:acceptée?|rejetée?))"),
    "es": ("Dirección", r"respuesta de la (?:dirección|administración|gerencia)\s*[-–—:]\s*"
                        r"(?P<decision>(?:parcialmente\s+)?(?:aceptad[oa]|rechazad[oa]))"),
}
_RESPONSIBLE_UNIT = {
    "en": r"(?:responsible (?:unit|office|entity|division)s?(?:\(s\))?|unit\(s\) responsible)\s*:",
    "fr": r"(?:unités? responsables?|unité\(s\) responsable\(s\)|responsables?|entités? responsables?)\s*:",
    "es": r"(?:unidad(?:es)? responsables?|unidad\(es\) responsable\(s\)|entidad(?:es)? responsables?)\s*:",
}
_UNIT_HEADS = {
    "en": "teams team unit units office offices division section department bureau mission".split(),
    "fr": "équipes équipe unité unités bureau bureaux division section département direction chefs mission".split(),
    "es": "equipos equipo unidad unidades oficina oficinas división sección departamento dirección misión".split(),
}
_CAPITALISED_STOP_WORDS = """
January February March April May June July August September October November December Monday Tuesday Wednesday
Thursday Friday Saturday Sunday Janvier Février Mars Avril Mai Juin Juillet Août Septembre Octobre Novembre
Décembre Table Annex Annexe Figure Section Chapter Page Total Name Nom Role Title Fonction Date
Mme Mmes Mlle MM Mr Mrs Ms Messrs Dr Pr Prof Professeur Professeure Professor Ambassador Ambassadeur
Ambassadrice Son Sa Excellence Excellency His Her Judge Justice Sir Dame Lord Lady Madame Monsieur Maître
Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Setiembre Octubre Noviembre Diciembre Lunes Martes
Miércoles Jueves Viernes Sábado Domingo Cuadro Anexo Gráfico Figura Sección Capítulo Página Nombre Cargo Fecha
Sr Sra Srta Sres Sras Dra Doña Excmo Excma Señor Señora Dip Lic Lcda Licda Rúbrica Rúbricas
""".split()

# ---------------------------------------------------------------------------------------------
# Reporting subjects of evaluations: "An RDH analyst noted", "senior management gave feedback that",
# "In interviews with UNHCR staff, ...", credit lines naming organisations, co-authors of joint statements.
# ---------------------------------------------------------------------------------------------

def _with_plurals(words: str) -> set[str]:
    """Each word of a blank-separated list plus its plural in "s" (French "-al" words list both forms)."""
    forms = set(words.split())
    return forms | {w + "s" for w in forms if not w.endswith(("s", "x"))}


def _with_spanish_plurals(words: str) -> set[str]:
    """Each word of a blank-separated list plus its Spanish plural ("coordinador" -> "coordinadores",
    "organización" -> "organizaciones", "equipo" -> "equipos")."""
    forms = set(words.split())
    plurals = set()
    for word in forms:
        if word.endswith("ión"):
            plurals.add(word[:-3] + "iones")
        elif word[-1] in "aeiouáéó":
            plurals.add(word + "s")
        elif not word.endswith("s"):
            plurals.add(word + "es")
    return forms | plurals


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
    "es": _with_spanish_plurals("""
        responsable funcionario funcionaria agente oficial gestor gestora analista coordinador coordinadora experto
        experta especialista asesor asesora consultor consultora representante director directora jefe jefa miembro
        socio socia donante contraparte entrevistado entrevistada informante encuestado encuestada beneficiario
        beneficiaria participante empleado empleada colega evaluador evaluadora investigador investigadora equipo
        gobierno ministerio agencia servicio unidad organización delegación migrante refugiado refugiada actor
        persona autoridad oficina comité consejo secretaría dirección
        """) | {"personal", "punto focal", "puntos focales", "partes interesadas"},
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
    "es": {"que", "quien", "quienes", "cual", "cuales", "donde", "es", "son", "era", "eran", "fue", "fueron", "ha",
           "han", "no", "él", "ella", "ellos", "ellas", "se", "nos", "este", "esta", "estos", "estas", "esto", "si",
           "cuando", "como", "pero", "porque", "ya", "lo", "le", "les", "su", "sus", "hay", "está", "están"},
}
# Determiners dropped from the front of a subject ("One regional data officer" -> "regional data officer").
_SUBJECT_DETERMINERS = {
    "en": r"(?:(?:some|many|most|several|all|one|two|three|few|a few|a number|none|each) of (?:the|its|their) |"
          r"the |an |a |one |another |some |many |several |most |all |other |few |a few |these |those |both |"
          r"two |three |various |numerous )",
    "fr": r"(?:la plupart des |la majorité des |l['’]une? des |un des |une des |de nombreux |de nombreuses |"
          r"les |des |le |la |l['’]|un |une |certains |certaines |plusieurs |quelques |d['’]autres |autres )",
    "es": r"(?:la mayoría de (?:los|las) |uno de los |una de las |muchos de los |algunos de los |los |las |el |la |"
          r"un |una |unos |unas |algunos |algunas |varios |varias |muchos |muchas |numerosos |numerosas |otros |"
          r"otras |otro |otra |ciertos |ciertas |ambos |ambas |dos |tres |diversos |diversas )",
}
# Articles that make a subject a single informant ("An RDH analyst noted", "Un responsable a expliqué").
_INFORMANT_ARTICLES = {
    "en": r"(?:An?|One|Another|an?|one|another)\s+",
    "fr": r"(?:Une?|une?|L['’]une? des|l['’]une? des)\s+",
    "es": r"(?:Una?|una?|Uno de los|uno de los|Una de las|una de las|Otro|otro|Otra|otra)\s+",
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
    "es": r"(?:(?:" + _alternation(_SPANISH_AUXILIARIES) + r")\s+)?(?:(?:" + _alternation(_SPANISH_ADVERBS) + r")\s+)?(?:"
          r"(?:expresó|expresaron|manifestó|manifestaron|mostró|mostraron|compartió|compartieron|transmitió|"
          r"transmitieron|expresado|manifestado)\s+(?:su|sus|una|un|la|el|cierta|ciertas)\s+(?:[\w’'-]+\s+){0,2}?"
          r"(?:preocupaci[oó]n(?:es)?|inquietud(?:es)?|temor(?:es)?|dudas?|reservas?|satisfacci[oó]n|opini[oó]n|"
          r"frustraci[oó]n|malestar|escepticismo)"
          r"|(?:" + _alternation(_SPANISH_SPEECH_VERBS | _SPANISH_SPEECH_PARTICIPLES) + r")"
          r"\s+(?:a\s+[^,.;]{1,50}?\s+)?que)(?![\w’'])",
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
    "es": r"(?:(?:Sin embargo|Además|Asimismo|No obstante|Por otra parte|De hecho|En general|Por último),\s+)?"
          r"(?:En|Durante|A través de|En el marco de)\s+(?:las\s+|los\s+|la\s+|el\s+|unas?\s+|varias\s+|"
          r"numerosas\s+|diversas\s+)?(?:[\w-]+\s+){0,2}?(?:entrevistas?|conversaciones?|consultas?|discusiones?|"
          r"grupos\s+focales|grupos\s+de\s+discusión|intercambios?)\s+(?:realizad[oa]s\s+|mantenid[oa]s\s+|"
          r"celebrad[oa]s\s+|llevad[oa]s\s+a\s+cabo\s+)?con\s+",
}
# "Interviews with X revealed that ...": the same source as the subject.
_INTERVIEW_SUBJECT = {
    "en": r"(?:The\s+)?(?:Interviews|Discussions|Consultations|Conversations|interviews|discussions)\s+with\s+",
    "fr": r"(?:Les\s+)?(?:[Ee]ntretiens|[Éé]changes|[Dd]iscussions|[Cc]onsultations)\s+(?:menés\s+)?avec\s+",
    "es": r"(?:Las\s+|Los\s+)?(?:[Ee]ntrevistas|[Cc]onversaciones|[Cc]onsultas|[Dd]iscusiones|[Ii]ntercambios)\s+"
          r"(?:realizad[oa]s\s+|mantenid[oa]s\s+)?con\s+",
}
_INTERVIEW_SUBJECT_VERB = {
    "en": r"(?:revealed|suggested|indicated|showed|highlighted|confirmed|pointed\s+to|underscored|noted)\b",
    "fr": r"(?:ont|a)\s+(?:révélé|montré|mis\s+en\s+évidence|fait\s+ressortir|confirmé|souligné|indiqué)\b",
    "es": r"(?:revelaron|mostraron|pusieron\s+de\s+manifiesto|confirmaron|señalaron|indicaron|destacaron|subrayaron|"
          r"evidenciaron|han\s+(?:revelado|mostrado|confirmado|puesto\s+de\s+manifiesto))\b",
}
# What the rest of a framed sentence must contain to report views ("the general consensus was that").
_VIEW_MARKER = {
    "en": r"\b(?:consensus|views?|opinions?|perceptions?|sense|feeling|impression|agreement|concerns?|that|"
          r"noted|said|reported|felt|explained|mentioned|highlighted|stressed|suggested|indicated|emphasi[sz]ed)\b",
    "fr": r"(?:\b(?:consensus|avis|opinions?|sentiment|impression|perceptions?|préoccupations?|ressort|ressorti|"
          r"noté|souligné|indiqué|mentionné|relevé|estiment|estimaient|jugent|pensent|que)\b|\bqu['’])",
    "es": r"\b(?:consenso|opini[oó]n|opiniones|percepci[oó]n|percepciones|sensaci[oó]n|impresi[oó]n|"
          r"preocupaci[oó]n|preocupaciones|que|señalaron|indicaron|destacaron|subrayaron|mencionaron|consideran|"
          r"consideraban|estiman|opinan|piensan)\b",
}

# Co-authors: "the Committee, together with X, Y and Z, issued a joint statement".
_JOINT_WITH = {
    "en": r"(?:together|jointly)\s+with\s+",
    "fr": r"(?:conjointement|de\s+concert)\s+avec\s+",
    "es": r"(?:junto|conjuntamente)\s+con\s+",
}
_STATEMENT_PREDICATE = {
    "en": r"(?:issued|released|published|adopted|delivered|made|signed|launched|sent)\s+(?:a|an|the)\s+"
          r"(?:(?:joint|public|open|common)\s+)?(?:statement|declaration|communiqué|communique|press\s+release|"
          r"appeal|call|letter|message)",
    "fr": r"(?:(?:a|ont)\s+(?:publié|adopté|rendu\s+public|rendu\s+publique|signé|lancé|diffusé|fait|adressé)|"
          r"publient|adoptent|lancent)\s+(?:une|un|la|le)\s+(?:(?:déclaration|communiqué|appel|lettre|message)"
          r"(?:\s+(?:conjointe?|commune?|publique?|ouverte?))?)",
    "es": r"(?:(?:ha|han)\s+(?:publicado|emitido|adoptado|firmado|lanzado|difundido|hecho|dirigido)|publicó|publicaron|"
          r"emitió|emitieron|adoptó|adoptaron|firmó|firmaron|lanzó|lanzaron|difundió|difundieron|hizo|hicieron|"
          r"publica|publican|emite|emiten)\s+(?:una|un|la|el)\s+(?:declaración|comunicado|llamamiento|carta|mensaje)"
          r"(?:\s+(?:conjunt[oa]|común|públic[oa]|abiert[oa]))?",
}

# ---------------------------------------------------------------------------------------------
# Transcripts: speaker labels opening a turn ("MODERATOR:", "MS. SMITH:", "Q:", "MODERADORA:", "M. DUPONT :").
# ---------------------------------------------------------------------------------------------

# Labels of a question from the floor, and the name credited to the questioner.
_QUESTION_LABELS = {
    "en": ["q", "question", "questioner", "audience member", "audience question", "reporter", "journalist"],
    "fr": ["question", "question de la salle", "journaliste"],
    "es": ["p", "pregunta", "pregunta del público", "periodista", "reportero", "reportera"],
}
_QUESTIONER = {"en": "Questioner", "fr": "Auteur de la question", "es": "Autor de la pregunta"}
# Labels of an answer by nobody named: they end the turn before them.
_ANSWER_LABELS = {"en": ["a", "answer"], "fr": ["r", "réponse"], "es": ["r", "respuesta"]}
# Courtesy titles as transcripts write them in a label ("MS. SMITH", "M. DUPONT", "SRA. RUIZ").
_LABEL_TITLES = {
    "en": ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "hon"],
    "fr": ["m", "mme", "mlle", "mm", "me", "pr"],
    "es": ["sr", "sra", "srta", "dr", "dra", "don", "doña", "lic", "lcda", "ing"],
}
# Roles a label may name besides the role words of the speaker lexicon ("SENATOR X", "LA ANFITRIONA").
_LABEL_ROLES = {
    "en": ["Host", "Operator", "Senator", "Governor", "Mayor", "Congressman", "Congresswoman", "Spokesman",
           "Spokeswoman", "Interviewer", "Panelist", "Panellist", "Speaker", "Participant"],
    "fr": ["Animateur", "Animatrice", "Sénateur", "Sénatrice", "Député", "Députée", "Maire", "Intervenant",
           "Intervenante", "Opérateur", "Opératrice", "Journaliste"],
    "es": ["Presentador", "Presentadora", "Anfitrión", "Anfitriona", "Gobernador", "Gobernadora", "Alcalde",
           "Alcaldesa", "Operador", "Operadora", "Entrevistador", "Entrevistadora", "Ponente", "Participante"],
}
# Words of headings and notes that look like labels ("NOTA:", "DISPOSICIONES GENERALES:"), never a speaker.
_NOT_LABEL_WORDS = set("""
note nota notes notas aviso avis warning important importante importantes attention atención subject asunto objet
objeto date fecha lieu lugar place venue time hora heure source fuente sources fuentes contact contacto summary
resumen résumé introduction introducción conclusion conclusions conclusión conclusiones objective objetivo
objectif objetivos objectifs disposiciones disposition dispositions provisions generales general générales
transitorios transitorio considerando considérant whereas transcript transcription transcripción remarks statement
press briefing release media contents contenido sommaire índice index agenda orden día ordre jour requisitos
requirements documentación documentation tel teléfono phone email correo web www http https url participants
attendees asistentes background antecedentes context contexto contexte example ejemplo exemple definitions
definiciones définitions
""".split())
# End markers of a transcript ("###", "END", "— FIN —").
# An end mark alone on its line, among marks only: "###", "END", "- 30 -". Written so that a line of 40 000 "#"
# costs its length ("^\W*#{3,}\W*$" tried every way of cutting it in three): lookaheads check that only marks
# (or "30") stand around, and the prefix is taken whole wherever what follows starts with a letter.
_TRANSCRIPT_END_RE = (r"^(?:(?=\W*+$)\W*?#{3}"
                      r"|\W*+(?:end|fin|end of transcript|fin de la transcripción|fin de la transcription)\W*+$"
                      r"|(?=\W*+30\W*+$)\W*?-\s*+30\s*+-)")

# ---------------------------------------------------------------------------------------------
# Laws and decrees: the signatories of a closing block and the authority promulgating it.
# ---------------------------------------------------------------------------------------------

# Closing formulas opening a signature block ("Fait à Paris, le ...", "Dado en Madrid, a ...", "Done at Geneva").
_CLOSING_FORMULA = {
    "en": r"(?:Done|Given|Signed)\s+(?:at|in)\s+[{upper}]",
    "fr": r"(?:Fait|Donné)\s+à\s+[{upper}]",
    "es": r"(?:Dad[oa]|Hech[oa]|Firmad[oa])\s+en\s+[{upper}]",
}
# Labels and marks of a signature ("Signed: X", "(Signé) X", "Fdo.: X", "X.- Rúbrica.").
_SIGNATURE_LABELS = {
    "en": ["signed", "signed by", "sgd", "sgd.", "(signed)", "(sgd.)", "(sgd)"],
    "fr": ["signé", "signé par", "(signé)"],
    "es": ["firmado", "firmado por", "fdo.", "fdo", "(firmado)", "(fdo.)"],
}
_RUBRIC_RE = r"R[úu]bricas?"  # the Spanish mark of a handwritten signature ("Juan Pérez.- Rúbrica.")
# "Par le Président de la République :", "Por el Presidente de la República:": the authority the next name holds.
_BY_AUTHORITY = {
    "en": r"By\s+the\s+(?P<role>President(?:\s+of\s+the\s+[A-Z][\w ]{2,40}?)?|Prime\s+Minister|Governor)\s*:",
    "fr": r"Par\s+l[ea]\s+(?P<role>Président(?:e)?\s+de\s+la\s+République|Premier\s+ministre|Première\s+ministre)\s*:",
    "es": r"Por\s+(?:el|la)\s+(?P<role>President[ea]\s+de\s+la\s+República|President[ea]\s+del\s+Gobierno)\s*:",
}
# Titles before a signatory's name, and the role they say ("Dip." = a member of the Chamber of Deputies).
_SIGNATORY_TITLES = {
    "en": {"sen.": "Senator", "rep.": "Representative", "hon.": "", "dr.": "", "mr.": "", "ms.": "", "mrs.": ""},
    "fr": {"m.": "", "mme": "", "dr": ""},
    "es": {"dip.": "Diputado", "sen.": "Senador", "lic.": "", "lcda.": "", "licda.": "", "ing.": "", "dr.": "",
           "dra.": "", "mtro.": "", "mtra.": "", "c.": "", "sr.": "", "sra.": "", "gral.": "General"},
}
# A promulgation header: "X, Presidente de ..., a sus habitantes sabed:" (the name, then the role).
_PROMULGATION = {
    "es": r",\s+(?P<role>[^,]{3,120}?),\s+a\s+(?:sus|los)\s+habitantes,?\s+sab(?:ed|éis)",
}
