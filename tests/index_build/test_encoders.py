"""The encoders (CITEQA_ENCODER): ONNX gives torch's vectors and fingerprint, int8 other vectors and its own
fingerprint; bad choices are refused with a message. Real model, no mocks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from eval.encoder_bench import seed_chunks
from eval.runner import load_questions
from index_build.embedding import Embedder
from index_build.encoders import DEFAULT_ENCODER, check_encoder
from index_build.onnx_export import OnnxExportError

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [question.question for question in load_questions()]


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    return seed_chunks(REPO / "corpus")


def _lowest_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


def test_the_default_encoder_is_onnx_with_the_torch_fingerprint(embedder, torch_embedder):
    assert DEFAULT_ENCODER == "onnx" and embedder.encoder_name == "onnx"
    assert embedder.fingerprint == torch_embedder.fingerprint  # an index of one is served by the other
    assert embedder.dimension == torch_embedder.dimension == 384


def test_onnx_gives_the_torch_vectors_for_the_eval_questions_and_seed_chunks(embedder, torch_embedder, questions,
                                                                            chunks):
    assert _lowest_cosine(embedder.encoder.encode(questions, "query"), torch_embedder.encoder.encode(questions, "query")
                          ) >= 0.9999
    some = chunks[::3]  # every third chunk: the whole report is compared by `python -m eval.encoder_bench`
    assert len(some) > 30
    assert _lowest_cosine(embedder.embed_passages(some), torch_embedder.embed_passages(some)) >= 0.9999
    words = ["enfants", "protection", "migrations"]
    assert _lowest_cosine(embedder.embed_words(words, remember=False),
                          torch_embedder.embed_words(words, remember=False)) >= 0.9999


def test_int8_changes_the_vectors_and_so_the_fingerprint(embedder, int8_embedder, questions):
    assert int8_embedder.fingerprint != embedder.fingerprint
    assert int8_embedder.fingerprint.startswith(embedder.fingerprint + "+onnx-int8:")  # the same model, other vectors
    int8 = np.stack([int8_embedder.embed_query(q, remember=False) for q in questions])
    onnx = np.stack([embedder.embed_query(q, remember=False) for q in questions])
    assert 0.9 < _lowest_cosine(int8, onnx) < 0.9999  # close, not the same
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)


def test_the_onnx_encoder_runs_without_torch(embedder, settings):
    """Once exported, loading and encoding with ONNX Runtime imports neither torch nor sentence-transformers."""
    code = ("import sys; from pathlib import Path; from index_build.embedding import Embedder; "
            "e = Embedder.load(sys.argv[1], Path(sys.argv[2]), 'onnx'); e.embed_query('enfants'); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, settings.model, str(settings.model_cache_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=os.environ | {"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_unknown_encoder_is_refused_with_the_known_ones(settings):
    from service.settings import Settings

    with pytest.raises(ValueError, match="one of onnx, torch, onnx-int8, onnx-q4"):
        check_encoder("tensorrt")
    with pytest.raises(ValueError, match="one of onnx, torch, onnx-int8, onnx-q4"):
        Embedder.load(settings.model, settings.model_cache_dir, "tensorrt")
    with pytest.raises(ValidationError, match="encoder"):
        Settings(encoder="tensorrt")
    with pytest.raises(ValidationError, match="onnx_threads"):
        Settings(onnx_threads=0)


def test_the_encoder_comes_from_the_environment(monkeypatch):
    from service.settings import Settings

    monkeypatch.setenv("CITEQA_ENCODER", "onnx-int8")
    monkeypatch.setenv("CITEQA_ONNX_THREADS", "1")
    assert (Settings().encoder, Settings().onnx_threads) == ("onnx-int8", 1)
    monkeypatch.setenv("CITEQA_ENCODER", "onnx-q4")
    assert Settings().encoder == "onnx-q4"


def test_onnx_needs_a_local_folder(tmp_path):
    with pytest.raises(ValueError, match="needs a local model folder.*CITEQA_ENCODER=torch"):
        Embedder.load("some-org/some-hub-model", tmp_path, "onnx")


def test_a_folder_the_graph_does_not_reproduce_is_refused(embedder, settings, tmp_path):
    from index_build.e5_model import ensure_e5_small

    folder = ensure_e5_small(settings.model_cache_dir)
    copy = tmp_path / "cls-pooling"
    shutil.copytree(folder, copy, copy_function=os.link)  # hard links: no 240 MB copy
    pooling = copy / "1_Pooling" / "config.json"
    text = pooling.read_text(encoding="utf-8")
    pooling.unlink()  # break the hard link before editing
    pooling.write_text(text.replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true')
                       .replace('"pooling_mode_mean_tokens": true', '"pooling_mode_mean_tokens": false'),
                       encoding="utf-8")
    with pytest.raises(OnnxExportError, match="mean Pooling.*CITEQA_ENCODER=torch"):
        Embedder.load(str(copy), tmp_path / "cache", "onnx")
