"""The store contract (``tests/index_build/store/contract.py``) kept by the index folder, and what only the folder
store does: its catalog is the corpus folder, ``reports.json`` and exactly the files it lists."""

import pytest

from index_build.reading import UnreadableReport
from index_build.reports import NewReport, add_reports
from tests.index_build.store.contract import (HARBOUR, RUCHES, RUCHES_V2, TRANSLATOR, FolderBackend, PostgresBackend,
                                              StoreContract, add, new_report, remove)

pytestmark = pytest.mark.slow


class TestFolderStore(StoreContract):
    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls):
        return FolderBackend()

    @pytest.fixture(scope="class")
    @classmethod
    def other_backend(cls, postgres_server):
        return PostgresBackend(postgres_server)

    def test_the_corpus_folder_holds_the_catalog_and_only_its_files(self, store, embedder, tmp_path):
        corpus, files = store.catalog.corpus_dir, tmp_path / "files"

        def listing():
            return sorted(path.name for path in corpus.iterdir())

        add(store, embedder, files, RUCHES)
        assert listing() == ["reports.json", store.catalog.reports()[0].source_file]
        before = (listing(), (corpus / "reports.json").read_bytes())
        (tmp_path / "empty.txt").write_text(" \n", encoding="utf-8")
        with pytest.raises(UnreadableReport):
            add_reports(store, embedder, [new_report(files, HARBOUR), NewReport(tmp_path / "empty.txt")],
                        show_progress=False, translator=TRANSLATOR)
        assert (listing(), (corpus / "reports.json").read_bytes()) == before  # nothing left behind

        add(store, embedder, files, RUCHES, text=RUCHES_V2, replace=True)
        replaced = store.catalog.reports()[0].source_file
        assert listing() == ["reports.json", replaced]  # the replaced file is gone
        assert (corpus / replaced).read_text(encoding="utf-8") == RUCHES_V2
        remove(store, embedder, "ruches")
        assert listing() == ["reports.json"]
