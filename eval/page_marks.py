"""How well the page view finds cited passages on their PDF pages: every passage of every PDF report of an index,
located on its page (and the next one when it goes on), and the share of its text found.

    python -m eval.page_marks [--index-dir var/library/index --corpus-dir var/library/corpus]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from index_build.corpus import ReportInfo
from index_build.store.factory import open_store
from service.answers import has_pages
from service.pdf_pages import PdfPages
from service.settings import Settings


def measure(settings: Settings) -> dict:
    """Figures over every passage of the index's PDF reports."""
    store = open_store(settings)
    version = store.open()
    shares, over_a_break, reports, started = [], 0, 0, time.perf_counter()
    for document in version.documents:
        if not has_pages(document.get("source_file", "")):
            continue
        reports += 1
        info = ReportInfo.of_entry(document)
        with PdfPages(store.catalog.file(info)) as pages:
            for chunk in version.iter_chunks(document["id"]):
                here = pages.locate(chunk.page, chunk.text)
                share = here.share
                if not here.ends_here and chunk.page < pages.count:
                    after = pages.locate(chunk.page + 1, chunk.text)
                    if after.found:
                        over_a_break, share = over_a_break + 1, share + after.share
                shares.append(min(share, 1.0))
    found = np.array(shares)
    return {"pdf_reports": reports, "passages": len(shares), "mean_share_found": round(float(found.mean()), 3),
            "passages_under_0.8": int((found < 0.8).sum()), "passages_under_0.5": int((found < 0.5).sum()),
            "over_a_page_break": over_a_break,
            "ms_per_passage": round((time.perf_counter() - started) * 1000 / max(len(shares), 1), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", default=None, help="default: CITEQA_INDEX_DIR")
    parser.add_argument("--corpus-dir", default=None, help="default: CITEQA_CORPUS_DIR")
    args = parser.parse_args()
    overrides = {key: value for key, value in (("index_dir", args.index_dir), ("corpus_dir", args.corpus_dir)) if value}
    for key, value in measure(Settings(**overrides)).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
