"""Merging segments: the tiered policy, and a merge that changes the rows but not what a search finds."""

from index_build.store.folder.versions import load_version
from index_build.store.folder.merging import MERGE_FACTOR, SMALLEST_TIER, merge_plan, merge_segments
from index_build.lexical import query_terms
from index_build.store.base import Selection


def entry(segment_id, chunks, deleted_chunks=0):
    return {"id": segment_id, "counts": {"chunks": chunks}, "deleted": ["x"] if deleted_chunks else [],
            "deleted_chunks": deleted_chunks}


def test_the_policy_merges_a_full_tier_and_worn_segments_only():
    small = [entry(f"s{i}", 50 + i) for i in range(MERGE_FACTOR)]
    large = entry("large", 1_000_000)
    assert merge_plan([large, *small[:-1]]) == []  # one short of a full tier: nothing
    assert merge_plan([large, *small]) == [s["id"] for s in small]  # the small ones, never the large one
    middle = [entry(f"m{i}", SMALLEST_TIER * MERGE_FACTOR + i) for i in range(MERGE_FACTOR)]
    assert merge_plan([large, *middle, *small[:3]]) == [s["id"] for s in middle]
    assert merge_plan([large, entry("worn", 100, deleted_chunks=40)]) == ["worn"]  # 40 % of its rows removed
    assert merge_plan([large, entry("fine", 100, deleted_chunks=10)]) == []
    assert merge_plan([large, small[0]], everything=True) == ["large", "s0"]
    assert merge_plan([large], everything=True) == []


def test_a_merge_keeps_every_answer_and_drops_the_tombstones(tmp_path, small_versions):
    commit, part = small_versions.commit, small_versions.part
    version = commit(None, add=["a"])
    for document_id in ["b", "c", "d"]:
        version = commit(version, add=[document_id])
    version = commit(version, remove=["b"])
    assert len(version.segments) == 3
    queries = [part(d).vectors[i] for d in "acd" for i in range(2)]

    def answers(store):
        found = []
        for query in queries:
            hits = store.search_chunks(query, 3, Selection.of(None))
            found.append([(c.document_id, c.start, round(float(s), 5))
                          for c, s in zip(store.chunks(hits.rows.tolist()), hits.scores)])
        words = store.search_words(query_terms("migrants ruchers"), 5, Selection.of(None))
        found.append(sorted((c.document_id, c.start) for c in store.chunks(words.rows.tolist())))
        return found, sorted(store.vocabulary.entries), {d: store.document_text(d) for d in "acd"}

    before = answers(version)
    summary = merge_segments(tmp_path, everything=True)
    merged = load_version(tmp_path)
    assert summary.merged == [s.id for s in version.segments] and len(merged.segments) == 1
    assert merged.count() == merged.live_count() == 6 and merged.count_selected() == merged.count()  # no tombstone left
    assert answers(merged) == before
    assert [doc["id"] for doc in merged.documents] == ["a", "c", "d"]
    assert merged.document_text("c") == small_versions.texts["c"]
    assert version.search_chunks(queries[0], 1, None).rows.tolist() == [0]  # the version served until now still answers


def test_nothing_to_merge_writes_nothing(tmp_path, small_versions):
    commit, part = small_versions.commit, small_versions.part
    version = commit(None, add=["a", "b"])
    summary = merge_segments(tmp_path)
    assert summary.merged == [] and load_version(tmp_path).version == version.version
    assert load_version(tmp_path).count_selected() == load_version(tmp_path).count()
