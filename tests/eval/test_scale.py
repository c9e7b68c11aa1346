"""`citeqa bench --scale N`: a small synthetic index built, measured in a fresh process, written as JSON."""

import json

import pytest

from eval import library
from eval.scale import KEYS, run

FOLDER = library.library_dir()


@pytest.mark.slow
@pytest.mark.skipif(FOLDER is None, reason=library.missing_library_message())
def test_the_bench_prints_and_writes_every_figure(tmp_path, capsys):
    written = tmp_path / "scale.json"
    report = FOLDER / "declaration_los_angeles_migrations_protection_2022_fr.md"  # small: the test stays short
    figures = run(3000, written, work=tmp_path / "scale", report=report)
    assert json.loads(written.read_text(encoding="utf-8")) == figures
    assert set(KEYS) <= set(figures)
    assert 3000 <= figures["chunks"] < 3400  # whole reports, up to the one that passes N
    assert figures["recall_at_10"] == 1.0  # exact search at this size: approximate and exact are the same
    assert figures["search"]["chunks"]["kind"] == "exact"
    assert 0 < figures["embed_report_s"] and 0 < figures["add_report_s"]
    assert figures["search_p50_ms"] <= figures["search_p95_ms"]
    printed = capsys.readouterr().out
    assert all(key in printed for key in KEYS)
