"""`citeqa bench`: every speed figure measured for real (a built index, a live server, wrk), printed and written."""

import json

import pytest

from eval.speed import KEYS, STAGE_KEYS, BenchProblem, run, run_wrk
from service.cli import main


@pytest.mark.slow
def test_the_bench_prints_and_writes_every_figure(tmp_path, capsys):
    written = tmp_path / "speed.json"
    figures = run(written, runs=1, seconds=2, clients=(1, 4), work=tmp_path / "work")
    assert json.loads(written.read_text(encoding="utf-8")) == figures
    assert set(KEYS) <= set(figures)
    assert figures["build"]["chunks"] > 100 and figures["build"]["build_chunks_per_s"]["median"] > 0
    assert set(figures["stages_ms"]) == set(STAGE_KEYS)
    search = figures["stages_ms"]["search"]["p50"]["median"]
    assert figures["stages_ms"]["embed"]["p50"]["median"] <= search  # a stage never takes longer than the whole
    assert set(figures["http"]) == {"1", "4"}
    for row in figures["http"].values():
        assert row["errors"] == 0 and row["requests"] > 0
        assert row["p50_ms"]["median"] <= row["p99_ms"]["median"]
    assert figures["memory_mb"]["at_rest"] > 100 and figures["memory_mb"]["after_load"] > 100
    assert figures["ratios"]["http_p50_1_client_over_embedding"] > 0
    printed = capsys.readouterr().out
    assert all(word in printed for word in ("embed_query_ms", "build", "stages_ms", "clients", "memory_mb", "ratios"))


def test_without_wrk_the_bench_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no wrk there
    with pytest.raises(BenchProblem, match="make wrk"):
        run_wrk("http://127.0.0.1:9", tmp_path / "search.lua", 1, 1)


def test_bad_bench_options_are_refused_before_any_work(capsys):
    assert main(["bench", "--runs", "0"]) == 2
    assert "--runs, --seconds and --clients must be at least 1" in capsys.readouterr().err
    assert main(["bench", "--servers", "0"]) == 2


@pytest.mark.slow
def test_several_servers_share_the_load_and_their_figures_add_up(tmp_path, settings, built_index, monkeypatch):
    monkeypatch.setenv("CITEQA_INDEX_DIR", str(settings.index_dir))
    from service.settings import get_settings

    get_settings.cache_clear()
    try:
        figures = run(None, runs=1, seconds=2, clients=(3,), work=tmp_path, http_only=True, servers=2)
    finally:
        get_settings.cache_clear()
    assert figures["machine"]["servers"] == 2 and "build" not in figures
    row = figures["http"]["3"]
    assert row["errors"] == 0 and row["requests"] > 0 and row["requests_per_s"]["median"] > 0
    assert figures["memory_mb"]["at_rest"] > 2 * 100  # two servers' memory
