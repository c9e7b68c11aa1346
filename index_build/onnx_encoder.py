"""Encoding with ONNX Runtime: the folder's own tokenizer and prompts, the exported graph, no torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index_build.onnx_export import INPUT_NAMES, OUTPUT_NAME, OnnxExportError

BATCH_SIZE = 16  # as the torch encoder (sentence-transformers' encode), texts sorted by length first
_MEAN_POOLING = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
                 "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
                 "pooling_mode_lasttoken": False}


def _read_json(path: Path) -> dict | list:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OnnxExportError(f"{path} is missing or not JSON ({error}); the ONNX encoder needs it") from error


def check_folder(folder: Path) -> None:
    """Refuse, with a message, a folder the ONNX graph does not reproduce: it must be a sentence-transformers
    folder of Transformer -> mean Pooling (prompt included) -> Normalize, with a tokenizer.json."""
    folder = Path(folder)
    modules = _read_json(folder / "modules.json")
    kinds = [module.get("type", "").rsplit(".", 1)[-1] for module in modules] if isinstance(modules, list) else []
    pooling = _read_json(folder / modules[1]["path"] / "config.json") if kinds[1:2] == ["Pooling"] else {}
    if (kinds != ["Transformer", "Pooling", "Normalize"]
            or any(pooling.get(key, False) != value for key, value in _MEAN_POOLING.items())
            or not pooling.get("include_prompt", True) or not (folder / "tokenizer.json").is_file()):
        raise OnnxExportError(f"{folder} is not a Transformer -> mean Pooling -> Normalize folder with a tokenizer.json "
                              f"(modules: {kinds}); the ONNX encoder cannot reproduce it: use CITEQA_ENCODER=torch")


class OnnxEncoder:
    """Texts -> normalised float32 vectors through an ONNX Runtime session on the CPU."""

    def __init__(self, session, tokenizer, prompts: dict[str, str], pad_id: int) -> None:
        self.session, self.tokenizer, self.prompts, self.pad_id = session, tokenizer, prompts, pad_id
        self.dimension = int(session.get_outputs()[0].shape[-1])

    @classmethod
    def open(cls, onnx_file: Path, folder: Path, threads: int) -> "OnnxEncoder":
        """A session over ``onnx_file`` with ``threads`` intra-op threads, and the folder's tokenizer and prompts."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        check_folder(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads that spin while waiting for work took a busy core from its other user: with the second core
        # busy, 2 spinning threads took 38 ms a question against 19 ms without spinning (1 thread: 18 ms).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for unreadable graphs
            raise OnnxExportError(f"onnxruntime cannot load {onnx_file}: {error}") from error
        if [i.name for i in session.get_inputs()] != list(INPUT_NAMES) or session.get_outputs()[0].name != OUTPUT_NAME:
            raise OnnxExportError(f"{onnx_file} is not a citeqa export (inputs {INPUT_NAMES}, output {OUTPUT_NAME!r})")
        tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        max_length = int(_read_json(Path(folder) / "sentence_bert_config.json").get("max_seq_length", 512))
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()
        config = Path(folder) / "config_sentence_transformers.json"
        prompts = _read_json(config).get("prompts", {}) if config.is_file() else {}
        pad_id = _read_json(Path(folder) / "config.json").get("pad_token_id") or 0
        return cls(session, tokenizer, dict(prompts), int(pad_id))

    def encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False) -> np.ndarray:
        """Vectors of ``texts`` (the prompt named ``prompt_name`` put before each, when the model has it)."""
        prompt = self.prompts.get(prompt_name, "") if prompt_name else ""
        encodings = self.tokenizer.encode_batch([prompt + text for text in texts])
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(order), BATCH_SIZE)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches", unit="batch")
        for start in starts:
            rows = order[start:start + BATCH_SIZE]
            width = len(encodings[rows[0]].ids)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, index in enumerate(rows):
                tokens = encodings[index].ids
                ids[row, :len(tokens)], mask[row, :len(tokens)] = tokens, 1
            vectors[rows] = self.session.run([OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask})[0]
        return vectors
