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
    assert figures["dense_recall_at_10"] == {"chunks": 1.0, "sentences": 1.0}
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
    assert all(0.9 <= recall <= 1.0 for recall in figures["dense_recall_at_10"].values())
    assert 0 < figures["load_s"] and 0 < figures["database_gb"] and 0 < figures["add_report_s"]
    with psycopg.connect(postgres_dsn) as connection:  # the report was added through the database
        assert connection.execute("SELECT count(*) FROM citeqa_version_documents vd JOIN citeqa_current c "
                                  "USING (version_id) WHERE vd.entry->>'id' = 'scale-bench-added'").fetchone()[0] == 1
        indexes = [row[0] for row in connection.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                                                        "ANY(ARRAY['citeqa_chunks_embedding', 'citeqa_sentences_embedding', "
                                                        "'citeqa_postings_by_impact'])")]
    assert len(indexes) == 3  # dropped for the first load, built again after its rows
    assert "load_s" in capsys.readouterr().out


def _hand_made_report():
    """A small document in two overlapping chunks, their sentences numbered as the builder does."""
    from index_build.chunk_table import Chunk
    from index_build.preparation import number_sentences

    text = ("Migration policies shape labour markets. Remittances support households in rural areas.\n\n"
            "Regional cooperation improves protection for displaced people. Data collection remains uneven.")
    second = text.index("Remittances")
    chunks = [Chunk(0, "doc", 1, 0, text.index("\n\n"), text[:text.index("\n\n")],
                    [{"name": "Ana Pérez", "role": "Directrice", "organisation": "OIM"}]),
              Chunk(1, "doc", 2, second, len(text), text[second:])]
    number_sentences(chunks, {"doc": text})
    words = ["policies", "shape", "labour", "markets", "support", "households", "rural", "areas", "improves",
             "protection", "displaced", "people", "collection", "remains", "uneven",  # the library's vocabulary:
             "border", "asylum", "integration", "resilience", "governance", "mobility", "returnees", "climate"]
    # the text's own words and others
    return text, chunks, words


def test_a_replica_keeps_its_spans_and_differs_from_the_original():
    import numpy as np

    from eval.scale import vary_report

    text, chunks, words = _hand_made_report()
    varied, replica = vary_report(text, chunks, words, np.random.default_rng((0, 1, 0)), share=0.5)
    assert varied != text and [c.text for c in replica] != [c.text for c in chunks]
    by_row = {}
    for original, chunk in zip(chunks, replica):
        assert varied[chunk.start:chunk.end] == chunk.text  # spans index the replica's own text
        assert (chunk.id, chunk.document_id, chunk.page, chunk.speakers) == \
               (original.id, original.document_id, original.page, original.speakers)
        assert [row for _, _, row in chunk.sentences] == [row for _, _, row in original.sentences]
        for start, end, row in chunk.sentences:
            assert chunk.start <= start <= end <= chunk.end
            by_row.setdefault(row, set()).add(varied[start:end])
    assert all(len(texts) == 1 for texts in by_row.values())  # a sentence two chunks share is the same in both
    assert len(by_row) == len({row for c in chunks for _, _, row in c.sentences})
    assert varied.count("\n\n") == 1 and "Migration" in varied  # capitalised words and layout left as they were
    replaced = set(varied.split()) - set(text.split())
    assert replaced and {word.strip(".") for word in replaced} <= set(words)
    assert chunks[0].text == text[:chunks[0].end]  # the original untouched


def test_the_same_seed_gives_the_same_replica():
    import numpy as np

    from eval.scale import vary_report

    text, chunks, words = _hand_made_report()
    first = vary_report(text, chunks, words, np.random.default_rng((0, 3, 7)), share=0.5)
    again = vary_report(text, chunks, words, np.random.default_rng((0, 3, 7)), share=0.5)
    other = vary_report(text, chunks, words, np.random.default_rng((0, 4, 7)), share=0.5)
    assert first == again
    assert other[0] != first[0]
