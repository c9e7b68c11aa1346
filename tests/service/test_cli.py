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


def test_ask_says_what_it_also_searched_machine_translated(settings, built_index):
    from index_build.machine_translation import shared_translator

    result = citeqa("ask", "Who spoke about the protection of children?", "-k", "1",  # the question translated too
                    env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir),
                                   "CITEQA_RETRIEVAL": '{"mt_dense_weight": 0.5}'})
    assert result.returncode == 0, result.stderr
    assert ("Also searched in fr as: " in result.stdout) == (shared_translator() is not None)


def test_build_if_missing_keeps_an_existing_index(settings, built_index):
    result = citeqa("build", "--if-missing", env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 0 and "already built" in result.stdout


SEED = "idm-2018-capacity-development.fr"


def test_ask_with_filters_cites_only_the_reports_they_keep(settings, built_index):
    result = citeqa("ask", "Qui a parlé de la protection des enfants ?", "-k", "2", "--document", SEED,
                    "--document", SEED, "--language", "fr", "--year-from", "2018", "--year-to", "2018",
                    "--publisher", "oim", env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(", p. ") == 2 and f"documents=['{SEED}']" in result.stdout
    assert "year_from=2018" in result.stdout
    speaking = citeqa("ask", "protection des enfants", "-k", "3", "--speaker", "unicef",
                      env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert speaking.returncode == 0, speaking.stderr
    cited = [line for line in speaking.stdout.splitlines() if ", p. " in line]
    assert len(cited) == 3 and all("Sikander Khan" in line for line in cited), speaking.stdout


def test_ask_with_a_filter_that_keeps_nothing_says_so(settings, built_index):
    result = citeqa("ask", "protection des enfants", "--year-from", "2030",
                    env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 0, result.stderr
    assert "Not answered" in result.stdout and "filter" in result.stdout and ", p. " not in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["ask", "protection", "--document", "nope"], "no report with id 'nope'"),
    (["ask", "protection", "--year-from", "2020", "--year-to", "2010"], "before year_from"),
    (["speakers", "--document", "nope"], "no report with id 'nope'"),
])
def test_an_unknown_report_or_a_backwards_range_exits_2_with_a_message(settings, built_index, args, fragment):
    result = citeqa(*args, env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert "Model" not in result.stderr  # refused before the model is loaded
    if "nope" in fragment:
        assert "citeqa list" in result.stderr


def test_a_bad_language_code_is_refused_by_the_parser(settings, built_index):
    result = citeqa("ask", "protection", "--language", "French",
                    env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert result.returncode == 2 and "two-letter ISO 639-1" in result.stderr


def test_speakers_prints_the_directory(settings, built_index):
    everyone = citeqa("speakers", env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert everyone.returncode == 0, everyone.stderr
    assert "Sikander Khan — Directeur du Bureau des programmes d’urgence, UNICEF" in everyone.stdout
    assert f"in {SEED}" in everyone.stdout and "speakers" in everyone.stderr
    found = citeqa("speakers", "--document", SEED, "bocek", env_overrides={"CITEQA_INDEX_DIR": str(settings.index_dir)})
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0].startswith("Tomas Boček — ") and len(found.stdout.splitlines()) == 2
    assert "passages in" in found.stdout and "1 speaker matching 'bocek'" in found.stderr


def test_add_writes_a_segment_and_merge_all_makes_one(settings, built_index, tmp_path):
    import shutil

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(settings.corpus_dir, corpus)
    shutil.copytree(settings.index_dir, index, symlinks=True)
    env = {"CITEQA_INDEX_DIR": str(index), "CITEQA_CORPUS_DIR": str(corpus)}
    report = tmp_path / "harbour.md"
    report.write_text("Ms. Grace Hopper said that the container terminal in Valparaíso handles 1.2 million "
                      "containers a year.", encoding="utf-8")
    added = citeqa("add", str(report), "--lang", "en", env_overrides=env)
    assert added.returncode == 0 and "1 added" in added.stdout, added.stderr
    assert citeqa("merge", env_overrides=env).stdout.strip() == "Nothing to merge: 2 segments."
    merged = citeqa("merge", "--all", env_overrides=env)
    assert merged.returncode == 0 and "merged 2 segments" in merged.stdout and "2 -> 1 segments" in merged.stdout
    listed = citeqa("list", env_overrides=env).stdout
    assert "harbour" in listed and SEED in listed
    asked = citeqa("ask", "How many containers does the Valparaíso terminal handle?", "-k", "1", env_overrides=env)
    assert "harbour" in asked.stdout, asked.stdout
