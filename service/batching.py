"""Questions arriving together are embedded together: an encoder that merges concurrent query encodings.

Each request thread hands its texts to one worker thread and waits. The worker takes what is queued when it is
free (and, with ``wait_ms``, what arrives within that many milliseconds more), up to ``max_batch`` texts, and
encodes them in one call of the model: one client waits for nothing, many share the calls. Passages (a build
run by the server's admin jobs) and large requests go straight to the model, beside the worker.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future

import numpy as np

from index_build.encoders import Encoder

BATCHED_PROMPT = "query"  # questions and question words; passages are encoded by the caller's own thread


class BatchingEncoder:
    """An :class:`~index_build.encoders.Encoder` that encodes concurrent small query requests as one batch."""

    def __init__(self, encoder: Encoder, max_batch: int = 32, wait_ms: float = 0.0):
        self.encoder = encoder
        self.dimension = encoder.dimension
        self.max_batch, self.wait = max_batch, wait_ms / 1000
        self.batches = 0  # model calls made by the worker, and the texts they held (for the bench and tests)
        self.texts = 0
        self._queue: queue.SimpleQueue[tuple[list[str], Future] | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name="citeqa-embed", daemon=True)
        self._worker.start()

    def encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False) -> np.ndarray:
        """The vectors of ``texts``; small query requests wait for the worker's next batch."""
        if prompt_name != BATCHED_PROMPT or not texts or len(texts) > self.max_batch or not self._worker.is_alive():
            return self.encoder.encode(texts, prompt_name, show_progress)
        future: Future = Future()
        self._queue.put((list(texts), future))
        return future.result()

    def close(self) -> None:
        """Stop the worker once the requests queued before are encoded."""
        self._queue.put(None)
        self._worker.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            pending, stop = self._gather(first)
            self._encode(pending)
            if stop:
                return

    def _gather(self, first: tuple[list[str], Future]) -> tuple[list[tuple[list[str], Future]], bool]:
        """The requests of one batch: ``first`` and what is queued (or arrives within the wait) up to the limit."""
        pending, count = [first], len(first[0])
        deadline = time.monotonic() + self.wait
        while count < self.max_batch:
            try:
                left = deadline - time.monotonic()
                item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return pending, True
            if count + len(item[0]) > self.max_batch:  # served by the next batch, first in it
                self._encode([item])
                continue
            pending.append(item)
            count += len(item[0])
        return pending, False

    def _encode(self, pending: list[tuple[list[str], Future]]) -> None:
        texts = [text for request, _ in pending for text in request]
        try:
            vectors = self.encoder.encode(texts, BATCHED_PROMPT)
        except BaseException as error:  # every waiting request gets the model's error, none waits forever
            for _, future in pending:
                future.set_exception(error)
            return
        self.batches, self.texts = self.batches + 1, self.texts + len(texts)
        start = 0
        for request, future in pending:
            future.set_result(vectors[start:start + len(request)])
            start += len(request)
