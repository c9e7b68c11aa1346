"""Retrieval settings: one object, its cross-validated defaults, refused unknown names."""

import json

import pytest

from service.retrieval import DEFAULTS_FILE, RetrievalSettings, default_settings, pair_key


def test_the_defaults_are_the_cross_validated_file():
    stored = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    assert default_settings() == RetrievalSettings.from_dict(stored["settings"])
    assert "eval.tuning" in stored["chosen_by"]
    assert default_settings().abstain_below, "thresholds per (question language, report language) pair"


def test_unknown_settings_and_fusions_are_refused_with_their_names():
    with pytest.raises(ValueError, match="dense_wieght"):
        RetrievalSettings.from_dict({"dense_wieght": 1.0})
    with pytest.raises(ValueError, match="dense_fusion"):
        RetrievalSettings(dense_fusion="average")


def test_pairs_are_keyed_by_question_then_report_language():
    assert pair_key("en", "fr") == "en>fr"
    assert RetrievalSettings().with_(rrf_k=30.0).rrf_k == 30.0
