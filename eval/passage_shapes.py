"""Other shapes of the passages an answer returns, measured under the report-held-out cross-validation
(``python -m eval.tuning --passage-shapes``): each reshapes the passages of an answer ranked as today.

- ``merged``: hits of one report that overlap or touch are one passage (the span of both), so the answer's
  five slots hold five places of the reports rather than two halves of one;
- ``sentence window``: each passage is the window of ``WINDOW`` characters centred on its best sentence for
  the question (found by sentence, returned with what surrounds it), windows that meet merged;
- ``report diversity``: a passage from a report already in the answer counts ``factor`` of its score (greedy,
  over the first ``3 k``), for every question, not only who questions.
"""

from __future__ import annotations

import copy
from typing import Callable

WINDOW = 600  # characters of a sentence window: the size of a passage
Shape = Callable[[list[dict], Callable[[str], str]], list[dict]]


def merged(passages: list[dict], text_of: Callable[[str], str]) -> list[dict]:
    """Passages of one report that overlap or touch, merged into the first one's rank."""
    out: list[dict] = []
    for passage in passages:
        target = next((kept for kept in out if kept["document_id"] == passage["document_id"]
                       and passage["start"] <= kept["end"] and passage["end"] >= kept["start"]), None)
        if target is None:
            out.append(copy.deepcopy(passage))
            continue
        target["start"], target["end"] = min(target["start"], passage["start"]), max(target["end"], passage["end"])
        target["page"] = min(target["page"], passage["page"])
        target["text"] = text_of(target["document_id"])[target["start"]:target["end"]]
        names = {speaker["name"] for speaker in target["speakers"]}
        target["speakers"] += [speaker for speaker in passage["speakers"] if speaker["name"] not in names]
    return out


def sentence_windows(passages: list[dict], text_of: Callable[[str], str], window: int = WINDOW) -> list[dict]:
    """Each passage replaced by the window around its best sentence (cut at spaces), then windows merged."""
    shaped = []
    for passage in passages:
        passage = copy.deepcopy(passage)
        highlight = passage.get("highlight")
        if highlight:
            text = text_of(passage["document_id"])
            spare = max(0, window - (highlight["end"] - highlight["start"])) // 2
            start = max(0, highlight["start"] - spare)
            end = min(len(text), highlight["end"] + spare)
            space = text.find(" ", start, highlight["start"]) if start > 0 else -1
            start = space + 1 if space >= 0 else start
            cut = text.rfind(" ", highlight["end"], end)
            end = cut if end < len(text) and cut > 0 else end
            passage.update(start=start, end=end, text=text[start:end])
        shaped.append(passage)
    return merged(shaped, text_of)


def report_diversity(factor: float) -> Shape:
    """Greedy re-ranking in which a passage from a report already chosen counts ``factor`` of its score."""
    def shape(passages: list[dict], text_of: Callable[[str], str]) -> list[dict]:
        window, chosen, reports = list(passages), [], set()
        while window:
            best = max(window, key=lambda p: p["score"] * (factor if p["document_id"] in reports else 1.0))
            window.remove(best)
            chosen.append(best)
            reports.add(best["document_id"])
        return chosen
    return shape


SHAPES: dict[str, Shape] = {
    "merged adjacent hits": merged,
    "sentence windows": sentence_windows,
    "report diversity 0.85": report_diversity(0.85),
    "report diversity 0.7": report_diversity(0.7),
}
