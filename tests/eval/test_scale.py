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


@pytest.mark.slow
@pytest.mark.skipif(FOLDER is None, reason=library.missing_library_message())
def test_the_bench_on_postgresql_gives_the_same_keys(tmp_path, capsys, postgres_dsn):
    import psycopg

    written = tmp_path / "scale.json"
    report = FOLDER / "declaration_los_angeles_migrations_protection_2022_fr.md"
    figures = run(3000, written, work=tmp_path / "scale", report=report, store=postgres_dsn)
    assert json.loads(written.read_text(encoding="utf-8")) == figures
    assert set(KEYS) <= set(figures) and figures["store"] == "postgresql"
    assert 3000 <= figures["chunks"] < 3400 and figures["search"]["chunks"]["kind"] == "hnsw"
    assert 0.9 <= figures["recall_at_10"] <= 1.0  # HNSW against exact search over the same rows
    assert 0 < figures["load_s"] and 0 < figures["database_gb"] and 0 < figures["add_report_s"]
    with psycopg.connect(postgres_dsn) as connection:  # the report was added through the database
        assert connection.execute("SELECT count(*) FROM citeqa_version_documents vd JOIN citeqa_current c "
                                  "USING (version_id) WHERE vd.entry->>'id' = 'scale-bench-added'").fetchone()[0] == 1
        indexes = [row[0] for row in connection.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                                                        "ANY(ARRAY['citeqa_chunks_embedding', 'citeqa_sentences_embedding', "
                                                        "'citeqa_postings_by_term'])")]
    assert len(indexes) == 3  # dropped for the first load, built again after its rows
    assert "load_s" in capsys.readouterr().out
