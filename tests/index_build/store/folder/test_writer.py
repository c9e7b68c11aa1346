"""The writer of the embedded store: an add writes one segment and leaves the others as they are, a
removal is a tombstone, and the version reads as one index across its segments."""

import json

import numpy as np
import pytest

from index_build.store.folder.versions import load_version
from index_build.lexical import query_terms
from index_build.store.base import SearchFilter, Selection

HALF = 1e-3  # vectors are stored in float16 (about 3 significant digits) and scored in float32

def segment_files(index_dir, segment_id):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (index_dir / "segments" / segment_id).rglob("*")}


def test_an_add_writes_one_segment_and_leaves_the_others_untouched(tmp_path, small_versions):
    commit, part = small_versions.commit, small_versions.part
    first = commit(None, add=["a", "b"])
    before = segment_files(tmp_path, first.segments[0].id)
    second = commit(first, add=["c"])
    assert [s.id for s in second.segments][0] == first.segments[0].id and len(second.segments) == 2
    assert segment_files(tmp_path, first.segments[0].id) == before  # not rewritten, not even touched
    assert second.count() == 6 and [doc["id"] for doc in second.documents] == ["a", "b", "c"]
    chunks = second.chunks([5, 0])  # rows are the version's: the new segment's follow the first one's
    assert [(c.id, c.document_id) for c in chunks] == [(5, "c"), (0, "a")]
    assert chunks[0].sentences[0][2] == 5  # and so are sentence rows
    assert np.allclose(second.sentence_vectors([5]), part("c").sentence_vectors[1], atol=HALF)
    assert second.document_text("c") == small_versions.texts["c"] and second.document_text("a") == small_versions.texts["a"]
    hits = second.search_chunks(part("c").vectors[0], 1, None)
    assert hits.rows.tolist() == [4] and hits.scores[0] == pytest.approx(1.0, abs=HALF)
    assert second.search_words(query_terms("travailleurs"), 3, None).rows.tolist() == [4]
    assert [w for w, _ in second.vocabulary.entries] == ["mota", "motb", "motc"]  # every segment's words
    assert second.selected_rows(Selection.of(SearchFilter(languages=("fr",)))).tolist() == [0, 1, 4, 5]


def rows(mask):
    return np.flatnonzero(mask).tolist()


def test_a_removed_or_replaced_document_is_masked_until_a_merge(tmp_path, small_versions):
    commit, part = small_versions.commit, small_versions.part
    first = commit(None, add=["a", "b", "d"])
    removed = commit(first, remove=["a"])
    assert [s.id for s in removed.segments] == [first.segments[0].id]  # nothing written but the manifest
    assert removed.manifest["segments"][0]["deleted"] == ["a"] and removed.count() == 6
    assert removed.live_count() == 4 and removed.selected_rows(Selection.of(None)).tolist() == [2, 3, 4, 5]
    assert 0 not in removed.search_chunks(part("a").vectors[0], 6, None).rows
    assert 0 not in removed.search_sentences(part("a").vectors[0], 6, None).rows
    assert not len(removed.search_words(query_terms("enfants"), 5, None).rows)
    assert "Ada Lovelace" not in {s["name"] for s in removed.speakers()}
    assert [c.document_id for c in removed.iter_chunks()] == ["b", "b", "d", "d"]
    assert removed.document_text("a") is None

    replaced = commit(removed, add=["d"], seed=1)  # same id, new content
    assert replaced.manifest["segments"][0]["deleted"] == ["a", "d"] and len(replaced.segments) == 2
    assert replaced.selected_rows(Selection.of(None)).tolist() == [2, 3, 6, 7]
    assert {(s["name"], tuple(s["documents"])) for s in replaced.speakers()} == {("Alan Turing", ("d",))}
    assert replaced.search_chunks(part("d", 1).vectors[1], 1, None).rows.tolist() == [7]


def test_a_segment_left_without_documents_is_dropped_and_then_deleted(tmp_path, small_versions):
    commit, part = small_versions.commit, small_versions.part
    first = commit(None, add=["a"])
    second = commit(first, add=["b"])
    third = commit(second, remove=["a"])
    assert [s.id for s in third.segments] == [second.segments[1].id] and third.count_selected(Selection()) == third.count()
    for _ in range(3):  # versions are kept three at a time; the segments only they used go with them
        third = commit(third, add=["c"], seed=_)
    assert not (tmp_path / "segments" / first.segments[0].id).exists()
    assert sorted(p.name for p in (tmp_path / "segments").iterdir()) == sorted(
        {entry["id"] for version in (tmp_path / "versions").iterdir()
         for entry in json.loads((version / "manifest.json").read_text())["segments"]})


def test_a_second_version_shares_the_segments_it_keeps_with_the_served_one(tmp_path, small_versions):
    commit, part = small_versions.commit, small_versions.part
    first = commit(None, add=["a", "b"])
    commit(first, add=["c"])
    reopened = load_version(tmp_path, opened=first)
    assert reopened.segments[0] is first.segments[0]  # not opened (nor checked) again
    assert first.search_chunks(part("a").vectors[0], 1, None).rows.tolist() == [0]  # the old one still answers
