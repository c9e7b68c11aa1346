"""Passages machine-translated into the other languages a question may be asked in (translating the documents,
the other classic of cross-language retrieval beside translating the question).

When a report is indexed, each of its passages is translated (:mod:`index_build.machine_translation`) into
every other language of the registry (:data:`index_build.language.LANGUAGES`) that the translator reaches,
and each translation is embedded as a passage: a :class:`~index_build.store.base.Renderings` stored with the
report's chunks. A question then meets a rendering of the passage in its own language
(``service.search.RenderingRetriever``). Renderings serve retrieval only: citations, highlights and speakers
come from the original passage. They depend on the report and the registry, not on the rest of the library,
so a report in a new language needs no work on the others.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from index_build.chunk_table import Chunk
from index_build.embedding import Embedder
from index_build.language import LANGUAGES
from index_build.machine_translation import Translator
from index_build.store.base import Renderings


def rendering_languages(translator: Translator | None, source: str) -> list[str]:
    """The registry's languages a report in ``source`` is rendered into (none without a translator)."""
    if translator is None:
        return []
    return [target for target in sorted(LANGUAGES) if target != source and translator.can_translate(source, target)]


def render_passages(chunks: list[Chunk], source: str, translator: Translator | None, embedder: Embedder,
                    known: Callable[[str, str], tuple[np.ndarray, str] | None] | None = None) -> tuple[Renderings, int]:
    """Every passage of a report in ``source`` translated into each other language the translator reaches and
    embedded (a passage whose rendering ``known(passage text, language)`` gives, as (vector, translation), is
    neither translated nor embedded again); returns the renderings (rows: the chunks' positions) and how many
    were embedded. A passage the translator fails on has no rendering."""
    rows, languages, vectors, texts, missing = [], [], [], [], []
    for target in rendering_languages(translator, source):
        for position, chunk in enumerate(chunks):
            found = known(chunk.text, target) if known is not None else None
            if found is None:
                text = (translator.translate(chunk.text, source, target) or "").strip()
                if not text:
                    continue
                missing.append(len(vectors))
                found = (None, text)
            rows.append(position)
            languages.append(target)
            vectors.append(found[0])
            texts.append(found[1])
    if not rows:
        return Renderings(vectors=np.zeros((0, embedder.dimension), dtype=np.float32)), 0
    if missing:
        for i, vector in zip(missing, embedder.embed_passages([texts[i] for i in missing])):
            vectors[i] = vector
    return (Renderings(np.asarray(rows, dtype=np.int64), languages, np.vstack(vectors).astype(np.float32), texts),
            len(missing))
