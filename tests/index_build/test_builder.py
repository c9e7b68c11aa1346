"""Building: speakers attached to the chunks that carry their words, sentences numbered for highlights."""

from pathlib import Path

import pytest

from index_build.builder import prepare_report
from index_build.corpus import load_catalog

CORPUS = Path(__file__).parents[2] / "corpus"


@pytest.fixture(scope="module")
def seed():
    info = load_catalog(CORPUS)[0]
    return prepare_report(CORPUS / info.source_file, info)


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
