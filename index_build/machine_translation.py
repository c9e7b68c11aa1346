"""Machine translation of short texts (questions) between the registry's languages with Apertium.

Each Apertium mode runs as one persistent pipeline in null-flush mode, started on first use: a request is one
line of text followed by a NUL byte, its translation comes back up to the next NUL. ``apertium -z`` itself
cannot be kept open (its text deformatter, ``apertium-destxt``, does not flush on NUL), so the pipeline is the
mode's own stages with ``-z`` (as ``apertium-wblank-mode -z`` writes them), and the deformatting that
``apertium-destxt`` / ``apertium-retxt`` do for plain text is done here. A pair without a mode of its own goes
through one pivot language (English <-> French through Spanish).

Every call has a deadline: a pipeline that misses it is killed (its whole process group) and started again on
the next call; one found dead is started again. A failed call returns None: the caller goes without.
"""

from __future__ import annotations

import atexit
import os
import re
import select
import shutil
import signal
import subprocess
import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Protocol

from index_build.language import LANGUAGES

MODES_DIR = Path("/usr/share/apertium/modes")
MAX_CHARS = 2000  # longer texts are cut: one request is one question or one short passage
_MODE_NAME = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")  # "eng-spa"; not "spa-eng_US" nor "eco-es-fr"
_SPECIAL = re.compile(r"([\\\[\]^$/@<>{}])")  # what apertium-destxt escapes
_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]+")
_STREAM_TOKEN = re.compile(r"\\(.)|\[((?:\\.|[^\]\\])*)\]|([^\\\[]+)|(.)", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


class Translator(Protocol):
    """What citeqa asks of a machine translator."""

    def routes(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(source, target) language codes -> the chain of engine steps that translates between them."""

    def can_translate(self, source: str, target: str) -> bool:
        """True when a route leads from source to target."""

    def translate(self, text: str, source: str, target: str) -> str | None:
        """The translation, or None when the route is missing, times out or fails."""

    def translate_many(self, texts: Iterable[str], source: str, target: str) -> list[str | None]:
        """:meth:`translate` for each text, in order."""

    def close(self) -> None:
        """Stop whatever the translator runs."""

    def describe(self) -> dict:
        """What /health shows of the translator."""


def sanitise(text: str) -> str:
    """One line of at most MAX_CHARS characters: no NUL or control characters, whitespace collapsed."""
    return _CONTROL.sub(" ", text).strip()[:MAX_CHARS].strip()


def to_stream(text: str) -> str:
    """Plain text -> Apertium stream format, as apertium-destxt writes it (with its closing ".[]")."""
    return _SPECIAL.sub(r"\\\1", text).replace("~", "[~]") + ".[]"


def from_stream(stream: str) -> str:
    """Apertium stream format -> plain text, as apertium-retxt reads it (the closing "." dropped)."""
    if stream.endswith(".[]"):
        stream = stream[:-3]
    parts = []
    for escaped, blank, plain, stray in _STREAM_TOKEN.findall(stream):
        parts.append(escaped or (_UNESCAPE.sub(r"\1", blank) if blank else plain or stray))
    return " ".join("".join(parts).split())


def mode_routes(modes_dir: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    """Routes between the registry's languages through the mode files of modes_dir: direct, or via one pivot."""
    names = {name: code for code, language in LANGUAGES.items() for name in (code, *language.apertium_codes)}
    direct: dict[tuple[str, str], str] = {}
    for mode in sorted(modes_dir.glob("*.mode")) if modes_dir.is_dir() else []:
        match = _MODE_NAME.match(mode.stem)
        pair = (names.get(match[1]), names.get(match[2])) if match else (None, None)
        if None not in pair and pair[0] != pair[1]:
            direct.setdefault(pair, mode.stem)
    routes = {pair: (mode,) for pair, mode in direct.items()}
    for source in LANGUAGES:
        for target in LANGUAGES:
            if source == target or (source, target) in routes:
                continue
            for pivot in LANGUAGES:
                if (source, pivot) in direct and (pivot, target) in direct:
                    routes[(source, target)] = (direct[(source, pivot)], direct[(pivot, target)])
                    break
    return dict(sorted(routes.items()))


class Pipeline:
    """One Apertium mode kept running in null-flush mode; one request at a time."""

    def __init__(self, mode_file: Path):
        self.mode_file = mode_file
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._stages: str | None = None
        self._serial = 0

    @property
    def pid(self) -> int | None:
        """The pipeline's process (the leader of its process group), None when not running."""
        return self.process.pid if self.process else None

    def _start(self) -> None:
        if self._stages is None:  # the mode's stages, each with -z
            self._stages = subprocess.run(["apertium-wblank-mode", "-z", str(self.mode_file)], capture_output=True,
                                          text=True, timeout=10, check=True).stdout.strip()
        # $1 = -n: no unknown-word marks (as apertium -u); $2: the tagger's option, none
        self.process = subprocess.Popen(["bash", "-c", self._stages, "apertium", "-n", ""], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env={**os.environ, "LC_ALL": "C.UTF-8"}, start_new_session=True)
        self.starts += 1

    def stop(self, graceful: bool = False) -> None:
        """End the pipeline: gracefully, its input closed so that every stage ends; else its process group killed."""
        process, self.process = self.process, None
        if process is None:
            return
        if graceful:
            try:
                process.stdin.close()
                process.wait(timeout=1)  # bash returns once every stage has ended
            except (OSError, subprocess.TimeoutExpired):
                pass
        if process.poll() is None or not graceful:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the leader is not reaped yet: its group id is still ours
            except (ProcessLookupError, PermissionError):
                pass
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        process.wait()

    def run(self, text: str, deadline: float) -> str | None:
        """Translate one sanitised line by the deadline (time.monotonic()); None on timeout or failure."""
        with self.lock:
            for _ in range(2):  # a pipeline found dead mid-call is started again once
                fresh = self.process is None or self.process.poll() is not None
                try:
                    if fresh:
                        self.stop()
                        self._start()
                    return self._exchange(text, deadline)
                except TimeoutError:  # before OSError, of which it is a kind
                    self.stop()
                    return None
                except (OSError, EOFError, ValueError, subprocess.SubprocessError):
                    self.stop()
                    if fresh:
                        return None
            return None

    def _exchange(self, text: str, deadline: float) -> str:
        self._serial += 1
        marker = f"[<{self._serial}>]"  # a superblank Apertium passes through: proves the answer is this request's
        self.process.stdin.write((marker + to_stream(text) + "\0").encode("utf-8", "replace"))
        self.process.stdin.flush()
        out = self.process.stdout.fileno()
        received = bytearray()
        while b"\0" not in received:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([out], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(out, 65536)
            if not chunk:
                raise EOFError("the pipeline closed its output")
            received += chunk
        answer, _, rest = bytes(received).partition(b"\0")
        stream = answer.decode("utf-8", "replace")
        if rest or marker not in stream:
            raise ValueError("the pipeline's answer belongs to another request")
        return from_stream(stream.replace(marker, "", 1).strip())


class ApertiumTranslator:
    """Translator over Apertium's installed modes, with an LRU cache of translations."""

    def __init__(self, modes_dir: Path = MODES_DIR, timeout_s: float = 2.0, cache_size: int = 4096):
        self.modes_dir = Path(modes_dir)
        self.timeout_s = timeout_s
        self.cache_size = cache_size
        self._routes = mode_routes(self.modes_dir)
        self.pipelines = {mode: Pipeline(self.modes_dir / f"{mode}.mode")
                          for chain in self._routes.values() for mode in chain}
        self._cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._lock = threading.Lock()  # the cache and the counters
        self.cache_hits = 0
        self.pipeline_calls = 0  # requests sent to a pipeline (one per step of a route)
        self.failures = 0
        _LIVE.add(self)

    def routes(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(source, target) -> the chain of Apertium modes, e.g. ("en", "fr") -> ("eng-spa", "es-fr")."""
        return dict(self._routes)

    def can_translate(self, source: str, target: str) -> bool:
        """True when a route leads from source to target."""
        return (source, target) in self._routes

    def translate(self, text: str, source: str, target: str) -> str | None:
        """The translation of text (sanitised), None when the route is missing, times out or fails."""
        chain = self._routes.get((source, target))
        line = sanitise(text)
        if chain is None or not line:
            return None if chain is None else ""
        key = (line, source, target)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return self._cache[key]
        deadline = time.monotonic() + self.timeout_s
        result: str | None = line
        for mode in chain:
            with self._lock:
                self.pipeline_calls += 1
            result = self.pipelines[mode].run(result, deadline)
            if result is None:
                with self._lock:
                    self.failures += 1
                return None
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def translate_many(self, texts: Iterable[str], source: str, target: str) -> list[str | None]:
        """:meth:`translate` for each text, in order."""
        return [self.translate(text, source, target) for text in texts]

    def close(self) -> None:
        """Stop every pipeline (one used again afterwards starts again)."""
        for pipeline in self.pipelines.values():
            with pipeline.lock:
                pipeline.stop(graceful=True)

    def describe(self) -> dict:
        """Enabled, routes ("en>fr"), their chains, running pipelines, cache and failure counts."""
        return {"enabled": True, "engine": "apertium", "modes_dir": str(self.modes_dir),
                "routes": [f"{source}>{target}" for source, target in self._routes],
                "chains": {f"{source}>{target}": ">".join(chain) for (source, target), chain in self._routes.items()},
                "running": sorted(mode for mode, pipeline in self.pipelines.items() if pipeline.process),
                "timeout_s": self.timeout_s, "cache_size": self.cache_size, "cached": len(self._cache),
                "cache_hits": self.cache_hits, "pipeline_calls": self.pipeline_calls, "failures": self.failures}


def available_translator(modes_dir: Path = MODES_DIR, timeout_s: float = 2.0) -> Translator | None:
    """The Apertium translator when its programs and at least one route are installed, else None."""
    if not all(shutil.which(program) for program in ("apertium", "apertium-wblank-mode", "bash")):
        return None
    if not mode_routes(Path(modes_dir)):
        return None
    return ApertiumTranslator(modes_dir, timeout_s=timeout_s)


_LIVE: weakref.WeakSet[ApertiumTranslator] = weakref.WeakSet()
_SHARED: list[Translator | None] = []
_SHARED_LOCK = threading.Lock()


def shared_translator() -> Translator | None:
    """The process's one translator over the installed modes (built at the first call), None when none is."""
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(available_translator())
        return _SHARED[0]


@atexit.register
def _close_all() -> None:
    """Stop the pipelines of every translator still alive when the interpreter exits."""
    for translator in list(_LIVE):
        translator.close()
