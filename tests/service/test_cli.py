"""The command line as a user runs it: a real subprocess each time."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def citeqa(*args, env_overrides):
    env = os.environ | {"HF_HUB_OFFLINE": "1"} | env_overrides
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_serve_refuses_to_start_without_an_index_and_says_what_to_run(tmp_path):
    result = citeqa("serve", env_overrides={"CITEQA_INDEX_DIR": str(tmp_path / "none"), "PORT": "8765"})
    assert result.returncode == 2
    assert "No index" in result.stderr and "citeqa build" in result.stderr


def test_ask_prints_passages_with_their_citations(settings, built_index):
    result = citeqa("ask", "Qui a parlé de la protection des enfants ?", "-k", "3",
                    env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(", p. ") == 3
    assert "chars " in result.stdout and "speakers:" in result.stdout


def test_build_if_missing_keeps_an_existing_index(settings, built_index):
    result = citeqa("build", "--if-missing", env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 0 and "already built" in result.stdout
