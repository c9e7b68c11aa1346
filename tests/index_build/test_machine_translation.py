"""Machine translation through real Apertium pipelines (null-flush mode, one per mode)."""

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from index_build.machine_translation import (MAX_CHARS, ApertiumTranslator, available_translator, from_stream,
                                             mode_routes, sanitise, to_stream)

needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="Apertium is not installed")


@pytest.fixture(scope="module")
def translator():
    translator = ApertiumTranslator()
    yield translator
    translator.close()


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _wait_until_dead(pid: int) -> None:
    """Wait (at most 2 s) until the killed process is gone."""
    deadline = time.monotonic() + 2
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def test_sanitise_makes_one_line_without_nul_and_caps_the_length():
    assert sanitise("  a\nb\r\n\tc\x00d\x07e  ") == "a b c d e"
    assert len(sanitise("word " * 1000)) <= MAX_CHARS


def test_stream_format_escapes_and_unescapes_apertium_s_special_characters():
    text = r"a [b] ^c$ d/e \ f @g <h> {i} ~j"
    assert from_stream(to_stream(text)) == text


def test_a_modes_dir_without_mode_files_gives_no_routes(tmp_path):
    (tmp_path / "README").write_text("no modes here")
    assert mode_routes(tmp_path) == {}
    assert mode_routes(tmp_path / "missing") == {}
    assert available_translator(tmp_path) is None
    assert ApertiumTranslator(tmp_path).translate("Hello", "en", "es") is None


def test_routes_ignore_variants_and_pass_through_a_pivot(tmp_path):
    for name in ("eng-spa", "spa-eng", "spa-eng_US", "eco-fr-es", "fr-es", "es-fr", "cat-spa"):
        (tmp_path / f"{name}.mode").write_text("cat\n")
    routes = mode_routes(tmp_path)
    assert routes[("en", "es")] == ("eng-spa",)
    assert routes[("fr", "es")] == ("fr-es",)
    assert routes[("en", "fr")] == ("eng-spa", "es-fr")
    assert routes[("fr", "en")] == ("fr-es", "spa-eng")
    assert all(len(chain) <= 2 and "spa-eng_US" not in chain for chain in routes.values())


@needs_apertium
def test_available_translator_over_the_installed_modes():
    translator = available_translator()
    assert translator is not None
    described = translator.describe()
    assert described["enabled"] is True
    assert {"en>es", "es>en", "fr>es", "es>fr", "en>fr", "fr>en"} <= set(described["routes"])
    assert described["chains"]["en>fr"] == "eng-spa>es-fr"


@needs_apertium
def test_english_to_spanish_and_back(translator):
    assert translator.can_translate("en", "es") and translator.can_translate("es", "en")
    assert translator.translate("The children of migrant workers.", "en", "es") == \
        "Los niños de trabajadores emigrantes."
    assert translator.translate("Los trabajadores y la frontera.", "es", "en") == "The workers and the border."


@needs_apertium
def test_french_to_spanish(translator):
    assert translator.translate("Les enfants des travailleurs migrants.", "fr", "es") == \
        "Los niños de los trabajadores migrantes."
    assert translator.translate("Qui a parlé de la frontière ?", "fr", "es").startswith("Que ha hablado")


@needs_apertium
def test_english_to_french_through_spanish(translator):
    assert translator.routes()[("en", "fr")] == ("eng-spa", "es-fr")
    before = translator.pipeline_calls
    answer = translator.translate("The children of migrant workers.", "en", "fr")
    assert answer.startswith("Les enfants de travailleurs") and answer.endswith(".")
    assert translator.pipeline_calls == before + 2


@needs_apertium
def test_a_missing_route_gives_none(translator):
    assert not translator.can_translate("en", "de")
    assert translator.translate("Hello", "en", "de") is None
    assert translator.translate("   ", "en", "es") == ""


@needs_apertium
def test_newlines_and_a_nul_byte_make_one_request(translator):
    answer = translator.translate("The children\nof migrant\x00 workers.", "en", "es")
    assert answer == "Los niños de trabajadores emigrantes."
    assert translator.translate("The report costs $5 {today} [a/b] <c> @d ~e.", "en", "es") == \
        "Los costes de informe $5 {hoy} [un/b] <c> @d ~e."


@needs_apertium
def test_a_second_call_is_answered_from_the_cache(translator):
    first = translator.translate("Who spoke about asylum seekers?", "en", "es")
    calls, hits = translator.pipeline_calls, translator.cache_hits
    assert translator.translate("Who spoke about asylum seekers?", "en", "es") == first
    assert translator.pipeline_calls == calls
    assert translator.cache_hits == hits + 1


@needs_apertium
@pytest.mark.parametrize("victim", ["leader", "stage"])
def test_a_killed_pipeline_is_started_again(victim):
    translator = ApertiumTranslator(cache_size=0)
    try:
        assert translator.translate("The children.", "en", "es") == "Los niños."
        pipeline = translator.pipelines["eng-spa"]
        leader = pipeline.pid
        stage = int(Path(f"/proc/{leader}/task/{leader}/children").read_text().split()[0])
        os.kill(leader if victim == "leader" else stage, signal.SIGKILL)
        _wait_until_dead(leader if victim == "leader" else stage)
        assert translator.translate("The children.", "en", "es") == "Los niños."
        assert pipeline.starts == 2 and pipeline.pid != leader
        _wait_until_dead(stage)
        assert not _alive(stage)  # the old pipeline's stages are gone
    finally:
        translator.close()


@needs_apertium
def test_a_timeout_gives_none_and_the_next_call_works():
    translator = ApertiumTranslator()
    try:
        assert translator.translate("The children.", "en", "es") == "Los niños."
        pipeline = translator.pipelines["eng-spa"]
        leader = pipeline.pid
        translator.timeout_s = 0.005
        assert translator.translate("The children of migrant workers. " * 60, "en", "es") is None
        assert pipeline.process is None and not _alive(leader)
        translator.timeout_s = 2.0
        assert translator.translate("The workers.", "en", "es") == "Los trabajadores."
    finally:
        translator.close()


@needs_apertium
def test_four_threads_get_their_own_answers(translator):
    cases = [("The children.", "en", "es", "Los niños."), ("The workers.", "en", "es", "Los trabajadores."),
             ("Los trabajadores.", "es", "en", "The workers."), ("La frontière.", "fr", "es", "La frontera.")]
    translator.close()  # the threads race to start the pipelines too
    wrong = []

    def ask(offset: int) -> None:
        for round_ in range(15):
            text, source, target, expected = cases[(offset + round_) % len(cases)]
            answer = translator.translate(f"{text} {round_}", source, target)
            if answer != f"{expected} {round_}":
                wrong.append((text, round_, answer))

    threads = [threading.Thread(target=ask, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@needs_apertium
def test_close_leaves_no_process_behind():
    translator = ApertiumTranslator()
    translator.translate("The children.", "en", "es")
    leader = translator.pipelines["eng-spa"].pid
    stages = [int(pid) for pid in Path(f"/proc/{leader}/task/{leader}/children").read_text().split()]
    translator.close()
    assert translator.describe()["running"] == []
    assert not any(_alive(pid) for pid in [leader, *stages])
