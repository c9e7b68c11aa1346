"""Question -> cited passages, over one index version (any :class:`~index_build.store.base.Version`).

Search runs as stages, each visible here:

1. **retrieve** — a mode is a list of retrievers (:data:`MODES`), each one class: dense (question vector
   against chunks and their sentences), BM25 of the question's words, and for each other report language
   BM25 and an embedding of the question's words translated into it, and of the whole question
   machine-translated into it (:mod:`index_build.machine_translation`, when installed), and the question's
   vector against the renderings of the other languages' passages in its language (passages machine-translated
   when indexed). A filter restricts every retriever inside the store, so k passages come back when k exist.
2. **fuse** — weighted reciprocal rank.
3. **diversify** — who questions: new speakers and reports first.
4. **answerability** — the best sentence of each report language against its pair's threshold.
5. **present** — highlights (top-k passages only) and speakers, as the models of :mod:`service.answers`
   (the API returns them as they are).

Every weight and threshold comes from one :class:`RetrievalSettings`.
"""

from __future__ import annotations

import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index_build.chunk_table import Chunk
from index_build.embedding import Embedder
from index_build.language import guess_language, is_who_question
from index_build.text import fold_accents
from index_build.lexical import query_terms, query_word_variants, question_words, terms_of_words
from index_build.machine_translation import Translator, shared_translator
from index_build.store.base import Hits, SearchFilter, Selection, Store, Version, check_model
from index_build.vector_index import best_of
from index_build.retrieval import RetrievalSettings, pair_key, settings_for_version
from service.answers import Answer, Highlight, Passage, Speaker, SpeakerAnswer, citation_url, has_pages
from service.filters import SpeakerDirectory
from service.translation import QuestionTranslator


__all__ = ["Answer", "Highlight", "MODES", "Passage", "Retrieved", "SearchEngine", "SearchFilter", "Speaker",
           "SpeakerAnswer", "is_who_question"]


# --- stage 1: retrieve ------------------------------------------------------------------------

@dataclass
class DenseScores:
    """Candidate chunks of a dense retriever with their exact similarities."""

    rows: np.ndarray
    chunk: np.ndarray  # cosine of the query with each candidate chunk
    best_sentence: np.ndarray  # cosine with its best sentence (the chunk's own where higher or it has none)
    # report languages whose best chunk and best sentence are among the candidates (None: every language,
    # the candidates being every allowed chunk)
    complete: frozenset[str] | None = None
    # each other report language: a score no passage of it passes (the last score of the closest chunks, or
    # sentences, that it has none among): its best sentence is at most that, or its best candidate's
    ceiling: dict[str, float] = field(default_factory=dict)

    def blended(self, sentence_weight: float) -> np.ndarray:
        """The dense score: chunk and best-sentence similarity mixed."""
        return (1 - sentence_weight) * self.chunk + sentence_weight * self.best_sentence


@dataclass
class Query:
    """One question as the retrievers see it."""

    question: str
    language: str | None  # guessed from the question's function words; None for a keyword query
    vector: np.ndarray | None  # None in BM25 mode
    selection: Selection  # the passages the filter keeps (each store translates it)
    settings: RetrievalSettings
    translations: dict[str, list[str]] = field(default_factory=dict)  # other report language -> translated words
    translated_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # other language -> those words embedded
    machine_translations: dict[str, str] = field(default_factory=dict)  # other language -> the question translated
    machine_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # other language -> that translation embedded
    translate_ms: float = 0.0  # how long the machine translations took


@dataclass
class Retrieved:
    """What the retrievers found for one question, before any weight is applied."""

    question: str
    language: str | None
    query: np.ndarray | None
    dense: DenseScores | None = None
    lexical: Hits = field(default_factory=Hits)  # BM25 of the question's own words
    translated: dict[str, Hits] = field(default_factory=dict)  # report language -> BM25 of translated words
    translated_dense: dict[str, DenseScores] = field(default_factory=dict)  # report language -> dense scores of
    # the question's translated words embedded as a query, against that language's passages
    machine_translations: dict[str, str] = field(default_factory=dict)  # other language -> the question translated
    machine_dense: dict[str, DenseScores] = field(default_factory=dict)  # other language -> dense scores of the
    # machine-translated question against that language's passages
    machine_lexical: dict[str, Hits] = field(default_factory=dict)  # other language -> BM25 of its words there
    machine_best: dict[str, float] = field(default_factory=dict)  # other language -> its best sentence similarity
    renderings: Hits = field(default_factory=Hits)  # other languages' passages by their rendering's similarity
    rendering_words: Hits = field(default_factory=Hits)  # ... and by BM25 of the question's words in their rendering
    coverage: float | None = None  # share of the question's content words found in the reports
    unknown_words: list[str] = field(default_factory=list)  # content words no report holds, in any language
    best_sentence: dict[str, float] = field(default_factory=dict)  # report language -> best sentence similarity
    bounded: set[str] = field(default_factory=set)  # languages of best_sentence whose value is only a ceiling
    # (their exact best costs a search of its own: made when the answerability depends on it)
    selection: Selection | None = None  # the passages searched (what the filter keeps)
    mode: str = "hybrid"
    search_filter: SearchFilter | None = None  # the filter the passages were searched under
    nothing_to_search: bool = False  # the index, or what the filter keeps of it, has no passage
    stage_ms: dict[str, float] = field(default_factory=dict)  # milliseconds each stage took (STAGES), as it ran


class DenseRetriever:
    """The question's vector against the chunks and their sentences."""

    def __init__(self, store: Version):
        self.store = store

    def retrieve(self, query: Query, found: Retrieved) -> None:
        found.dense = dense_scores(self.store, query.vector, query.selection, query.settings)
        if found.mode == "hybrid":
            found.best_sentence, found.bounded = best_sentence_by_language(self.store, query.selection, found.dense)
            if query.settings.tuning:  # the thresholds are fitted on every language's exact best
                exact_best_sentences(self.store, found, found.bounded)


class LexicalRetriever:
    """BM25 of the question's own words (in passages of the question's language, in hybrid mode)."""

    def __init__(self, store: Version):
        self.store = store

    def retrieve(self, query: Query, found: Retrieved) -> None:
        selection = query.selection
        if found.mode == "hybrid" and query.language is not None:  # no report in the question's language: no
            selection = selection.within(query.language)  # same-language BM25
        found.lexical = self.store.search_words(query_terms(query.question), query.settings.candidates, selection)
        if found.mode == "hybrid":
            found.coverage = self.store.word_coverage(query_word_variants(query.question))


class TranslatedRetriever:
    """The question's words translated into each other report language (:attr:`Query.translations`): BM25
    there, and (when its weight is used) those words embedded as a query against that language's passages."""

    def __init__(self, store: Version):
        self.store = store

    def retrieve(self, query: Query, found: Retrieved) -> None:
        for other, words in query.translations.items():
            selection = query.selection.within(other)
            if query.settings.translated_weight or query.settings.tuning:  # a ranking weighted 0 is not searched
                found.translated[other] = self.store.search_words(terms_of_words(words, other),
                                                                  query.settings.candidates, selection)
            if other in query.translated_vectors:
                found.translated_dense[other] = dense_scores(self.store, query.translated_vectors[other], selection,
                                                             query.settings)


class MachineTranslatedRetriever:
    """The question machine-translated into each other report language (:attr:`Query.machine_translations`):
    embedded as a query against that language's passages, and its words searched with BM25 there."""

    def __init__(self, store: Version):
        self.store = store

    def retrieve(self, query: Query, found: Retrieved) -> None:
        found.machine_translations = dict(query.machine_translations)
        for other, text in query.machine_translations.items():
            selection = query.selection.within(other)
            if query.settings.mt_lexical_weight or query.settings.tuning:
                found.machine_lexical[other] = self.store.search_words(query_terms(text), query.settings.candidates,
                                                                       selection)
            if other in query.machine_vectors:
                scores = dense_scores(self.store, query.machine_vectors[other], selection, query.settings)
                found.machine_dense[other] = scores
                if len(scores.rows):  # the closest sentences' chunks are among the candidates: the best is there
                    found.machine_best[other] = float(scores.best_sentence.max())


class RenderingRetriever:
    """The question against the renderings of the other languages' passages in its own language (passages
    machine-translated when indexed: :mod:`index_build.passage_translation`): its vector, and BM25 of its words."""

    def __init__(self, store: Version):
        self.store = store

    def retrieve(self, query: Query, found: Retrieved) -> None:
        settings = query.settings
        if query.language is None:
            return
        if query.vector is not None and (settings.rendering_weight or settings.tuning):
            found.renderings = self.store.search_renderings(query.vector, query.language, settings.candidates,
                                                            query.selection)
        if settings.rendering_lexical_weight or settings.tuning:
            found.rendering_words = self.store.search_rendering_words(query_terms(query.question), query.language,
                                                                      settings.candidates, query.selection)


def dense_scores(store: Version, vector: np.ndarray, selection: Selection,
                 settings: RetrievalSettings) -> DenseScores:
    """Exact similarities of the candidate chunks: every selected chunk up to ``dense_pool`` of them, else
    those closest to the vector by their own or by one of their sentences' vectors (``dense_search`` each)."""
    complete, ceiling = None, {}
    if store.count_selected(selection) <= settings.dense_pool:
        rows = store.selected_rows(selection)
    else:
        by_chunk = store.search_chunks(vector, settings.dense_search, selection)
        by_sentence = store.search_sentences(vector, settings.dense_search, selection)
        rows = np.union1d(by_chunk.rows, by_sentence.rows)
        # a language with a chunk among the closest chunks and one among the closest sentences' chunks has its
        # best of each there: the closest k hold the best of every language that appears in them
        among = [set(store.languages_of(hits.rows)) for hits in (by_chunk, by_sentence)]
        complete = frozenset(among[0] & among[1]) - {""}
        for language in store.report_languages():  # the others' passages score at most the last one found
            if language not in complete:
                ceiling[language] = max((float(hits.scores[-1]) for hits, found in zip((by_chunk, by_sentence), among)
                                         if language not in found and len(hits.rows)), default=-1.0)
    chunk, best = store.chunk_scores(vector, rows)
    return DenseScores(rows.astype(np.int64), chunk, best, complete, ceiling)


def best_sentence_by_language(store: Version, selection: Selection,
                              dense: DenseScores) -> tuple[dict[str, float], set[str]]:
    """The question's similarity with the best sentence (or chunk) of each report language among the
    selected passages, read off the candidates where they hold it. A language whose best may lie outside them
    gets a ceiling instead (the higher of its best candidate and the last score of the closest passages it has
    none among: its exact value is at most that) and is in the set returned; :func:`exact_best_sentences`
    searches it when the answer depends on it."""
    best, bounded = {}, set()
    row_languages = store.languages_of(dense.rows)
    for language in store.report_languages():
        members = row_languages == language
        found = float(dense.best_sentence[members].max()) if members.any() else -1.0
        if dense.complete is None or language in dense.complete:
            if members.any() or store.count_selected(selection.within(language)):
                best[language] = found
        elif store.count_selected(selection.within(language)):
            best[language] = max(found, dense.ceiling.get(language, -1.0))
            bounded.add(language)
    return best, bounded


def exact_best_sentences(store: Version, found: "Retrieved", languages: set[str]) -> None:
    """Replace the ceilings of these languages by their exact best sentence (or chunk): a top-1 search of
    the sentences and one of the chunks in that language."""
    for language in sorted(languages & found.bounded):
        within = found.selection.within(language)
        tops = [store.search_sentences(found.query, 1, within).scores, store.search_chunks(found.query, 1, within).scores]
        found.best_sentence[language] = float(max((float(t[0]) for t in tops if len(t)), default=-1.0))
        found.bounded.discard(language)


def answer_scores(retrieved: Retrieved, settings: RetrievalSettings) -> dict[str, tuple[float, str]]:
    """Per report language, the similarity that says whether it answers and the key of its threshold: the best
    sentence of the question itself, or (``answer_by_translation``, other languages) of its machine translation."""
    found = {}
    for other, score in retrieved.best_sentence.items():
        if settings.answer_by_translation and other != retrieved.language and other in retrieved.machine_best:
            found[other] = (retrieved.machine_best[other], pair_key(retrieved.language, other, translated=True))
        else:
            found[other] = (score, pair_key(retrieved.language, other))
    return found


class SearchEngine:
    """Embeds questions with the index's model and finds the passages that answer them."""

    def __init__(self, embedder: Embedder, version: Version, settings: RetrievalSettings | None = None,
                 machine_translator: Translator | None | str = "shared"):
        self.embedder = embedder
        self.version = version
        if settings is None or machine_translator == "shared":
            from service.settings import get_settings
            configured = get_settings()
            settings = settings or settings_for_version(version.manifest, configured.retrieval)
            if machine_translator == "shared":
                machine_translator = shared_translator() if configured.translation else None
        self.settings = settings
        #: the machine translator of questions (None: not installed or turned off; the service answers without it)
        self.machine_translator: Translator | None = machine_translator
        self._titles = {doc["id"]: doc["title"] for doc in version.documents}
        self._paged = {doc["id"] for doc in version.documents if has_pages(doc.get("source_file", ""))}
        self.report_languages = version.report_languages()
        self.speaker_directory = SpeakerDirectory(version)
        self.translator = QuestionTranslator(embedder, version.vocabulary)
        dense, lexical = DenseRetriever(version), LexicalRetriever(version)
        #: a mode is the list of its retrievers
        self.modes = {"hybrid": [dense, lexical, TranslatedRetriever(version), MachineTranslatedRetriever(version),
                                 RenderingRetriever(version)],
                      "dense": [dense], "bm25": [lexical]}

    @classmethod
    def open(cls, store: Store, model_name: str, model_cache_dir: Path) -> "SearchEngine":
        """Load the store's current version, then the model, checking they belong together (a missing or corrupt
        index is refused before the model is loaded: in a second, not after it)."""
        version = store.open()
        embedder = Embedder.load(model_name, model_cache_dir)
        check_model(version, model_name, embedder.fingerprint, embedder.dimension)
        return cls(embedder, version)

    def search(self, question: str, k: int = 5, mode: str = "hybrid", settings: RetrievalSettings | None = None,
               search_filter: SearchFilter | None = None, vector: np.ndarray | None = None) -> Answer:
        """The k passages that best answer the question, best first, among those the filter keeps.

        ``mode`` picks the retrievers: ``dense`` (embeddings), ``bm25`` (words) or
        ``hybrid`` (all, fused by weighted reciprocal rank). ``vector``: the question's embedding, when
        the caller has it already.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        started = time.perf_counter()
        retrieved = self.retrieve(question, mode, settings, search_filter, vector)
        return self.answer(retrieved, k, mode, settings, started)

    def retrieve(self, question: str, mode: str = "hybrid", settings: RetrievalSettings | None = None,
                 search_filter: SearchFilter | None = None, vector: np.ndarray | None = None) -> Retrieved:
        """Stage 1: every retriever of the mode, on the passages the filter keeps."""
        settings = settings or self.settings
        started = time.perf_counter()
        query = self.query(question, mode, settings, search_filter, vector)
        found = Retrieved(question, query.language, query.vector, mode=mode, selection=query.selection,
                          search_filter=search_filter if search_filter and not search_filter.empty else None,
                          stage_ms={"translate": query.translate_ms,
                                    "embed": _ms_since(started) - query.translate_ms})
        if not self.version.live_count() or not self.version.count_selected(query.selection):
            found.nothing_to_search = True
            return found
        retrievers = list(zip(RETRIEVER_NAMES[mode], self.modes[mode]))
        if self.version.parallel_searches > 1 and len(retrievers) > 1:  # each fills its own fields of ``found``
            threads = _retriever_threads(self.version.parallel_searches)
            running = [(name, threads.submit(contextvars.copy_context().run, _timed, retriever, query, found))
                       for name, retriever in retrievers]  # the context: the search's deadline
            for name, future in running:
                found.stage_ms[name] = future.result()
        else:
            for name, retriever in retrievers:
                found.stage_ms[name] = _timed(retriever, query, found)
        if mode == "hybrid" and query.language is not None and (settings.max_unknown_words or settings.tuning):
            started = time.perf_counter()
            found.unknown_words = self.unknown_words(question, query.language)
            found.stage_ms["translate"] += _ms_since(started)
        return found

    def unknown_words(self, question: str, language: str) -> list[str]:
        """The question's content words that no report holds: neither the word (any stem, accents folded) nor,
        where a machine translator is installed, its translation into any other report language."""
        unknown = []
        for word in question_words(question):
            if self.version.word_coverage(query_word_variants(word)):
                continue
            translations = [self.machine_translator.translate(word, language, other)
                            for other in self.report_languages
                            if self.machine_translator is not None and other != language
                            and self.machine_translator.can_translate(language, other)]
            if not any(text and self.version.word_coverage(query_word_variants(text)) for text in translations):
                unknown.append(word)
        return unknown

    def query(self, question: str, mode: str, settings: RetrievalSettings, search_filter: SearchFilter | None = None,
              vector: np.ndarray | None = None) -> Query:
        """The question as the retrievers see it: its language, its words translated into each other report
        language (hybrid mode), and every vector it needs, embedded in one call of the model."""
        language = guess_language(question)
        translations = {}
        if mode == "hybrid" and language is not None:
            translations = {other: words for other in self.version.report_languages()
                            if other != language and (words := self.translator.words_in(question, other))}
        translating = time.perf_counter()
        machine = self.machine_translations(question, language, settings) if mode == "hybrid" else {}
        translate_ms = _ms_since(translating)
        texts = [] if mode == "bm25" or vector is not None else [question]
        word_queries = translations if settings.translated_dense_weight or settings.tuning else {}
        machine_queries = machine if settings.mt_dense_weight or settings.tuning else {}
        texts += [" ".join(dict.fromkeys(words)) for words in word_queries.values()] + list(machine_queries.values())
        vectors = list(self.embedder.embed_queries(texts)) if texts else []
        if mode != "bm25" and vector is None:
            vector = vectors.pop(0)
        word_vectors = dict(zip(word_queries, vectors))
        machine_vectors = dict(zip(machine_queries, vectors[len(word_queries):]))
        return Query(question, language, None if mode == "bm25" else vector, Selection.of(search_filter),
                     settings, translations, word_vectors, machine, machine_vectors, translate_ms)

    def translation_status(self) -> dict:
        """Whether questions are machine-translated, and into which of the reports' languages (for /health)."""
        if self.machine_translator is None:
            return {"enabled": False, "routes": [], "reason": "Apertium is not installed or CITEQA_TRANSLATION=false: "
                                                              "questions are searched as they are asked"}
        routes = sorted(f"{source}>{target}" for source, target in self.machine_translator.routes()
                        if target in self.report_languages)
        return {"enabled": True, "routes": routes, "reason": ""}

    def machine_translations(self, question: str, language: str | None,
                             settings: RetrievalSettings) -> dict[str, str]:
        """The question machine-translated into each other report language its retrievers use (none for a
        keyword query, whose language is unknown, or without a translator)."""
        if self.machine_translator is None or language is None or not (
                settings.mt_dense_weight or settings.mt_lexical_weight or settings.tuning):
            return {}
        found = {}
        for other in self.report_languages:
            if other != language and self.machine_translator.can_translate(language, other):
                text = self.machine_translator.translate(question, language, other)
                if text and text.strip():
                    found[other] = text.strip()
        return found

    def answer(self, retrieved: Retrieved, k: int = 5, mode: str = "hybrid", settings: RetrievalSettings | None = None,
               started: float | None = None) -> Answer:
        """Stages 2-5 over what was retrieved: fuse, diversify, decide answerability, present."""
        settings = settings or self.settings
        started = time.perf_counter() if started is None else started
        stage = time.perf_counter()
        ranked = self.rank(retrieved, settings, mode, k)
        retrieved.stage_ms["fuse"], stage = _ms_since(stage), time.perf_counter()
        if retrieved.nothing_to_search:
            answerable, reason = False, _nothing_to_search(retrieved)
        else:
            answerable, reason = self.answerability(retrieved, settings) if mode == "hybrid" else (True, "")
        retrieved.stage_ms["answerability"], stage = _ms_since(stage), time.perf_counter()
        top = ranked[:k]
        chunks = self.version.chunks([row for row, _ in top])
        passages = [self._passage(rank, score, chunk, retrieved.query, not answerable)
                    for rank, ((_, score), chunk) in enumerate(zip(top, chunks), start=1)]
        speakers = _speakers_of(passages)
        retrieved.stage_ms["present"] = _ms_since(stage)
        took = round((time.perf_counter() - started) * 1000, 2)
        return Answer(question=retrieved.question, answerable=answerable, reason=reason, speakers=speakers,
                      passages=passages, translations=retrieved.machine_translations if mode == "hybrid" else {},
                      took_ms=took, index_version=self.version.version)

    # --- stages 2-3: fuse, diversify -----------------------------------------------------------
    def rank(self, retrieved: Retrieved, settings: RetrievalSettings, mode: str = "hybrid",
             k: int = 5) -> list[tuple[int, float]]:
        """(chunk row, score) best first."""
        dense = retrieved.dense
        if mode == "dense":
            return _top(dense.rows, dense.chunk, settings.candidates) if dense is not None else []
        if mode == "bm25":
            return retrieved.lexical.pairs()
        rankings = [(settings.dense_weight, ranking) for ranking in self._dense_rankings(dense, settings)]
        if settings.translated_dense_weight:
            rankings += [(settings.translated_dense_weight,
                          _top(scores.rows, scores.blended(settings.sentence_weight), settings.candidates))
                         for scores in retrieved.translated_dense.values()]
        if settings.mt_dense_weight:
            rankings += [(settings.mt_dense_weight,
                          _top(scores.rows, scores.blended(settings.sentence_weight), settings.candidates))
                         for scores in retrieved.machine_dense.values()]
        rankings.append((settings.lexical_weight, retrieved.lexical.pairs()))
        rankings += [(settings.translated_weight, hits.pairs()) for hits in retrieved.translated.values()]
        rankings += [(settings.mt_lexical_weight, hits.pairs()) for hits in retrieved.machine_lexical.values()]
        rankings += [(settings.rendering_weight, retrieved.renderings.pairs()),
                     (settings.rendering_lexical_weight, retrieved.rendering_words.pairs())]
        ranked = _fuse(rankings, settings.rrf_k)
        if is_who_question(retrieved.question):
            ranked = self._diversify(ranked, k, settings)
        return ranked

    def _dense_rankings(self, dense: DenseScores | None, settings: RetrievalSettings) -> list[list[tuple[int, float]]]:
        """The dense ranking(s): blended chunk and best-sentence similarity, across or within languages."""
        if dense is None or not len(dense.rows):
            return []
        blended = dense.blended(settings.sentence_weight)
        row_languages = self.version.languages_of(dense.rows)
        masks = [row_languages == language for language in self.version.report_languages()]
        if settings.dense_fusion == "per_language":
            return [_top(dense.rows[m], blended[m], settings.candidates) for m in masks if m.any()]
        if settings.dense_fusion in ("centred", "standardised"):
            blended = blended.copy()
            for members in masks:
                if members.any():
                    blended[members] -= blended[members].mean()
                    if settings.dense_fusion == "standardised":
                        blended[members] /= max(float(blended[members].std()), 1e-6)
        return [_top(dense.rows, blended, settings.candidates)]

    def _diversify(self, ranked: list[tuple[int, float]], k: int,
                   settings: RetrievalSettings) -> list[tuple[int, float]]:
        """Who questions, greedy MMR: a passage that adds no new speaker, or comes from a report already
        in the answer, counts less."""
        window, rest = list(ranked[:3 * k]), ranked[3 * k:]
        chunks = {chunk.id: chunk for chunk in self.version.chunks([row for row, _ in window])}
        speakers: set[str] = set()
        reports: set[str] = set()
        chosen = []
        while window:
            def worth(item: tuple[int, float]) -> float:
                chunk = chunks[item[0]]
                names = {speaker["name"] for speaker in chunk.speakers}
                factor = 1.0 if names - speakers else settings.repeated_speaker_factor
                return item[1] * factor * (settings.repeated_report_factor if chunk.document_id in reports else 1.0)
            best = max(window, key=worth)
            window.remove(best)
            chosen.append(best)
            speakers |= {speaker["name"] for speaker in chunks[best[0]].speakers}
            reports.add(chunks[best[0]].document_id)
        return chosen + rest

    # --- stage 4: answerability ----------------------------------------------------------------
    def answerability(self, retrieved: Retrieved, settings: RetrievalSettings) -> tuple[bool, str]:
        """Whether the reports answer the question at all, and why not.

        Similarities of e5 run on different scales for each (question language, report language) pair, so
        each pair has its threshold; a report language answers when its best sentence reaches it (or when
        the pair has none). A keyword query (language unknown) is never refused.
        """
        language = retrieved.language
        if language is None or retrieved.query is None:
            return True, ""
        while True:  # a ceiling is searched for its exact value only when the outcome or the reason depends on it
            scored = answer_scores(retrieved, settings)
            best = {other: score for other, (score, _) in scored.items()}
            thresholds = {other: settings.abstain_below.get(key) for other, (_, key) in scored.items()}
            reaching = {other for other, threshold in thresholds.items() if threshold is None or best[other] >= threshold}
            surely = {other for other in reaching if thresholds[other] is None or other not in retrieved.bounded}
            closest = max(best, key=lambda other: best[other] - thresholds[other]) if best and not reaching else None
            unsure = set() if surely else reaching | ({closest} if closest else set())
            if not unsure & retrieved.bounded:
                break
            exact_best_sentences(self.version, retrieved, unsure)
        if closest is not None:
            return False, (f"Nothing in the reports is close enough to the question: the best sentence has a similarity "
                           f"of {best[closest]:.3f}, under {thresholds[closest]:.3f} for a question in {language} "
                           f"and reports in {closest}. The passages below are the nearest ones, but weak.")
        unknown = retrieved.unknown_words  # judged only where the reports hold the question's language: elsewhere
        # every word hangs on a word-by-word machine translation
        if settings.max_unknown_words and language in self.report_languages and len(unknown) >= settings.max_unknown_words:
            return False, (f"The reports never mention {', '.join(repr(word) for word in unknown)}, in any of their "
                           "languages: they do not seem to speak of it. The passages below are the nearest ones, but weak.")
        coverage = retrieved.coverage
        if language in self.report_languages and coverage is not None and coverage < settings.min_word_coverage:
            return False, (f"Only {coverage:.0%} of the question's words occur in the reports: they do not seem to "
                           "speak of it. The passages below are the nearest ones, but weak.")
        return True, ""

    # --- stage 5: present ------------------------------------------------------------------------
    def _passage(self, rank: int, score: float, chunk: Chunk, query: np.ndarray | None, weak: bool) -> Passage:
        return Passage(rank=rank, score=round(score, 4), text=chunk.text, document_id=chunk.document_id,
                       title=self._titles[chunk.document_id], page=chunk.page, start=chunk.start, end=chunk.end,
                       speakers=[Speaker(**speaker) for speaker in chunk.speakers],
                       highlight=self._highlight(chunk, query), weak=weak,
                       url=citation_url(chunk.document_id, chunk.page, chunk.start, chunk.end,
                                        chunk.document_id in self._paged))

    def _highlight(self, chunk: Chunk, query: np.ndarray | None) -> Highlight | None:
        """The chunk's sentence closest to the question."""
        if query is None or not chunk.sentences:
            return None
        vectors = self.version.sentence_vectors([row for _, _, row in chunk.sentences])
        start, end, _ = chunk.sentences[int(np.argmax(vectors @ query))]
        return Highlight(start=start, end=end, text=self.version.document_text(chunk.document_id)[start:end])


MODES = ("hybrid", "dense", "bm25")
RETRIEVER_NAMES = {"hybrid": ("dense", "lexical", "translated", "machine_translated", "renderings"), "dense": ("dense",),
                   "bm25": ("lexical",)}
STAGES = ("translate", "embed", "dense", "lexical", "translated", "machine_translated", "renderings", "fuse",
          "answerability", "present")  # Retrieved.stage_ms keys


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _timed(retriever, query: Query, found: Retrieved) -> float:
    """Run one retriever; the milliseconds it took."""
    started = time.perf_counter()
    retriever.retrieve(query, found)
    return _ms_since(started)


_threads: ThreadPoolExecutor | None = None
_threads_lock = threading.Lock()


def _retriever_threads(size: int) -> ThreadPoolExecutor:
    """The process's threads for retrievers run at once (as many as the store's searches worth running at once, the
    size of its connection pool: the retrievers of all questions share them, so none waits for a connection)."""
    global _threads
    with _threads_lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="citeqa-retrieve")
        return _threads


def _nothing_to_search(retrieved: Retrieved) -> str:
    """Why a search found nothing at all: an empty index, or a filter that keeps no passage."""
    if retrieved.search_filter is None:
        return "The index holds no report yet: add one (`citeqa add FILE`) and ask again."
    conditions = ", ".join(f"{key}={value}" for key, value in retrieved.search_filter.to_dict().items())
    return f"No passage of the reports matches the filter ({conditions}): widen it and ask again."


def _top(rows: np.ndarray, scores: np.ndarray, count: int) -> list[tuple[int, float]]:
    """(row, score) of the best ``count`` candidates, best first (ties: lower row first)."""
    found, values = best_of(rows, scores, count)
    return [(int(row), float(score)) for row, score in zip(found, values)]


def _fuse(rankings: list[tuple[float, list[tuple[int, float]]]], rrf_k: float) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion of several rankings."""
    fused: dict[int, float] = {}
    for weight, ranking in rankings:
        if weight:
            for rank, (row, _) in enumerate(ranking, start=1):
                fused[row] = fused.get(row, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def _speakers_of(passages: list[Passage]) -> list[SpeakerAnswer]:
    """The speakers of the passages, in order of their best passage, each with the ranks and reports that
    support them."""
    found: dict[str, SpeakerAnswer] = {}
    for passage in passages:
        for speaker in passage.speakers:
            key = fold_accents(speaker.name)
            if key not in found:
                found[key] = SpeakerAnswer(name=speaker.name, role=speaker.role, organisation=speaker.organisation,
                                           passages=[])
            found[key].passages.append(passage.rank)
            if passage.document_id not in found[key].documents:
                found[key].documents.append(passage.document_id)
    return list(found.values())
