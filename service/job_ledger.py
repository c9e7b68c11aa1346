"""The admin jobs' state on disk, so that a restart does not lose it: what each job came to survives, and a job
that a stopped server never finished is reported ``lost`` by the next one, its upload's folder removed.

Each server process writes its own file in the jobs folder (``<owner>.json``, replaced atomically at every change
of a job) and holds an exclusive lock on ``<owner>.lock`` for as long as it lives. A server that starts takes
over the files whose lock nobody holds (their process has stopped, however it stopped): their finished jobs are
kept, their unfinished ones become ``lost`` with the reason, and their files are removed. A file whose owner
still runs (another server sharing the folder) is left alone.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

UPLOAD_PREFIX = "citeqa-upload-"  # the temporary folder of an upload (service.admin); only these are removed
LOST_REASON = ("the server stopped (a restart or a crash) before this job finished; its uploaded file was "
               "discarded. GET /documents shows whether the change was made: if not, send it again")


class JobLedger:
    """One server's file of jobs in ``folder``, and the jobs its stopped predecessors left there."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = folder / f"{self.owner}.json"
        self._lock = open(folder / f"{self.owner}.lock", "w")  # held until this process ends (closed by the OS)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def recover(self) -> list[dict]:
        """The jobs of the servers that stopped (oldest first), unfinished ones marked ``lost`` and their
        upload folders removed; their files are removed (the caller writes what it keeps into its own)."""
        found: list[dict] = []
        for lock_path in sorted(self.folder.glob("*.lock")):
            if lock_path.stem == self.owner:
                continue
            with open(lock_path, "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # its server still runs
                    continue
                state = lock_path.with_suffix(".json")
                found += [_lost(job) if job.get("state") in ("queued", "running") else job for job in _read(state)]
                state.unlink(missing_ok=True)
                lock_path.unlink(missing_ok=True)
        return sorted(found, key=lambda job: job.get("created_at") or 0)

    def write(self, jobs: list[dict]) -> None:
        """Replace this server's file with ``jobs`` (written aside, then renamed: never half written)."""
        partial = self.path.with_suffix(".json.partial")
        partial.write_text(json.dumps(jobs, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(partial, self.path)


def _read(path: Path) -> list[dict]:
    """The jobs of a file (none when it is missing or unreadable: a state file is never a reason not to start)."""
    try:
        jobs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [job for job in jobs if isinstance(job, dict) and isinstance(job.get("id"), str)] if isinstance(jobs, list) else []


def _lost(job: dict) -> dict:
    """An unfinished job of a stopped server, reported lost; its upload's temporary folder removed."""
    remove_upload_folder(job.get("folder") or "")
    return {**job, "state": "lost", "finished_at": job.get("finished_at") or time.time(), "folder": "",
            "error": {"status": 503, "detail": LOST_REASON}}


def remove_upload_folder(folder: str) -> None:
    """Remove an upload's temporary folder: only a ``citeqa-upload-*`` folder directly in the temporary folder (a
    state file names the folder; it never makes the server remove anything else)."""
    if not folder:
        return
    path = Path(folder)
    if path.parent == Path(tempfile.gettempdir()) and path.name.startswith(UPLOAD_PREFIX) and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
