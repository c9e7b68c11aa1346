"""Filters as a caller gives them (HTTP body or query, command line) -> one checked
:class:`~index_build.store.base.SearchFilter`; and the speaker directory, filtered the same way.

What a schema cannot say is checked here, before any search runs: that every report id names a report of
the index version asked, and that a year range does not run backwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from index_build.store.base import Version, SearchFilter
from index_build.text import fold_accents

SHOWN_UNKNOWN_IDS = 5  # an unknown-report message names this many ids, then counts the others


class FilterProblem(ValueError):
    """Filters that cannot be applied; ``problems`` are (field, error type, message, the input refused)."""

    def __init__(self, problems: list[tuple[str, str, str, object]]):
        self.problems = problems
        super().__init__("; ".join(message for _, _, message, _ in problems))


def search_filter(known_documents: Iterable[str], documents: Sequence[str] = (), languages: Sequence[str] = (),
                  year_from: int | None = None, year_to: int | None = None, publishers: Sequence[str] = (),
                  speakers: Sequence[str] = ()) -> SearchFilter:
    """The filter, every value once; raises :class:`FilterProblem` for an unknown report id or
    ``year_from > year_to``."""
    known = set(known_documents)
    documents = tuple(dict.fromkeys(documents))
    problems = []
    unknown = [document for document in documents if document not in known]
    if unknown:
        shown = ", ".join(repr(document) for document in unknown[:SHOWN_UNKNOWN_IDS])
        more = f" and {len(unknown) - SHOWN_UNKNOWN_IDS} more" if len(unknown) > SHOWN_UNKNOWN_IDS else ""
        problems.append(("documents", "unknown_report",
                         f"no report with id {shown}{more} in the index: GET /documents (or `citeqa list`) lists "
                         "the reports", unknown))
    if year_from is not None and year_to is not None and year_from > year_to:
        problems.append(("year_to", "year_range", f"year_to ({year_to}) is before year_from ({year_from}): give "
                                                  "year_from <= year_to (the same year for one year)", year_to))
    if problems:
        raise FilterProblem(problems)
    return SearchFilter(documents, tuple(dict.fromkeys(languages)), year_from, year_to,
                        tuple(dict.fromkeys(publishers)), tuple(dict.fromkeys(speakers)))


class SpeakerDirectory:
    """Who speaks in one index version: :meth:`Version.speakers`, searchable and filtered by report.

    The version never changes, so what it costs is paid once: the whole directory on the first call, and
    the passage counts of one report (its chunks read once) the first time a filter keeps only part of
    someone's reports.
    """

    def __init__(self, store: Version):
        self.store = store
        self._lock = threading.Lock()
        self._everyone: list[dict] | None = None
        self._counts: dict[str, dict[tuple[str, str, str], int]] = {}

    def find(self, query: str = "", search_filter: SearchFilter | None = None) -> list[dict]:
        """Speakers whose name or organisation contains ``query`` (case and accents ignored), in the reports
        the filter keeps (its speaker condition aside), with their reports and passages there."""
        folded = fold_accents(query).strip()
        kept = None
        if search_filter is not None and not search_filter.empty:
            kept = {doc["id"] for doc in self.store.documents if search_filter.keeps_document(doc)}
        found = []
        for entry in self._all():
            if folded and folded not in fold_accents(entry["name"]) and folded not in fold_accents(entry["organisation"]):
                continue
            if kept is None:
                found.append(entry)
                continue
            documents = [document for document in entry["documents"] if document in kept]
            if len(documents) == len(entry["documents"]):
                found.append(entry)
            elif documents:
                key = _key(entry)
                found.append({**entry, "documents": documents,
                              "passages": sum(self._counts_of(document).get(key, 0) for document in documents)})
        return found

    def _all(self) -> list[dict]:
        if self._everyone is None:
            everyone = self.store.speakers()
            with self._lock:
                self._everyone = everyone
        return self._everyone

    def _counts_of(self, document_id: str) -> dict[tuple[str, str, str], int]:
        """Passages of one report where each speaker speaks (counted as the store counts them)."""
        counts = self._counts.get(document_id)
        if counts is None:
            counts = {}
            for chunk in self.store.iter_chunks(document_id):
                for speaker in chunk.speakers:
                    key = _key(speaker)
                    counts[key] = counts.get(key, 0) + 1
            with self._lock:
                self._counts[document_id] = counts
        return counts


def _key(speaker: dict) -> tuple[str, str, str]:
    return fold_accents(speaker["name"]), speaker.get("role", ""), speaker.get("organisation", "")
