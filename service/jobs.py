"""Admin work off the request path: a queue of jobs run one at a time by one worker thread.

A request that changes the index (upload, removal, rebuild) only validates and queues its job, then
answers ``202`` with the job's id; ``GET /jobs/{id}`` tells its state. One writer at a time: the worker
runs the jobs in order, so no request thread ever waits for the index's writer lock.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Callable

from fastapi import HTTPException

KEPT_JOBS = 500  # finished jobs remembered for GET /jobs/{id}


@dataclass
class Job:
    """One queued change of the index and what became of it."""

    id: str
    action: str
    report_id: str = ""
    state: str = "queued"  # queued, running, done, failed
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    result: dict | None = None
    error: dict | None = None  # {"status": HTTP status the request would have had, "detail": why}

    def to_dict(self) -> dict:
        """The job as the API shows it."""
        return asdict(self)


class JobQueue:
    """Runs submitted jobs one after another in a worker thread."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._work: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, action: str, work: Callable[[], dict], report_id: str = "",
               finished: Callable[[Job], None] | None = None) -> Job:
        """Queue ``work`` (it returns the job's result, or raises HTTPException with the status the
        request would have had); ``finished(job)`` runs after it, whatever happened."""
        job = Job(uuid.uuid4().hex, action, report_id)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                oldest = next(iter(self._jobs.values()))
                if oldest.state in ("queued", "running"):
                    break
                self._jobs.popitem(last=False)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="citeqa-jobs", daemon=True)
                self._worker.start()
        self._work.put((job, work, finished))
        return job

    def get(self, job_id: str) -> Job | None:
        """A job by id (None when unknown or forgotten)."""
        return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until a job has finished (for the command line and tests)."""
        deadline = time.monotonic() + timeout
        job = self._jobs[job_id]
        while job.state in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
        return job

    def _run(self) -> None:
        while True:
            job, work, finished = self._work.get()
            job.state, job.started_at = "running", time.time()
            try:
                job.result, job.state = work(), "done"
            except HTTPException as error:
                job.error, job.state = {"status": error.status_code, "detail": error.detail}, "failed"
            except Exception as error:  # the worker survives whatever a job does
                job.error = {"status": 500, "detail": f"{type(error).__name__}: {error}"}
                job.state = "failed"
            finally:
                job.finished_at = time.time()
                if finished is not None:
                    try:
                        finished(job)
                    except Exception:  # cleanup and audit must not stop the worker
                        pass
