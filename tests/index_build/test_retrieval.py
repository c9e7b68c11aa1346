"""Retrieval settings: one object, its cross-validated defaults, refused unknown names."""

import json

import pytest

from index_build.retrieval import DEFAULTS_FILE, RetrievalSettings, default_settings, pair_key


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


def test_a_version_keeps_the_settings_it_was_built_with_and_the_environment_overrides_them():
    from index_build.retrieval import manifest_entry, settings_for_version

    built = manifest_entry(default_settings().with_(dense_weight=0.25, chunk_size=400))
    assert "tuning" not in built
    assert settings_for_version({"retrieval": built}).dense_weight == 0.25
    assert settings_for_version({"retrieval": built}, {"dense_weight": 2.0}).dense_weight == 2.0
    assert settings_for_version({}) == default_settings()  # a version that says nothing: the defaults
    assert settings_for_version({"retrieval": {**built, "from_a_newer_citeqa": 1}}).chunk_size == 400


def test_an_unknown_retrieval_setting_in_the_environment_is_refused(monkeypatch):
    import pydantic

    from service.settings import Settings

    monkeypatch.setenv("CITEQA_RETRIEVAL", '{"dense_weigth": 0.5}')
    with pytest.raises(pydantic.ValidationError, match="dense_weigth"):
        Settings()
    monkeypatch.setenv("CITEQA_RETRIEVAL", '{"dense_weight": 0.5}')
    assert Settings().retrieval == {"dense_weight": 0.5}
