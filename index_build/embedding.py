"""The embedding model: one owner for loading it, naming it and encoding text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index_build.e5_model import DEFAULT_MODEL_NAME, ensure_e5_small, model_fingerprint
from index_build.encoders import QUERY_CACHE, Encoder, EncoderName, EncoderSettings, check_encoder, open_encoder

CACHED_WORDS = 20_000  # word vectors kept with the model (the same for every index version)


@dataclass
class Embedder:
    """A model behind one encoder (torch or ONNX Runtime), with its query/passage prompts and fingerprint."""

    encoder: Encoder
    name: str
    fingerprint: str
    encoder_name: EncoderName
    query_cache: int = QUERY_CACHE  # question vectors kept (CITEQA_QUERY_CACHE)
    _word_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _query_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, name: str, cache_dir: Path, encoder: str | None = None, threads: int | None = None,
             query_cache: int | None = None) -> "Embedder":
        """Load the default multilingual-e5-small (built offline) or any sentence-transformers model, run by
        ``encoder`` with ``threads``, keeping ``query_cache`` question vectors (by default CITEQA_ENCODER,
        CITEQA_ONNX_THREADS and CITEQA_QUERY_CACHE, see index_build.encoders)."""
        if encoder is None or threads is None or query_cache is None:
            chosen = EncoderSettings()
            encoder, threads = encoder or chosen.encoder, threads or chosen.onnx_threads
            query_cache = chosen.query_cache if query_cache is None else query_cache
        kind = check_encoder(encoder)
        if name == DEFAULT_MODEL_NAME:
            folder = ensure_e5_small(cache_dir)
        elif Path(name).expanduser().is_dir():
            folder = Path(name).expanduser()
        else:
            folder = None
        base = model_fingerprint(folder) if folder else f"name:{name}"
        model, fingerprint = open_encoder(kind, name, folder, Path(cache_dir), base, threads)
        return cls(encoder=model, name=name, fingerprint=fingerprint, encoder_name=kind, query_cache=query_cache)

    @property
    def dimension(self) -> int:
        """Length of the vectors this model makes."""
        return int(self.encoder.dimension)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors for passages, with the model's passage prompt."""
        return self._encode(texts, "passage", show_progress)

    def embed_query(self, text: str, remember: bool = True) -> np.ndarray:
        """One normalised float32 vector for a question, with the model's query prompt (with ``remember``,
        the last ``query_cache`` questions are kept: a question asked again is not embedded again)."""
        return self.embed_queries([text], remember)[0]

    def embed_queries(self, texts: list[str], remember: bool = True) -> np.ndarray:
        """Query vectors of several texts, those not kept embedded together in one call of the encoder."""
        if not remember or not self.query_cache:
            return self._encode(texts, "query", False)
        cache = self._query_vectors
        new = list(dict.fromkeys(text for text in texts if text not in cache))
        found = dict(zip(new, self._encode(new, "query", False))) if new else {}
        for vector in found.values():
            vector.setflags(write=False)  # shared between requests
        result = np.stack([found[text] if text in found else cache[text] for text in texts])
        if found:  # replaced, never changed in place: safe for concurrent requests
            self._query_vectors = {**(cache if len(cache) + len(found) <= self.query_cache else {}), **found}
        return result

    def embed_words(self, words: list[str], show_progress: bool = False, remember: bool = True) -> np.ndarray:
        """Normalised float32 vectors for single words (query prompt, as question words get).

        With ``remember``, a word is embedded once and its vector kept: a server's new index versions
        share the question words its earlier ones saw, so requests after a swap do not embed them
        again. A build embeds a whole vocabulary once and passes ``remember=False``."""
        if not remember:
            return self._encode(words, "query", show_progress)
        cache = self._word_vectors  # replaced, never changed in place: safe for concurrent requests
        new = sorted({word for word in words if word not in cache})
        if not words:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = dict(zip(new, self._encode(new, "query", show_progress))) if new else {}
        result = np.stack([found[word] if word in found else cache[word] for word in words])
        if found:  # a full cache starts again from this question's words
            self._word_vectors = ({**cache, **found} if len(cache) + len(found) <= CACHED_WORDS
                                  else dict(list(found.items())[-CACHED_WORDS:]))
        return result

    def _encode(self, texts: list[str], prompt_name: str, show_progress: bool) -> np.ndarray:
        vectors = self.encoder.encode(texts, prompt_name, show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)
