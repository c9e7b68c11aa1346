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
