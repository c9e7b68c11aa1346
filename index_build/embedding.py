"""The embedding model: one owner for loading it, naming it and encoding text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index_build.e5_model import DEFAULT_MODEL_NAME, ensure_e5_small, model_fingerprint


@dataclass
class Embedder:
    """A sentence-transformers model with its query/passage prompts and fingerprint."""

    model: object  # sentence_transformers.SentenceTransformer (imported lazily: it is slow)
    name: str
    fingerprint: str

    @classmethod
    def load(cls, name: str, cache_dir: Path) -> "Embedder":
        """Load the default multilingual-e5-small (built offline) or any sentence-transformers model."""
        from sentence_transformers import SentenceTransformer

        if name == DEFAULT_MODEL_NAME:
            folder = ensure_e5_small(cache_dir)
        elif Path(name).expanduser().is_dir():
            folder = Path(name).expanduser()
        else:
            folder = None
        model = SentenceTransformer(str(folder) if folder else name, device="cpu")
        fingerprint = model_fingerprint(folder) if folder else f"name:{name}"
        return cls(model=model, name=name, fingerprint=fingerprint)

    @property
    def dimension(self) -> int:
        """Length of the vectors this model makes."""
        return int(self.model.get_embedding_dimension())

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors for passages, with the model's passage prompt."""
        return self._encode(texts, "passage", show_progress)

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised float32 vector for a question, with the model's query prompt."""
        return self._encode([text], "query", False)[0]

    def embed_words(self, words: list[str], show_progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors for single words (query prompt, as question words get)."""
        return self._encode(words, "query", show_progress)

    def _encode(self, texts: list[str], prompt_name: str, show_progress: bool) -> np.ndarray:
        prompt = prompt_name if prompt_name in (self.model.prompts or {}) else None
        vectors = self.model.encode(
            texts,
            prompt_name=prompt,
            batch_size=16,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
