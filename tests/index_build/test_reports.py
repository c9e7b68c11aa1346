"""Adding, replacing and removing reports: counts, ids and answers as expected, nothing duplicated, in the index
folder and in PostgreSQL (the same code, another target)."""

import contextlib
import json

import pytest

from index_build.corpus import load_catalog
from index_build.index_store import load_version
from index_build.pg_store import open_current
from index_build.reading import UnreadableReport
from index_build.reports import NewReport, ReportExists, UnknownReport, add_reports, remove_report
from index_build.targets import FolderTarget, PostgresTarget
from service.search import SearchEngine

pytestmark = pytest.mark.slow

BEES = ("Mme Ada Lovelace, Directrice de l’Observatoire des abeilles, a présenté le recensement des ruches "
        "urbaines de Lyon : 4 200 ruches en 2024. Elle a insisté sur la formation des apiculteurs.")
BEES_V2 = BEES + "\n\nM. Alan Turing, du Conseil des jardins, a demandé un registre public des ruchers."
PORT = ("Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in "
        "Valparaíso handles 1.2 million containers a year. She added that customs checks take two days.")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "reports.json").write_text(json.dumps({"reports": []}), encoding="utf-8")
    return folder


@pytest.fixture(params=["folder", "postgresql"])
def target(request, tmp_path):
    """Where the reports are indexed: a fresh index folder, or a fresh PostgreSQL database."""
    if request.param == "folder":
        return FolderTarget(tmp_path / "index")
    return PostgresTarget(request.getfixturevalue("postgres_dsn"))


@contextlib.contextmanager
def current(target):
    """The target's current version, open."""
    version = load_version(target.index_dir) if isinstance(target, FolderTarget) else open_current(target.dsn)
    try:
        yield version
    finally:
        getattr(version, "close", lambda: None)()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def documents(target):
    with current(target) as version:
        return {doc["id"]: doc for doc in version.documents}


def test_add_replace_remove_and_re_add(tmp_path, corpus, embedder, target):
    bees = write(tmp_path, "abeilles.txt", BEES)

    summary = add_reports(corpus, target, embedder, [NewReport(bees, title="Les abeilles", year=2024)], False)
    assert summary.added == ["abeilles"] and summary.embedded_chunks >= 1
    assert documents(target)["abeilles"]["language"] == "fr"  # guessed

    again = add_reports(corpus, target, embedder, [NewReport(bees)], False)
    assert again.unchanged == ["abeilles"] and again.embedded_chunks == 0  # the same content is not duplicated
    assert [r.id for r in load_catalog(corpus)] == ["abeilles"]

    port = write(tmp_path, "harbour report.md", PORT)
    both = add_reports(corpus, target, embedder, [NewReport(port, language="en")], False)
    assert both.added == ["harbour-report"] and both.unchanged == ["abeilles"]
    with current(target) as version:
        assert both.embedded_chunks == version.count() - documents(target)["abeilles"]["chunks"]

    write(tmp_path, "abeilles.txt", BEES_V2)
    with pytest.raises(ReportExists, match="replace"):  # same id, other content: not without asking
        add_reports(corpus, target, embedder, [NewReport(bees)], False)
    replaced = add_reports(corpus, target, embedder, [NewReport(bees, replace=True)], False)
    assert replaced.replaced == ["abeilles"] and replaced.unchanged == ["harbour-report"]
    assert len(list(corpus.glob("abeilles-*.txt"))) == 1  # the old file is gone
    with current(target) as version:
        engine = SearchEngine(embedder, version)
        answer = engine.search("Qui a demandé un registre des ruchers ?", 3)
        assert "Alan Turing" in [s.name for s in answer.speakers]
        assert engine.search("container terminal capacity", 1).passages[0].document_id == "harbour-report"

    removed = remove_report(corpus, target, embedder, "abeilles")
    assert removed.removed == ["abeilles"] and set(documents(target)) == {"harbour-report"}
    assert not list(corpus.glob("abeilles-*"))
    with pytest.raises(UnknownReport):
        remove_report(corpus, target, embedder, "abeilles")

    re_added = add_reports(corpus, target, embedder, [NewReport(bees)], False)
    assert re_added.added == ["abeilles"]
    with current(target) as version:
        assert sorted(doc["id"] for doc in version.documents) == ["abeilles", "harbour-report"]
        chunks = list(version.iter_chunks())
        assert len({(c.document_id, c.start) for c in chunks}) == len(chunks)  # nothing twice


def version_name(target):
    with current(target) as version:
        return version.version


def test_a_bad_report_is_refused_and_changes_nothing(tmp_path, corpus, embedder, target):
    add_reports(corpus, target, embedder, [NewReport(write(tmp_path, "a.txt", BEES))], False)
    before = (version_name(target), (corpus / "reports.json").read_text(encoding="utf-8"), sorted(corpus.iterdir()))
    for bad in [write(tmp_path, "empty.txt", "   \n\n "), write(tmp_path, "notes.docx", "PK"),
                write(tmp_path, "broken.pdf", "%PDF-1.4 nothing")]:
        with pytest.raises((UnreadableReport, ValueError)):
            add_reports(corpus, target, embedder, [NewReport(bad)], False)
    assert before == (version_name(target), (corpus / "reports.json").read_text(encoding="utf-8"),
                      sorted(corpus.iterdir()))


def test_removing_the_last_report_leaves_an_empty_index_that_still_answers(tmp_path, corpus, embedder, target):
    add_reports(corpus, target, embedder, [NewReport(write(tmp_path, "a.txt", BEES))], False)
    remove_report(corpus, target, embedder, "a")
    with current(target) as version:
        assert SearchEngine(embedder, version).search("abeilles", 5).passages == []
