"""Print eval results as tables: systems side by side, breakdowns, failed questions."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from eval.runner import QuestionResult, summarise

HEADLINE = ("accuracy@1", "accuracy@3", "accuracy@5", "MRR@10", "nDCG@10", "recall@5", "page_accuracy",
            "speaker_recall@5", "speaker_mention@5", "abstention", "false_abstention", "chars@5", "latency_p50_ms",
            "latency_p95_ms")
BREAKDOWN = ("accuracy@5", "MRR@10", "speaker_recall@5")
SET_BREAKDOWN = ("accuracy@5", "MRR@10", "page_accuracy", "speaker_recall@5", "abstention", "false_abstention")
GROUPINGS = (("lang", "question language"), ("pairing", "question vs report language"), ("kind", "kind"),
             ("document_id", "report"))


def _cell(value: float | None, name: str) -> str:
    if value is None:
        return "–"
    if name.startswith(("chars", "latency")):
        return f"{value:.0f}"
    return f"{value:.3f}"


def print_report(runs: dict[str, list[QuestionResult]], console: Console | None = None, failures_of: str | None = None) -> None:
    """Overall table, breakdown by language and kind, and the questions the main system failed."""
    console = console or Console(width=160)
    systems = list(runs)
    n = len(next(iter(runs.values())))
    overall = Table(title=f"citeqa eval — {n} questions", title_justify="left")
    overall.add_column("metric")
    for system in systems:
        overall.add_column(system, justify="right")
    summaries = {system: summarise(results) for system, results in runs.items()}
    for name in HEADLINE:
        overall.add_row(name, *(_cell(summaries[s].get(name), name) for s in systems))
    console.print(overall)

    groups = Table(title="by language and kind", title_justify="left")
    groups.add_column("group")
    groups.add_column("n", justify="right")
    for system in systems:
        for name in BREAKDOWN:
            groups.add_column(f"{system}\n{name}", justify="right")
    first = runs[systems[0]]
    keys = [("lang", v) for v in sorted({r.lang for r in first})] + [("kind", v) for v in dict.fromkeys(r.kind for r in first)]
    for attribute, value in keys:
        cells = []
        for system in systems:
            summary = summarise([r for r in runs[system] if getattr(r, attribute) == value])
            cells += [_cell(summary.get(name), name) for name in BREAKDOWN]
        count = sum(1 for r in first if getattr(r, attribute) == value)
        groups.add_row(f"{attribute}={value}", str(count), *cells)
    console.print(groups)

    system = failures_of or systems[-1]
    _print_failures(console, runs[system], system)


def print_sets(sets: dict[str, list[QuestionResult]], title: str, console: Console | None = None) -> None:
    """Question sets scored by one system on one index: the overall table, then each set by question
    language, by same- or other-language report, by kind and by report; then the failed questions."""
    console = console or Console(width=160)
    overall = Table(title=title, title_justify="left")
    overall.add_column("metric")
    for name, results in sets.items():
        overall.add_column(f"{name} ({len(results)})", justify="right")
    summaries = {name: summarise(results) for name, results in sets.items()}
    for metric in HEADLINE:
        overall.add_row(metric, *(_cell(summaries[name].get(metric), metric) for name in sets))
    console.print(overall)
    for name, results in sets.items():
        table = Table(title=f"{name}: by group", title_justify="left")
        for column in ("group", "n", *SET_BREAKDOWN):
            table.add_column(column, justify="left" if column == "group" else "right")
        for attribute, label in GROUPINGS:
            for value in sorted({getattr(r, attribute) for r in results if getattr(r, attribute)}):
                group = [r for r in results if getattr(r, attribute) == value]
                summary = summarise(group)
                table.add_row(f"{label}: {value}", str(len(group)), *(_cell(summary.get(m), m) for m in SET_BREAKDOWN))
        console.print(table)
    for name, results in sets.items():
        _print_failures(console, results, name)


COMPARED = ("accuracy@5", "MRR@10", "speaker_recall@5", "page_accuracy", "abstention", "false_abstention", "chars@5")


def print_fold_comparison(schemes: dict[str, dict[str, list[QuestionResult]]], console: Console | None = None,
                          title: str = "held-out figures by fold scheme") -> None:
    """Held-out figures of several fold schemes (e.g. folds of questions against folds of reports) side by
    side, for each question set: overall, by question language, and same- against other-language."""
    console = console or Console(width=160)
    table = Table(title=title, title_justify="left")
    table.add_column("set / group")
    table.add_column("n", justify="right")
    for scheme in schemes:
        for metric in ("accuracy@5", "MRR@10"):
            table.add_column(f"{scheme}\n{metric}", justify="right")
    first = next(iter(schemes.values()))
    for name, results in first.items():
        groups = [("all", lambda r: True)]
        groups += [(f"lang={v}", lambda r, v=v: r.lang == v) for v in sorted({r.lang for r in results})]
        groups += [(f"{v}-language", lambda r, v=v: r.pairing == v) for v in ("same", "other")]
        for label, keep in groups:
            members = [r for r in results if keep(r)]
            if not members:
                continue
            cells = []
            for sets in schemes.values():
                summary = summarise([r for r in sets[name] if keep(r)])
                cells += [_cell(summary.get(metric), metric) for metric in ("accuracy@5", "MRR@10")]
            table.add_row(f"{name}: {label}", str(len(members)), *cells)
        for metric in COMPARED[2:]:
            values = [summarise(sets[name]).get(metric) for sets in schemes.values()]
            if any(value is not None for value in values):
                table.add_row(f"{name}: {metric}", "", *(cell for value in values for cell in (_cell(value, metric), "")))
    console.print(table)


def _print_failures(console: Console, results: list[QuestionResult], system: str) -> None:
    failed = [r for r in results if r.metrics.get("accuracy@5") == 0.0 or r.metrics.get("abstention") == 0.0
              or r.metrics.get("false_abstention") == 1.0]
    console.print(f"\n[bold]{len(failed)} questions failed with {system}[/bold] "
                  "(no supporting passage in the top 5, or a wrong abstention):")
    for result in failed:
        console.print(f"- {result.id} [{result.lang}/{result.kind}] {result.question}\n"
                      f"    top passage: {result.top_passage[:160]!r}")
