"""Settings from the environment: a weak admin token is refused at start-up with what to do, never printed."""

import pytest
from pydantic import ValidationError

from service.settings import Settings, get_settings


def test_a_short_admin_token_is_refused():
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(admin_token="short")
    with pytest.raises(ValidationError, match="ASCII"):
        Settings(admin_token="é" * 40)
    assert Settings(admin_token="x" * 32).admin_token == "x" * 32 and Settings().admin_token == ""


def test_the_command_line_says_so_and_exits_2(monkeypatch, capsys):
    from service.cli import main

    monkeypatch.setenv("CITEQA_ADMIN_TOKEN", "short")
    get_settings.cache_clear()
    try:
        assert main(["list"]) == 2
    finally:
        get_settings.cache_clear()
    assert "CITEQA_ADMIN_TOKEN must be at least 32" in capsys.readouterr().err


def test_a_refused_token_or_address_is_not_printed(tmp_path):
    """`citeqa` as a user runs it, with a token too short and a mistyped store address: each is refused (exit 2)
    saying why, without printing the token or the password."""
    import os
    import subprocess
    import sys

    token, password, key = "tooShortButSecret-Hunter2", "Hunter2pw", "KeyPass9"
    cases = [{"CITEQA_ADMIN_TOKEN": token},
             {"CITEQA_STORE": f"postgresql+psycopg://citeqa:{password}@db.internal/citeqa?sslpassword={key}"}]
    for overrides in cases:
        env = os.environ | {"HF_HUB_OFFLINE": "1", "CITEQA_INDEX_DIR": str(tmp_path / "none")} | overrides
        done = subprocess.run([sys.executable, "-m", "service.cli", "list"], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 2 and next(iter(overrides)) in done.stderr, done.stderr
        assert token not in done.stderr and password not in done.stderr and key not in done.stderr, done.stderr
    assert "postgresql+psycopg://citeqa:***@db.internal/citeqa?sslpassword=***" in done.stderr
