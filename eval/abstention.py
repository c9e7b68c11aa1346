"""How far the abstention signal can go: ``python -m eval.abstention``.

For each question language, the best-sentence similarity (the signal ``service.search`` abstains on)
of the eval's negative questions and of the answerable ones, and the best abstention on negatives a
single threshold reaches while refusing at most 5 % of the answerable questions. Re-run it when the
model changes: it tells whether a new model separates the two groups before any threshold is tuned.
"""

from __future__ import annotations

import math

import index_build  # noqa: F401  (thread settings before torch is imported)
from eval.runner import Question, load_questions
from index_build.store.factory import open_store
from service.search import SearchEngine
from service.settings import Settings

MAX_FALSE_ABSTENTION = 0.05


def best_sentence_similarity(engine: SearchEngine, question: str) -> float:
    """Cosine of the question with the closest sentence of the index."""
    query = engine.embedder.embed_query(question)
    return float(engine.version.search_sentences(query, 1, None).scores.max(initial=-1.0))


def best_threshold(negatives: list[float], positives: list[float]) -> tuple[float, float, float]:
    """(threshold, abstention on negatives, false abstention) of the threshold that abstains most on
    negatives while refusing at most MAX_FALSE_ABSTENTION of the positives."""
    allowed = math.floor(MAX_FALSE_ABSTENTION * len(positives))
    threshold = sorted(positives)[allowed] if positives else 1.0  # questions under it are refused
    abstained = sum(value < threshold for value in negatives) / max(len(negatives), 1)
    refused = sum(value < threshold for value in positives) / max(len(positives), 1)
    return threshold, abstained, refused


def report(engine: SearchEngine, questions: list[Question]) -> None:
    """Print the separation of negatives and answerable questions, language by language."""
    for language in sorted({q.lang for q in questions}):
        asked = [q for q in questions if q.lang == language]
        negatives = sorted(best_sentence_similarity(engine, q.question) for q in asked if q.is_negative)
        positives = sorted(best_sentence_similarity(engine, q.question) for q in asked if not q.is_negative)
        threshold, abstained, refused = best_threshold(negatives, positives)
        print(f"{language}: {len(negatives)} negatives, {len(positives)} answerable")
        print("  negatives, best-sentence similarity:  " + " ".join(f"{v:.3f}" for v in negatives))
        print("  answerable, the 8 lowest:             " + " ".join(f"{v:.3f}" for v in positives[:8]))
        print(f"  best single threshold with false abstention <= {MAX_FALSE_ABSTENTION:.0%}: {threshold:.3f} "
              f"-> abstention {abstained:.3f}, false abstention {refused:.3f}")


def main() -> None:
    settings = Settings()
    engine = SearchEngine.open(open_store(settings), settings.model, settings.model_cache_dir)
    report(engine, load_questions())


if __name__ == "__main__":
    main()
