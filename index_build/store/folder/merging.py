"""Merging segments: a few small segments (or one full of tombstones) rewritten as one, without embedding.

Every add writes a segment, so a library that grows report by report would end with one segment per
report, each searched on its own. The policy is tiered, as Lucene's: segments are grouped by size in
tiers a factor :data:`MERGE_FACTOR` apart, and when a tier holds that many, they are merged into one of
the next tier. A chunk is so rewritten about log_F(N) times in its life, and an add never waits for a
rewrite of the large segments. A segment whose removed documents hold :data:`DELETED_SHARE` of its
rows is rewritten without them. The merge is a change like any other (:class:`FolderWriter`): a new
version, checked, switched atomically; the served one is untouched and questions go on meanwhile.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from index_build.store.folder.version import FolderVersion, union_of
from index_build.store.folder.writer import FolderWriter
from index_build.store.folder.versions import current_path, load_version, writer_lock
from index_build.store.base import PreviousVersion

MERGE_FACTOR = 8  # segments of one tier merged together; tiers are this factor apart in size
SMALLEST_TIER = 2_000  # chunks: every segment below this size is in the first tier (a few reports)
DELETED_SHARE = 0.3  # a segment with this share of its rows removed is rewritten without them


@dataclass
class MergeSummary:
    """What a merge did."""

    version: str = ""
    merged: list[str] = field(default_factory=list)  # segment ids
    documents: int = 0
    chunks: int = 0
    segments_before: int = 0
    segments_after: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One line for people."""
        if not self.merged:
            return f"Nothing to merge: {self.segments_before} segments."
        return (f"Index version {self.version}: merged {len(self.merged)} segments ({self.documents} documents, "
                f"{self.chunks} chunks) into one; {self.segments_before} -> {self.segments_after} segments "
                f"in {self.seconds:.1f} s")


def tier(chunks: int) -> int:
    """The size tier of a segment of this many live chunks."""
    return int(math.floor(math.log(max(chunks, SMALLEST_TIER) / SMALLEST_TIER, MERGE_FACTOR)))


def merge_plan(segments: list[dict], everything: bool = False) -> list[str]:
    """The ids of the segments to merge now (none when the policy asks for nothing). ``segments`` are the
    manifest's entries; ``everything`` merges them all into one (when there are two or more, or one with
    tombstones)."""
    live = {entry["id"]: entry["counts"]["chunks"] - entry.get("deleted_chunks", 0) for entry in segments}
    if everything:
        if len(segments) > 1 or any(entry.get("deleted") for entry in segments):
            return [entry["id"] for entry in segments]
        return []
    tiers: dict[int, list[str]] = {}
    for entry in segments:
        tiers.setdefault(tier(live[entry["id"]]), []).append(entry["id"])
    for level in sorted(tiers):
        if len(tiers[level]) >= MERGE_FACTOR:
            return sorted(tiers[level], key=lambda segment_id: live[segment_id])[:MERGE_FACTOR]
    worn = [entry for entry in segments
            if entry.get("deleted_chunks", 0) >= DELETED_SHARE * max(entry["counts"]["chunks"], 1)]
    return [max(worn, key=lambda entry: entry["deleted_chunks"] / entry["counts"]["chunks"])["id"]] if worn else []


def merge_segments(index_dir: Path, everything: bool = False) -> MergeSummary:
    """Merge what the policy asks for (or every segment), as a new version; takes the writer lock."""
    with writer_lock(index_dir):
        return merge_locked(index_dir, everything)


def merge_locked(index_dir: Path, everything: bool = False) -> MergeSummary:
    """:func:`merge_segments` for a caller that holds the writer lock."""
    started = time.perf_counter()
    if current_path(index_dir) is None:
        return MergeSummary()
    store = load_version(index_dir, exact=True)  # vectors are copied, nothing is searched: no FAISS read
    segments = store.manifest.get("segments", [])
    plan = merge_plan(segments, everything)
    summary = MergeSummary(merged=plan, segments_before=len(segments), segments_after=len(segments))
    if not plan:
        return summary
    writer = FolderWriter(index_dir, store)
    previous = PreviousVersion(store)
    parts = [previous.part(doc["id"]) for doc in store.documents if doc["segment"] in set(plan)]
    for part in parts:
        writer.add(part)
    merged = [segment for segment in store.segments if segment.id in set(plan)]
    vocabulary = union_of([segment.vocabulary for segment in merged], store.manifest["model"]["dimension"])
    manifest = {key: value for key, value in store.manifest.items()
                if key not in ("documents", "segments", "counts", "version", "format_version")}
    path = writer.commit(manifest, vocabulary, [doc["id"] for doc in store.documents])
    summary.version = path.name
    summary.documents, summary.chunks = len(parts), sum(len(part.chunks) for part in parts)
    summary.segments_after = len(segments) - len(plan) + 1
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def needs_merge(store: FolderVersion) -> bool:
    """Whether the policy would merge segments of this version."""
    return bool(merge_plan(store.manifest.get("segments", [])))
