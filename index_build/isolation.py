"""Reading and preparing a report in a child process, with a time limit, a memory limit and pypdf's page limit.

A crafted file can make a parser run for ever or take all the memory; read in a child, it can only
take its own: past the limits the child is stopped and the report refused with a message, while the
process that asked (a server answering questions) goes on. Everything done with the report's text (reading,
cleaning, chunking, speakers, sentences: :func:`index_build.preparation.prepare_text`) happens there, for an
upload, ``citeqa add`` and every rebuild alike.
"""

from __future__ import annotations

import multiprocessing
import resource
from pathlib import Path

from index_build.preparation import PreparedText, prepare_text
from index_build.reading import UnreadableReport

READ_SECONDS = 300  # a 60-page report reads and prepares in a few seconds here
READ_MEMORY_BYTES = 4 << 30  # address space of the reading process (pypdf, the text of the report)


def prepare_text_isolated(path: Path, document_id: str, chunk_size: int, chunk_overlap: int,
                          seconds: float = READ_SECONDS, memory_bytes: int = READ_MEMORY_BYTES) -> PreparedText:
    """:func:`prepare_text` in a fresh process; UnreadableReport when it fails or passes a limit."""
    context = multiprocessing.get_context("spawn")  # no fork of a server's threads (torch, uvicorn)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_prepare_in_child,
                            args=(str(path), document_id, chunk_size, chunk_overlap, memory_bytes, sender),
                            daemon=True, name="citeqa-read")
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise UnreadableReport(f"{path.name}: reading and preparing it took longer than {seconds:.0f} s; "
                                   "the file was refused")
        outcome, value = receiver.recv()
    except EOFError:  # the child died without a word: killed for its memory, or crashed
        raise UnreadableReport(f"{path.name}: reading the file stopped its reader (more than "
                               f"{memory_bytes >> 20} MB of memory, or a crash); the file was refused") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()
    if outcome == "ok":
        return value
    raise UnreadableReport(value)


def _prepare_in_child(path: str, document_id: str, chunk_size: int, chunk_overlap: int, memory_bytes: int,
                      sender) -> None:
    """The child's side: limit its memory, read and prepare, send back the result or why not."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ValueError, OSError):  # a lower hard limit is already set: keep it
        pass
    try:
        sender.send(("ok", prepare_text(Path(path), document_id, chunk_size, chunk_overlap)))
    except UnreadableReport as error:
        sender.send(("refused", str(error)))
    except (MemoryError, ImportError):  # under the limit, loading a parser's module fails to map it too
        sender.send(("refused", f"{Path(path).name}: reading it needs more than {memory_bytes >> 20} MB of memory"))
    except Exception as error:  # any parser error is a refusal with its reason, never a crash of the caller
        sender.send(("refused", f"{Path(path).name}: not a readable report ({type(error).__name__}: {error})"))
    finally:
        sender.close()
