"""Vector search: exact over a matrix, approximate (IVF) above a size with its recall measured, filters."""

import numpy as np

from index_build.vector_index import RECALL_TARGET, VectorIndex, best_of, build_ann


def clustered(rows: int, dimension: int = 32, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few centres, as real embeddings are (random ones have no neighbours)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dimension))
    vectors = centres[rng.integers(0, clusters, rows)] + rng.normal(0, 0.3, (rows, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_exact_search_is_brute_force_best_first():
    vectors = clustered(500)
    query = vectors[7]
    rows, scores = VectorIndex(vectors).search(query, 10)
    expected = np.argsort(-(vectors @ query), kind="stable")[:10]
    assert rows.tolist() == expected.tolist() and rows[0] == 7
    assert np.all(np.diff(scores) <= 0)


def test_a_filter_returns_k_rows_of_the_allowed_ones():
    vectors = clustered(500)
    allowed = np.zeros(500, dtype=bool)
    allowed[::50] = True  # ten rows, none of them close to the query
    rows, _ = VectorIndex(vectors).search(vectors[7], 5, allowed)
    assert len(rows) == 5 and all(allowed[rows])
    assert len(VectorIndex(vectors).search(vectors[7], 50, allowed)[0]) == 10  # all there are


def test_small_sets_get_no_approximate_index():
    index, info = build_ann(clustered(100), exact_limit=1000)
    assert index is None and info.kind == "exact" and info.recall_at_10 == 1.0


def test_large_sets_get_an_ivf_index_that_reaches_the_recall_target():
    vectors = clustered(4000)
    index, info = build_ann(vectors, exact_limit=1000)
    assert info.kind == "ivf" and info.lists >= 16 and info.recall_at_10 >= RECALL_TARGET
    approximate = VectorIndex(vectors, index, info, exact_limit=0, filtered_exact_limit=0)
    exact = VectorIndex(vectors)
    queries = vectors[:50] + np.random.default_rng(1).normal(0, 0.02, (50, 32)).astype(np.float32)
    recall = np.mean([len(set(approximate.search(q, 10)[0]) & set(exact.search(q, 10)[0])) / 10 for q in queries])
    assert recall >= 0.9
    rows, scores = approximate.search(queries[0], 10)
    assert np.allclose(scores, vectors[rows] @ queries[0], atol=1e-5)  # exact scores of the rows proposed


def test_a_filtered_approximate_search_keeps_to_the_filter():
    vectors = clustered(4000)
    index, info = build_ann(vectors, exact_limit=1000)
    approximate = VectorIndex(vectors, index, info, exact_limit=0, filtered_exact_limit=0)
    allowed = np.zeros(4000, dtype=bool)
    allowed[1000:3000] = True
    rows, _ = approximate.search(vectors[5], 10, allowed)
    assert len(rows) and all(allowed[rows])


def test_best_of_breaks_ties_by_row_like_a_stable_sort():
    rows = np.array([5, 3, 9, 1, 7])
    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.1], dtype=np.float32)
    found, _ = best_of(rows, scores, 3)
    assert found.tolist() == [3, 1, 5]
