"""The folder store: index versions in CITEQA_INDEX_DIR (segments, an atomic ``current`` link), the catalog in
CITEQA_CORPUS_DIR."""
