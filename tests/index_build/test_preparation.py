"""Preparing a report's text (what the child process of index_build.isolation does): chunks with their speakers
and numbered sentences, the language of the report; a contents line of 40 KB costs what 40 KB of text cost."""

import time
from pathlib import Path

import pytest

from index_build.cleaning import Paragraph
from index_build.preparation import number_sentences, prepare_text, sentence_texts, speaker_turns
from index_build.reading import UnreadableReport
from index_build.speakers import Speaker

SEED = Path(__file__).parents[2] / "corpus" / "idm-2018-capacity-development.fr.txt"


def test_turns_split_a_paragraph_between_its_speakers():
    text = "Il a conclu son propos. Mme Ada Lovelace, Directrice, a dit ceci. M. Alan Turing a répondu."
    carried, ada, alan = Speaker("Grace Hopper"), Speaker("Ada Lovelace"), Speaker("Alan Turing")
    turns = speaker_turns(Paragraph(text, 1, 100, 100 + len(text)), [carried, ada, alan])
    spans = {speaker.name: text[start - 100:end - 100] for start, end, speaker in turns}
    assert spans["Grace Hopper"] == "Il a conclu son propos. Mme "
    assert spans["Ada Lovelace"].startswith("Ada Lovelace, Directrice")
    assert spans["Alan Turing"] == "Alan Turing a répondu."


def test_speakers_named_in_a_list_share_one_turn():
    text = "Chile, Peru and the Plurinational State of Bolivia stressed the need for regular pathways. Cuba disagreed."
    chile, peru, bolivia, cuba = (Speaker(name) for name in ("Chile", "Peru", "Plurinational State of Bolivia", "Cuba"))
    turns = speaker_turns(Paragraph(text, 1, 0, len(text)), [chile, peru, bolivia, cuba])
    spans = {speaker.name: text[start:end] for start, end, speaker in turns}
    assert spans["Chile"] == spans["Peru"] == spans["Plurinational State of Bolivia"]
    assert spans["Chile"].startswith("Chile, Peru") and spans["Chile"].endswith("pathways. ")
    assert spans["Cuba"] == "Cuba disagreed."


def test_the_chunks_come_with_their_sentences_numbered():
    prepared = prepare_text(SEED, "seed", 600, 100)
    numbered = [list(chunk.sentences) for chunk in prepared.chunks]
    texts = sentence_texts(prepared.chunks, prepared.document.text)
    assert all(numbered) and prepared.language == "fr" and prepared.chunks[0].document_id == "seed"
    assert texts == number_sentences(prepared.chunks, {"seed": prepared.document.text})  # as numbering them again
    assert [chunk.sentences for chunk in prepared.chunks] == numbered
    assert all(prepared.document.text[start:end] == texts[row]
               for chunk in prepared.chunks for start, end, row in chunk.sentences)


def test_a_report_without_text_is_refused(tmp_path):
    path = tmp_path / "blank.md"
    path.write_text("<!-- only a comment -->\n\n---\n\n#\n", encoding="utf-8")
    with pytest.raises(UnreadableReport, match="no text found"):
        prepare_text(path, "blank", 600, 100)


def best_time(function, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def test_a_contents_line_of_40_kb_costs_no_more_than_40_kb_of_report(tmp_path):
    """Issue 22, H1: the 40 KB line of spaces before a contents entry's leaders took 18.8 s to clean."""
    hostile, ordinary = tmp_path / "contents.txt", tmp_path / "ordinary.txt"
    hostile.write_text("Chapitre" + " " * 40_000 + "un .... 12\n", encoding="utf-8")
    ordinary.write_text(SEED.read_text(encoding="utf-8")[:40_000], encoding="utf-8")
    prepared = prepare_text(hostile, "contents", 600, 100)
    assert prepared.document.text == "Chapitre un ... 12"
    hostile_s = best_time(lambda: prepare_text(hostile, "contents", 600, 100))
    ordinary_s = best_time(lambda: prepare_text(ordinary, "ordinary", 600, 100))
    assert hostile_s < ordinary_s, (hostile_s, ordinary_s)
