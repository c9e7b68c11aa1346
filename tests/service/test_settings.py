"""Settings from the environment: a weak admin token is refused at start-up with what to do."""

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
