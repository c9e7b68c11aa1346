"""Questions asked together are embedded together, with the vectors each would get alone."""

import threading

import numpy as np
import pytest

from service.batching import BatchingEncoder

pytestmark = pytest.mark.slow

QUESTIONS = ["who spoke about child protection", "Qui a parlé de la protection des enfants ?",
             "data on migration", "Combien d'orateurs ont participé aux tables rondes ?", "border management",
             "les femmes parmi les orateurs", "capacity development for the Global Compact", "Sikander Khan"]


class SlowEncoder:
    """The real encoder, each call held until the test lets it go: requests queue up meanwhile."""

    def __init__(self, encoder):
        self.encoder, self.dimension = encoder, encoder.dimension
        self.release, self.calls = threading.Event(), []

    def encode(self, texts, prompt_name, show_progress=False):
        self.calls.append(list(texts))
        self.release.wait(30)
        return self.encoder.encode(texts, prompt_name, show_progress)


def test_concurrent_questions_share_model_calls_and_keep_their_vectors(embedder):
    slow = SlowEncoder(embedder.encoder)
    batching = BatchingEncoder(slow, max_batch=32)
    try:
        found: dict[int, np.ndarray] = {}
        first = threading.Thread(target=lambda: found.__setitem__(-1, batching.encode(["premier"], "query")))
        first.start()
        while not slow.calls:  # the worker holds the first question in the model: the others queue
            threading.Event().wait(0.01)
        threads = [threading.Thread(target=lambda n=n: found.__setitem__(n, batching.encode([QUESTIONS[n]], "query")))
                   for n in range(len(QUESTIONS))]
        for thread in threads:
            thread.start()
        while batching._queue.qsize() < len(QUESTIONS):
            threading.Event().wait(0.01)
        slow.release.set()
        for thread in [first, *threads]:
            thread.join(30)
        assert len(slow.calls) == 2 and sorted(slow.calls[1]) == sorted(QUESTIONS)  # one call for the eight
        alone = embedder.encoder.encode(QUESTIONS, "query")
        for n in range(len(QUESTIONS)):
            assert found[n].shape == (1, embedder.dimension)
            assert float(found[n][0] @ alone[n]) >= 0.99999  # padding in a batch changes nothing
    finally:
        slow.release.set()
        batching.close()


def test_passages_and_large_requests_bypass_the_queue_and_errors_reach_every_caller(embedder):
    class Failing:
        dimension = embedder.dimension

        def encode(self, texts, prompt_name, show_progress=False):
            if prompt_name == "query" and len(texts) <= 2:
                raise RuntimeError("the model failed")
            return embedder.encoder.encode(texts, prompt_name, show_progress)

    batching = BatchingEncoder(Failing(), max_batch=2)
    try:
        assert batching.encode(["a passage"], "passage").shape == (1, embedder.dimension)  # never queued
        assert batching.encode(QUESTIONS[:3], "query").shape == (3, embedder.dimension)  # over max_batch: direct
        assert batching.batches == 0
        with pytest.raises(RuntimeError, match="the model failed"):
            batching.encode(["who spoke"], "query")
    finally:
        batching.close()
    assert batching.encode(["after close"], "passage").shape == (1, embedder.dimension)


def test_a_server_with_batching_and_one_search_at_a_time_answers_concurrent_clients(tmp_path, seed_index):
    from eval.live_server import SearchLoop, ServeProcess, citeqa_env

    settings, live = seed_index(tmp_path)
    expected = {question: [(p.document_id, p.start) for p in live.engine().search(question).passages]
                for question in QUESTIONS}
    env = citeqa_env(settings.corpus_dir, settings.index_dir) | {"CITEQA_BATCH_MAX": "8", "CITEQA_QUERY_CACHE": "0",
                                                                 "CITEQA_SEARCH_CONCURRENCY": "1"}
    with ServeProcess(env, tmp_path / "server.log") as server, SearchLoop(server.url, 6, QUESTIONS) as loop:
        threading.Event().wait(4)
    assert len(loop.requests) >= 6 and not [r.error for r in loop.requests if r.error]
    for request in loop.requests:
        assert [(p["document_id"], p["start"]) for p in request.answer["passages"]] == expected[request.answer["question"]]
