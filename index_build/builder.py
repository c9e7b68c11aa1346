"""Build the index: report files -> clean paragraphs -> chunks with speakers -> vectors -> a new version."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from index_build.cleaning import CleanDocument
from index_build.corpus import ReportInfo, content_hash
from index_build.embedding import Embedder
from index_build.chunk_table import Chunk
from index_build.isolation import prepare_text_isolated
from index_build.preparation import PreparedText, sentence_texts
from index_build.retrieval import default_settings, manifest_entry
from index_build.machine_translation import Translator, shared_translator
from index_build.passage_translation import render_passages
from index_build.store.base import Committed, DocumentPart, PreviousVersion, Store, Writer
from index_build.vocabulary import build_vocabulary

DEFAULT_CHUNK_SIZE = default_settings().chunk_size
DEFAULT_CHUNK_OVERLAP = default_settings().chunk_overlap
#: The modules that turn a file into chunks with speakers: a change in any of them re-prepares every report
#: (vectors are still reused wherever a chunk's or sentence's text is unchanged).
PIPELINE_MODULES = ("reading.py", "cleaning.py", "chunking.py", "language.py", "text.py", "speaker*.py",
                    "preparation.py", "builder.py")


def rendering_mark(translator: Translator | None) -> str:
    """What a version's pipeline says of its renderings (:mod:`index_build.passage_translation`): the routes the
    translator reaches, so that installing or removing one re-renders every report."""
    if translator is None:
        return ""
    return "+renderings:" + ",".join(sorted(f"{s}>{t}" for s, t in translator.routes()))


def resolve_translator(translator: Translator | None | str) -> Translator | None:
    """``"shared"``: the process's translator (None when Apertium is not installed)."""
    return shared_translator() if translator == "shared" else translator


def pipeline_version() -> str:
    """A hash of the code that reads, cleans, chunks and attributes reports (part of the reuse key)."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for pattern in PIPELINE_MODULES:
        for path in sorted(package.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class PreparedReport:
    """A report read, cleaned and chunked, ready to embed."""

    info: ReportInfo
    document: CleanDocument
    chunks: list[Chunk]
    content_hash: str


def prepare_report(path: Path, info: ReportInfo, chunk_size: int = DEFAULT_CHUNK_SIZE,
                   chunk_overlap: int = DEFAULT_CHUNK_OVERLAP, text: PreparedText | None = None) -> PreparedReport:
    """A report read, cleaned, chunked, with the speakers of each chunk and its sentences numbered: the text
    work runs in a child process with limits (:func:`index_build.isolation.prepare_text_isolated`) unless
    ``text`` is that work done already; UnreadableReport when the file is refused."""
    text = text if text is not None else prepare_text_isolated(path, info.id, chunk_size, chunk_overlap)
    return PreparedReport(info, text.document, text.chunks, content_hash(path))


@dataclass
class BuildSummary:
    """What a build changed, for the command line and the admin API."""

    version: str
    path: str  # the version's folder, or the database
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One line for people."""
        return (f"Index version {self.version} in {self.path}: {len(self.added)} added, {len(self.replaced)} replaced, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed; {self.documents} documents, "
                f"{self.chunks} chunks ({self.embedded_chunks} embedded) in {self.seconds:.1f} s")


def build_index(store: Store, embedder: Embedder, *, reports: list[ReportInfo] | None = None,
                chunk_size: int = DEFAULT_CHUNK_SIZE, chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
                show_progress: bool = True, reuse: bool = True,
                translator: Translator | None | str = "shared") -> BuildSummary:
    """Make the store's index match its catalog (or ``reports``, whose files the store can read), as a new version
    switched atomically.

    With ``reuse``, documents whose content, model and chunking are unchanged keep their
    chunks and vectors from the current version: only new or changed reports are embedded. ``translator``
    renders passages into the other languages (None: no renderings).
    """
    with store.lock():
        return build_locked(store, embedder, reports=reports, chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                            show_progress=show_progress, reuse=reuse, translator=translator)


def build_locked(store: Store, embedder: Embedder, *, reports: list[ReportInfo] | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
                 show_progress: bool = True, reuse: bool = True,
                 prepared: dict[str, PreparedReport] | None = None,
                 translator: Translator | None | str = "shared") -> BuildSummary:
    """:func:`build_index` for a caller that already holds the store's lock. ``reports``: the catalog the new
    version lists (default: the store's); ``prepared`` holds reports the caller has read and chunked already (used
    when their content is the catalog file's)."""
    started = time.perf_counter()
    catalog = store.catalog.reports() if reports is None else reports
    chunking = {"size": chunk_size, "overlap": chunk_overlap}
    previous = _reusable_version(store, embedder, chunking) if reuse else None
    old_docs = {doc["id"]: doc for doc in previous.documents} if previous else {}
    translator = resolve_translator(translator)
    pipeline = pipeline_version() + rendering_mark(translator)  # read once, before any report is prepared
    same_pipeline = previous is not None and previous.manifest.get("pipeline") == pipeline
    known = _KnownVectors(previous) if previous is not None else None
    writer = store.writer(previous, same_pipeline)
    summary = BuildSummary(version="", path="")
    for info in catalog:
        old = old_docs.get(info.id)
        recorded = store.catalog.recorded(info)
        digest = store.catalog.content_hash(info, old)
        if old is not None and old["content_hash"] == digest and same_pipeline:
            summary.unchanged.append(info.id)  # the catalog's title, year or publisher may have changed
            writer.carry_over(previous, info.id, {**info.model_dump(), **recorded})
            continue
        ready = (prepared or {}).get(info.id)
        usable = ready is not None and ready.content_hash == digest and ready.info == info and (
            chunk_size, chunk_overlap) == (DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP)
        report = ready if usable else prepare_report(store.catalog.file(info), info, chunk_size, chunk_overlap)
        part, embedded = _new_part(report, embedder, show_progress, known, translator)
        part.entry.update(recorded)
        writer.add(part)
        summary.embedded_chunks += embedded
        if old is not None and old["content_hash"] == digest:
            summary.unchanged.append(info.id)
        else:
            (summary.replaced if old is not None else summary.added).append(info.id)
    summary.removed = sorted(set(old_docs) - {info.id for info in catalog})
    for document_id in summary.removed:
        writer.remove(document_id)
    committed = _commit(writer, embedder, chunking, pipeline, previous, show_progress, [info.id for info in catalog])
    summary.version, summary.path = committed.version, committed.where
    summary.documents, summary.chunks = committed.documents, committed.chunks
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def is_up_to_date(store: Store, embedder: Embedder, *, reports: list[ReportInfo] | None = None,
                  chunk_size: int = DEFAULT_CHUNK_SIZE, chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
                  translator: Translator | None | str = "shared") -> bool:
    """True when the current version holds exactly the catalog's reports (or ``reports``), unchanged, built by this
    model, chunking and pipeline: a build would change nothing."""
    previous = _reusable_version(store, embedder, {"size": chunk_size, "overlap": chunk_overlap})
    pipeline = pipeline_version() + rendering_mark(resolve_translator(translator))
    if previous is None or previous.manifest.get("pipeline") != pipeline:
        return False
    documents = {doc["id"]: doc for doc in previous.documents}
    indexed = {(doc["id"], doc["content_hash"]) for doc in previous.documents}
    return indexed == {(info.id, store.catalog.content_hash(info, documents.get(info.id)))
                       for info in (store.catalog.reports() if reports is None else reports)}


def _reusable_version(store: Store, embedder: Embedder, chunking: dict) -> PreviousVersion | None:
    """The current version, if its vectors can be reused with this model and chunking."""
    version = store.previous(embedder.fingerprint, embedder.dimension)
    return version if version is not None and version.manifest.get("chunking") == chunking else None


class _KnownVectors:
    """The passage vectors of a previous version by text, so that an unchanged text is not embedded again
    (read document by document, only for the reports being prepared)."""

    def __init__(self, version: PreviousVersion):
        self._version = version
        self._chunks: dict[str, np.ndarray] = {}
        self._sentences: dict[str, np.ndarray] = {}
        self._renderings: dict[tuple[str, str], tuple[np.ndarray, str]] = {}
        self._read: set[str] = set()

    def learn(self, document_id: str) -> None:
        """Take in the vectors of one document of the previous version (if it had it)."""
        if document_id in self._read or document_id not in self._version.document_ids:
            return
        self._read.add(document_id)
        chunks, vectors, sentence_vectors, text = self._version.document(document_id)
        for chunk, vector in zip(chunks, vectors):
            self._chunks.setdefault(chunk.text, vector)
            for start, end, row in chunk.sentences:
                self._sentences.setdefault(text[start:end], sentence_vectors[row])
        renderings = self._version.renderings(document_id)
        for row, language, vector, text in zip(renderings.rows.tolist(), renderings.languages, renderings.vectors,
                                               renderings.texts):
            self._renderings.setdefault((chunks[row].text, language), (vector, text))

    def chunk(self, text: str) -> np.ndarray | None:
        """The vector of a chunk with this text, if the previous version had one."""
        return self._chunks.get(text)

    def rendering(self, chunk_text: str, language: str) -> tuple[np.ndarray, str] | None:
        """The (vector, translation) of the rendering in ``language`` of a chunk with this text, if the previous
        version had one."""
        return self._renderings.get((chunk_text, language))

    def sentence(self, text: str) -> np.ndarray | None:
        """The vector of a sentence with this text, if the previous version had one."""
        return self._sentences.get(text)


def _embed_reusing(texts: list[str], known, embedder: Embedder, show_progress: bool) -> tuple[np.ndarray, int]:
    """Passage vectors for texts, taking the known ones (``known(text)``) and embedding only the rest;
    returns the vectors and how many were embedded."""
    vectors = [known(text) if known is not None else None for text in texts]
    missing = [i for i, vector in enumerate(vectors) if vector is None]
    if missing:
        for i, vector in zip(missing, embedder.embed_passages([texts[i] for i in missing], show_progress=show_progress)):
            vectors[i] = vector
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32), 0
    return np.vstack(vectors).astype(np.float32), len(missing)


def _new_part(report: PreparedReport, embedder: Embedder, show_progress: bool,
              known: _KnownVectors | None = None, translator: Translator | None = None) -> tuple[DocumentPart, int]:
    """A new, changed or re-prepared document, embedded now (unchanged texts keep their known vectors);
    returns the part and the number of chunks embedded."""
    if known is not None:
        known.learn(report.info.id)
    sentences = sentence_texts(report.chunks, report.document.text)  # numbered in the child
    vectors, embedded = _embed_reusing([chunk.text for chunk in report.chunks], known and known.chunk, embedder,
                                       show_progress)
    sentence_vectors, _ = _embed_reusing(sentences, known and known.sentence, embedder, show_progress)
    entry = {**document_entry(report), "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    renderings, _ = render_passages(report.chunks, entry.get("language", ""), translator, embedder,
                                    known and known.rendering)
    return DocumentPart(entry, report.document.text, report.chunks, vectors, sentence_vectors, renderings), embedded


def _commit(writer: Writer, embedder: Embedder, chunking: dict, pipeline: str,
            previous: PreviousVersion | None, show_progress: bool, order: list[str]) -> Committed:
    """Make the vocabulary of the added documents (embedding only the words the previous version did not
    have) and write the new version."""
    parts = writer.added
    dimension = embedder.dimension
    manifest = {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dimension": dimension},
        "chunking": chunking,
        "pipeline": pipeline,
        "retrieval": manifest_entry(default_settings(embedder.fingerprint).with_(  # the settings of these vectors
            chunk_size=chunking["size"], chunk_overlap=chunking["overlap"])),
    }
    vocabulary = build_vocabulary([(part.text, part.entry.get("language", "en")) for part in parts],
                                  lambda words: embedder.embed_words(words, show_progress, remember=False), dimension,
                                  previous.vocabulary if previous is not None else None)
    return writer.commit(manifest, vocabulary, order)


def document_entry(report: PreparedReport) -> dict:
    """The manifest's description of one document."""
    return {
        **report.info.model_dump(),
        "content_hash": report.content_hash,
        "pages": report.document.page_count,
        "chunks": len(report.chunks),
        "characters": len(report.document.text),
    }
