"""The store contract (``tests/index_build/store/contract.py``) kept by PostgreSQL, and what only a database
store does: a new database starts from the corpus folder of the machine that changes it first, and every machine
reads the report files from the database."""

import pytest

from index_build.corpus import ReportInfo, save_catalog
from tests.index_build.store.contract import (AGUA, HARBOUR, RUCHES, FolderBackend, PostgresBackend, StoreContract,
                                              add, catalog_files, opened, write)

pytestmark = pytest.mark.slow


class TestPostgresStore(StoreContract):
    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls, postgres_server):
        return PostgresBackend(postgres_server)

    @pytest.fixture(scope="class")
    @classmethod
    def other_backend(cls):
        return FolderBackend()

    def test_a_new_database_starts_from_the_corpus_folder_and_every_machine_reads_its_files(
            self, store, backend, embedder, tmp_path):
        corpus = store.catalog.seed_dir
        write(corpus, RUCHES)
        save_catalog(corpus, [ReportInfo(id=RUCHES.id, title=RUCHES.title, language=RUCHES.language,
                                         year=RUCHES.year, publisher=RUCHES.publisher, source_file="ruches.txt")])
        summary = add(store, embedder, tmp_path / "files", HARBOUR)
        assert summary.added == ["ruches", "harbour"]
        other = backend.another(store, tmp_path / "second")  # another machine: its corpus folder is empty
        try:
            assert [info.id for info in other.catalog.reports()] == ["ruches", "harbour"]
            assert catalog_files(other) == {"ruches": RUCHES.text.encode(), "harbour": HARBOUR.text.encode()}
            write(corpus, AGUA)  # the first machine's corpus folder is not read again: the database has a version
            save_catalog(corpus, [ReportInfo(id=AGUA.id, title=AGUA.title, language=AGUA.language,
                                             source_file="agua.txt")])
            assert [info.id for info in store.catalog.reports()] == ["ruches", "harbour"]
            add(other, embedder, tmp_path / "other-files", AGUA)
            with opened(store) as version:
                assert [d["id"] for d in version.documents] == ["ruches", "harbour", "agua"]
        finally:
            other.close()
