"""Faults of the index folder, with real files: damaged files in the current version, a disk that fills
during a write (ENOSPC at a flush, injected), a read-only file system. Each leaves the current version
as it was, or is refused with a message that names the file and says how to recover."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from index_build.store.folder import versions as index_store
from index_build.store.folder.writer import write_version
from index_build.store.folder.versions import Chunk, current_path, load_version, writer_lock
from index_build.store.base import IndexProblem
from index_build.vocabulary import Vocabulary

TEXTS = {"doc": "Premier paragraphe.\n\nSecond paragraphe, plus long.", "other": "Un autre rapport, en bref."}


def write(index_dir: Path) -> Path:
    """A small real version: two documents, three chunks, sentence vectors and a vocabulary (8-d)."""
    chunks = [Chunk(0, "doc", 1, 0, 19, "Premier paragraphe.", [{"name": "Ada Lovelace", "role": "", "organisation": ""}],
                    [[0, 19, 0]]),
              Chunk(1, "doc", 2, 21, 50, "Second paragraphe, plus long.", [], [[21, 50, 1]]),
              Chunk(2, "other", 1, 0, 26, "Un autre rapport, en bref.")]
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    manifest = {"model": {"name": "m", "fingerprint": "f1", "dimension": 8},
                "documents": [{"id": "doc", "title": "Doc", "content_hash": "abc", "pages": 2, "chunks": 2},
                              {"id": "other", "title": "Other", "content_hash": "def", "pages": 1, "chunks": 1}]}
    words = Vocabulary([("paragraphe", "fr"), ("rapport", "fr")], np.eye(2, 8, dtype=np.float32))
    with writer_lock(index_dir):
        return write_version(index_dir, manifest, vectors, chunks, TEXTS, vectors[:2].copy(), words)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    """An index folder with two good versions; ``current`` is the newer one."""
    index_dir = tmp_path_factory.mktemp("two-versions") / "index"
    write(index_dir)
    write(index_dir)
    return index_dir


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[:len(data) // 2])
    elif how == "emptied":
        path.write_bytes(b"")
    else:  # garbled: the middle third of its bytes flipped, the size unchanged
        third = max(len(data) // 3, 1)
        path.write_bytes(data[:third] + bytes(b ^ 0xFF for b in data[third:2 * third]) + data[2 * third:])


def files_of_current(index_dir: Path) -> list[str]:
    """The files the current version is made of, relative to the index folder: its manifest and the files
    of each segment it lists (but their descriptions, which a load does not read)."""
    current = current_path(index_dir)
    manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
    names = [str((current / "manifest.json").relative_to(index_dir))]
    for entry in manifest["segments"]:
        folder = index_dir / "segments" / entry["id"]
        names += sorted(str(p.relative_to(index_dir)) for p in folder.rglob("*")
                        if p.is_file() and p.name != "segment.json")
    return names


@pytest.mark.parametrize("how", ["truncated", "emptied", "garbled"])
def test_a_damaged_file_is_refused_by_name_with_how_to_recover(two_versions, tmp_path, how):
    versions = sorted(p.name for p in (two_versions / "versions").iterdir())
    names = files_of_current(two_versions)
    assert len(names) >= 7  # manifest, vectors, chunks, sentences, vocabulary (2), texts
    for name in names:
        index_dir = tmp_path / f"{how}-{name.replace('/', '-')}"
        shutil.copytree(two_versions, index_dir, symlinks=True)  # copying two small versions costs nothing
        damage(index_dir / name, how)

        with pytest.raises(IndexProblem) as refused:
            load_version(index_dir)
        message = str(refused.value)
        shown = name if name.startswith("segments/") else Path(name).name
        assert shown in message and "`citeqa build`" in message, (name, message)
        command = re.search(r"`(ln -sfn [^`]+)`", message)
        assert command, message  # the previous version is named, with the command that serves it again
        subprocess.run(command.group(1).split(), check=True)
        assert load_version(index_dir).version == versions[0], (name, message)


def test_a_version_written_without_checksums_still_loads(tmp_path):
    path = write(tmp_path)
    manifest = (path / "manifest.json").read_text(encoding="utf-8")
    (path / "manifest.json").write_text(re.sub(r',\s*"checksums": \{[^}]*\}', "", manifest), encoding="utf-8")
    assert "checksums" not in load_version(tmp_path).manifest


def test_disk_full_at_any_flush_leaves_the_current_version(tmp_path, monkeypatch):
    """ENOSPC where a full disk reports it on ext4 and XFS (delayed allocation): at fsync. Each flush of
    a write fails in turn; the flush of the index folder after the switch cannot undo the switch."""
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))
    write(tmp_path / "count")
    flushes = len(calls)  # every file and folder of a version, the versions folder, the index folder
    assert flushes >= 10

    good_dir = tmp_path / "good"
    good = write(good_dir)
    for failing in range(flushes):
        index_dir = tmp_path / f"full-{failing}"
        shutil.copytree(good_dir, index_dir, symlinks=True)
        calls.clear()

        def fsync(fd, failing=failing):
            calls.append(fd)
            if len(calls) - 1 == failing:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
        if failing == flushes - 1:  # after the switch: the new version is current, nothing is rolled back
            assert write(index_dir) == current_path(index_dir) and load_version(index_dir)
            continue
        with pytest.raises(IndexProblem, match=f"No space left on device.*current version is still {good.name}"):
            write(index_dir)
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert current_path(index_dir).name == good.name, failing
        assert sorted(p.name for p in (index_dir / "versions").iterdir()) == [good.name], failing  # nothing left
        assert sorted(p.name for p in (index_dir / "segments").iterdir()) == sorted(
            p.name for p in (good_dir / "segments").iterdir()), failing
        assert not list(index_dir.glob(".current-*")), failing
        load_version(index_dir)


def test_a_read_only_index_folder_is_refused_before_anything_changes(tmp_path, tmpfs):
    folder = tmpfs(1 << 20)
    good = write(folder / "index")
    tmpfs.read_only(folder)
    with pytest.raises(IndexProblem, match="writer lock .* cannot be opened \\(Read-only file system\\)"):
        write(folder / "index")
    assert load_version(folder / "index").path == good


def test_a_read_only_versions_folder_fails_the_write_with_a_clear_message(tmp_path, tmpfs):
    index_dir = tmp_path / "index"
    good = write(index_dir)
    tmpfs.bind_read_only(index_dir / "versions")  # the lock can be taken, the new version cannot be written
    with pytest.raises(IndexProblem, match=f"Read-only file system.*current version is still {good.name}"):
        write(index_dir)
    assert current_path(index_dir) == good and not list(index_dir.glob(".current-*"))
    load_version(index_dir)


def test_a_damaged_segment_that_every_version_shares_asks_for_a_rebuild(tmp_path, small_versions):
    first = small_versions.commit(None, add=["a", "b"])
    small_versions.commit(first, add=["c"])  # the second version keeps the first one's segment
    shared = small_versions.index_dir / "segments" / first.segments[0].id / "chunk_vectors.npy"
    damage(shared, "garbled")
    with pytest.raises(IndexProblem) as refused:
        load_version(small_versions.index_dir)
    message = str(refused.value)
    assert f"segments/{first.segments[0].id}/chunk_vectors.npy" in message
    assert "ln -sfn" not in message and "Rebuild it: `citeqa build` (no earlier version is whole)" in message
