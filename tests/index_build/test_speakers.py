"""Speaker attribution on the seed report's real paragraphs and on short passages in English/UN styles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index_build.speakers import Speaker, attribute_speakers, split_role_and_organisation

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"

KHAN = Speaker("Sikander Khan", "Directeur du Bureau des programmes d’urgence", "UNICEF")
BOCEK = Speaker(
    "Tomas Boček",
    "Représentant spécial du Secrétaire Général sur les migrations et les réfugiés",
    "Conseil de l’Europe",
)
MORALIS = Speaker("Delphine Moralis", "Secrétaire générale", "Terre des Hommes")
OUKEMENI = Speaker("Driss Oukemeni", "membre", "Parlement arabe")
GARCIA_SAENZ = Speaker("Pablo César García Sáenz", "Vice-Ministre des relations extérieures", "Guatemala")


def seed_paragraphs(path: Path = SEED) -> list[str]:
    """The seed's paragraphs: " " lines break paragraphs, empty lines are wrap artefacts."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = ""
        for line in (raw.strip() for raw in current):
            if text.endswith("-") and line[:1].islower():
                text = text[:-1] + line
            else:
                text = f"{text} {line}" if text else line
        if text:
            paragraphs.append(re.sub(r"\s+", " ", text))
        current.clear()

    for line in path.read_text(encoding="utf-8").split("\n"):
        if line == "":
            continue
        if not line.strip():
            flush()
            continue
        new_page = line.startswith(" ")
        if new_page and current and re.search(r"[.!?:»]\s*$", current[-1]):
            flush()
        current.append(line)
    flush()
    return paragraphs


@pytest.fixture(scope="module")
def seed() -> list[tuple[str, list[Speaker]]]:
    paragraphs = seed_paragraphs()
    return list(zip(paragraphs, attribute_speakers(paragraphs)))


def speakers_of(seed, needle: str) -> list[Speaker]:
    """Speakers of the one seed paragraph that contains `needle`."""
    matches = [speakers for text, speakers in seed if needle in text]
    assert len(matches) == 1, f"{needle!r} is in {len(matches)} paragraphs"
    return matches[0]


def names(speakers: list[Speaker]) -> list[str]:
    return [speaker.name for speaker in speakers]


# --- the seed: the five child-protection speakers ----------------------------------------------


def test_khan_is_introduced_with_role_and_unicef(seed):
    assert KHAN in speakers_of(seed, "M. Sikander Khan, Directeur du Bureau des programmes d’urgence")


def test_khan_is_attributed_again_where_he_is_quoted_by_surname(seed):
    speakers = speakers_of(seed, "Comme l’a rappelé M. Khan, de l’UNICEF")
    assert KHAN in speakers


def test_bocek_and_council_of_europe(seed):
    assert speakers_of(seed, "M. Tomas Boček, Représentant spécial") == [BOCEK]


def test_moralis_of_terre_des_hommes(seed):
    assert speakers_of(seed, "Mme Delphine Moralis, Secrétaire générale de Terre des Hommes") == [MORALIS]


def test_two_introductions_in_one_paragraph_carry_both(seed):
    speakers = speakers_of(seed, "M. Driss Oukemeni, membre du Parlement arabe")
    assert names(speakers) == ["Deogratius J. Dotto", "Driss Oukemeni"]
    assert speakers[1] == OUKEMENI


def test_garcia_saenz_whole_name_and_surname_reference(seed):
    speakers = speakers_of(seed, "M. Pablo César García Sáenz, Vice-Ministre")
    assert speakers == [GARCIA_SAENZ]  # "M. García Sáenz a attiré" resolves to the same person


# --- the seed: continuations, summaries, footnotes ---------------------------------------------


def test_quoted_block_after_a_colon_continues_the_speaker(seed):
    vitorino = speakers_of(seed, "Dans ses remarques liminaires, M. António Vitorino")
    assert names(vitorino) == ["António Vitorino"]
    assert speakers_of(seed, "Le Pacte mondial est un nouveau point de référence") == vitorino


def test_pronoun_led_paragraph_continues_the_speaker(seed):
    assert names(speakers_of(seed, "Il a attiré l’attention sur plusieurs moyens")) == ["António Vitorino"]


def test_paragraph_cut_by_a_page_break_continues_the_speaker(seed):
    assert names(speakers_of(seed, "Membres. À cette fin, il devait être souple")) == ["Louise Arbour"]


def test_a_new_introduction_ends_the_previous_attribution(seed):
    assert names(speakers_of(seed, "M. Juan Eduardo Eguiguren, Représentant permanent du Chili")) == [
        "Juan Eduardo Eguiguren"
    ]


@pytest.mark.parametrize(
    "needle",
    [
        "Les six tables rondes ont réuni 36 orateurs",
        "Un résumé des principales conclusions et des points de convergence",
        "Des participants ont fait observer que si les États sont responsables",
        "le partage des enseignements tirés de la mise en œuvre",  # runs on from "De l’avis général,"
        "Autre thème récurrent : la nécessité de disposer",
        "Le présent résumé ne renferme pas toutes les observations",
    ],
)
def test_summary_paragraphs_have_no_speaker(seed, needle):
    assert speakers_of(seed, needle) == []


def test_footnotes_carry_no_speaker(seed):
    assert speakers_of(seed, "Mme Diallo n’a pas pu être présente à la session") == []
    assert speakers_of(seed, "Mme Boudraa n’a pas pu être présente et a communiqué") == []


def test_footnote_between_a_cut_paragraph_and_its_end_does_not_break_the_attribution():
    result = attribute_speakers([
        "Mme Awa Ndiaye, Directrice de l’Agence nationale de la migration, a souligné que les",
        "1 Mme Ndiaye a envoyé une déclaration écrite.",
        "capacités des communes frontalières doivent être renforcées.",
    ])
    ndiaye = Speaker("Awa Ndiaye", "Directrice", "Agence nationale de la migration")
    assert result == [[ndiaye], [], [ndiaye]]


def test_footnote_marker_is_stripped_from_the_name(seed):
    speakers = speakers_of(seed, "Mme Miriam Boudraa2, du Centre international")
    assert speakers == [Speaker("Miriam Boudraa", "", "Centre international de formation de l’OIT")]


def test_names_with_particles_initials_and_accents_come_out_whole(seed):
    everyone = {speaker.name for _, speakers in seed for speaker in speakers}
    assert {
        "Marden de Melo Barboza",
        "Juan José Gomez Camacho",
        "Pablo César García Sáenz",
        "El Habib Nadir",
        "Deogratius J. Dotto",
        "Susan F. Martin",
        "Jürg Lauber",  # "M. l’Ambassadeur Jürg Lauber"
        "Lúcia Brüllhardt",
    } <= everyone
    assert not any(re.search(r"\d", name) for name in everyone)


def test_same_person_is_the_same_object_across_paragraphs(seed):
    bralo = [s for _, speakers in seed for s in speakers if s.name == "Zrinka Bralo"]
    assert len(bralo) == 2  # "comme l’a dit Mme Zrinka Bralo" and the later introduction
    assert bralo[0] == bralo[1] == Speaker("Zrinka Bralo", "Directrice générale", "Migrants Organise")


def test_same_surname_is_told_apart_by_title(seed):
    assert names(speakers_of(seed, "M. Diallo a rappelé avec force")) == ["Djibril Diallo"]
    speakers = speakers_of(seed, "Mme Diallo et d’autres orateurs se sont déclarés")
    assert "Yvonne Diallo" in names(speakers) and "Djibril Diallo" not in names(speakers)


def test_coordinated_introductions_carry_both_people(seed):
    assert names(speakers_of(seed, "et Mme Lúcia Brüllhardt, Fondatrice")) == ["Zrinka Bralo", "Lúcia Brüllhardt"]


def test_anonymous_representative_is_a_speaker_and_pronouns_follow_her(seed):
    speakers = speakers_of(seed, "Une représentante du grand groupe des enfants et des jeunes")
    assert speakers[0].role == "Représentante"
    assert speakers[0].organisation == "grand groupe des enfants et des jeunes des Nations Unies"


def test_seed_has_the_expected_cast(seed):
    everyone = {speaker for _, speakers in seed for speaker in speakers}
    assert 30 <= len(everyone) <= 45
    for speaker in everyone:
        assert 1 <= len(speaker.name.split()) <= 12
        assert speaker.name[0].isupper()
        assert speaker.name not in {"L’organisation", "Et", "La", "Ces"}


# --- English meeting reports ------------------------------------------------------------------

ENGLISH = [
    "Mr. John Smith, Director of the Regional Office of UNICEF in Geneva, said that child protection "
    "systems needed sustained investment.",
    "He added that border officials should be trained in child-sensitive procedures.",
    "Ms. Maria Lopez, Head of Policy at the International Organization for Migration (IOM), stressed "
    "the role of data. Mr. Smith agreed.",
    "She also noted that data must be disaggregated by age and sex.",
    "The workshop was held in a hybrid format and attracted 120 participants from 40 countries.",
    "He said that the matter was settled.",
    "Dr Jane Roe3, Professor of Law at the University of Oxford, explained the legal framework. "
    "Ms. Lopez added that training was key.",
]


@pytest.fixture(scope="module")
def english() -> list[list[Speaker]]:
    return attribute_speakers(ENGLISH)


def test_english_introduction_splits_role_and_organisation(english):
    assert english[0] == [Speaker("John Smith", "Director of the Regional Office", "UNICEF")]


def test_english_he_follow_up_carries_the_speaker(english):
    assert english[1] == english[0]


def test_english_she_follow_up_picks_the_woman_not_the_last_man(english):
    assert names(english[2]) == ["Maria Lopez", "John Smith"]
    assert english[2][0].organisation == "International Organization for Migration (IOM)"
    assert names(english[3]) == ["Maria Lopez"]


def test_english_summary_paragraph_ends_the_attribution(english):
    assert english[4] == []
    assert english[5] == []  # "He said" after a summary paragraph has nobody to refer to


def test_english_footnote_marker_and_surname_reference(english):
    assert english[6][0] == Speaker("Jane Roe", "Professor of Law", "University of Oxford")
    assert english[6][1] == english[2][0]  # "Ms. Lopez added" is the Maria Lopez introduced earlier


def test_english_titles_excellency_professor_and_particles():
    result = attribute_speakers([
        "H.E. Mr. Ahmed Ben Ali, Minister of Interior of Tunisia, opened the meeting.",
        "Professor Amartya Sen gave a keynote address on capabilities.",
        "Mr Peter van der Berg of UNHCR said the agency would help.",
    ])
    assert result[0] == [Speaker("Ahmed Ben Ali", "Minister of Interior", "Tunisia")]
    assert names(result[1]) == ["Amartya Sen"]
    assert result[2] == [Speaker("Peter van der Berg", "", "UNHCR")]


# --- UN reports: countries, committees, representatives, the Chair -----------------------------

UN_STYLE = [
    "5. On 13 December 2024, following a proposal from the Chair, Ms. Diallo, the Committee decided to "
    "approach the Committee on Economic, Social and Cultural Rights.",
    "12. The representative of Mexico said that her Government had adopted a new migration law. "
    "She added that it would enter into force in 2026.",
    "13. It was noted that several States had not yet submitted their reports.",
    "14. Pakistan stressed that migrants faced many challenges in countries of transit. "
    "It asked what the Chair could recommend to address toxic narratives.",
    "15. The Chair stressed that ratification could have a transformative effect.",
    "16. She expressed the hope that more States would ratify the Convention.",
    "17. The Committee welcomed the constructive dialogue with the State party.",
]


@pytest.fixture(scope="module")
def un_style() -> list[list[Speaker]]:
    return attribute_speakers(UN_STYLE)


def test_un_mention_that_is_not_speech_is_not_attributed(un_style):
    assert un_style[0] == []


def test_un_representative_of_a_country(un_style):
    assert un_style[1] == [Speaker("Representative of Mexico", "Representative", "Mexico")]


def test_un_impersonal_paragraph_has_no_speaker(un_style):
    assert un_style[2] == []


def test_un_country_as_speaker_with_it_follow_up(un_style):
    assert un_style[3] == [Speaker("Pakistan", "", "Pakistan")]


def test_un_the_chair_resolves_to_the_person_holding_the_role(un_style):
    diallo = Speaker("Diallo", "Chair", "")
    assert un_style[4] == [diallo]
    assert un_style[5] == [diallo]


def test_un_committee_as_speaker(un_style):
    assert names(un_style[6]) == ["Committee"]


def test_french_un_style_bodies_and_roles():
    result = attribute_speakers([
        "Le représentant du Maroc a souligné l’importance de la coopération régionale.",
        "Il a ajouté que son pays accueillait de nombreux migrants.",
        "Le Comité a rappelé ses recommandations antérieures.",
    ])
    morocco = Speaker("Représentant du Maroc", "Représentant", "Maroc")
    assert result[0] == [morocco]
    assert result[1] == [morocco]
    assert names(result[2]) == ["Comité"]


def test_french_pronoun_must_agree_with_the_role_gender():
    result = attribute_speakers([
        "Le représentant du Maroc a souligné l’importance de la coopération régionale.",
        "Elle a ajouté que la situation restait difficile.",
    ])
    assert names(result[0]) == ["Représentant du Maroc"]
    assert result[1] == []


# --- French titles and abbreviations -----------------------------------------------------------


def test_french_excellency_plural_titles_and_surname_view():
    result = attribute_speakers([
        "S. E. M. Jean-Baptiste Ndiaye, Ministre de l’Intérieur du Sénégal, a déclaré que la migration "
        "était une chance.",
        "Mmes Anne Dupont et Claire Martin ont présenté les résultats de l’enquête.",
        "MM. Paul Durand et Marc Lefèvre, de l’Organisation internationale du Travail, ont pris la parole.",
        "Selon Mme Dupont, il faut agir vite.",
        "Elle a également rappelé les engagements pris.",
    ])
    assert result[0] == [Speaker("Jean-Baptiste Ndiaye", "Ministre de l’Intérieur", "Sénégal")]
    assert names(result[1]) == ["Anne Dupont", "Claire Martin"]
    assert result[2] == [
        Speaker("Paul Durand", "", "Organisation internationale du Travail"),
        Speaker("Marc Lefèvre", "", "Organisation internationale du Travail"),
    ]
    assert names(result[3]) == ["Anne Dupont"]
    assert names(result[4]) == ["Anne Dupont"]


def test_sentence_final_m_and_p_ex_do_not_make_names():
    result = attribute_speakers([
        "Le groupe s’est réuni dans la salle M. Les participants ont, p. ex., discuté des budgets.",
        "Il est essentiel d’agir. Il a été convenu de poursuivre les travaux.",
    ])
    assert result == [[], []]


def test_a_heading_ends_the_attribution():
    result = attribute_speakers([
        "M. Karim Benali, Directeur de l’Office national des migrations, a présenté le plan.",
        "Introduction",
        "Il a été rappelé que le plan couvre la période 2025-2030. Il a ajouté une annexe.",
    ])
    assert names(result[0]) == ["Karim Benali"]
    assert result[1:] == [[], []]


def test_impersonal_il_does_not_continue_a_speaker():
    result = attribute_speakers([
        "M. Karim Benali, Directeur de l’Office national des migrations, a présenté le plan.",
        "Il a été convenu de poursuivre les travaux en 2025.",
    ])
    assert names(result[0]) == ["Karim Benali"]
    assert result[1] == []


# --- small pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("apposition", "role", "organisation"),
    [
        ("Directeur du Bureau des programmes d’urgence de l’UNICEF à Genève",
         "Directeur du Bureau des programmes d’urgence", "UNICEF"),
        ("Secrétaire générale de Terre des Hommes", "Secrétaire générale", "Terre des Hommes"),
        (f"{BOCEK.role} du Conseil de l’Europe", BOCEK.role, "Conseil de l’Europe"),
        ("du Centre international de formation de l’OIT", "", "Centre international de formation de l’OIT"),
        ("Représentant permanent du Chili et Président du Conseil de l’OIM",
         "Représentant permanent du Chili et Président", "Conseil de l’OIM"),
        ("Director of the Regional Office of UNICEF in Geneva", "Director of the Regional Office", "UNICEF"),
        ("Représentante spéciale du Secrétaire général pour les migrations internationales",
         "Représentante spéciale du Secrétaire général pour les migrations internationales", ""),
    ],
)
def test_split_role_and_organisation(apposition, role, organisation):
    assert split_role_and_organisation(apposition) == (role, organisation)


def test_speaker_dict_round_trip():
    speaker = Speaker("Sikander Khan", "Directeur", "UNICEF")
    assert speaker.to_dict() == {"name": "Sikander Khan", "role": "Directeur", "organisation": "UNICEF"}
    assert Speaker.from_dict(speaker.to_dict()) == speaker
    assert Speaker.from_dict({"name": "Pakistan"}) == Speaker("Pakistan", "", "")


def test_empty_report():
    assert attribute_speakers([]) == []


# --- UN committee reports: full names, titles, States, bodies -----------------------------------

UN_COMMITTEE = [
    "Report of the Committee on Migrant Workers",
    "1. On 12 December, following its meeting with the United Nations High Commissioner for Human Rights, "
    "Volker Türk, the Committee decided to establish a working group.",
    "2. On 13 December, following a proposal from the Chair, Ms. Diallo, the Committee decided to approach "
    "the Committee on Economic, Social and Cultural Rights.",
    "3. The Chair stressed that ratification could have a transformative effect.",
    "4. The High Commissioner appreciated the dialogue. He stressed the link between migration and refugee issues.",
    "5. The Committee welcomed the constructive dialogue with the State party.",
    "6. On 10 April, following a dialogue with Gladys Cisneros, Chief of the Labour Migration Branch of the "
    "International Labour Organization (ILO), the Committee and ILO adopted a road map.",
    "7. In her key message, the Chief of the ILO Migration Branch stressed that migrant workers earned less.",
    "8. Several States, including Chile, Peru and the Plurinational State of Bolivia, stressed the need for "
    "regular pathways.",
    "9. Representatives of UN-Women and a civil society organization recommended expanding regular pathways.",
    "10. Brazil, Chile and Peru welcomed the general comment.",
    "11. Migrants from Haiti and Venezuela crossed the border in large numbers.",
    "Chair: Fatimata Diallo",
]


@pytest.fixture(scope="module")
def un_committee() -> list[list[Speaker]]:
    return attribute_speakers(UN_COMMITTEE)


def test_un_surname_and_the_chair_get_the_full_name_the_report_gives(un_committee):
    assert un_committee[2] == []
    assert un_committee[3] == [Speaker("Fatimata Diallo", "Chair", "")]
    assert un_committee[12] == [Speaker("Fatimata Diallo", "Chair", "")]


def test_un_role_title_resolves_to_the_person_introduced_without_title(un_committee):
    assert un_committee[1] == []
    assert names(un_committee[4]) == ["Volker Türk"]
    assert un_committee[7][0] == Speaker("Gladys Cisneros", "Chief of the Labour Migration Branch",
                                         "International Labour Organization (ILO)")


def test_un_bare_committee_is_the_report_own_committee(un_committee):
    assert names(un_committee[5]) == ["Committee on Migrant Workers"]


def test_un_lists_of_states_and_representatives(un_committee):
    assert names(un_committee[8]) == ["Chile", "Peru", "Plurinational State of Bolivia"]
    assert all(s.organisation == s.name for s in un_committee[8])
    assert un_committee[9] == [Speaker("Representative of UN-Women", "Representative", "UN-Women")]
    assert names(un_committee[10]) == ["Brazil", "Chile", "Peru"]


def test_un_state_merely_mentioned_is_not_a_speaker(un_committee):
    assert un_committee[11] == []


def test_french_list_of_states():
    result = attribute_speakers([
        "Plusieurs États, dont le Mexique, le Chili et le Pérou, ont souligné l’importance des voies régulières.",
        "La situation au Mexique et au Pérou a été évoquée dans le rapport.",
    ])
    assert names(result[0]) == ["Mexique", "Chili", "Pérou"]
    assert result[1] == []


# --- evaluations: informants, evaluators, lists of persons met, credits ------------------------


def test_english_informants_and_evaluators():
    result = attribute_speakers([
        "Interviewees noted that data were rarely shared across offices.",
        "One regional staff member said that the hub was understaffed.",
        "According to the EHSA RDH team, country offices lack statisticians.",
        "The evaluation found that the strategy lacked an implementation plan.",
        "The evaluation covers the period 2017–2019. Staff turnover was high.",
        "Which interviewees were consulted for the case study?",
    ])
    assert result[0] == [Speaker("Interviewees", "", "")]
    assert result[1] == [Speaker("Regional staff member", "", "")]
    assert result[2] == [Speaker("EHSA RDH team", "", "EHSA RDH")]
    assert names(result[3]) == ["Evaluation team"]
    assert result[4] == [] and result[5] == []


def test_french_informants_and_evaluators():
    result = attribute_speakers([
        "Les personnes interrogées ont souligné le manque de coordination entre agences.",
        "Selon les informateurs clés, le projet a renforcé le dialogue.",
        "L’équipe d’évaluation constate que les objectifs sont largement atteints.",
        "Des entretiens semi-directifs seront réalisés avec les personnes ciblées.",
    ])
    assert names(result[0]) == ["Personnes interrogées"]
    assert names(result[1]) == ["Informateurs clés"]
    assert names(result[2]) == ["Équipe d’évaluation"]
    assert result[3] == []


def test_a_strategy_named_by_its_acronym_is_a_topic_not_a_speaker():
    result = attribute_speakers([
        "The Migration Data Strategy (MDS) was launched in 2020.",
        "The MDS highlighted innovation and data integration.",
    ])
    assert result == [[], []]


def test_annex_list_of_persons_met_makes_each_row_a_speaker():
    result = attribute_speakers([
        "Annex I Case Study Data Sources",
        "Table 1: List of persons met Name Role",
        "1. Davide BRUSCOLI Regional Data Hub Analyst",
        "2. Jane DOE Senior Protection Officer",
        "Table 2: List of Documentation Reviewed Organisation Year Title",
    ])
    assert result[:2] == [[], []]
    assert result[2] == [Speaker("Davide BRUSCOLI", "Regional Data Hub Analyst", "")]
    assert result[3] == [Speaker("Jane DOE", "Senior Protection Officer", "")]
    assert result[4] == []


def test_french_annex_list_with_role_and_organisation():
    result = attribute_speakers([
        "Liste des personnes rencontrées",
        "Marie CURIE – Chargée de programme – OIM",
        "Le projet a été mis en œuvre dans trois communes.",
    ])
    assert result[1] == [Speaker("Marie CURIE", "Chargée de programme", "OIM")]
    assert result[2] == []


def test_credit_lines_name_authors_and_evaluators():
    result = attribute_speakers([
        "9th July 2025 Author: Neil Dillon, Data Conscious Ltd",
        "Conducted by: Stephen Ladek, Scott Cameron, and Caitlin Procter",
        "Evaluateur :",
        "Célestin SIKUBE TAKAMGNO, Ph.D",
    ])
    assert result[0] == [Speaker("Neil Dillon", "Author", "Data Conscious Ltd")]
    assert names(result[1]) == ["Stephen Ladek", "Scott Cameron", "Caitlin Procter"]
    assert result[3] == [Speaker("Célestin SIKUBE TAKAMGNO", "Évaluateur", "")]


# --- management responses ----------------------------------------------------------------------


def test_management_response_entries_and_responsible_units():
    result = attribute_speakers([
        "Name and function of the management response coordinator (MR coordinator): Javier Sánchez, "
        "Monitoring and Evaluation Officer, IOM Haiti.",
        "Evaluation recommendation # 1: (Time 0) Le PNUD et l’OIM devraient renforcer la co-construction locale.",
        "Responsible unit(s): (Time 0) Équipes Programmes du PNUD et de l’OIM au niveau central (Haïti) – ou "
        "d’autres Agences des Nations Unies Management response - accept (Time 1)",
        "1. Organiser des formations ciblées, 3 à 6 mois après le début du projet – Équipes Programmes de l’OIM "
        "au niveau local",
    ])
    assert result[0] == [Speaker("Javier Sánchez", "Monitoring and Evaluation Officer", "IOM Haiti")]
    assert result[1] == []
    unit = "Équipes Programmes du PNUD et de l’OIM au niveau central"
    assert Speaker("Management", "Management response", "") in result[2]
    assert Speaker(unit, "Responsible unit", "PNUD") in result[2]
    assert Speaker(unit, "Responsible unit", "OIM") in result[2]
    assert result[3] == [Speaker("Équipes Programmes de l’OIM au niveau local", "Responsible unit", "OIM")]


def test_french_management_response_decision():
    result = attribute_speakers(["Recommandation 2 : renforcer le suivi. Réponse de la direction : acceptée"])
    assert Speaker("Direction", "Management response", "") in result[0]


# --- declarations --------------------------------------------------------------------------------


def test_declaration_opening_names_the_declaring_states():
    result = attribute_speakers([
        "We, the Heads of State and Government of the Argentine Republic, Barbados, Canada, and the Oriental "
        "Republic of Uruguay, gathered in Los Angeles, reiterate our will to strengthen protection.",
        "We affirm that regular pathways promote safer migration.",
    ])
    assert names(result[0]) == ["Argentine Republic", "Barbados", "Canada", "Oriental Republic of Uruguay"]
    assert {s.role for s in result[0]} == {"Heads of State and Government"}
    assert result[1] == []


def test_french_declaration_opening():
    result = attribute_speakers([
        "Nous, chefs d’État et de gouvernement de la République argentine, de la Barbade, du Canada et de la "
        "République orientale de l’Uruguay, réunis à Los Angeles, réitérons notre volonté.",
    ])
    assert names(result[0]) == ["République argentine", "Barbade", "Canada", "République orientale de l’Uruguay"]
    assert result[0][0] == Speaker("République argentine", "Chefs d’État et de gouvernement", "République argentine")


# --- reporting subjects of evaluations: role-phrase informants, reporting predicates, interview frames ---


def test_english_informant_named_by_a_role_phrase():
    result = attribute_speakers([
        "An RDH analyst noted that making sense of an entire route requires coordination.",
        "One regional data officer explained that the RDH now reviews project proposals.",
        "A senior staff member in country X said the office lacked statisticians.",
        "A recent report noted that coverage was low.",
        "An increase in staff was noted in 2021.",
    ])
    assert result[0] == [Speaker("RDH analyst", "", "RDH")]
    assert result[1] == [Speaker("Regional data officer", "", "")]
    assert result[2] == [Speaker("Senior staff member in country X", "", "")]
    assert result[3] == [] and result[4] == []


def test_french_informant_named_by_a_role_phrase():
    result = attribute_speakers([
        "Un responsable du programme a expliqué que les données étaient partielles.",
        "Une chargée de programme de l’OIM a indiqué que les délais étaient trop courts.",
        "Une étude a montré que les données étaient partielles.",
    ])
    assert result[0] == [Speaker("Responsable du programme", "", "")]
    assert result[1] == [Speaker("Chargée de programme de l’OIM", "", "OIM")]
    assert result[2] == []


def test_english_group_subject_of_a_reporting_predicate():
    result = attribute_speakers([
        "Indeed, during one debriefing session, senior management gave feedback to the evaluation team that "
        "the host government intercepts email.",
        "Country office staff expressed concern that the tools were outdated.",
        "UNHCR reported that manual data collection is common.",
        "The data showed that use was low.",
        "Evidence suggests that dashboards are rarely used.",
    ])
    assert result[0] == [Speaker("Senior management", "", "")]
    assert result[1] == [Speaker("Country office staff", "", "")]
    assert result[2] == [Speaker("UNHCR", "", "UNHCR")]
    assert result[3] == [] and result[4] == []


def test_french_group_subject_of_a_reporting_predicate():
    result = attribute_speakers([
        "La direction a fait part de ses préoccupations concernant les délais.",
        "Les partenaires ont indiqué à l’équipe d’évaluation que les délais étaient trop courts.",
        "Les données ont montré que l’usage était faible.",
        "Le rapport du programme a souligné que les données manquaient.",
    ])
    assert result[0] == [Speaker("Direction", "", "")]
    assert result[1] == [Speaker("Partenaires", "", "")]
    assert result[2] == [] and result[3] == []


def test_interview_frame_names_the_group_interviewed():
    result = attribute_speakers([
        "In interviews with UNHCR country office staff, the general consensus was that the culture is geared "
        "towards doing.",
        "In interviews with staff, the evaluators used a semi-structured guide.",
        "In interviews with a structured questionnaire, it appeared that answers were short.",
        "Lors des entretiens avec les partenaires gouvernementaux, il est ressorti que la coordination était faible.",
        "Lors des entretiens avec les partenaires, un guide semi-structuré a été utilisé.",
    ])
    assert result[0] == [Speaker("UNHCR country office staff", "", "UNHCR")]
    assert result[1] == [] and result[2] == []
    assert result[3] == [Speaker("Partenaires gouvernementaux", "", "")]
    assert result[4] == []


# --- credit lines naming organisations ----------------------------------------------------------


def test_credit_lines_name_each_commissioning_organisation():
    result = attribute_speakers([
        "Date du rapport final: 1 juin 2025 Commandé par : OIM et PNUD en Haïti et République dominicaine "
        "Géré par : Javier SANCHEZ, Monitoring and Evaluation Officer",
        "Commissioned by: UNHCR and UNICEF in Geneva",
        "Evaluation commissioned by UNHCR Evaluation Service",
        "Validé par : le Comité de pilotage",
        "Prepared by: Data Conscious Ltd",
        "Préparé par : Jean DUPONT, consultant",
    ])
    assert result[0][:2] == [Speaker("OIM", "Commanditaire", "OIM"), Speaker("PNUD", "Commanditaire", "PNUD")]
    assert Speaker("Javier SANCHEZ", "Monitoring and Evaluation Officer", "") in result[0]
    assert names(result[1]) == ["UNHCR", "UNICEF"]
    assert result[2] == [Speaker("UNHCR Evaluation Service", "Commissioning organisation", "UNHCR Evaluation Service")]
    assert result[3] == [Speaker("Comité de pilotage", "Validation", "Comité de pilotage")]
    assert result[4] == [Speaker("Data Conscious Ltd", "Author", "Data Conscious Ltd")]
    assert result[5] == [Speaker("Jean DUPONT", "consultant", "")]


def test_commissioning_body_in_a_sentence_or_an_idea_is_not_a_credit():
    result = attribute_speakers([
        "The evaluation was commissioned by UNHCR in 2018.",
        "Commissioned by: the need for better data",
    ])
    assert result == [[], []]


# --- co-authors of joint statements --------------------------------------------------------------


def test_joint_statement_coauthors_are_speakers():
    result = attribute_speakers([
        "On the same day, the Committee, together with the Special Rapporteur on the human rights of migrants, "
        "the Working Group on Enforced or Involuntary Disappearances, the Special Rapporteur on extrajudicial, "
        "summary or arbitrary executions and the Committee on Enforced Disappearances issued a joint statement "
        "inviting States to protect migrants from going missing.",
    ])
    assert names(result[0]) == [
        "Committee", "Special Rapporteur on the human rights of migrants",
        "Working Group on Enforced or Involuntary Disappearances",
        "Special Rapporteur on extrajudicial, summary or arbitrary executions", "Committee on Enforced Disappearances",
    ]
    assert all(s.organisation == s.name for s in result[0])


def test_french_joint_statement_coauthors_are_speakers():
    result = attribute_speakers([
        "Le Comité, conjointement avec le Rapporteur spécial sur les droits de l’homme des migrants et le Comité "
        "des disparitions forcées, a publié une déclaration conjointe appelant les États à agir.",
    ])
    assert names(result[0]) == ["Comité", "Rapporteur spécial sur les droits de l’homme des migrants",
                                "Comité des disparitions forcées"]


def test_together_with_without_a_statement_names_no_coauthor():
    result = attribute_speakers([
        "The updated status of the Convention, together with the texts of declarations and reservations, may be "
        "found in the United Nations Treaty Collection.",
        "The Committee, together with the Special Rapporteur, visited the border.",
        "Le Comité, conjointement avec le HCR, a organisé un atelier.",
    ])
    assert result == [[], [], []]


def test_source_quoted_inside_reported_speech_is_not_a_speaker():
    result = attribute_speakers([
        "In her message, the Director stressed that UNHCR estimated that costs rose.",
        "Le Président a souligné que les partenaires ont indiqué que les délais étaient courts.",
    ])
    assert names(result[0]) == ["Director"]
    assert names(result[1]) == ["Président"]


@pytest.mark.parametrize("paragraph", ["M. " * 40_000, "Mme Ada Lovelace, " * 6_000, "Chile, Peru and " * 8_000])
def test_long_paragraphs_of_titles_and_names_are_attributed_in_linear_time(paragraph):
    import time

    started = time.perf_counter()
    attribute_speakers([paragraph])
    assert time.perf_counter() - started < 10  # sentence splitting and appositions were quadratic (issue 11)


# --- transcripts: speaker labels (English, French, Spanish) ---------------------------------------

BRIEFING = [
    "Press briefing on regional reception capacity",
    "Moderator: Priya Lindqvist",
    "MODERATOR: Good afternoon and welcome to today's briefing.",
    "Our first speaker will open with a short statement.",
    "CORINNA VELLACOTT, Spokesperson for the Regional Office: Thank you, Priya. We have two announcements.",
    "First, the new reception centre opens next month.",
    "Q: How many places will the centre have?",
    "MS. VELLACOTT: About four hundred places in the first phase.",
    "SECRETARY OKONKWO-BRANDT: Let me add that funding is secured for two years.",
    "QUESTION: Will the centre accept families?",
    "NOTE: This transcript has been edited for length.",
    "###",
]


@pytest.fixture(scope="module")
def briefing() -> list[list[Speaker]]:
    return attribute_speakers(BRIEFING)


def test_transcript_moderator_label_takes_the_name_given_for_the_role(briefing):
    lindqvist = Speaker("Priya Lindqvist", "Moderator", "")
    assert briefing[0] == []
    assert briefing[1] == [lindqvist]  # the credit line that names her
    assert briefing[2] == [lindqvist]
    assert briefing[3] == [lindqvist]  # a turn runs to the next label


def test_transcript_declared_name_and_role_and_later_title_label(briefing):
    vellacott = Speaker("Corinna Vellacott", "Spokesperson for the Regional Office", "")
    assert briefing[4] == [vellacott] and briefing[5] == [vellacott]
    assert briefing[7] == [vellacott]  # "MS. VELLACOTT:" is the woman declared earlier


def test_transcript_question_and_role_with_surname_labels(briefing):
    assert briefing[6] == [Speaker("Questioner", "Questioner", "")]
    assert briefing[9] == [Speaker("Questioner", "Questioner", "")]
    assert briefing[8] == [Speaker("Okonkwo-Brandt", "Secretary", "")]


def test_transcript_note_and_end_mark_are_nobody(briefing):
    assert briefing[10] == [] and briefing[11] == []


def test_transcript_role_with_surname_takes_the_full_name_of_the_text():
    result = attribute_speakers([
        "Remarks by Secretary of Labour Ingrid Halvorsen-Ruiz on seasonal work permits.",
        "SECRETARY HALVORSEN-RUIZ: Thank you all for coming.",
        "Q: When will the permits be issued?",
    ])
    assert result[1] == [Speaker("Ingrid Halvorsen-Ruiz", "Secretary", "")]


def test_french_transcript_labels():
    result = attribute_speakers([
        "Transcription de la conférence de presse",
        "M. RENAUDIN :",
        "Merci à tous d'être venus. Je vais présenter les chiffres de l'année.",
        "QUESTION :",
        "Combien de personnes ont été relocalisées ?",
        "Mme ABERGEL-TISSOT : Environ deux mille, selon nos estimations.",
        "MODÉRATRICE : Nous passons à la question suivante.",
    ])
    assert result[1] == result[2] == [Speaker("Renaudin", "", "")]
    assert result[3] == result[4] == [Speaker("Auteur de la question", "Auteur de la question", "")]
    assert result[5] == [Speaker("Abergel-Tissot", "", "")]
    assert result[6] == [Speaker("Modératrice", "Modératrice", "")]


def test_spanish_transcript_labels():
    result = attribute_speakers([
        "Rueda de prensa sobre el programa de retorno voluntario",
        "MODERADORA: Bienvenidos a la sesión informativa.",
        "SRA. ECHEVERRÍA: Gracias. Presentaré el balance del programa.",
        "P: ¿Cuándo se publicará el informe?",
        "LA PRESIDENTA: Se publicará en marzo.",
        "ARTÍCULO 2: Esta ley entra en vigor al día siguiente.",
        "NOTA: Transcripción no oficial.",
    ])
    assert result[0] == []
    assert result[1] == [Speaker("Moderadora", "Moderadora", "")]
    assert result[2] == [Speaker("Echeverría", "", "")]
    assert result[3] == [Speaker("Autor de la pregunta", "Autor de la pregunta", "")]
    assert result[4] == [Speaker("Presidenta", "Presidenta", "")]
    assert result[5] == [] and result[6] == []


@pytest.mark.parametrize("paragraphs", [
    # a guide's notes and a law's articles and definitions are no transcript
    ["IMPORTANTE: No es suficiente tener un correo electrónico.", "AVISO: Si usted ha marcado la casilla, recibirá "
     "las notificaciones.", "Por NIE: palabra NIE + espacio + número.", "Documentación común:"],
    ["ARTÍCULO 2: Esta ley entra en vigor al día siguiente.", "ARTÍCULO 3: Se deroga la ley anterior.",
     "DISPOSICIONES GENERALES: las siguientes normas se aplican.", "TRANSITORIOS:"],
    ["III. Asilado: a todo extranjero que sea reconocido como tal.", "IV. Secretario: al titular de la Secretaría.",
     "V. Presidente: al titular del Ejecutivo.", "b) Moderador: la persona que conduce la sesión."],
    # one label alone does not make a transcript; a list of officers names people, nobody speaks
    ["MODERATOR: Welcome.", "The session then turned to funding."],
    ["President: H.E. Mr. Teodoro Alcántara Ruiz (Paraguay)", "Vice-President: Ms. Ingeborg Saltvik (Norway)",
     "The session opened on 3 March.", "Lessons Learned: The programme relied on volunteers."],
])
def test_labels_outside_a_transcript_are_nobody(paragraphs):
    assert attribute_speakers(paragraphs) == [[] for _ in paragraphs]


# --- laws and decrees: signatories (Spanish, French, English) ------------------------------------

DECREE = [
    "ROSAURA BETANCOURT LEAL, Presidenta de la República de Valdemora, a sus habitantes sabed:",
    "Artículo 1.- Se crea el Registro Nacional de Personas Extranjeras.",
    "Valdemora, a 14 de marzo de 2031.- Dip. Ernesto Quiroga Salinas, Presidente.- Sen. Lidia Montaño Ferrer, "
    "Presidenta.- Dip. Beatriz Olmos Cárdenas, Secretaria.- Rúbricas.",
    "En cumplimiento de lo dispuesto por la Constitución, expido el presente Decreto en la capital, a veinte de marzo "
    "de dos mil treinta y uno.- Rosaura Betancourt Leal.- Rúbrica.- El Secretario del Interior, Lic. Tomás Urquidi "
    "Paredes.- Rúbrica.",
    "Valdemora, a 2 de abril de 2031.",
]


@pytest.fixture(scope="module")
def decree() -> list[list[Speaker]]:
    return attribute_speakers(DECREE)


def test_decree_promulgation_header_names_the_authority(decree):
    assert decree[0] == [Speaker("Rosaura Betancourt Leal", "Presidenta de la República de Valdemora", "")]
    assert decree[1] == []


def test_decree_rubrica_block_names_each_signatory_with_role(decree):
    assert decree[2] == [
        Speaker("Ernesto Quiroga Salinas", "Diputado, Presidente", ""),
        Speaker("Lidia Montaño Ferrer", "Senadora, Presidenta", ""),
        Speaker("Beatriz Olmos Cárdenas", "Diputada, Secretaria", ""),
    ]


def test_decree_promulgation_signatures_role_first_and_role_from_header(decree):
    assert decree[3] == [
        Speaker("Rosaura Betancourt Leal", "Presidenta de la República de Valdemora", ""),
        Speaker("Tomás Urquidi Paredes", "Secretario del Interior", ""),
    ]


def test_decree_date_line_is_nobody(decree):
    assert decree[4] == []


def test_french_closing_block_over_paragraphs():
    result = attribute_speakers([
        "La présente loi sera exécutée comme loi de l'État.",
        "Fait à Paris, le 3 juin 2031.",
        "Hélène Marchetti-Vauclair",
        "Par la Présidente de la République :",
        "Le Premier ministre,",
        "Bastien Lorrain",
        "Le ministre de l'intérieur et des outre-mer,",
        "Yannick Delaroche",
        "Article 1er Le titre II du code est ainsi modifié : les mots « dix jours » sont remplacés par les mots "
        "« quinze jours » dans toutes les dispositions concernées.",
    ])
    signatories = [
        Speaker("Hélène Marchetti-Vauclair", "Présidente de la République", ""),
        Speaker("Bastien Lorrain", "Premier ministre", ""),
        Speaker("Yannick Delaroche", "Ministre de l'intérieur et des outre-mer", ""),
    ]
    assert result[0] == [] and result[8] == []
    assert all(speakers == signatories for speakers in result[1:8])


def test_french_closing_block_in_one_paragraph_name_after_the_authority():
    result = attribute_speakers(["Fait à Lyon, le 5 mai 2030. Par le Président de la République : Gaspard Morvan "
                                 "Le Premier ministre, Inès Carrel"])
    assert result[0] == [Speaker("Gaspard Morvan", "Président de la République", ""),
                         Speaker("Inès Carrel", "Premier ministre", "")]


def test_signature_labels():
    result = attribute_speakers([
        "Signed: Marcus Abela Grech, Minister for Home Affairs",
        "(Signed) Oriana Vella Camilleri",
        "Fdo.: Ana Ruiz Soto",
        "Signed by the parties in two copies.",
        "Done at Valletta, this twelfth day of May 2029.",
    ])
    assert result[0] == [Speaker("Marcus Abela Grech", "Minister for Home Affairs", "")]
    assert result[1] == [Speaker("Oriana Vella Camilleri", "", "")]
    assert result[2] == [Speaker("Ana Ruiz Soto", "", "")]
    assert result[3] == [] and result[4] == []


def test_spanish_closing_formula_with_role_then_name():
    result = attribute_speakers([
        "Por tanto, mando a todos que guarden y hagan guardar esta ley.",
        "Dado en Madrid, a 3 de mayo de 2030. FELIPE R. El Presidente del Gobierno, PEDRO ALCARAZ GIL",
    ])
    assert result == [[], [Speaker("Pedro Alcaraz Gil", "Presidente del Gobierno", "")]]
