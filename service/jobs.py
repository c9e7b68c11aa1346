"""Admin work off the request path: a queue of jobs run one at a time by one worker thread.

A request that changes the index (upload, removal, rebuild) only validates and queues its job, then
answers ``202`` with the job's id; ``GET /jobs/{id}`` tells its state. One writer at a time: the worker
runs the jobs in order, so no request thread ever waits for the index's writer lock.

The queue is bounded: beyond ``CITEQA_MAX_QUEUED_JOBS`` jobs waiting, a request is refused with ``429`` and a
``Retry-After`` before any work (each waiting upload holds its file on disk). The follow-up a job queues itself
(the merge after a change) is never refused: it would fail a change already made. With a jobs folder
(:mod:`service.job_ledger`), the jobs' state is written at each change and survives a restart; a job the
stopped server never finished is reported ``lost``, with the reason.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

from fastapi import HTTPException

from index_build.store.base import StoreBusy
from service.job_ledger import JobLedger, remove_upload_folder

_log = logging.getLogger("citeqa.jobs")
KEPT_JOBS = 500  # finished jobs remembered for GET /jobs/{id}
MAX_QUEUED_JOBS = 20  # jobs waiting at most (the default of CITEQA_MAX_QUEUED_JOBS)
QUEUE_FULL_RETRY_SECONDS = 30  # a full queue's Retry-After
UNFINISHED = ("queued", "running")


@dataclass
class Job:
    """One queued change of the index and what became of it."""

    id: str
    action: str
    report_id: str = ""
    state: str = "queued"  # queued, running, done, failed; lost: its server stopped before it finished
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    result: dict | None = None
    error: dict | None = None  # {"status": HTTP status the request would have had, "detail": why}
    folder: str = ""  # its upload's temporary folder (removed when it ends; not shown)

    def to_dict(self) -> dict:
        """The job as the API shows it."""
        shown = asdict(self)
        shown.pop("folder")
        return shown

    @classmethod
    def from_dict(cls, saved: dict) -> "Job":
        """A job as :class:`~service.job_ledger.JobLedger` kept it (unknown keys ignored)."""
        return cls(**{name.name: saved[name.name] for name in fields(cls) if name.name in saved})


class JobQueue:
    """Runs submitted jobs one after another in a worker thread; at most ``max_queued`` wait. With a
    ``state_dir``, their state is kept there across restarts (the jobs a stopped server left are read now)."""

    def __init__(self, max_queued: int = MAX_QUEUED_JOBS, state_dir: Path | None = None) -> None:
        self.max_queued = max_queued
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._work: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._ledger: JobLedger | None = None
        if state_dir is not None:
            try:
                self._ledger = JobLedger(state_dir)
                recovered = self._ledger.recover()[-KEPT_JOBS:]
            except OSError as error:  # the jobs still run, their state is only not kept: said, not fatal
                _log.warning("the admin jobs' state cannot be kept in %s (%s): a restart will forget them",
                             state_dir, error)
                self._ledger, recovered = None, []
            for saved in recovered:
                job = Job.from_dict(saved)
                self._jobs[job.id] = job
            if recovered:
                self._save()

    def states(self) -> dict[str, int]:
        """How many of the jobs remembered are in each state."""
        return dict(Counter(job.state for job in list(self._jobs.values())))

    def room(self) -> None:
        """Refuse (429, with Retry-After) when the queue is full: called before a request's work."""
        waiting = self.states().get("queued", 0)
        if waiting >= self.max_queued and threading.current_thread() is not self._worker:
            raise HTTPException(429, f"The job queue is full: {waiting} jobs are waiting (at most {self.max_queued}, "
                                     f"CITEQA_MAX_QUEUED_JOBS). Try again in {QUEUE_FULL_RETRY_SECONDS} s; GET "
                                     "/jobs/{id} follows the jobs already queued.",
                                headers={"Retry-After": str(QUEUE_FULL_RETRY_SECONDS)})

    def submit(self, action: str, work: Callable[[], dict], report_id: str = "",
               finished: Callable[[Job], None] | None = None, folder: str = "") -> Job:
        """Queue ``work`` (it returns the job's result, or raises HTTPException with the status the
        request would have had); ``finished(job)`` runs after it, whatever happened. ``folder``: the upload's
        temporary folder, which ``finished`` removes (and the next server, when this one stops first). Raises
        a 429 HTTPException when the queue is full (except for a job's own follow-up)."""
        job = Job(uuid.uuid4().hex, action, report_id, folder=folder)
        with self._lock:
            self.room()
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                oldest = next(iter(self._jobs.values()))
                if oldest.state in UNFINISHED:
                    break
                self._jobs.popitem(last=False)
            self._save()
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

    def _save(self) -> None:
        """Write every job's state (under ``self._lock``); a state that cannot be written does not stop a job."""
        if self._ledger is not None:
            try:
                self._ledger.write([asdict(job) for job in self._jobs.values()])
            except OSError:
                pass

    def _run(self) -> None:
        while True:
            job, work, finished = self._work.get()
            with self._lock:
                job.state, job.started_at = "running", time.time()
                self._save()
            try:
                job.result, job.state = work(), "done"
            except HTTPException as error:
                job.error, job.state = {"status": error.status_code, "detail": error.detail}, "failed"
            except StoreBusy as error:  # another change held the store's lock past CITEQA_LOCK_TIMEOUT: send it again
                job.error, job.state = {"status": 503, "detail": str(error)}, "failed"
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
                remove_upload_folder(job.folder)
                with self._lock:
                    job.folder = ""
                    self._save()
