"""Passages rendered into other languages when indexed (real Apertium, the real model, the real seed index)."""

import shutil

import numpy as np
import pytest

from index_build.store.base import SearchFilter, Selection

from index_build.machine_translation import ApertiumTranslator
from index_build.passage_translation import render_passages, rendering_languages

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("apertium") is None, reason="Apertium is not installed")]


@pytest.fixture(scope="module")
def translator():
    translator = ApertiumTranslator(timeout_s=20.0)
    yield translator
    translator.close()


@pytest.fixture(scope="module")
def seed_chunks(engine):
    return list(engine.version.iter_chunks())[:6]


def test_a_report_is_rendered_into_every_other_language_the_translator_reaches(translator):
    assert rendering_languages(translator, "fr") == ["en", "es"]
    assert rendering_languages(translator, "es") == ["en", "fr"]
    assert rendering_languages(None, "fr") == []


def test_renderings_are_translations_embedded_as_passages(translator, embedder, seed_chunks):
    renderings, embedded = render_passages(seed_chunks, "fr", translator, embedder)
    assert embedded == len(renderings) == 2 * len(seed_chunks)
    assert sorted(set(renderings.languages)) == ["en", "es"]
    assert sorted(renderings.rows.tolist()) == sorted(list(range(len(seed_chunks))) * 2)
    assert np.allclose(np.linalg.norm(renderings.vectors, axis=1), 1.0, atol=1e-3)
    english = renderings.vectors[renderings.languages.index("en")]
    direct = embedder.embed_passages([translator.translate(seed_chunks[renderings.rows[0]].text, "fr", "en").strip()])[0]
    assert float(english @ direct) > 0.999  # the English rendering is the embedded English translation


def test_known_renderings_are_neither_translated_nor_embedded_again(translator, embedder, seed_chunks):
    first, _ = render_passages(seed_chunks, "fr", translator, embedder)
    known = {(seed_chunks[row].text, language): (vector, text)
             for row, language, vector, text in zip(first.rows.tolist(), first.languages, first.vectors, first.texts)}
    again, embedded = render_passages(seed_chunks, "fr", translator, embedder,
                                      lambda text, language: known.get((text, language)))
    assert embedded == 0 and np.array_equal(again.vectors, first.vectors) and again.texts == first.texts


def test_the_index_holds_renderings_searched_in_the_questions_language(engine, embedder):
    store = engine.version
    assert store.rendering_languages() == ["en", "es"]
    query = embedder.embed_query("Who spoke about the protection of migrant children?")
    found = store.search_renderings(query, "en", 5, None)
    assert len(found.rows) == 5 and list(found.scores) == sorted(found.scores, reverse=True)
    assert len(store.search_renderings(query, "fr", 5, None).rows) == 0  # French passages have no French rendering
    words = store.search_rendering_words(["protect", "child"], "en", 5, None)
    assert len(words.rows) == 5 and all("enfant" in chunk.text for chunk in store.chunks(words.rows[:2].tolist()))
    assert len(store.search_rendering_words(["protect"], "fr", 5, None).rows) == 0
    report = Selection.of(SearchFilter(documents=(store.documents[0]["id"],)))
    assert store.search_renderings(query, "en", 5, report).rows.tolist() == found.rows.tolist()
    assert len(store.search_renderings(query, "en", 5, Selection(None, "en")).rows) == 0  # no English report
    speaking = next(chunk for chunk in store.chunks(found.rows.tolist()) if chunk.speakers)
    name = speaking.speakers[0]["name"]
    by_speaker = store.search_renderings(query, "en", 5, Selection.of(SearchFilter(speakers=(name,))))
    assert speaking.id in by_speaker.rows and all(
        any(name in s["name"] for s in chunk.speakers) for chunk in store.chunks(by_speaker.rows.tolist()))


def test_an_answer_found_by_a_rendering_cites_the_original_passage(engine):
    retrieved = engine.retrieve("Who spoke about the protection of migrant children?")
    assert len(retrieved.renderings.rows) and "renderings" in retrieved.stage_ms
    answer = engine.answer(retrieved, 5)
    for passage in answer.passages:
        assert passage.text == engine.version.document_text(passage.document_id)[passage.start:passage.end]
        assert " the " not in f" {passage.text} "  # the French original, never its English rendering
