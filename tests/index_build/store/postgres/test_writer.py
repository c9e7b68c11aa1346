"""PostgresWriter: versions committed into PostgreSQL, rows written once and shared, documents kept or removed."""

import psycopg
import pytest

from index_build.store.folder.versions import load_version
from index_build.store.base import PreviousVersion
from index_build.store.postgres.copy import copy_from_folder
from index_build.store.postgres.version import open_current
from index_build.store.postgres.writer import PostgresWriter

pytestmark = pytest.mark.slow


def test_versions_keep_rename_and_remove_documents_sharing_their_rows(postgres_dsn, settings, built_index, embedder):
    folder = load_version(settings.index_dir)
    first = copy_from_folder(postgres_dsn, settings.index_dir)
    entry = folder.documents[0]
    writer = PostgresWriter(postgres_dsn, open_current(postgres_dsn).documents)
    writer.keep({**entry, "title": "Un autre titre"})  # the catalog changed, the content did not
    renamed = writer.commit(folder.manifest, order=[entry["id"]])
    assert renamed.written == 0 and renamed.version != first.version
    store = open_current(postgres_dsn)
    assert store.version == renamed.version and store.documents[0]["title"] == "Un autre titre"
    assert store.count() == folder.count()
    question = embedder.embed_query("protection des enfants")
    assert store.search_chunks(question, 3, None).rows.tolist() == folder.search_chunks(question, 3, None).rows.tolist()
    store.close()

    emptied = PostgresWriter(postgres_dsn, [entry])
    emptied.remove(entry["id"])
    assert emptied.commit(folder.manifest).documents == 0
    store = open_current(postgres_dsn)
    assert store.count() == 0 and len(store.search_chunks(question, 3, None).rows) == 0
    store.close()
    with psycopg.connect(postgres_dsn) as connection:  # the earlier versions, within their grace, keep the rows
        assert connection.execute("SELECT count(*) FROM citeqa_documents").fetchone()[0] == 1

    again = PostgresWriter(postgres_dsn)
    again.add(PreviousVersion(folder).part(entry["id"]))  # rows the database holds already: not written twice
    assert again.commit(folder.manifest).written == 0


def test_keeping_a_document_the_database_does_not_hold_is_refused(postgres_dsn, settings, built_index):
    folder = load_version(settings.index_dir)
    writer = PostgresWriter(postgres_dsn)
    writer.keep(folder.documents[0])
    with pytest.raises(ValueError, match="holds no rows"):
        writer.commit(folder.manifest)
    with psycopg.connect(postgres_dsn) as connection:  # nothing was made current
        assert connection.execute("SELECT count(*) FROM citeqa_current").fetchone()[0] == 0
