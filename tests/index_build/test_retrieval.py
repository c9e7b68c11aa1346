"""Retrieval settings: one object, its cross-validated defaults, refused unknown names."""

import json
from pathlib import Path

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


FP32 = "sha256:1a2b3c4d"
INT8 = f"{FP32}+onnx-int8:3c4d5e6f"


def _defaults_with_int8_section(tmp_path):
    """A retrieval.json like the real one (its top-level settings) with an int8 section of other thresholds."""
    data = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    data["encoders"] = {"onnx-int8": {"chosen_by": "a test", "vectors": INT8,
                                      "settings": {"abstain_below": {"en>en": 0.5}, "dense_weight": 0.25}}}
    file = tmp_path / "retrieval.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    return file, data


def test_the_encoder_of_a_fingerprint_is_its_tag():
    from index_build.retrieval import vectors_encoder

    assert vectors_encoder(INT8) == "onnx-int8"
    assert vectors_encoder(f"{FP32}+onnx-q4:7a8b9c0d") == "onnx-q4"
    assert vectors_encoder(FP32) is None and vectors_encoder("name:intfloat/e5") is None and vectors_encoder("") is None
    assert vectors_encoder("name:some+model") is None  # a '+' in a model's name is no tag


def test_a_version_of_int8_vectors_gets_int8s_settings_fp32s_and_unknown_tags_the_defaults(tmp_path):
    from index_build.retrieval import manifest_entry, settings_for_version

    file, data = _defaults_with_int8_section(tmp_path)
    fp32 = RetrievalSettings.from_dict(data["settings"])
    built = manifest_entry(fp32)  # what the builder records, whatever the vectors: the top-level defaults
    int8 = settings_for_version({"model": {"fingerprint": INT8}, "retrieval": built}, file=file)
    assert int8.abstain_below == {"en>en": 0.5} and int8.dense_weight == 0.25  # the vectors decide
    assert int8.with_(abstain_below=fp32.abstain_below, dense_weight=fp32.dense_weight) == fp32  # nothing else moved
    assert settings_for_version({"model": {"fingerprint": FP32}, "retrieval": built}, file=file) == fp32
    for other in (f"{FP32}+onnx-q4:7a8b9c0d", f"{FP32}+onnx-int9:00000000"):  # no section: the defaults
        assert settings_for_version({"model": {"fingerprint": other}, "retrieval": built}, file=file) == fp32
    assert settings_for_version({"model": {"fingerprint": INT8}}, file=file).abstain_below == {"en>en": 0.5}
    # the environment still has the last word, and a version's chunking is its own
    assert settings_for_version({"model": {"fingerprint": INT8}, "retrieval": {**built, "chunk_size": 400}},
                                {"abstain_below": {}}, file=file) == int8.with_(abstain_below={}, chunk_size=400)


def test_the_defaults_of_int8_vectors_are_its_section_over_the_top_level(tmp_path):
    file, data = _defaults_with_int8_section(tmp_path)
    fp32 = RetrievalSettings.from_dict(data["settings"])
    assert default_settings(file=file) == default_settings(FP32, file) == fp32
    assert default_settings(INT8, file) == fp32.with_(abstain_below={"en>en": 0.5}, dense_weight=0.25)
    assert default_settings(INT8, tmp_path / "absent.json") == RetrievalSettings()


def test_an_encoder_section_may_not_rechunk_or_name_unknown_settings(tmp_path):
    from index_build.retrieval import encoder_settings

    file, data = _defaults_with_int8_section(tmp_path)
    for wrong, message in (({"chunk_size": 400}, "chunk_size"), ({"abstain_bellow": {}}, "abstain_bellow")):
        data["encoders"]["onnx-int8"]["settings"] = wrong
        file.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            encoder_settings("onnx-int8", file)
    assert encoder_settings(None, file) == {} and encoder_settings("onnx-q4", file) == {}


def test_the_shipped_encoder_sections_are_valid():
    from index_build.retrieval import encoder_settings

    for encoder in json.loads(DEFAULTS_FILE.read_text(encoding="utf-8")).get("encoders", {}):
        assert encoder_settings(encoder)["abstain_below"], encoder  # each holds its own thresholds


@pytest.mark.slow
def test_a_version_built_with_int8_is_served_with_int8s_thresholds(int8_embedder, tmp_path):
    """A real int8 build (its manifest as the builder writes it): the vectors it holds choose the settings."""
    from index_build.builder import build_index
    from index_build.retrieval import encoder_settings, settings_for_version
    from index_build.store.factory import StoreLocation, open_store

    store = open_store(StoreLocation("", tmp_path / "index", Path(__file__).resolve().parents[2] / "corpus"))
    try:
        build_index(store, int8_embedder, show_progress=False)
        version = store.open(fingerprint=int8_embedder.fingerprint, dimension=int8_embedder.dimension)
        try:
            served = settings_for_version(version.manifest)
        finally:
            version.close()
    finally:
        store.close()
    assert served == default_settings(int8_embedder.fingerprint)
    own = encoder_settings("onnx-int8")
    if own:  # retrieval.json holds int8's own choice: it is served, not fp32's thresholds
        assert served.abstain_below == own["abstain_below"] != default_settings().abstain_below
