"""Nearest vectors by inner product: exact over a memory-mapped matrix while small, FAISS IVF above a size.

A :class:`VectorIndex` answers ``search(query, k, allowed)`` with exact scores either way: the
approximate index (IVF, 8-bit scalar quantizer) only proposes candidates, which are then scored against
the float vectors. The kind is chosen by size when the version is written (:func:`build_ann`), with the
recall@10 it reached against exact search on a sample, and recorded in the manifest.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

EXACT_LIMIT = 20_000  # rows searched exactly (one pass over the matrix); above, an approximate index proposes
# candidates: a pass over 100,000 vectors reads 150 MB, 30-50 ms here
FILTERED_EXACT_LIMIT = 5_000  # a filter that keeps at most this many rows is searched exactly (gathered)
RECALL_TARGET = 0.95  # recall@10 against exact search that the build's probe count must reach
PROBES = (8, 16, 32, 64, 128, 256)
SPARSE_FILTER = 20  # a filter keeping under 1/20 of the rows gathers them; more, a full pass is cheaper
OVERSAMPLE = 4  # candidates proposed by the approximate index per result, before exact scoring
TRAINING_ROWS = 64 * 1024
SAMPLE_QUERIES = 200
REMEMBERED_MASKS = 32  # masks whose FAISS bitmaps are kept (a version's report languages and live rows)


@dataclass
class AnnInfo:
    """How one vector set is searched: ``exact``, or ``ivf`` with its lists, probes and measured recall."""

    kind: str = "exact"
    lists: int = 0
    probes: int = 0
    recall_at_10: float = 1.0

    def to_dict(self) -> dict:
        """Plain-dict form for the manifest."""
        return dict(self.__dict__)


class VectorIndex:
    """Search over one set of unit vectors (chunks or sentences)."""

    def __init__(self, vectors: np.ndarray, ann: faiss.Index | None = None, info: AnnInfo | None = None,
                 exact_limit: int = EXACT_LIMIT, filtered_exact_limit: int = FILTERED_EXACT_LIMIT):
        self.vectors = vectors  # (rows, dimension) float32 or float16, usually memory-mapped
        self.ann = ann
        self.exact_limit, self.filtered_exact_limit = exact_limit, filtered_exact_limit
        self._last_scan = threading.local()
        self._bitmaps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.info = info or AnnInfo()
        if ann is not None:
            faiss.extract_index_ivf(ann).nprobe = self.info.probes

    def __len__(self) -> int:
        return len(self.vectors)

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the given rows."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        if len(rows) * SPARSE_FILTER >= len(self.vectors):  # many rows: the full pass (made once per query)
            return self._scan(query)[rows]
        return (np.asarray(self.vectors[rows], dtype=np.float32) @ query).astype(np.float32)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows (among ``allowed``, a boolean mask, when given) and their exact scores, best
        first. A filtered approximate search that finds fewer than ``k`` falls back to exact search, so k
        rows come back whenever k pass the filter."""
        total = len(self.vectors) if allowed is None else int(np.count_nonzero(allowed))
        k = min(k, total)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.ann is None and (allowed is None or total * SPARSE_FILTER >= len(self.vectors)):
            scores = self._scan(query)  # a small set, many rows: one pass over the matrix, then the mask
            rows = np.arange(len(scores)) if allowed is None else np.flatnonzero(allowed)
            return best_of(rows, scores[rows], k)
        if self.ann is None or (allowed is not None and total <= self.filtered_exact_limit):
            rows = np.flatnonzero(allowed)  # few rows: gather them
            return best_of(rows, self.scores(query, rows), k)
        bitmap = None if allowed is None else self._bitmap(allowed)
        probes = self.info.probes
        while True:  # a filter can leave the closest lists empty (another language's): probe wider
            params = faiss.SearchParametersIVF(nprobe=min(probes, self.info.lists))
            if bitmap is not None:
                params.sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
            _, ids = self.ann.search(query.reshape(1, -1).astype(np.float32), k * OVERSAMPLE, params=params)
            rows = ids[0][ids[0] >= 0]
            if len(rows) >= k or allowed is None or probes >= self.info.lists:
                break
            probes *= 4
        if len(rows) < k and allowed is not None:  # every list probed and still too few: they are not indexed
            rows = np.flatnonzero(allowed)
        return best_of(rows, self.scores(query, rows), k)

    def remember(self, mask: np.ndarray) -> None:
        """Keep the bitmap of a mask that many searches use (a report language's rows)."""
        if len(self._bitmaps) >= REMEMBERED_MASKS:  # a segment shared by many versions: the oldest ones go
            self._bitmaps.pop(next(iter(self._bitmaps)))
        self._bitmaps[id(mask)] = (mask, np.packbits(mask, bitorder="little"))  # held: its id cannot be reused

    def _bitmap(self, allowed: np.ndarray) -> np.ndarray:
        """The mask as FAISS's bitmap (kept for remembered masks, made for the others)."""
        cached = self._bitmaps.get(id(allowed))
        if cached is not None and cached[0] is allowed:
            return cached[1]
        return np.packbits(allowed, bitorder="little")

    def _scan(self, query: np.ndarray) -> np.ndarray:
        """Exact scores of every row, read in contiguous blocks (a memory-mapped matrix is never copied
        whole); the last query's scores are kept per thread, as one question scans each set several times."""
        key = query.tobytes()
        last = getattr(self._last_scan, "value", None)
        if last is not None and last[0] == key:
            return last[1]
        block = 65_536
        scores = (np.concatenate([np.asarray(self.vectors[i:i + block], dtype=np.float32) @ query
                                  for i in range(0, len(self.vectors), block)]).astype(np.float32)
                  if len(self.vectors) else np.zeros(0, dtype=np.float32))
        scores.setflags(write=False)
        self._last_scan.value = (key, scores)
        return scores


def best_of(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (row, score), best first; among equal scores the lower rows (as a stable sort would)."""
    if len(scores) > k:
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        above = scores > threshold
        ties = np.flatnonzero(scores == threshold)
        ties = ties[np.argsort(rows[ties], kind="stable")][: k - int(np.count_nonzero(above))]
        keep = np.concatenate([np.flatnonzero(above), ties])
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))
    return rows[order].astype(np.int64), scores[order].astype(np.float32)


def build_ann(vectors: np.ndarray, seed: int = 0, exact_limit: int = EXACT_LIMIT) -> tuple[faiss.Index | None, AnnInfo]:
    """An approximate index for a vector set of more than ``exact_limit`` rows (None below: exact search
    is fast enough), with the fewest probes that reach :data:`RECALL_TARGET` on a sample of the set's own
    vectors, perturbed."""
    rows = len(vectors)
    if rows <= exact_limit:
        return None, AnnInfo()
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building uses every core; searching, one per request
    try:
        return _build_ivf(vectors, rows, seed)
    finally:
        faiss.omp_set_num_threads(threads)


def _build_ivf(vectors: np.ndarray, rows: int, seed: int) -> tuple[faiss.Index, AnnInfo]:
    dimension = vectors.shape[1]
    lists = int(2 ** round(math.log2(math.sqrt(rows))))
    rng = np.random.default_rng(seed)
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimension), dimension, lists,
                                          faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    sample = np.asarray(vectors[np.sort(rng.choice(rows, min(rows, TRAINING_ROWS), replace=False))], dtype=np.float32)
    index.train(sample)
    for start in range(0, rows, 65_536):
        index.add(np.asarray(vectors[start:start + 65_536], dtype=np.float32))
    queries = _sample_queries(vectors, rng)
    probe_index = VectorIndex(vectors, index, AnnInfo("ivf", lists, PROBES[0], 0.0), exact_limit=0, filtered_exact_limit=0)
    exact = VectorIndex(vectors)
    truth = [set(exact.search(query, 10)[0].tolist()) for query in queries]
    recall = 0.0
    for probes in PROBES:
        probe_index.info.probes = probes
        found = [set(probe_index.search(query, 10)[0].tolist()) for query in queries]
        recall = float(np.mean([len(a & b) / max(len(b), 1) for a, b in zip(found, truth)]))
        if recall >= RECALL_TARGET:
            break
    return index, AnnInfo("ivf", lists, probes, round(recall, 4))


def _sample_queries(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows of the set, perturbed and renormalised: queries near real data, not copies of it."""
    picked = np.asarray(vectors[np.sort(rng.choice(len(vectors), min(SAMPLE_QUERIES, len(vectors)), replace=False))],
                        dtype=np.float32)
    noisy = picked + rng.normal(0, 0.03, picked.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def write_ann(index: faiss.Index | None, path: Path) -> None:
    """Write the approximate index (nothing for an exact one), with Python's file writes: a full disk is
    an ``OSError``."""
    if index is not None:
        with open(path, "wb") as handle:
            handle.write(memoryview(faiss.serialize_index(index)))


def read_vector_index(vectors_path: Path, ann_path: Path, info: dict | None) -> VectorIndex:
    """Open a vector set memory-mapped, with its approximate index when the manifest says it has one."""
    vectors = np.asarray(np.load(vectors_path, mmap_mode="r", allow_pickle=False))  # a plain array on the map:
    # numpy.memmap's own indexing costs more than the copy it makes
    return VectorIndex(vectors, *read_ann(ann_path, info))


def read_ann(ann_path: Path, info: dict | None) -> tuple[faiss.Index | None, AnnInfo]:
    """The approximate index a manifest's ``info`` describes (None for an exact one), with that info."""
    info = AnnInfo(**info) if info else AnnInfo()
    ann = faiss.read_index(str(ann_path)) if info.kind == "ivf" else None  # read, not mapped (IO_FLAG_MMAP): at 1M
    # chunks a mapped IVF opens 1 s sooner but searches 2 x slower (1.17 against 0.60 ms), and its pages count the same
    return ann, info
