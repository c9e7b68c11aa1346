"""Every regular expression of index_build that reads a report's text takes time linear in the text's length.

The patterns are found, not listed: every compiled pattern a module holds (at module level, in its tuples, lists
and dicts, in its classes), for every module of index_build that imports ``re``, but the few listed in
:data:`NOT_REPORT_TEXT`; a module may not call ``re`` inside a function (the pattern would escape this
enumeration) but in the :data:`PATTERN_BUILDERS`, tried with sample arguments. Each pattern is searched
(``finditer``: every start, as ``search``, ``sub``, ``split`` and ``findall`` do) in adversarial texts: long
runs of what it consumes (spaces, dots, hyphens, brackets, "<!--", digits, capitals, its own literal words, a
mix of its characters; or spaces, dots, hyphens after one of its literals and a word), with and without an end
that makes it fail. The texts that cost most at 4 KB are then timed at 10 KB (best of three) and 100 KB: ten times
the text must cost about ten times the time, not a hundred.
"""

from __future__ import annotations

import ast
import gc
import importlib
import random
import re
import re._constants as sre_constants
import re._parser as sre_parse
import signal
import time
from pathlib import Path

import pytest

import index_build

PACKAGE = Path(index_build.__file__).parent

#: Modules that hold patterns which never read a report's text, and why.
NOT_REPORT_TEXT = {
    "store.postgres.schema": "database addresses (the secrets to hide in them)",
    "corpus": "file names made into report ids",
    "machine_translation": "texts cut to MAX_CHARS (2 000 characters) first, and Apertium's answers to them",
}
#: Functions that compile a pattern from their arguments (the only calls of ``re`` inside a function), with
#: arguments to try them with.
PATTERN_BUILDERS = {
    ("speaker_layout", "_credit_label_re"): [()],
    ("speaker_styles", "full_name_pattern"): [("Diallo",), ("Thomas-Greenfield",)],
}
RE_FUNCTIONS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}

GENERIC_UNITS = [" ", "\n", "\t", "\x1f", ".", ". ", " .", "-", " -", "a-", "—", "•", "[", "]", "![", "](", "(", ")",
                 "<!--", "-->", "0", "1 ", "1.", "a", "A", "É", "a ", "Ab ", "A. ", "A, ", "a.", ",", ", ", "’", "'",
                 "#", "*", "_", "\\", ":", "x:", "é"]
ENDINGS = ["", "x", "."]  # the run ends the text, or something the pattern does not expect ends it
HEAD_RUNS = [" ", "\t", ".", "-"]  # runs after one of the pattern's literals and a word ("# a" + spaces + "x")
HEADS = 6  # the pattern's longest literals open texts of HEAD_RUNS
SCREEN_CHARS, SMALL_CHARS, LARGE_CHARS = 4_000, 10_000, 100_000
WORST_INPUTS = 3  # the inputs costing most at 4 KB are the ones timed at 10 and 100 KB
MAX_RATIO = 30  # linear: 10; quadratic: 100
FLOOR_S = 0.0005  # a 10 KB run faster than this counts as this (timer and scheduler noise on tiny times)


def imports_re(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Import) and any(alias.name == "re" for alias in node.names)
               or isinstance(node, ast.ImportFrom) and node.module == "re" for node in ast.walk(tree))


def text_module_names() -> list[str]:
    """The modules of index_build that use regular expressions over report text."""
    names = [".".join(path.relative_to(PACKAGE).with_suffix("").parts) for path in sorted(PACKAGE.rglob("*.py"))
             if path.name != "__init__.py" and imports_re(path)]
    return sorted(name for name in names if name not in NOT_REPORT_TEXT)


def _collect(value, name: str, found: dict, depth: int = 0) -> None:
    if isinstance(value, re.Pattern):
        found.setdefault((value.pattern, value.flags), (name, value))
    elif depth < 2 and isinstance(value, (tuple, list, set, frozenset)):
        for index, item in enumerate(value):
            _collect(item, f"{name}[{index}]", found, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for key, item in value.items():
            _collect(item, f"{name}[{key!r}]", found, depth + 1)


def text_patterns() -> list[tuple[str, re.Pattern]]:
    """(where, pattern) for every distinct pattern of the text modules and of their pattern builders."""
    found: dict = {}
    for module_name in text_module_names():
        module = importlib.import_module(f"index_build.{module_name}")
        for attribute, value in vars(module).items():
            _collect(value, f"{module_name}.{attribute}", found)
            if isinstance(value, type) and value.__module__ == module.__name__:
                for class_attribute, inner in vars(value).items():
                    _collect(inner, f"{module_name}.{attribute}.{class_attribute}", found)
    for (module_name, function), samples in PATTERN_BUILDERS.items():
        builder = getattr(importlib.import_module(f"index_build.{module_name}"), function)
        for sample in samples:
            _collect(builder(*sample), f"{module_name}.{function}{sample!r}", found)
    return sorted(found.values(), key=lambda item: item[0])


def calls_of_re_in_functions(module_name: str) -> list[str]:
    """``re.<function>(...)`` calls inside function bodies of a module, but in its pattern builders."""
    tree = ast.parse((PACKAGE / f"{module_name}.py").read_text(encoding="utf-8"))
    wrong = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if (module_name, getattr(function, "name", "")) in PATTERN_BUILDERS:
            continue
        for node in ast.walk(function):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RE_FUNCTIONS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
                wrong.append(f"{module_name}.py:{node.lineno} re.{node.func.attr}")
    return wrong


def literal_units(pattern: re.Pattern, limit: int = 24) -> list[str]:
    """Runs of literal characters the pattern spells out ("Mme", " de la ", "<!--"), a sample of them."""
    literals: set[str] = set()

    def walk(items) -> None:
        run = ""
        for op, value in items:
            if op is sre_constants.LITERAL:
                run += chr(value)
                continue
            if run:
                literals.add(run)
                run = ""
            if op is sre_constants.SUBPATTERN:
                walk(value[-1])
            elif op is sre_constants.BRANCH:
                for branch in value[1]:
                    walk(branch)
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
                walk(value[2])
            elif op is sre_constants.ATOMIC_GROUP:
                walk(value)
            elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                walk(value[1])
            elif op is sre_constants.IN:
                for kind, member in value:
                    if kind is sre_constants.LITERAL:
                        literals.add(chr(member))
                    elif kind is sre_constants.RANGE:
                        literals.add(chr(member[0]))
        if run:
            literals.add(run)

    walk(sre_parse.parse(pattern.pattern, pattern.flags))
    ordered = sorted(literals, key=lambda text: (len(text), text))
    step = max(1, len(ordered) // limit)
    return ordered[::step][:limit]


def adversarial_units(pattern: re.Pattern) -> list[str]:
    """What the texts are made of: runs of generic characters, of the pattern's literals (alone and followed by
    a space) and of two random mixes of its characters."""
    literals = literal_units(pattern)
    characters = sorted(set("".join(literals)) | {" ", ".", "-"})
    rng = random.Random(pattern.pattern)
    mixes = ["".join(rng.choice(characters) for _ in range(32)) for _ in range(2)]
    return list(dict.fromkeys(GENERIC_UNITS + literals + [literal + " " for literal in literals] + mixes))


def adversarial_inputs(pattern: re.Pattern) -> list[tuple[str, str, str]]:
    """(head, unit, ending) of each text: runs of the adversarial units, and runs opened by a literal of the
    pattern and a word (what a lazy group and the spaces after it both take)."""
    heads = sorted(literal_units(pattern), key=len)[-HEADS:]
    return ([("", unit, ending) for unit in adversarial_units(pattern) for ending in ENDINGS]
            + [(head + gap + "a", run, ending) for head in heads for gap in ("", " ") for run in HEAD_RUNS
               for ending in ("", "x")])


def made_of(head: str, unit: str, ending: str, chars: int) -> str:
    return head + unit * (chars // len(unit) + 1) + ending


class TooSlow(Exception):
    pass


def _stop(*_) -> None:
    raise TooSlow


def search_time(pattern: re.Pattern, text: str, limit_s: float) -> float:
    """CPU seconds of this thread to find every match of a pattern in a text, the garbage collector off (other
    processes on the machine and the collections of a big heap do not count); ``float("inf")`` past ``limit_s``
    (the regular expression engine checks for signals: a CPU-time alarm stops it)."""
    previous = signal.signal(signal.SIGVTALRM, _stop)
    collecting = gc.isenabled()
    gc.disable()
    signal.setitimer(signal.ITIMER_VIRTUAL, limit_s)
    started = time.thread_time()
    try:
        for _ in pattern.finditer(text):
            pass
        return time.thread_time() - started
    except TooSlow:
        return float("inf")
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        if collecting:
            gc.enable()


def growth(pattern: re.Pattern, head: str, unit: str, ending: str) -> tuple[float, float]:
    """(best of three at 10 KB, best of up to three at 100 KB: a run within the bound stops the tries)."""
    small = min(search_time(pattern, made_of(head, unit, ending, SMALL_CHARS), 10) for _ in range(3))
    if small == float("inf"):  # past 10 s at 10 KB already
        return small, small
    bound = MAX_RATIO * max(small, FLOOR_S)
    large = float("inf")
    for _ in range(3):  # tried again only when just past the bound (noise), not when stopped far past it
        large = min(large, search_time(pattern, made_of(head, unit, ending, LARGE_CHARS), 2 * bound))
        if large < bound or large == float("inf"):
            break
    return small, large


def worst_inputs(pattern: re.Pattern) -> list[tuple[str, str, str]]:
    """The (head, unit, ending) whose 4 KB texts cost the pattern most."""
    timed = [(search_time(pattern, made_of(*made, SCREEN_CHARS), 5), made) for made in adversarial_inputs(pattern)]
    timed.sort(key=lambda item: item[0], reverse=True)
    return [made for _, made in timed[:WORST_INPUTS]]


PATTERNS = text_patterns()


def test_the_modules_left_out_exist_and_use_patterns():
    for name in NOT_REPORT_TEXT:
        assert imports_re(PACKAGE.joinpath(*name.split(".")).with_suffix(".py")), name


def test_the_patterns_of_every_text_module_are_found():
    expected = {"cleaning", "reading", "text", "language", "speaker_names", "speaker_transcripts"}
    assert expected <= set(text_module_names())
    assert {where.split(".")[0] for where, _ in PATTERNS} == set(text_module_names())  # each holds patterns of its own
    assert len(PATTERNS) > 150


def test_no_text_module_calls_re_inside_a_function():
    """A pattern made inside a function would escape the enumeration: they are module constants."""
    wrong = [call for name in text_module_names() for call in calls_of_re_in_functions(name)]
    assert wrong == []


@pytest.mark.parametrize("where, pattern", PATTERNS, ids=[where for where, _ in PATTERNS])
def test_pattern_is_linear_on_adversarial_text(where, pattern):
    for head, unit, ending in worst_inputs(pattern):
        small, large = growth(pattern, head, unit, ending)
        assert large < MAX_RATIO * max(small, FLOOR_S), (f"{where} on {head!r} + {unit!r} * n + {ending!r}: "
                                                         f"{small * 1000:.2f} ms at 10 KB, {large * 1000:.1f} ms at 100 KB")
