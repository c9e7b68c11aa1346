"""Offline side of citeqa: report files -> index on disk (owns the on-disk format)."""

import os

# torch and faiss each bring an OpenMP runtime; with the default busy-waiting their threads fight
# over the two cores and a query embedding took ~950 ms instead of ~35 ms (measured here). This
# must be set before either library is imported, hence here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
