"""Choose every retrieval weight and threshold by cross-validation held out by report, and report held-out figures.

``python -m eval.tuning [--report-folds N] [--folds 5] [--write]``: the seed questions and the library
questions are asked once on the library index (the seed report and ``../shared/corpus_extra``). Then, for
each fold, the ranking settings that score best on the other folds are chosen from a grid, the abstention
thresholds of each (question language, report language) pair are set from the other folds' answerable
questions, and the held-out fold is scored with them.

The folds hold **whole reports** out (every question about a report is in the same fold, so each figure says
how the settings do on reports they were not fitted on): leave-one-report-out by default, or N folds of
reports. The same is done with folds of questions (stratified by language and kind, reports shared between
fitting and scoring) and both are printed side by side; the threshold margin is chosen on the report folds.
``--write`` stores the settings chosen on all the questions in ``index_build/retrieval.json`` (the defaults).

The vectors are those of ``CITEQA_ENCODER``: an encoder whose vectors are its own (``onnx-int8``, ``onnx-q4``) gets
a library index of its own (``var/library-onnx-int8``; ``--work-dir`` to choose), and ``--write`` stores its choice
in that encoder's section of retrieval.json (``encoders.onnx-int8``), which versions of its vectors are served with.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import statistics
import time
from pathlib import Path

from eval import library
from eval.passage_shapes import SHAPES, Shape
from eval.report import print_fold_comparison, print_sets
from eval.runner import DEPTH, Question, QuestionResult, relevant_chunks, score_answer, summarise
from index_build.language import is_who_question
from index_build.retrieval import DEFAULTS_FILE, RetrievalSettings, load_defaults, vectors_encoder
from service.search import answer_scores

GRID = {  # ranking settings, tried together (lexical_weight stays 1.0: only the ratios matter in the fusion; the
    # dense fusion stays global: centred and per-language rankings lost under every earlier cross-validation; the
    # question's own translations stay off: with renderings, letting the folds choose them lost, see LEVERS)
    "dense_weight": (0.5, 0.75, 1.0),
    "rendering_weight": (0.25, 0.5, 1.0),
    "rendering_lexical_weight": (0.0, 0.5, 1.0),
    "sentence_weight": (0.5, 0.7),
    "rrf_k": (10.0, 30.0),
    "translated_weight": (0.0,),
    "translated_dense_weight": (0.0,),
    "mt_dense_weight": (0.0,),
}
WHO_GRID = {  # tried next, on the who questions only, with the ranking chosen
    "repeated_speaker_factor": (0.3, 0.6, 0.8),
    "repeated_report_factor": (0.7, 0.85, 1.0),
}
COVERAGES = (0.0, 0.1, 0.2, 0.3)  # candidate minimum word coverage
UNKNOWN_WORDS = (1, 2, 3)  # candidate numbers of unknown words that refuse a question
LEVERS = {  # what each translation lever gives: the cross-validation run again on GRID with these values instead
    "no rendering BM25": {"rendering_lexical_weight": (0.0,)},
    "no renderings (no translation at all)": {"rendering_weight": (0.0,), "rendering_lexical_weight": (0.0,)},
    "renderings, and the question translated too": {"translated_weight": (0.0, 0.5),
                                                    "translated_dense_weight": (0.0, 0.5), "mt_dense_weight": (0.0, 0.5)},
    "the question translated, no renderings": {"rendering_weight": (0.0,), "rendering_lexical_weight": (0.0,),
                                               "translated_weight": (0.5, 1.0), "translated_dense_weight": (0.0, 0.25, 0.5),
                                               "mt_dense_weight": (0.0, 0.5, 1.0)},
}
# What a fit chooses (Tuner.fit): an encoder's section of retrieval.json holds these, its own, and nothing else.
TUNED = (*GRID, *WHO_GRID, "answer_by_translation", "abstain_below", "min_word_coverage", "max_unknown_words")
MIN_PAIR_QUESTIONS = 5  # a pair's threshold needs this many answerable questions of the pair (else: no threshold)
MARGINS = (0.0, 0.005, 0.01, 0.02)  # how far thresholds sit under the lowest answerable question of their pair
MAX_FALSE_ABSTENTION = 0.02  # the held-out false abstention a margin may cost, on every question set


def grid(space: dict[str, tuple] = GRID) -> list[RetrievalSettings]:
    """Every combination of the grid's values."""
    names = list(space)
    return [RetrievalSettings(**dict(zip(names, values))) for values in itertools.product(*space.values())]


def report_groups(questions: list[Question]) -> list[frozenset[str]]:
    """Reports that must be held out together: those a question's evidence spans (a declaration and its
    translation), merged until no two groups share a report; sorted for a stable order."""
    groups: list[set[str]] = []
    for question in questions:
        if question.is_negative or not question.document_id:
            continue
        members = {question.document_id, *question.evidence_documents}
        touching = [group for group in groups if group & members]
        for group in touching:
            members |= group
            groups.remove(group)
        groups.append(members)
    return sorted((frozenset(group) for group in groups), key=lambda group: sorted(group))


def report_folds_of(questions: list[Question], folds: int | None = None) -> list[int]:
    """A fold number for each question such that every question about a report (group) is in one fold:
    one fold per report group (``folds`` None), or the groups dealt over ``folds`` folds. Negatives, which
    no report answers, are dealt over the folds in turn."""
    groups = report_groups(questions)
    count = len(groups) if folds is None else min(folds, len(groups))
    fold_of_report = {report: index % count for index, group in enumerate(groups) for report in group}
    assignment, negatives = [], 0
    for question in questions:
        if question.document_id in fold_of_report:
            assignment.append(fold_of_report[question.document_id])
        else:
            assignment.append(negatives % count)
            negatives += 1
    return assignment


def folds_of(questions: list[Question], folds: int, seed: int = 0) -> list[int]:
    """A fold number for each question, stratified by question language and kind."""
    assignment = [0] * len(questions)
    groups: dict[tuple[str, str], list[int]] = {}
    for index, question in enumerate(questions):
        groups.setdefault((question.lang, question.kind), []).append(index)
    rng = random.Random(seed)
    offset = 0
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for position, index in enumerate(members):
            assignment[index] = (offset + position) % folds
        offset += len(members)
    return assignment


class Tuner:
    """Questions asked once; rankings and thresholds tried on them cheaply."""

    def __init__(self, engine, questions: list[Question]):
        self.engine = engine
        self.questions = questions
        self.report_languages = {doc["id"]: doc.get("language", "") for doc in engine.version.documents}
        self.relevant = relevant_chunks(questions, list(engine.version.iter_chunks()))
        self.retrieved = [engine.retrieve(question.question) for question in questions]
        self._metrics: dict[tuple[int, str], dict] = {}

    def metrics(self, index: int, settings: RetrievalSettings) -> dict:
        """The metrics of one question under ranking settings (answerability not applied)."""
        key = (index, json.dumps(settings.to_dict(), sort_keys=True))
        if key not in self._metrics:
            answer = self.engine.answer(self.retrieved[index], DEPTH, settings=settings).model_dump()
            answer["answerable"] = True
            self._metrics[key] = score_answer(self.questions[index], answer, 0.0,
                                              self.relevant.get(self.questions[index].id))
        return self._metrics[key]

    def ranking_score(self, indexes: list[int], settings: RetrievalSettings) -> float:
        """Mean of accuracy@5 and MRR@10 over the answerable questions."""
        values = [self.metrics(i, settings) for i in indexes if not self.questions[i].is_negative]
        return statistics.fmean((m["accuracy@5"] + m["MRR@10"]) / 2 for m in values) if values else 0.0

    def speaker_score(self, indexes: list[int], settings: RetrievalSettings) -> float:
        """Mean speaker recall@5 over the questions that expect speakers."""
        values = [self.metrics(i, settings)["speaker_recall@5"] for i in indexes]
        values = [value for value in values if value is not None]
        return statistics.fmean(values) if values else 0.0

    def thresholds(self, indexes: list[int], margin: float, settings: RetrievalSettings) -> dict[str, float]:
        """Per (question language, report language) pair: ``margin`` under the lowest best-sentence
        similarity of an answerable question of that pair; a pair with fewer than MIN_PAIR_QUESTIONS such
        questions gets none (one or two questions say too little of a pair's scale)."""
        found: dict[str, list[float]] = {}
        for i in indexes:
            question = self.questions[i]
            report_language = self.report_languages.get(question.document_id)
            if question.is_negative or report_language is None or self.retrieved[i].language is None:
                continue
            score, key = answer_scores(self.retrieved[i], settings)[report_language]
            found.setdefault(key, []).append(score)
        return {key: math.floor((min(values) - margin) * 10_000) / 10_000  # rounded down
                for key, values in sorted(found.items()) if len(values) >= MIN_PAIR_QUESTIONS}

    def coverage(self, indexes: list[int], settings: RetrievalSettings) -> float:
        """The highest minimum word coverage that refuses no answerable question of these."""
        allowed = [c for c in COVERAGES if all(self.engine.answerability(self.retrieved[i], settings.with_(
            min_word_coverage=c))[0] for i in indexes if not self.questions[i].is_negative)]
        return max(allowed, default=0.0)

    def abstention(self, indexes: list[int], settings: RetrievalSettings) -> float:
        """Share of these negatives that the settings refuse (0 without negatives)."""
        negatives = [i for i in indexes if self.questions[i].is_negative]
        refused = sum(not self.engine.answerability(self.retrieved[i], settings)[0] for i in negatives)
        return refused / len(negatives) if negatives else 0.0

    def unknown_words_limit(self, indexes: list[int], settings: RetrievalSettings) -> int:
        """The fewest unknown words (UNKNOWN_WORDS) that refuse at most MAX_FALSE_ABSTENTION / 2 of these
        answerable questions; 0 (never refuse for that) when none does."""
        answerable = [i for i in indexes if not self.questions[i].is_negative]
        for limit in UNKNOWN_WORDS:
            refused = sum(not self.engine.answerability(self.retrieved[i], settings.with_(max_unknown_words=limit))[0]
                          for i in answerable)
            if answerable and refused / len(answerable) <= MAX_FALSE_ABSTENTION / 2:
                return limit
        return 0

    def fit(self, indexes: list[int], candidates: list[RetrievalSettings], margin: float) -> RetrievalSettings:
        """The best ranking settings on these questions, then the best who-question factors on their who
        questions, then the thresholds."""
        best = max(candidates, key=lambda settings: self.ranking_score(indexes, settings))
        who = [i for i in indexes if is_who_question(self.questions[i].question)]
        best = max((best.with_(**dict(zip(WHO_GRID, values))) for values in itertools.product(*WHO_GRID.values())),
                   key=lambda settings: self.ranking_score(who, settings) + self.speaker_score(who, settings))
        best = max((best.with_(answer_by_translation=choice) for choice in (False, True)),
                   key=lambda settings: self.abstention(indexes, settings.with_(
                       abstain_below=self.thresholds(indexes, margin, settings))))
        best = best.with_(abstain_below=self.thresholds(indexes, margin, best))
        best = best.with_(min_word_coverage=self.coverage(indexes, best))
        return best.with_(max_unknown_words=self.unknown_words_limit(indexes, best))

    def result(self, index: int, settings: RetrievalSettings, shape: Shape | None = None) -> QuestionResult:
        """One question answered with the settings, abstention included (its passages reshaped by ``shape``)."""
        question = self.questions[index]
        answer = self.engine.answer(self.retrieved[index], 3 * DEPTH if shape else DEPTH,
                                    settings=settings).model_dump()
        if shape is not None:
            passages = shape(answer["passages"], self.engine.version.document_text)[:DEPTH]
            answer.update(passages=[{**p, "rank": rank} for rank, p in enumerate(passages, start=1)], speakers=None)
        metrics = score_answer(question, answer, 0.0, self.relevant.get(question.id))
        language = self.report_languages.get(question.document_id)
        pairing = "" if language is None else ("same" if language == question.lang else "other")
        return QuestionResult(question.id, question.lang, question.kind, question.question, metrics,
                              answer["passages"][0]["text"] if answer["passages"] else "", answer["passages"][:5],
                              question.document_id, pairing)


def cross_validate(tuner: Tuner, assignment: list[int], candidates: list[RetrievalSettings],
                   margin: float) -> tuple[list[QuestionResult], list[RetrievalSettings]]:
    """Held-out results of every question under a fold assignment, and the settings chosen for each fold."""
    results: list[QuestionResult | None] = [None] * len(tuner.questions)
    chosen = []
    for fold in sorted(set(assignment)):
        train = [i for i, f in enumerate(assignment) if f != fold]
        settings = tuner.fit(train, candidates, margin)
        chosen.append(settings)
        for i, f in enumerate(assignment):
            if f == fold:
                results[i] = tuner.result(i, settings)
    return [r for r in results if r is not None], chosen


def shaped(tuner: Tuner, assignment: list[int], chosen: list[RetrievalSettings],
           shape: Shape) -> list[QuestionResult]:
    """Held-out results with each fold's chosen settings, the passages reshaped (eval.passage_shapes)."""
    folds = sorted(set(assignment))
    return [tuner.result(i, chosen[folds.index(fold)], shape) for i, fold in enumerate(assignment)]


def choose_margin(tuner: Tuner, assignment: list[int], candidates: list[RetrievalSettings],
                  sets: dict[str, list[Question]]) -> tuple[float, list[QuestionResult], list[RetrievalSettings]]:
    """The smallest threshold margin (the most abstention) whose held-out false abstention stays within
    MAX_FALSE_ABSTENTION on every question set, with its held-out results and the settings of each fold."""
    for margin in MARGINS:
        results, chosen = cross_validate(tuner, assignment, candidates, margin)
        summaries = {name: summarise(members) for name, members in _by_set(sets, results).items()}
        refused = {name: summary.get("false_abstention") or 0.0 for name, summary in summaries.items()}
        print(f"threshold margin {margin}: held-out false abstention "
              + ", ".join(f"{name} {value:.3f}" for name, value in refused.items()) + "; abstention on negatives "
              + ", ".join(f"{name} {summary['abstention']:.3f}" for name, summary in summaries.items()
                          if summary.get("abstention") is not None))
        if all(value <= MAX_FALSE_ABSTENTION for value in refused.values()):
            return margin, results, chosen
    return margin, results, chosen


def main(argv: list[str] | None = None) -> int:
    """Cross-validate, print the held-out figures, optionally write the defaults."""
    parser = argparse.ArgumentParser(prog="python -m eval.tuning", description=__doc__.split("\n\n")[0])
    parser.add_argument("--report-folds", type=int, default=None,
                        help="folds of whole reports (default: one per report, leave-one-report-out)")
    parser.add_argument("--folds", type=int, default=5, help="folds of questions, printed beside the report folds")
    parser.add_argument("--levers", action="store_true",
                        help="also cross-validate with each translation lever off (LEVERS) and print the figures")
    parser.add_argument("--chunking", metavar="SIZE/OVERLAP",
                        help="measure a library index chunked so (e.g. 400/80, built into var/library-400-80) instead "
                             "of the defaults; not with --write")
    parser.add_argument("--passage-shapes", action="store_true",
                        help="also score the held-out answers with their passages reshaped (eval.passage_shapes: "
                             "merged adjacent hits, sentence windows, report diversity)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the library index is built and read (default: var/library for the model's own "
                             "vectors, var/library-ENCODER for CITEQA_ENCODER=onnx-int8 or onnx-q4)")
    parser.add_argument("--write", action="store_true", help=f"write the settings chosen on all questions to {DEFAULTS_FILE}")
    args = parser.parse_args(argv)
    if args.chunking and args.write:
        parser.error("--chunking measures another chunking; the defaults' chunking is index_build/retrieval.json's")
    from index_build.embedding import Embedder
    from service.search import SearchEngine
    from service.settings import Settings

    settings = Settings()
    embedder = Embedder.load(settings.model, settings.model_cache_dir, settings.encoder, settings.onnx_threads)
    chunking = _chunking(args.chunking)
    work_dir = args.work_dir or library.work_dir_for(embedder.fingerprint)  # an encoder's vectors: their own index
    if chunking is not None and args.work_dir is None:
        work_dir = work_dir.with_name(f"{work_dir.name}-{args.chunking.replace('/', '-')}")
    index_dir = library.ensure_library_index(embedder, work_dir=work_dir, chunking=chunking)
    if index_dir is None:
        print(library.missing_library_message())
        return 2
    version = library.library_store(index_dir, work_dir=work_dir).open(fingerprint=embedder.fingerprint,
                                                                       dimension=embedder.dimension)
    engine = SearchEngine(embedder, version, RetrievalSettings(tuning=True))
    sets = library.library_question_sets()
    questions = [question for members in sets.values() for question in members]
    started = time.perf_counter()
    tuner = Tuner(engine, questions)
    candidates = grid()
    by_report = report_folds_of(questions, args.report_folds)
    folds_name = (f"{len(set(by_report))} folds of whole reports"
                  + (" (leave-one-report-out)" if args.report_folds is None else ""))
    margin, results, chosen = choose_margin(tuner, by_report, candidates, sets)
    by_question, _ = cross_validate(tuner, folds_of(questions, args.folds), candidates, margin)
    print_sets(_by_set(sets, results),
               f"held out by report: {folds_name} over {len(questions)} questions, "
               f"{len(candidates)} ranking settings, threshold margin {margin} "
               f"(library index: {len(version.documents)} reports)")
    print_fold_comparison({f"{args.folds} question folds": _by_set(sets, by_question),
                           folds_name: _by_set(sets, results)})
    if args.levers:
        schemes = {"all levers": _by_set(sets, results)}
        for lever, values in LEVERS.items():
            schemes[lever] = _by_set(sets, cross_validate(tuner, by_report, grid({**GRID, **values}), margin)[0])
        print_fold_comparison(schemes, title=f"held out by report ({folds_name}), each lever off")
    if args.passage_shapes:
        schemes = {"as today": _by_set(sets, shaped(tuner, by_report, chosen, lambda passages, text_of: passages))}
        schemes |= {name: _by_set(sets, shaped(tuner, by_report, chosen, shape)) for name, shape in SHAPES.items()}
        print_fold_comparison(schemes, title=f"held out by report ({folds_name}), passages reshaped")
    for fold, fitted in enumerate(chosen):
        print(f"fold {fold}: {json.dumps(_ranking_part(fitted))} thresholds {fitted.abstain_below} "
              f"coverage {fitted.min_word_coverage} unknown words {fitted.max_unknown_words} "
              f"answer by translation {fitted.answer_by_translation}")
    final = tuner.fit(list(range(len(questions))), candidates, margin)
    print(f"chosen on all questions: {json.dumps(final.with_(tuning=False).to_dict())}  "
          f"({time.perf_counter() - started:.0f} s)")
    if args.write:
        print(f"Written to {write_defaults(final, embedder.fingerprint, margin, folds_name, len(questions))}")
    return 0


def write_defaults(final: RetrievalSettings, fingerprint: str, margin: float, folds_name: str, questions: int,
                   file: Path = DEFAULTS_FILE) -> str:
    """Store the settings chosen on all questions in ``file``: its top-level settings for the model's own
    vectors (the encoders' sections kept), or, for an encoder's own vectors (``fingerprint`` tagged
    ``+onnx-int8:…``), that encoder's section only, with what the folds chose (TUNED). Returns what was written."""
    data = load_defaults(file)
    encoder = vectors_encoder(fingerprint)
    chosen_by = f"python -m eval.tuning --write (threshold margin held out by report: {folds_name})"
    if encoder is None:
        data = {"chosen_by": chosen_by, "questions": questions, "grid": GRID, "who_grid": WHO_GRID,
                "threshold_margin": margin, "settings": final.with_(tuning=False).to_dict(),
                **({"encoders": data["encoders"]} if data.get("encoders") else {})}
        where = f"{file} (the model's own vectors)"
    else:
        data.setdefault("encoders", {})[encoder] = {
            "chosen_by": f"CITEQA_ENCODER={encoder} {chosen_by}", "vectors": fingerprint, "questions": questions,
            "threshold_margin": margin, "settings": {name: getattr(final, name) for name in TUNED}}
        where = f"{file}, encoders.{encoder}"
    file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return where


def _chunking(value: str | None) -> tuple[int, int] | None:
    """"400/80" -> (400, 80); None for the defaults."""
    if not value:
        return None
    size, _, overlap = value.partition("/")
    return int(size), int(overlap or 0)


def _by_set(sets: dict[str, list[Question]], results: list[QuestionResult]) -> dict[str, list[QuestionResult]]:
    by_id = {result.id: result for result in results}
    return {name: [by_id[q.id] for q in members] for name, members in sets.items()}


def _ranking_part(settings: RetrievalSettings) -> dict:
    return {name: getattr(settings, name) for name in (*GRID, *WHO_GRID)}


if __name__ == "__main__":
    raise SystemExit(main())
