"""`citeqa bench --encoders`: the encoders measured side by side by the real command, on the real model files."""

import json

import pytest

from service.cli import main

pytestmark = pytest.mark.slow


def test_the_encoders_side_by_side(tmp_path, capsys):
    written = tmp_path / "encoders.json"
    assert main(["bench", "--encoders", "onnx:1", "onnx-q4:1", "--runs", "1", "--json", str(written)]) == 0
    figures = json.loads(written.read_text(encoding="utf-8"))
    assert list(figures) == ["onnx:1", "onnx-q4:1"]
    assert figures["onnx:1"]["fingerprint"] != figures["onnx-q4:1"]["fingerprint"]  # their vectors are their own
    for row in figures.values():
        assert 0 < row["query_p50_ms"]["median"] <= row["query_p95_ms"]["median"]
        assert row["passages_per_s"]["median"] > 0
    assert figures["onnx:1"]["query_cosine_min_mean"] == pytest.approx([1.0, 1.0], abs=1e-6)  # the reference
    assert figures["onnx-q4:1"]["query_cosine_min_mean"][0] > 0.999  # the same weights, bit for bit
    printed = capsys.readouterr().out
    assert "onnx-q4:1" in printed and "query p50 ms" in printed


def test_eval_goes_with_encoders(capsys):
    assert main(["bench", "--eval"]) == 2
    assert "--eval goes with --encoders" in capsys.readouterr().err
