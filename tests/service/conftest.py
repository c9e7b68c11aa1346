"""Fixtures of the service tests: a small corpus with its index, and real HTTP servers on free ports."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable, Sequence

import pytest
import uvicorn

from eval.live_server import free_port, wait_healthy
from tests.service.browsing import CHROMIUM, CHROMIUM_ARGS
from index_build.store.folder.store import FolderStore

SEED_TEXT = "Mme Ada Lovelace, Directrice de l’Observatoire, a parlé des abeilles de Lyon."

#: Two reports of several passages each, for filters: ``seed_index(root, BEES_TEXT, extra_reports=[HARBOUR])``
#: gives the French "seed" (no year) and the English "harbour" (2021).
BEES_TEXT = "\n\n".join([
    "Mme Ada Lovelace, Directrice de l’Observatoire des abeilles, a présenté le recensement des ruches urbaines "
    "de Lyon : 4 200 ruches en 2024, deux fois plus qu’en 2019. Elle a insisté sur la formation des apiculteurs "
    "amateurs et sur le suivi sanitaire des colonies pendant l’hiver. Selon elle, la ville compte désormais plus "
    "de ruches que de pharmacies, et les jardins partagés des pentes de la Croix-Rousse en accueillent à eux "
    "seuls près de trois cents.",
    "M. Blaise Pascal, adjoint au maire de Lyon chargé de la nature en ville, a annoncé la plantation de trois "
    "cents tilleuls le long des quais du Rhône. Il a rappelé que les abeilles ont besoin de fleurs du printemps "
    "à l’automne et que les pelouses tondues ne leur offrent rien. La ville cessera de tondre les talus des "
    "parcs entre avril et juin, et les services des espaces verts sèmeront des prairies fleuries dans les "
    "cours des écoles maternelles.",
    "Mme Émilie du Châtelet, chercheuse à l’Institut national de la recherche agronomique, a décrit la mortalité "
    "des colonies causée par le varroa. Elle a proposé un registre des ruchers tenu par la métropole, ouvert "
    "aux chercheurs, pour suivre les traitements et les pertes de chaque saison. Les apiculteurs y "
    "déclareraient chaque automne le nombre de colonies, les traitements donnés et les essaims perdus, ce "
    "qui permettrait de comparer les quartiers.",
    "Les participants ont débattu du miel de ville : les analyses montrent peu de résidus de pesticides, moins "
    "qu’à la campagne. Plusieurs apiculteurs ont demandé des emplacements sur les toits des écoles et des "
    "bâtiments publics, avec un accès sûr pour les visites des enfants. La métropole étudiera ces demandes au "
    "cas par cas : un toit doit être plat, solide et loin des fenêtres des bureaux, et un apiculteur formé "
    "doit s’engager à visiter les ruches chaque semaine.",
    "Mme Hedy Lamarr, invitée du port de Valparaíso, a raconté que les dockers y gardent douze ruches sur les "
    "toits des entrepôts. Elle a proposé un jumelage entre les apiculteurs des deux villes, avec un échange de "
    "reines et de conseils chaque printemps.",
])
HARBOUR = {"id": "harbour", "title": "Harbour Authority annual review", "language": "en", "year": 2021,
           "publisher": "Harbour Authority of Valparaíso", "text": "\n\n".join([
    "Ms. Grace Hopper, Director of the Harbour Authority, said that the new container terminal in Valparaíso "
    "handles 1.2 million containers a year. She added that customs checks take two days on average and that "
    "the Authority wants them done in one. The terminal's twelve new cranes, bought in 2020, work day and "
    "night, and the ships that call at Valparaíso now wait less than a day for a berth instead of three.",
    "Mr. Alan Turing, Minister of Transport, said that the rail link between the port and Santiago will open "
    "in 2023. Trains will carry a third of the containers, which will take four hundred lorries a day off the "
    "coast road and cut the port's emissions. The Ministry will pay for the new track, and the Authority for "
    "the rail yard beside the terminal, where the containers will be moved from the ships to the trains.",
    "Ms. Hedy Lamarr, representative of the Dock Workers' Union, said that the workers were not consulted on the "
    "automation of the cranes. She asked for a training fund for the crane drivers whose jobs will change and "
    "for a safety committee on every quay. The Union counts two thousand members in the port, and she warned "
    "that a strike would follow if the first automated cranes started work before an agreement was signed.",
    "The delegates discussed the bees kept on the roofs of the harbour warehouses: the Authority counts twelve "
    "hives, looked after by the dock workers, whose honey is sold at the harbour market every summer. The "
    "beekeepers asked for more flowers along the quays, and the Authority agreed to plant lavender beside "
    "the car parks of the passenger terminal next spring.",
])}


class ThreadServer:
    """An app served by uvicorn in a thread of this process, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="citeqa-test-server", daemon=True)

    def __enter__(self) -> "ThreadServer":
        self.thread.start()
        wait_healthy(self.url, self.thread.is_alive, timeout=60)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def serve_in_thread() -> type[ThreadServer]:
    """``with serve_in_thread(app) as server:`` serves the app at ``server.url``."""
    return ThreadServer


@pytest.fixture(scope="session")
def seed_index(embedder) -> Callable[..., tuple]:
    """``seed_index(root, text=..., extra_reports=[...], **settings)`` writes a corpus under root (the report
    "seed", French, no year; plus each extra report: a dict with ``id``, ``text`` and any metadata of
    reports.json, e.g. ``title``, ``language``, ``year``, ``publisher``), builds its index with the
    session's model and returns (Settings, LiveIndex) over them."""
    from index_build.builder import build_index
    from index_build.store.folder.versions import load_version
    from service.live import LiveIndex
    from service.search import SearchEngine
    from service.settings import Settings

    def make(root: Path, text: str = SEED_TEXT, extra_reports: Sequence[dict] = (), **overrides) -> tuple[Settings, LiveIndex]:
        corpus = root / "corpus"
        corpus.mkdir()
        (corpus / "seed.txt").write_text(text, encoding="utf-8")
        reports = [{"id": "seed", "title": "Abeilles", "language": "fr", "source_file": "seed.txt"}]
        for extra in extra_reports:
            extra = dict(extra)
            (corpus / f"{extra['id']}.txt").write_text(extra.pop("text"), encoding="utf-8")
            reports.append({"title": extra["id"], "language": "en", "source_file": f"{extra['id']}.txt", **extra})
        (corpus / "reports.json").write_text(json.dumps({"reports": reports}), encoding="utf-8")
        settings = Settings(**{"index_dir": root / "index", "corpus_dir": corpus, "audit_log": root / "audit.jsonl",
                               **overrides})
        build_index(FolderStore(settings.index_dir, corpus), embedder, show_progress=False)
        engine = SearchEngine(embedder, load_version(settings.index_dir, fingerprint=embedder.fingerprint,
                                                     dimension=embedder.dimension))
        return settings, LiveIndex(engine, FolderStore(settings.index_dir, settings.corpus_dir))

    return make


@pytest.fixture(scope="session")
def two_report_index(tmp_path_factory, seed_index) -> tuple:
    """(Settings, LiveIndex) of the two-report index (:data:`BEES_TEXT` as "seed", :data:`HARBOUR`), built
    once; the tests that use it only read it."""
    return seed_index(tmp_path_factory.mktemp("two-reports"), BEES_TEXT, extra_reports=[HARBOUR])


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, launched for one module's browser tests (Playwright's sync API keeps an event
    loop running in this thread while it is open: closed with the module, so that later tests can run their own)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install it with "
                    "`apt-get update && apt-get install -y --no-install-recommends chromium` (make test does it).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: `.venv/bin/pip install -e '.[test]'` (never `playwright install`).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
