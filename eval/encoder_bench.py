"""The encoders measured side by side: `python -m eval.encoder_bench` (figures printed, JSON with --json).

In one process, interleaved run by run so that a busy machine slows every encoder alike: the p50/p95 of
``embed_query`` over the eval questions (nothing cached), chunks per second of ``embed_passages`` over the
seed report's chunks, and each encoder's lowest and mean cosine to the first one's vectors. Each figure is the
median of its runs, with the lowest and highest run beside it. The functions are for ``citeqa bench`` too.

An encoder is a ``CITEQA_ENCODER`` name or the path of an ONNX file of the model (``FILE.onnx``, e.g. a q4 graph
with another accuracy level written by ``python -m index_build.onnx_q4``), with ``:THREADS`` after it.

``citeqa bench --encoders onnx onnx-int8 onnx-q4 [--eval]`` prints the same table, and with ``--eval`` each encoder's
``citeqa eval`` figures beside it: its own library index (``var/library-ENCODER``, built when missing) under its own
calibration (retrieval.json's ``encoders`` section; the held-out figures are ``eval.tuning``'s, docs/retrieval.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from eval.runner import load_questions

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Spread:
    """The median of repeated runs, with the lowest and highest run."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        return cls(statistics.median(values), min(values), max(values))

    def __str__(self) -> str:
        return f"{self.median:8.2f} ({self.low:.2f}–{self.high:.2f})"


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0..1) of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def query_run(embedder, questions: list[str]) -> tuple[float, float]:
    """One pass of ``embed_query`` over the questions, nothing cached: (p50, p95) in milliseconds."""
    took = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_query(question, remember=False)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), percentile(took, 0.95)


def passage_run(embedder, texts: list[str]) -> float:
    """One ``embed_passages`` of the texts: passages per second."""
    started = time.perf_counter()
    embedder.embed_passages(texts)
    return len(texts) / (time.perf_counter() - started)


def agreement(reference: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """Lowest and mean cosine between the rows of two sets of normalised vectors."""
    cosines = np.sum(reference * other, axis=1)
    return float(cosines.min()), float(cosines.mean())


def seed_chunks(corpus_dir: Path = REPO / "corpus") -> list[str]:
    """The texts of the seed corpus's chunks, as a build embeds them."""
    from index_build.builder import prepare_report
    from index_build.corpus import load_catalog

    return [chunk.text for info in load_catalog(corpus_dir)
            for chunk in prepare_report(corpus_dir / info.source_file, info).chunks]


def compare(embedders: dict[str, object], questions: list[str], passages: list[str], runs: int) -> dict[str, dict]:
    """Every figure of every embedder (the first one is the reference for the cosines)."""
    for embedder in embedders.values():  # warm-up: first calls allocate
        embedder.embed_query(questions[0], remember=False)
        embedder.embed_passages(passages[:16])
    samples: dict[str, dict[str, list[float]]] = {name: {"p50": [], "p95": [], "passages": []} for name in embedders}
    for _ in range(runs):
        for name, embedder in embedders.items():
            p50, p95 = query_run(embedder, questions)
            samples[name]["p50"].append(p50)
            samples[name]["p95"].append(p95)
            samples[name]["passages"].append(passage_run(embedder, passages))
    reference = next(iter(embedders.values()))
    ref_queries = np.stack([reference.embed_query(q, remember=False) for q in questions])
    ref_passages = reference.embed_passages(passages)
    figures = {}
    for name, embedder in embedders.items():
        queries = np.stack([embedder.embed_query(q, remember=False) for q in questions])
        figures[name] = {
            "fingerprint": embedder.fingerprint,
            "query_p50_ms": asdict(Spread.of(samples[name]["p50"])),
            "query_p95_ms": asdict(Spread.of(samples[name]["p95"])),
            "passages_per_s": asdict(Spread.of(samples[name]["passages"])),
            "query_cosine_min_mean": agreement(ref_queries, queries),
            "passage_cosine_min_mean": agreement(ref_passages, embedder.embed_passages(passages)),
        }
    return figures


def print_figures(figures: dict[str, dict], questions: int, passages: int, runs: int) -> None:
    """The table of :func:`compare`'s figures."""
    first = next(iter(figures))
    print(f"{questions} questions one at a time, {passages} seed chunks; median of {runs} runs (lowest–highest); "
          f"cosines to {first}")
    print(f"{'encoder':<18} {'query p50 ms':>22} {'query p95 ms':>22} {'chunks/s':>22}  "
          f"{'query cos min/mean':>18}  {'chunk cos min/mean':>18}  fingerprint")
    for name, row in figures.items():
        qmin, qmean = row["query_cosine_min_mean"]
        pmin, pmean = row["passage_cosine_min_mean"]
        print(f"{name:<18} {Spread(**row['query_p50_ms'])!s:>22} {Spread(**row['query_p95_ms'])!s:>22} "
              f"{Spread(**row['passages_per_s'])!s:>22}  {qmin:.5f}/{qmean:.5f}    {pmin:.5f}/{pmean:.5f}    "
              f"{row['fingerprint']}")


#: the eval figures printed beside each encoder: (summary of citeqa eval's JSON, metric)
EVAL_FIGURES = (("full system", "accuracy@5"), ("full system", "MRR@10"),
                ("seed questions, library index", "accuracy@5"), ("seed questions, library index", "MRR@10"),
                ("library questions, library index", "accuracy@5"), ("library questions, library index", "MRR@10"),
                ("library questions, library index", "speaker_recall@5"),
                ("library questions, library index", "abstention"),
                ("library questions, library index", "false_abstention"))


def eval_figures(encoder: str, settings) -> dict[str, float]:
    """``citeqa eval`` with ``CITEQA_ENCODER=encoder``, in a child process: the figures of :data:`EVAL_FIGURES`. The
    configured encoder is scored on the configured index; another one on its own seed index (``var/index-ENCODER``,
    built first: the configured index is never rebuilt by a bench)."""
    env = os.environ | {"CITEQA_ENCODER": encoder}
    commands = []
    if encoder != settings.encoder:
        env["CITEQA_INDEX_DIR"] = str(REPO / "var" / f"index-{encoder}")
        commands.append(["build"])
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "eval.json"
        for command in (*commands, ["eval", "--json", str(written)]):
            child = subprocess.run([sys.executable, "-m", "service.cli", *command], cwd=REPO, env=env,
                                   capture_output=True, text=True)
            if child.returncode:
                raise SystemExit(f"citeqa {command[0]} with CITEQA_ENCODER={encoder} failed:\n{child.stderr[-2000:]}")
        results = json.loads(written.read_text(encoding="utf-8"))
    return {f"{system}: {metric}": round(results[system]["summary"][metric], 3)
            for system, metric in EVAL_FIGURES if system in results}


def print_eval(figures: dict[str, dict[str, float]]) -> None:
    """The eval figures of each encoder, one column each."""
    names = list(figures)
    print(f"\n{'eval (each encoder its own calibration)':<52}" + "".join(f"{name:>14}" for name in names))
    for key in dict.fromkeys(key for row in figures.values() for key in row):
        print(f"{key:<52}" + "".join(f"{figures[name].get(key, float('nan')):>14.3f}" for name in names))


def side_by_side(encoders: list[str], runs: int, with_eval: bool, json_path: Path | None = None) -> dict:
    """``citeqa bench --encoders``: the encoders' query cost, build throughput and agreement, and (``with_eval``)
    their eval figures; printed, and written to ``json_path``."""
    from service.settings import get_settings

    settings = get_settings()
    questions = [question.question for question in load_questions()]
    passages = seed_chunks(settings.corpus_dir)
    figures = compare(load_embedders(encoders, settings), questions, passages, max(1, runs))
    print_figures(figures, len(questions), len(passages), runs)
    if with_eval:
        evaluated = {name: eval_figures(_variant(name)[0], settings) for name in encoders}
        print_eval(evaluated)
        for name, row in evaluated.items():
            figures[name]["eval"] = row
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"Figures written to {json_path}", file=sys.stderr)
    return figures


def load_embedders(encoders: list[str], settings) -> dict[str, object]:
    """An Embedder for each NAME[:THREADS] or FILE.onnx[:THREADS]."""
    from index_build.embedding import Embedder

    embedders = {}
    for text in encoders:
        encoder, threads = _variant(text)
        if encoder.endswith(".onnx"):
            embedders[text] = file_embedder(Path(encoder), settings, threads or settings.onnx_threads)
            continue
        try:
            embedders[text] = Embedder.load(settings.model, settings.model_cache_dir, encoder,
                                            threads or settings.onnx_threads)
        except ValueError as error:
            raise SystemExit(str(error)) from error
    return embedders


def _variant(text: str) -> tuple[str, int | None]:
    """'onnx:1' -> ('onnx', 1); 'torch' -> ('torch', None); '/tmp/q4.onnx:1' -> ('/tmp/q4.onnx', 1)."""
    encoder, _, threads = text.rpartition(":") if ":" in text else (text, "", "")
    if threads and not threads.isdigit():
        raise SystemExit(f"an encoder is NAME or NAME:THREADS, e.g. onnx:2 (got {text!r})")
    return encoder, int(threads) if threads else None


def file_embedder(onnx_file: Path, settings, threads: int):
    """An Embedder over any ONNX file of the configured model (the folder's tokenizer and prompts), outside the
    encoders that CITEQA_ENCODER names; its fingerprint names the file's hash."""
    import hashlib

    from index_build.e5_model import DEFAULT_MODEL_NAME, ensure_e5_small
    from index_build.embedding import Embedder
    from index_build.onnx_encoder import OnnxEncoder

    if not onnx_file.is_file():
        raise SystemExit(f"{onnx_file}: no such ONNX file")
    folder = ensure_e5_small(settings.model_cache_dir) if settings.model == DEFAULT_MODEL_NAME else Path(settings.model)
    digest = hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    return Embedder(encoder=OnnxEncoder.open(onnx_file, folder, threads), name=settings.model,
                    fingerprint=f"file:{onnx_file.name}:{digest[:8]}", encoder_name="onnx")


def main(argv: list[str] | None = None) -> int:
    """Measure the encoders named on the command line (the first is the reference)."""
    parser = argparse.ArgumentParser(prog="python -m eval.encoder_bench", description=__doc__.split("\n")[0])
    parser.add_argument("encoders", nargs="*", default=["torch", "onnx:1", "onnx:2", "onnx-int8:1", "onnx-int8:2",
                                                         "onnx-q4:1"],
                        help="NAME or NAME:THREADS (ONNX Runtime threads), NAME a CITEQA_ENCODER or an ONNX "
                        "file (FILE.onnx:1); the first is the cosines' reference")
    parser.add_argument("--runs", type=int, default=5, help="repeated runs; each figure is their median")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    side_by_side(args.encoders, args.runs, with_eval=False, json_path=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
