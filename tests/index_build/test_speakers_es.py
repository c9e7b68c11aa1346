"""Speaker attribution on Spanish passages written for these tests (names, places and sentences invented)."""

from __future__ import annotations

import pytest

from index_build.speakers import Speaker, attribute_speakers


def names(speakers: list[Speaker]) -> list[str]:
    return [speaker.name for speaker in speakers]


ARRIAGA = Speaker("Tomás Arriaga Villena", "Director de Asuntos Migratorios", "OIM")
QUINTANA = Speaker("Marisol Quintana Rey", "directora general", "Agencia Andina de Movilidad")

MEETING = [
    "El Sr. Tomás Arriaga Villena, Director de Asuntos Migratorios de la OIM, señaló que la cooperación regional "
    "era indispensable.",
    "Añadió que los recursos seguían siendo escasos.",
    "La Sra. Marisol Quintana Rey, directora general de la Agencia Andina de Movilidad, dijo que faltaban datos.",
    "Ella subrayó también la importancia de la protección consular.",
    "El Sr. Arriaga añadió que el plan debía revisarse.",
    "Según la Sra. Quintana, el sistema de citas funciona.",
    "«La detención debe ser excepcional», afirmó la Sra. Quintana.",
    "La Sra. Quintana y el Sr. Arriaga presentaron el estudio conjunto.",
    "Antecedentes",
    "Añadió que el estudio se publicaría en junio.",
]


@pytest.fixture(scope="module")
def meeting() -> list[list[Speaker]]:
    return attribute_speakers(MEETING)


def test_spanish_introductions_split_role_and_organisation(meeting):
    assert meeting[0] == [ARRIAGA]
    assert meeting[2] == [QUINTANA]  # a role in lower case ("directora general") is read too


def test_spanish_sentence_opening_on_its_verb_goes_on_with_the_speaker(meeting):
    assert meeting[1] == [ARRIAGA]


def test_spanish_ella_follows_the_woman(meeting):
    assert meeting[3] == [QUINTANA]


def test_spanish_surname_with_title_resolves_to_the_full_name(meeting):
    assert meeting[4] == [ARRIAGA]
    assert meeting[5] == [QUINTANA]  # "Según la Sra. Quintana, ..."
    assert meeting[6] == [QUINTANA]  # "..., afirmó la Sra. Quintana."


def test_spanish_two_titled_people_joined_by_y(meeting):
    assert meeting[7] == [QUINTANA, ARRIAGA]


def test_spanish_a_heading_ends_the_attribution(meeting):
    assert meeting[8] == [] and meeting[9] == []


def test_spanish_title_abbreviations_do_not_cut_the_sentence():
    result = attribute_speakers(["Intervino después la Dra. Elvira Sanjurjo Peña. La Dra. Sanjurjo recordó los plazos."])
    assert names(result[0]) == ["Elvira Sanjurjo Peña"]


def test_spanish_plural_titles():
    result = attribute_speakers(["Los Sres. Julián Mora Tejada y Luis Vega Arce, de la Cruz Roja, intervinieron en la "
                                 "sesión."])
    assert result[0] == [Speaker("Julián Mora Tejada", "", "Cruz Roja"), Speaker("Luis Vega Arce", "", "Cruz Roja")]


def test_spanish_roles_and_representatives():
    result = attribute_speakers([
        "El representante de Bolivia dijo que su país había reforzado los controles.",
        "Él añadió que la frontera seguía abierta.",
        "Ella recordó los compromisos asumidos.",
        "La Relatora Especial señaló que la detención debía ser el último recurso.",
        "De acuerdo con la Relatora Especial, la situación se ha deteriorado.",
        "Los representantes de Colombia y del Perú recomendaron ampliar los programas.",
    ])
    bolivia = Speaker("Representante de Bolivia", "Representante", "Bolivia")
    assert result[0] == [bolivia] and result[1] == [bolivia]
    assert result[2] == []  # "Ella" never continues "El representante"
    assert result[3] == [Speaker("Relatora Especial", "Relatora Especial", "")]
    assert names(result[4]) == ["Relatora Especial"]
    assert result[5] == [Speaker("Representante de Colombia", "Representante", "Colombia"),
                         Speaker("Representante de Perú", "Representante", "Perú")]


def test_spanish_states_and_bodies():
    result = attribute_speakers([
        "Chile subrayó que la regularización era prioritaria.",
        "Varios Estados, entre ellos el Paraguay, el Uruguay y el Ecuador, destacaron la necesidad de vías regulares.",
        "Guatemala, Honduras y El Salvador pidieron más fondos.",
        "El Comité acogió con satisfacción el diálogo con el Estado parte.",
        "Según el Comité, la reforma es insuficiente.",
        "La OIM señaló que los flujos habían aumentado.",
    ])
    assert result[0] == [Speaker("Chile", "", "Chile")]
    assert names(result[1]) == ["Paraguay", "Uruguay", "Ecuador"]
    assert names(result[2]) == ["Guatemala", "Honduras", "El Salvador"]
    assert names(result[3]) == ["Comité"] and names(result[4]) == ["Comité"]
    assert names(result[5]) == ["OIM"]


def test_spanish_source_phrase_names_a_person_or_resolves_a_surname():
    result = attribute_speakers([
        "La Sra. Ana Ruiz Soto, asesora jurídica, presentó el informe.",
        "Según Ana Ruiz Soto, la reforma es insuficiente.",
        "Según Ruiz, faltan recursos.",
    ])
    ruiz = Speaker("Ana Ruiz Soto", "asesora jurídica", "")
    assert result == [[ruiz], [ruiz], [ruiz]]


def test_spanish_informants_evaluators_and_collective_bodies():
    result = attribute_speakers([
        "Las personas entrevistadas señalaron que los trámites eran lentos.",
        "Un coordinador regional indicó que la oficina carecía de personal.",
        "Según los informantes clave, el proyecto reforzó el diálogo.",
        "El equipo de evaluación constata que los objetivos se alcanzaron en parte.",
        "Las autoridades migratorias señalaron que el sistema estaba saturado.",
        "Los eurodiputados piden más fondos para la integración. Rechazan además los centros cerrados.",
        "Ellos insisten en la reubicación.",
    ])
    assert names(result[0]) == ["Personas entrevistadas"]
    assert result[1] == [Speaker("Coordinador regional", "", "")]
    assert names(result[2]) == ["Informantes clave"]
    assert names(result[3]) == ["Equipo de evaluación"]
    assert names(result[4]) == ["Autoridades migratorias"]
    assert names(result[5]) == ["Eurodiputados"]
    assert names(result[6]) == ["Eurodiputados"]  # "Ellos" goes on with a group named by a plural noun


@pytest.mark.parametrize("paragraph", [
    "La ley de Honduras establece un plazo de treinta días.",
    "Según el artículo 3, las solicitudes se presentan en línea.",
    "Según la Ley de Extranjería, los plazos son de tres meses.",
    "Según datos del Instituto Nacional de Estadística, la población extranjera creció.",
    "El Informe Mundial señaló que las remesas crecieron.",
    "Los datos muestran que la migración irregular disminuyó.",
    "México es un país de origen, tránsito y destino.",
    "Se señaló que los plazos eran demasiado cortos.",
    "Ginebra, 12 de mayo de 2024",
    "Destaca el caso de los menores no acompañados.",
    "NOTA: los plazos pueden variar según la oficina.",
    "ARTÍCULO 2: Esta ley entra en vigor al día siguiente de su publicación.",
])
def test_spanish_mentions_documents_dates_and_notes_are_not_speakers(paragraph):
    assert attribute_speakers([paragraph]) == [[]]


def test_spanish_state_merely_mentioned_is_not_a_speaker():
    result = attribute_speakers([
        "Plusieurs délégations ont pris la parole.",
        "La situación en México y en el Perú fue mencionada en el informe.",
        "Los migrantes procedentes de Haití y Venezuela cruzaron la frontera.",
    ])
    assert result[1:] == [[], []]


def test_spanish_impersonal_present_does_not_continue_a_speaker():
    result = attribute_speakers([
        "El Sr. Ramiro Ibáñez Cuesta, jefe de la Unidad de Protección del ACNUR, explicó el procedimiento.",
        "Destaca el caso de los menores no acompañados.",
    ])
    assert result[0] == [Speaker("Ramiro Ibáñez Cuesta", "jefe de la Unidad de Protección", "ACNUR")]
    assert result[1] == []
