"""Both stores: a build straight into PostgreSQL gives the folder build's version row for row and reuses what it
holds, and the factory follows CITEQA_STORE. What every store does alike (adding, filters, versions, two writers)
is the contract's: ``contract.py`` here, inherited by ``folder/test_contract.py`` and ``postgres/test_contract.py``."""

import json

import numpy as np
import psycopg
import pytest

from index_build.builder import build_index
from index_build.corpus import ReportInfo, load_catalog, save_catalog
from index_build.store.folder.versions import load_version
from index_build.store.factory import StoreLocation, open_store
from index_build.store.folder.store import FolderStore
from index_build.store.postgres.store import PostgresStore
from tests.index_build.store.contract import STORED_PRECISION  # the folder keeps float16 vectors, PostgreSQL float32
from index_build.store.postgres.version import open_current

pytestmark = pytest.mark.slow

REPORTS = {
    "abeilles.txt": ("fr", "Mme Ada Lovelace, Directrice de l’Observatoire des abeilles, a présenté le recensement des "
                           "ruches urbaines de Lyon : 4 200 ruches en 2024. Elle a insisté sur la formation des "
                           "apiculteurs.\n\nM. Alan Turing, du Conseil des jardins, a demandé un registre public."),
    "harbour.md": ("en", "Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
                         "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days."),
}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "reports.json").write_text(json.dumps({"reports": []}), encoding="utf-8")
    catalog = []
    for name, (language, text) in REPORTS.items():
        (folder / name).write_text(text, encoding="utf-8")
        catalog.append(ReportInfo(id=name.split(".")[0], title=name, language=language, year=2024, source_file=name))
    save_catalog(folder, catalog)
    return folder


def rows(version):
    return [(c.document_id, c.page, c.start, c.end, c.text, c.speakers, c.sentences) for c in version.iter_chunks()]


def count(dsn, table):
    with psycopg.connect(dsn) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_build_into_postgresql_gives_the_folder_build_and_reuses_its_rows(tmp_path, corpus, embedder, postgres_dsn):
    folder_summary = build_index(FolderStore(tmp_path / "index", corpus), embedder, show_progress=False)
    target = PostgresStore(postgres_dsn, corpus, tmp_path / "cache")  # a new database starts from the corpus folder
    summary = build_index(target, embedder, show_progress=False)
    assert summary.added == ["abeilles", "harbour"] and summary.chunks == folder_summary.chunks
    assert summary.path.startswith("PostgreSQL at") and "password" not in summary.path
    folder, database = load_version(tmp_path / "index"), open_current(postgres_dsn)
    try:
        assert rows(database) == rows(folder)  # the same chunks, spans, speakers and sentences
        every = list(range(folder.count()))
        assert np.allclose(database.chunk_vectors(every), folder.chunk_vectors(every), atol=STORED_PRECISION)
        question = embedder.embed_query("Qui a demandé un registre public ?")
        found, expected = database.search_chunks(question, 3, None), folder.search_chunks(question, 3, None)
        assert found.rows.tolist() == expected.rows.tolist()
        assert np.allclose(found.scores, expected.scores, atol=STORED_PRECISION)
        assert sorted(database.vocabulary.entries) == sorted(folder.vocabulary.entries)
    finally:
        database.close()

    again = build_index(target, embedder, show_progress=False)  # nothing changed: nothing embedded
    assert again.unchanged == ["abeilles", "harbour"] and again.embedded_chunks == 0
    assert count(postgres_dsn, "citeqa_documents") == 2 and again.version != summary.version

    catalog = load_catalog(corpus)
    catalog[0] = catalog[0].model_copy(update={"title": "Les abeilles de Lyon"})
    save_catalog(corpus, catalog)
    renamed = build_index(target, embedder, reports=catalog, show_progress=False)  # a new title: no new rows
    assert renamed.embedded_chunks == 0 and count(postgres_dsn, "citeqa_documents") == 2
    assert {doc["id"]: doc["title"] for doc in target.current_documents().values()}["abeilles"] == "Les abeilles de Lyon"

    catalog[1] = catalog[1].model_copy(update={"language": "fr"})  # another stemmer: terms written again, not vectors
    save_catalog(corpus, catalog)
    restemmed = build_index(target, embedder, reports=catalog, show_progress=False)
    assert restemmed.embedded_chunks == 0 and count(postgres_dsn, "citeqa_documents") == 3  # the old rows: in grace
    store = open_current(postgres_dsn)
    try:
        assert {doc["id"]: doc["language"] for doc in store.documents}["harbour"] == "fr"
    finally:
        store.close()


def test_the_store_follows_citeqa_store(tmp_path, postgres_dsn):
    assert isinstance(open_store(StoreLocation("", tmp_path, tmp_path)), FolderStore)
    assert isinstance(open_store(StoreLocation(postgres_dsn, tmp_path, tmp_path)), PostgresStore)
    with pytest.raises(ValueError, match="CITEQA_STORE"):
        open_store(StoreLocation("mysql://somewhere", tmp_path, tmp_path))
    assert not open_store(StoreLocation(postgres_dsn, tmp_path, tmp_path)).has_current()  # a database citeqa never
    # touched holds no version
