"""The store contract (issue #23): what every :class:`~index_build.store.base.Store` does, whichever backend holds it.

:class:`StoreContract` is a mixin of tests over a tiny corpus written here (three short reports in French, English
and Spanish, with named speakers, years and publishers). Each backend's ``test_contract.py`` defines a class that
inherits it and says how to make its stores (the ``backend`` fixture, and ``other_backend``, the backend an exported
catalog is imported into), as each of Haystack's document stores inherits the mixins of
``haystack/testing/document_store.py``.

Reports are added, replaced and removed as the command line and the admin API do it (:mod:`index_build.reports`);
what is read back goes through the store's interface only: its catalog, its versions and
:class:`service.search.SearchEngine`. The tests that only read share one store built once per class (``library``);
the tests that change a store get a fresh one (``store``).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from index_build.builder import build_index
from index_build.corpus import save_catalog
from index_build.lexical import query_terms
from index_build.machine_translation import shared_translator
from index_build.reading import UnreadableReport
from index_build.reports import (NewReport, ReportExists, UnknownReport, add_reports, export_catalog, import_catalog,
                                 remove_report)
from index_build.store.base import IndexProblem, SearchFilter, Selection, Store
from index_build.store.factory import StoreLocation, open_store
from index_build.text import fold_accents
from service.search import SearchEngine

#: The shared corpus is built as `citeqa add` does it: its passages rendered into the other languages where Apertium
#: is installed (the export test compares the renderings of both backends); the stores that the tests change are
#: built without renderings, to keep them quick.
LIBRARY_TRANSLATOR = "shared"
TRANSLATOR = None
STORED_PRECISION = 1e-3  # vectors and scores of the two backends: the folder stores float16 vectors (about 3 digits),
# PostgreSQL float32


@dataclass(frozen=True)
class Report:
    """A report of the contract's corpus with what the user says about it."""

    id: str
    title: str
    language: str
    year: int
    publisher: str
    text: str


RUCHES = Report("ruches", "Les ruches de Lyon", "fr", 2019, "Métropole de Lyon", "\n\n".join([
    "Mme Ada Lovelace, Directrice de l’Observatoire des abeilles, a présenté le recensement des ruches urbaines de "
    "Lyon : 4 200 ruches en 2019, deux fois plus qu’en 2015. Elle a insisté sur la formation des apiculteurs "
    "amateurs et sur le suivi sanitaire des colonies pendant l’hiver, quand les pertes sont les plus lourdes. "
    "Selon elle, la ville compte désormais plus de ruches que de pharmacies.",
    "Mme Émilie du Châtelet, chercheuse à l’Institut national de la recherche agronomique, a décrit la mortalité "
    "des colonies causée par le varroa. Elle a proposé un registre des ruchers tenu par la métropole, ouvert aux "
    "chercheurs, pour suivre les traitements et les pertes de chaque saison dans chaque quartier de la ville."]))
HARBOUR = Report("harbour", "Harbour review", "en", 2021, "Harbour Authority of Valparaíso", "\n\n".join([
    "Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in Valparaíso "
    "handles 1.2 million containers a year. She added that customs checks take two days on average and that the "
    "Authority wants them done in one. The terminal's twelve new cranes work day and night, and ships now wait "
    "less than a day for a berth instead of three.",
    "Mr. Alan Turing, Minister of Transport, said that the rail link between the port and Santiago will open in "
    "2023. Trains will carry a third of the containers, which will take four hundred lorries a day off the coast "
    "road and cut the port's emissions by a quarter."]))
AGUA = Report("agua", "El agua de Santiago", "es", 2023, "Ministerio de Obras Públicas", "\n\n".join([
    "La Sra. Marisol Quintana Rey, directora general de la Agencia Andina del Agua, dijo que los embalses de "
    "Santiago están a un tercio de su capacidad. Añadió que la sequía dura ya diez años y que los agricultores del "
    "valle han perdido la mitad de sus cosechas de fruta. Pidió que se construyan plantas desaladoras en la costa "
    "antes de 2030.",
    "El Sr. Tomás Arriaga Villena, director de Asuntos Hídricos del Ministerio, señaló que el consumo de agua de la "
    "ciudad ha bajado un quince por ciento desde 2020. Anunció una tarifa más alta para las piscinas privadas y el "
    "riego de los jardines durante el verano, y una campaña en las escuelas para enseñar a los niños a cerrar el "
    "grifo."]))
REPORTS = (RUCHES, HARBOUR, AGUA)
#: ``ruches`` with a third passage, to replace it
RUCHES_V2 = RUCHES.text + "\n\n" + (
    "M. Blaise Pascal, adjoint au maire de Lyon chargé de la nature en ville, a annoncé la plantation de trois cents "
    "tilleuls le long des quais du Rhône. Il a rappelé que les abeilles ont besoin de fleurs du printemps à "
    "l’automne, et que les pelouses tondues ne leur offrent rien.")
#: One word found in one passage of the corpus only: the passage's name in these tests.
MARKERS = {"ruches": ("pharmacies", "varroa"), "harbour": ("customs", "rail"), "agua": ("embalses", "piscinas")}
EVERY_PASSAGE = {marker for markers in MARKERS.values() for marker in markers}
QUESTION = "Who spoke about beehives, containers and water?"

#: Filters of every kind and the passages they keep.
FILTERS = {
    "none": (SearchFilter(), EVERY_PASSAGE),
    "one document": (SearchFilter(documents=("harbour",)), {"customs", "rail"}),
    "two documents": (SearchFilter(documents=("harbour", "agua")), {"customs", "rail", "embalses", "piscinas"}),
    "an unknown document": (SearchFilter(documents=("nope",)), set()),
    "one language": (SearchFilter(languages=("fr",)), {"pharmacies", "varroa"}),
    "two languages": (SearchFilter(languages=("es", "en")), {"customs", "rail", "embalses", "piscinas"}),
    "a language of no report": (SearchFilter(languages=("de",)), set()),
    "from a year": (SearchFilter(year_from=2021), {"customs", "rail", "embalses", "piscinas"}),
    "to a year": (SearchFilter(year_to=2021), {"pharmacies", "varroa", "customs", "rail"}),
    "between years": (SearchFilter(year_from=2020, year_to=2022), {"customs", "rail"}),
    "after every report": (SearchFilter(year_from=2024), set()),
    "a publisher without its accent": (SearchFilter(publishers=("metropole",)), {"pharmacies", "varroa"}),
    "a publisher in capitals": (SearchFilter(publishers=("VALPARAISO",)), {"customs", "rail"}),
    "a publisher with accents": (SearchFilter(publishers=("Obras Públicas",)), {"embalses", "piscinas"}),
    "two publishers": (SearchFilter(publishers=("lyon", "nowhere")), {"pharmacies", "varroa"}),
    "an unknown publisher": (SearchFilter(publishers=("unesco",)), set()),
    "a name without accents": (SearchFilter(speakers=("chatelet",)), {"varroa"}),
    "a name in capitals": (SearchFilter(speakers=("ÉMILIE",)), {"varroa"}),
    "a surname": (SearchFilter(speakers=("hopper",)), {"customs"}),
    "an organisation": (SearchFilter(speakers=("observatoire",)), {"pharmacies"}),
    "an organisation in capitals": (SearchFilter(speakers=("HARBOUR AUTHORITY",)), {"customs"}),
    "a name with its accent": (SearchFilter(speakers=("Tomás",)), {"piscinas"}),
    "two speakers": (SearchFilter(speakers=("lovelace", "turing")), {"pharmacies", "rail"}),
    "an underscore, not a wildcard": (SearchFilter(speakers=("_",)), set()),
    "a percent sign, not a wildcard": (SearchFilter(speakers=("%",)), set()),
    "nobody": (SearchFilter(speakers=("nobody",)), set()),
    "languages and a year": (SearchFilter(languages=("en", "es"), year_to=2022), {"customs", "rail"}),
    "documents and a speaker": (SearchFilter(documents=("ruches", "agua"), speakers=("quintana",)), {"embalses"}),
    "year, publisher and speaker": (SearchFilter(year_from=2019, publishers=("harbour",), speakers=("turing",)),
                                    {"rail"}),
    "a publisher and a later year": (SearchFilter(publishers=("ministerio",), year_from=2024), set()),
    "a language and a speaker of another": (SearchFilter(languages=("fr",), speakers=("hopper",)), set()),
}


# --- the backends -----------------------------------------------------------------------------------------------
class FolderBackend:
    """Stores in index folders (CITEQA_STORE empty), each with its corpus folder."""

    name = "folder"

    def new(self, root: Path) -> Store:
        """A fresh, empty store under ``root``."""
        return open_store(StoreLocation("", root / "index", empty_corpus(root / "corpus")))

    def another(self, store: Store, root: Path) -> Store:
        """Another process's store on the same index and catalog (one machine: the same folders)."""
        return open_store(StoreLocation("", store.index_dir, store.catalog.corpus_dir))


class PostgresBackend:
    """Stores in PostgreSQL databases of one server (a new database each)."""

    name = "postgresql"

    def __init__(self, server):
        self.server = server

    def database(self) -> str:
        """A new, empty database; its address."""
        import psycopg

        name = f"contract_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server.dsn, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.server.dsn.rsplit("/", 1)[0] + f"/{name}"

    def new(self, root: Path) -> Store:
        """A fresh, empty store: a new database, this machine's folders under ``root``."""
        return open_store(StoreLocation(self.database(), root / "index", empty_corpus(root / "corpus")))

    def another(self, store: Store, root: Path) -> Store:
        """Another machine's store on the same database: its own corpus folder (empty) and file cache."""
        return open_store(StoreLocation(store.dsn, root / "index", empty_corpus(root / "corpus")))


def empty_corpus(folder: Path) -> Path:
    """A corpus folder whose ``reports.json`` lists nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    save_catalog(folder, [])
    return folder


# --- helpers ----------------------------------------------------------------------------------------------------
def write(folder: Path, report: Report, text: str | None = None) -> Path:
    """The report's file, written into ``folder`` (its ``text`` by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.id}.txt"
    path.write_text(report.text if text is None else text, encoding="utf-8")
    return path


def new_report(folder: Path, report: Report, text: str | None = None, **fields) -> NewReport:
    """The report as `citeqa add` gives it, with its id and every catalog field."""
    described = {"id": report.id, "title": report.title, "language": report.language, "year": report.year,
                 "publisher": report.publisher, **fields}
    return NewReport(write(folder, report, text), **described)


def add(store: Store, embedder, folder: Path, *reports: Report, translator=TRANSLATOR, **fields):
    """Add the reports (with their fields) in one change; its summary."""
    return add_reports(store, embedder, [new_report(folder, report, **fields) for report in reports],
                       show_progress=False, translator=translator)


def remove(store: Store, embedder, report_id: str):
    return remove_report(store, embedder, report_id, translator=TRANSLATOR)


@contextlib.contextmanager
def opened(store: Store):
    """The store's current version, open."""
    version = store.open()
    try:
        yield version
    finally:
        version.close()


def catalog_files(store: Store) -> dict[str, bytes]:
    """The catalog's report ids, in its order, with the bytes of each one's file."""
    return {info.id: store.catalog.file(info).read_bytes() for info in store.catalog.reports()}


def document_ids(version) -> list[str]:
    return [document["id"] for document in version.documents]


def markers_of(version, rows) -> set[str]:
    """The passages at these rows, by their markers (each holds exactly one)."""
    found = set()
    for chunk in version.chunks([int(row) for row in rows]):
        held = [marker for marker in MARKERS.get(chunk.document_id, ()) if marker in chunk.text]
        assert len(held) == 1, f"passage {chunk.id} of {chunk.document_id} holds {held}: {chunk.text[:80]!r}"
        found.add(held[0])
    return found


def speaks(chunk, patterns) -> bool:
    """Whether one of the chunk's speakers has a pattern in their name or organisation (case and accents aside)."""
    return any(fold_accents(pattern).strip() in fold_accents(speaker.get(field) or "")
               for speaker in chunk.speakers for field in ("name", "organisation") for pattern in patterns)


def eventually(check, seconds: float = 10.0, what: str = ""):
    """``check()``'s value once it is true (a store may learn of a new version a moment later)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"not true after {seconds} s: {what}"
        time.sleep(0.1)


def public(document: dict) -> dict:
    """A document entry without what only one backend keeps (the folder's segment, rows and file stamp) or what
    a build sets anew (when it was indexed)."""
    return {key: value for key, value in document.items()
            if key not in ("segment", "first_row", "file_stamp", "indexed_at")}


@dataclass
class Library:
    """The corpus, added to a store of the backend in one change, with its current version open."""

    store: Store
    version: object
    engine: SearchEngine
    summary: object
    root: Path


# --- the contract -----------------------------------------------------------------------------------------------
class StoreContract:
    """The tests every store passes. A subclass gives the ``backend`` fixture (what makes its stores: ``new(root)``
    and ``another(store, root)``, as :class:`FolderBackend` and :class:`PostgresBackend`) and ``other_backend``."""

    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls):
        """The backend under test (abstract)."""
        raise NotImplementedError("a contract class gives its backend")

    @pytest.fixture(scope="class")
    @classmethod
    def other_backend(cls):
        """The other backend, which an exported catalog is imported into (abstract)."""
        raise NotImplementedError("a contract class gives the backend to import into")

    @pytest.fixture
    def store(self, backend, tmp_path):
        """A fresh, empty store of the backend."""
        made = backend.new(tmp_path / "machine")
        yield made
        made.close()

    @pytest.fixture(scope="class")
    @classmethod
    def library(cls, backend, embedder, tmp_path_factory):
        """A store holding the corpus (read only by the tests that use it), built once per class."""
        root = tmp_path_factory.mktemp(f"library-{backend.name}")
        store = backend.new(root / "machine")
        summary = add(store, embedder, root / "files", *REPORTS, translator=LIBRARY_TRANSLATOR)
        version = store.open()
        yield Library(store, version, SearchEngine(embedder, version), summary, root)
        version.close()
        store.close()

    # --- adding, replacing, removing ------------------------------------------------------------------------
    def test_a_new_store_is_empty(self, store):
        assert not store.has_current() and store.current_documents() == {} and store.current_name() == ""
        assert store.catalog.reports() == [] and store.describe()

    def test_the_corpus_is_added_with_its_catalog_fields_and_files(self, library):
        store, version = library.store, library.version
        assert library.summary.added == ["ruches", "harbour", "agua"] and library.summary.documents == 3
        assert library.summary.chunks == library.summary.embedded_chunks == 6
        assert store.has_current() and document_ids(version) == ["ruches", "harbour", "agua"]
        assert version.count() == version.live_count() == 6 == len(list(version.iter_chunks()))
        catalog = store.catalog.reports()
        assert [(r.id, r.title, r.language, r.year, r.publisher) for r in catalog] == [
            (r.id, r.title, r.language, r.year, r.publisher) for r in REPORTS]
        for info, report in zip(catalog, REPORTS):
            digest = hashlib.sha256(report.text.encode()).hexdigest()
            assert info.source_file == f"{report.id}-{digest[:8]}.txt" and info.added_at
            assert store.catalog.file(info).read_bytes() == report.text.encode()
            entry = store.current_documents()[report.id]
            assert entry["content_hash"] == digest and entry["chunks"] == 2
            assert {key: entry[key] for key in ("title", "language", "year", "publisher", "source_file")} == {
                key: getattr(info, key) for key in ("title", "language", "year", "publisher", "source_file")}
        for report in REPORTS:
            chunks = list(version.iter_chunks(report.id))
            assert [c.document_id for c in chunks] == [report.id] * 2
            text = version.document_text(report.id)
            assert text and all(text[c.start:c.end] == c.text for c in chunks)  # a passage is its report's span
        assert version.document_text("nope") is None
        rendered = shared_translator() is not None  # passages machine-translated into the other two languages
        assert version.rendering_languages() == (["en", "es", "fr"] if rendered else [])
        assert len(version.document_renderings("harbour")) == (4 if rendered else 0)

    def test_add_replace_remove_and_add_again(self, store, embedder, tmp_path):
        files = tmp_path / "files"
        first = add_reports(store, embedder, [NewReport(write(files, RUCHES), title=RUCHES.title, year=2019)],
                            show_progress=False, translator=TRANSLATOR)
        assert first.added == ["ruches"] and first.embedded_chunks == 2 and first.documents == 1
        assert store.current_documents()["ruches"]["language"] == "fr"  # guessed from the text

        again = add_reports(store, embedder, [NewReport(write(files, RUCHES))], show_progress=False,
                            translator=TRANSLATOR)
        assert again.unchanged == ["ruches"] and again.embedded_chunks == 0  # the same content: not twice
        assert list(catalog_files(store)) == ["ruches"]

        both = add(store, embedder, files, HARBOUR, AGUA)
        assert both.added == ["harbour", "agua"] and both.unchanged == ["ruches"] and both.embedded_chunks == 4
        with opened(store) as version:
            assert document_ids(version) == ["ruches", "harbour", "agua"] and version.live_count() == 6
        assert catalog_files(store) == {report.id: report.text.encode() for report in REPORTS}

        with pytest.raises(ReportExists, match="replace"):  # the same id, other content: not without asking
            add(store, embedder, files, RUCHES, text=RUCHES_V2)
        assert catalog_files(store)["ruches"] == RUCHES.text.encode()
        replaced = add_reports(store, embedder, [NewReport(write(files, RUCHES, RUCHES_V2), id="ruches",
                                                           replace=True)], show_progress=False, translator=TRANSLATOR)
        assert replaced.replaced == ["ruches"] and replaced.unchanged == ["harbour", "agua"]
        assert catalog_files(store)["ruches"] == RUCHES_V2.encode()
        info = store.catalog.reports()[-1]  # a replaced report goes last, with the fields it had
        assert (info.id, info.title, info.language, info.year, info.publisher) == (
            "ruches", RUCHES.title, "fr", 2019, "")
        with opened(store) as version:
            assert sorted(document_ids(version)) == ["agua", "harbour", "ruches"]
            chunks = list(version.iter_chunks("ruches"))
            assert version.live_count() == 4 + len(chunks) and any("tilleuls" in c.text for c in chunks)
            assert "tilleuls" in version.document_text("ruches")
            engine = SearchEngine(embedder, version)
            answer = engine.search("Qui a annoncé la plantation de tilleuls ?", 3)
            assert [p.document_id for p in answer.passages if "tilleuls" in p.text] == ["ruches"]
            assert "Blaise Pascal" in [speaker.name for speaker in answer.speakers]
            assert engine.search("How long do customs checks take?", 1).passages[0].document_id == "harbour"

        removed = remove(store, embedder, "ruches")
        assert removed.removed == ["ruches"] and removed.unchanged == ["harbour", "agua"]
        assert list(catalog_files(store)) == ["harbour", "agua"]
        assert set(store.current_documents()) == {"harbour", "agua"}
        with opened(store) as version:
            assert version.live_count() == 4 and version.document_text("ruches") is None
            assert not [c for c in version.iter_chunks() if c.document_id == "ruches"]
            assert "Blaise Pascal" not in [s["name"] for s in version.speakers()]
        with pytest.raises(UnknownReport):
            remove(store, embedder, "ruches")

        re_added = add(store, embedder, files, RUCHES)
        assert re_added.added == ["ruches"] and re_added.unchanged == ["harbour", "agua"]
        with opened(store) as version:
            assert document_ids(version) == ["harbour", "agua", "ruches"]
            chunks = list(version.iter_chunks())
            assert len(chunks) == version.live_count() == 6
            assert len({(c.document_id, c.start) for c in chunks}) == len(chunks)  # nothing twice
        assert catalog_files(store) == {"harbour": HARBOUR.text.encode(), "agua": AGUA.text.encode(),
                                        "ruches": RUCHES.text.encode()}

    def test_a_report_that_cannot_be_read_changes_nothing(self, store, embedder, tmp_path):
        add(store, embedder, tmp_path / "files", RUCHES)
        before = (store.current_name(), store.catalog.reports(), catalog_files(store), store.current_documents())
        (tmp_path / "notes.docx").write_bytes(b"PK")
        (tmp_path / "empty.txt").write_text("   \n\n ", encoding="utf-8")
        with pytest.raises(UnreadableReport, match="unsupported file type"):
            add_reports(store, embedder, [NewReport(tmp_path / "notes.docx")], show_progress=False,
                        translator=TRANSLATOR)
        with pytest.raises(UnreadableReport, match="no text"):  # one bad file among good ones: none is added
            add_reports(store, embedder, [new_report(tmp_path / "files", HARBOUR), NewReport(tmp_path / "empty.txt")],
                        show_progress=False, translator=TRANSLATOR)
        assert before == (store.current_name(), store.catalog.reports(), catalog_files(store),
                          store.current_documents())

    # --- filters ---------------------------------------------------------------------------------------------
    @pytest.mark.parametrize("case", list(FILTERS))
    def test_a_filter_keeps_the_same_passages_in_every_search(self, library, embedder, case):
        search_filter, expected = FILTERS[case]
        version = library.version
        selection = Selection.of(search_filter)
        kept = version.selected_rows(selection).tolist()
        assert markers_of(version, kept) == expected
        assert version.count_selected(selection) == len(kept) == len(expected)
        if search_filter.speakers:  # a passage is kept when one of its speakers matches, not its whole report
            for chunk in version.chunks(kept):
                assert speaks(chunk, search_filter.speakers), chunk.speakers

        query = embedder.embed_query(QUESTION)
        every = version.count()
        assert set(version.search_chunks(query, every, selection).rows.tolist()) == set(kept)
        sentences = set(version.search_sentences(query, every, selection).rows.tolist())
        assert sentences <= set(kept) and bool(sentences) == bool(kept)
        words = version.search_words(query_terms(" ".join(EVERY_PASSAGE)), every, selection)
        assert set(words.rows.tolist()) == set(kept)
        assert list(words.scores) == sorted(words.scores, reverse=True)

        answer = library.engine.search(QUESTION, 10, search_filter=search_filter)
        cited = {marker for p in answer.passages for marker in MARKERS[p.document_id] if marker in p.text}
        assert cited == expected and len(answer.passages) == len(expected)  # k passages come back when k exist
        assert all(p.document_id in {d["id"] for d in version.documents} for p in answer.passages)
        if not expected:
            assert not answer.answerable and answer.reason

    def test_a_filter_restricts_a_search_among_many_to_what_it_keeps(self, library):
        engine = library.engine
        top = engine.search("¿Cuánta agua consume la ciudad?", 1, search_filter=SearchFilter(languages=("es",)))
        assert top.passages[0].document_id == "agua" and "consumo" in top.passages[0].text
        elsewhere = engine.search("¿Cuánta agua consume la ciudad?", 2, search_filter=SearchFilter(year_to=2021))
        assert {p.document_id for p in elsewhere.passages} <= {"ruches", "harbour"} and len(elsewhere.passages) == 2

    # --- speakers --------------------------------------------------------------------------------------------
    def test_speakers_are_listed_with_their_reports_and_passages(self, library):
        version = library.version
        entries = version.speakers()
        by_name = {entry["name"]: entry for entry in entries}
        assert set(by_name) == {"Ada Lovelace", "Émilie du Châtelet", "Grace Hopper", "Alan Turing",
                                "Marisol Quintana Rey", "Tomás Arriaga Villena"}
        assert by_name["Grace Hopper"] == {"name": "Grace Hopper", "role": "Director",
                                           "organisation": "Harbour Authority", "documents": ["harbour"],
                                           "passages": 1}
        assert by_name["Ada Lovelace"]["organisation"] == "Observatoire des abeilles"
        chunks = list(version.iter_chunks())
        for entry in entries:  # what the passages say, gathered
            speaking = [c for c in chunks if any(s["name"] == entry["name"] for s in c.speakers)]
            assert entry["passages"] == len(speaking) >= 1
            assert entry["documents"] == list(dict.fromkeys(c.document_id for c in speaking))
            assert set(entry) == {"name", "role", "organisation", "documents", "passages"}

    # --- versions --------------------------------------------------------------------------------------------
    def test_each_change_makes_a_new_version_and_an_old_one_still_reads_down_to_an_empty_one(self, store, embedder,
                                                                                             tmp_path):
        files = tmp_path / "files"
        names = []
        opened_versions = []
        try:
            for change in (lambda: add(store, embedder, files, RUCHES), lambda: add(store, embedder, files, HARBOUR),
                           lambda: remove(store, embedder, "ruches")):
                summary = change()
                assert summary.version and summary.version not in names
                names.append(summary.version)
                version = store.open()
                opened_versions.append(version)
                assert store.name_of(version) == summary.version  # the name of what is open...
                eventually(lambda: store.current_name() == summary.version,  # ...is the current one's
                           what=f"current_name() {store.current_name()!r}, not {summary.version!r}")
                assert store.has_current()
            first, second, third = opened_versions
            assert [document_ids(v) for v in opened_versions] == [["ruches"], ["ruches", "harbour"], ["harbour"]]
            assert [store.name_of(v) for v in opened_versions] == names
            query = embedder.embed_query("Combien de ruches à Lyon ?")
            for version, documents in ((first, {"ruches"}), (second, {"ruches", "harbour"})):  # read after changes
                assert {c.document_id for c in version.iter_chunks()} == documents
                assert "varroa" in version.document_text("ruches")
                hits = version.search_chunks(query, 4, None)
                assert {c.document_id for c in version.chunks(hits.rows.tolist())} == documents
                assert len(version.search_words(query_terms("pharmacies"), 4, None).rows) == 1
                assert {s["name"] for s in version.speakers()} >= {"Ada Lovelace"}
            assert third.document_text("ruches") is None
            answer = SearchEngine(embedder, first).search("Combien de ruches à Lyon ?", 1)
            assert answer.passages[0].document_id == "ruches"

            last = remove(store, embedder, "harbour")  # the last report: an empty version, which answers
            assert last.removed == ["harbour"] and last.documents == 0 and last.chunks == 0
            assert store.catalog.reports() == [] and store.current_documents() == {} and store.has_current()
            with opened(store) as empty:
                assert empty.documents == [] and empty.live_count() == 0 and empty.speakers() == []
                answer = SearchEngine(embedder, empty).search("abeilles", 5)
                assert answer.passages == [] and not answer.answerable
            assert document_ids(second) == ["ruches", "harbour"]  # still read
        finally:
            for version in opened_versions:
                version.close()

    # --- the catalog moves between backends --------------------------------------------------------------------
    def test_an_exported_catalog_imported_into_the_other_backend_gives_the_same_catalog_and_answers(
            self, library, other_backend, embedder, tmp_path):
        exported = tmp_path / "exported"
        line = export_catalog(library.store, exported)
        assert "Exported 3 reports" in line
        assert sorted(path.name for path in exported.iterdir()) == sorted(
            ["reports.json"] + [info.source_file for info in library.store.catalog.reports()])
        with pytest.raises(ValueError, match="empty folder"):
            export_catalog(library.store, exported)

        other = other_backend.new(tmp_path / "other")
        try:
            summary = import_catalog(other, embedder, exported, show_progress=False, translator=LIBRARY_TRANSLATOR)
            assert summary.added == ["ruches", "harbour", "agua"]
            assert ([r.model_dump() for r in other.catalog.reports()]
                    == [r.model_dump() for r in library.store.catalog.reports()])  # ids, fields, files, dates
            assert catalog_files(other) == catalog_files(library.store)
            with opened(other) as version:
                self.assert_same_answers(library.version, version, embedder)
        finally:
            other.close()

    @staticmethod
    def assert_same_answers(mine, theirs, embedder) -> None:
        """Two versions of the same reports in two backends: the same documents, passages, speakers, filters and
        searches."""
        assert [public(d) for d in theirs.documents] == [public(d) for d in mine.documents]
        assert [vars(c) for c in theirs.iter_chunks()] == [vars(c) for c in mine.iter_chunks()]
        assert theirs.speakers() == mine.speakers()
        assert theirs.rendering_languages() == mine.rendering_languages()
        for document in mine.documents:  # the passages machine-translated when indexed (none without Apertium)
            one, other = mine.document_renderings(document["id"]), theirs.document_renderings(document["id"])
            order_one = sorted(range(len(one)), key=lambda i: (one.rows[i], one.languages[i]))
            order_other = sorted(range(len(other)), key=lambda i: (other.rows[i], other.languages[i]))
            assert ([(int(other.rows[i]), other.languages[i], other.texts[i]) for i in order_other]
                    == [(int(one.rows[i]), one.languages[i], one.texts[i]) for i in order_one])
            assert np.allclose(np.asarray(other.vectors, dtype=np.float32)[order_other],
                               np.asarray(one.vectors, dtype=np.float32)[order_one], atol=STORED_PRECISION)
        for search_filter, _ in FILTERS.values():
            selection = Selection.of(search_filter)
            assert theirs.selected_rows(selection).tolist() == mine.selected_rows(selection).tolist()
        for question in (QUESTION, "¿Cuánta agua consume la ciudad?", "Qui a parlé du varroa ?"):
            query = embedder.embed_query(question)
            for search in ("search_chunks", "search_sentences"):
                found, expected = getattr(theirs, search)(query, 6, None), getattr(mine, search)(query, 6, None)
                assert found.rows.tolist() == expected.rows.tolist()
                assert np.allclose(found.scores, expected.scores, atol=STORED_PRECISION)
            terms = query_terms(question)
            found, expected = theirs.search_words(terms, 6, None), mine.search_words(terms, 6, None)
            assert found.rows.tolist() == expected.rows.tolist()
            assert np.allclose(found.scores, expected.scores, rtol=1e-4)
            for language in mine.rendering_languages():
                found, expected = (theirs.search_renderings(query, language, 6, None),
                                   mine.search_renderings(query, language, 6, None))
                assert found.rows.tolist() == expected.rows.tolist()
                assert np.allclose(found.scores, expected.scores, atol=STORED_PRECISION)
            one, other = (SearchEngine(embedder, version).search(question, 3) for version in (mine, theirs))
            assert ([(p.document_id, p.start, p.end) for p in other.passages]
                    == [(p.document_id, p.start, p.end) for p in one.passages])

    # --- two writers ---------------------------------------------------------------------------------------------
    def test_a_second_writer_waits_for_the_first_or_is_refused(self, store, backend, embedder, tmp_path, request):
        files = tmp_path / "files"
        add(store, embedder, files, RUCHES)
        second = backend.another(store, tmp_path / "second")
        request.addfinalizer(second.close)
        release, holding = threading.Event(), threading.Event()

        def first_writer():
            with store.lock():
                holding.set()
                release.wait(60)

        first = threading.Thread(target=first_writer)
        first.start()
        waiting = None
        try:
            assert holding.wait(30)
            with pytest.raises(IndexProblem, match="Another citeqa process"):
                with second.lock(wait=False):
                    pass
            done: list = []
            waiting = threading.Thread(target=lambda: done.append(add(second, embedder, files, HARBOUR)))
            waiting.start()
            time.sleep(1.5)
            assert waiting.is_alive() and not done  # it waits for the lock...
            assert set(store.current_documents()) == {"ruches"}
        finally:
            release.set()
            first.join()
            if waiting is not None:
                waiting.join(120)
        assert done and done[0].added == ["harbour"]  # ...and goes on once the first is done
        for each in (store, second):
            assert list(catalog_files(each)) == ["ruches", "harbour"]
        with second.lock(wait=False):  # released
            pass

    def test_two_stores_on_one_location_changing_in_turn_see_each_others_reports(self, store, backend, embedder,
                                                                               tmp_path):
        other = backend.another(store, tmp_path / "second")
        files = tmp_path / "files"
        expected: dict[str, bytes] = {}

        def both_see(*ids):
            for each in (store, other):
                assert catalog_files(each) == {report_id: expected[report_id] for report_id in ids}
                assert set(each.current_documents()) == set(ids)
                with opened(each) as version:
                    assert document_ids(version) == list(ids)
            assert store.current_documents() == other.current_documents()

        try:
            add(store, embedder, files, RUCHES)
            expected["ruches"] = RUCHES.text.encode()
            both_see("ruches")
            add(other, embedder, tmp_path / "other-files", HARBOUR)
            expected["harbour"] = HARBOUR.text.encode()
            both_see("ruches", "harbour")
            add(store, embedder, files, AGUA)
            expected["agua"] = AGUA.text.encode()
            both_see("ruches", "harbour", "agua")
            replaced = add(other, embedder, tmp_path / "other-files", RUCHES, text=RUCHES_V2, replace=True)
            assert replaced.replaced == ["ruches"]
            expected["ruches"] = RUCHES_V2.encode()
            both_see("harbour", "agua", "ruches")
            removed = remove(store, embedder, "harbour")  # the first store, after the other replaced a report
            assert removed.removed == ["harbour"] and removed.unchanged == ["agua", "ruches"], removed
            both_see("agua", "ruches")
            with opened(other) as version:
                assert "tilleuls" in version.document_text("ruches")  # the replacement, not the first file
        finally:
            other.close()

    def test_a_replacement_with_the_same_content_changes_only_the_catalog_fields(self, store, embedder, tmp_path):
        add(store, embedder, tmp_path / "files", RUCHES)
        renamed = add(store, embedder, tmp_path / "files", RUCHES, title="Ruches de Lyon, 2019", year=2020,
                      replace=True)
        assert renamed.unchanged == [RUCHES.id] and renamed.embedded_chunks == 0
        (info,) = store.catalog.reports()
        assert (info.title, info.year, info.publisher) == ("Ruches de Lyon, 2019", 2020, RUCHES.publisher)
        assert store.current_documents()[RUCHES.id]["title"] == "Ruches de Lyon, 2019"
        untouched = add(store, embedder, tmp_path / "files", RUCHES, title="Autre titre")  # not asked to replace
        assert untouched.unchanged == [RUCHES.id] and store.catalog.reports()[0].title == "Ruches de Lyon, 2019"

    def test_a_writer_that_another_went_past_is_refused(self, store, backend, embedder, tmp_path, monkeypatch):
        """Should two writers ever both hold the lock (a lock lost with its connection), the one that commits
        second is refused (:class:`IndexProblem`): it would undo the other's change."""
        add(store, embedder, tmp_path / "files", RUCHES)
        other = backend.another(store, tmp_path / "second")
        monkeypatch.setattr(other, "lock", lambda wait=True: contextlib.nullcontext())  # as if it had the lock
        make_writer, went_past = store.writer, []

        def writer_then_another_change(previous, same_pipeline):
            made = make_writer(previous, same_pipeline)
            went_past.append(build_index(other, embedder, show_progress=False, translator=TRANSLATOR))  # a new
            return made  # version, made current while this writer writes

        monkeypatch.setattr(store, "writer", writer_then_another_change)
        try:
            with pytest.raises(IndexProblem, match="changed while"):
                add(store, embedder, tmp_path / "files", HARBOUR)
            assert went_past and eventually(lambda: store.current_name() == went_past[0].version)  # the other's
            assert "ruches" in store.current_documents()  # version stands
        finally:
            other.close()
