"""Building: speakers attached to the chunks that carry their words, sentences numbered for highlights."""

from pathlib import Path

import pytest

from index_build.builder import prepare_report, speaker_turns
from index_build.cleaning import Paragraph
from index_build.corpus import load_catalog
from index_build.speakers import Speaker

CORPUS = Path(__file__).parents[2] / "corpus"


@pytest.fixture(scope="module")
def seed():
    info = load_catalog(CORPUS)[0]
    return prepare_report(CORPUS / info.source_file, info)


def test_turns_split_a_paragraph_between_its_speakers():
    text = "Il a conclu son propos. Mme Ada Lovelace, Directrice, a dit ceci. M. Alan Turing a répondu."
    carried, ada, alan = Speaker("Grace Hopper"), Speaker("Ada Lovelace"), Speaker("Alan Turing")
    turns = speaker_turns(Paragraph(text, 1, 100, 100 + len(text)), [carried, ada, alan])
    spans = {speaker.name: text[start - 100:end - 100] for start, end, speaker in turns}
    assert spans["Grace Hopper"] == "Il a conclu son propos. Mme "
    assert spans["Ada Lovelace"].startswith("Ada Lovelace, Directrice")
    assert spans["Alan Turing"] == "Alan Turing a répondu."


def test_speakers_named_in_a_list_share_one_turn():
    text = "Chile, Peru and the Plurinational State of Bolivia stressed the need for regular pathways. Cuba disagreed."
    chile, peru, bolivia, cuba = (Speaker(name) for name in ("Chile", "Peru", "Plurinational State of Bolivia", "Cuba"))
    turns = speaker_turns(Paragraph(text, 1, 0, len(text)), [chile, peru, bolivia, cuba])
    spans = {speaker.name: text[start:end] for start, end, speaker in turns}
    assert spans["Chile"] == spans["Peru"] == spans["Plurinational State of Bolivia"]
    assert spans["Chile"].startswith("Chile, Peru") and spans["Chile"].endswith("pathways. ")
    assert spans["Cuba"] == "Cuba disagreed."


def test_chunks_carry_the_speakers_whose_words_they_hold(seed):
    def speakers_of(needle):
        chunk = next(c for c in seed.chunks if needle in c.text)
        return [s["name"] for s in chunk.speakers]

    assert speakers_of("M. Sikander Khan, Directeur du Bureau") == ["Sikander Khan"]
    assert speakers_of("M. Khan a également relevé") == ["Sikander Khan"]  # a continuation that names him only by surname
    assert speakers_of("Ce plan d’action, destiné à apporter") == ["Tomas Boček"]  # a continuation that does not name him
    assert speakers_of("M. Driss Oukemeni, membre du Parlement arabe") == ["Driss Oukemeni"]
    assert speakers_of("Le présent résumé ne renferme pas") == []


@pytest.mark.slow
def test_built_index_numbers_the_sentences_of_every_chunk(engine):
    version = engine.version
    rows = set()
    for chunk in version.iter_chunks():
        assert chunk.sentences
        for start, end, row in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            rows.add(row)
    assert rows == set(range(version.manifest["counts"]["sentences"]))  # one vector per distinct sentence
