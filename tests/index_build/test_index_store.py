"""The on-disk format: write a version, load it back, refuse what does not agree."""

import json
import os

import numpy as np
import pytest

from index_build.index_store import (CHUNKS_FILE, FORMAT_VERSION, Chunk, IndexProblem, _remove_old_versions,
                                     current_path, load_version, writer_lock, write_version)

TEXT = "Premier paragraphe.\n\nSecond paragraphe, plus long."


def sample(dimension=8):
    chunks = [Chunk(0, "doc", 1, 0, 19, "Premier paragraphe.", [{"name": "Ada Lovelace", "role": "", "organisation": ""}]),
              Chunk(1, "doc", 2, 21, 50, "Second paragraphe, plus long.")]
    vectors = np.random.default_rng(0).normal(size=(2, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    manifest = {"model": {"name": "m", "fingerprint": "f1", "dimension": dimension},
                "documents": [{"id": "doc", "title": "Doc", "content_hash": "abc", "pages": 2, "chunks": 2}]}
    return manifest, vectors, chunks


def write(index_dir, **kwargs):
    manifest, vectors, chunks = sample()
    with writer_lock(index_dir):
        return write_version(index_dir, manifest, vectors, chunks, {"doc": TEXT}, **kwargs)


def test_round_trip(tmp_path):
    path = write(tmp_path)
    version = load_version(tmp_path, model_name="m", fingerprint="f1", dimension=8)
    assert version.path == path == current_path(tmp_path)
    assert version.manifest["format_version"] == FORMAT_VERSION
    assert version.manifest["counts"] == {"documents": 1, "chunks": 2}
    assert version.chunks == sample()[2]
    scores, ids = version.vectors.search(sample()[1][:1], 1)
    assert ids[0][0] == 0 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    assert not list(tmp_path.glob("**/*.pkl"))


def test_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexProblem, match="citeqa build"):
        load_version(tmp_path / "nothing")


def test_another_model_or_dimension_is_refused(tmp_path):
    write(tmp_path)
    with pytest.raises(IndexProblem, match="built with model 'm'"):
        load_version(tmp_path, model_name="other", fingerprint="f2", dimension=8)
    with pytest.raises(IndexProblem, match="384-d"):
        load_version(tmp_path, model_name="other", fingerprint="f1", dimension=384)


def test_corrupt_chunk_table_is_refused(tmp_path):
    path = write(tmp_path)
    lines = (path / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()
    (path / CHUNKS_FILE).write_text(lines[0] + "\n", encoding="utf-8")
    with pytest.raises(IndexProblem, match="inconsistent"):
        load_version(tmp_path)


def test_a_span_that_does_not_match_its_text_is_refused(tmp_path):
    path = write(tmp_path)
    rows = [json.loads(line) for line in (path / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()]
    rows[1]["start"] += 1
    (path / CHUNKS_FILE).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(IndexProblem, match="does not match"):
        load_version(tmp_path)


def test_new_version_switches_current_and_old_ones_are_cleaned(tmp_path):
    paths = [write(tmp_path, keep=2) for _ in range(4)]
    assert current_path(tmp_path) == paths[-1]
    remaining = sorted(p.name for p in (tmp_path / "versions").iterdir())
    assert remaining == sorted(p.name for p in paths[-2:])


def test_a_failed_write_leaves_the_current_version(tmp_path):
    good = write(tmp_path)
    manifest, vectors, chunks = sample()
    with pytest.raises(Exception):
        with writer_lock(tmp_path):
            write_version(tmp_path, manifest, vectors[:1], chunks, {"doc": TEXT})  # one vector for two chunks
    assert current_path(tmp_path) == good
    assert [p.name for p in (tmp_path / "versions").iterdir()] == [good.name]  # no staging, no never-current version
    load_version(tmp_path)


def test_cleanup_with_a_relative_index_folder_never_removes_current(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    relative = Path("var/index")
    older = write(relative)
    write(relative)
    (relative / "current").unlink()
    (relative / "current").symlink_to(Path("versions") / older.name)  # rolled back: current is not the newest
    _remove_old_versions(relative, keep=1)
    assert current_path(relative) is not None and load_version(relative).path.name == older.name


def test_version_order_does_not_follow_a_clock_that_steps_back(tmp_path):
    first = write(tmp_path)
    future = tmp_path / "versions" / "29991231T235959000000Z"  # as if written before the clock stepped back
    future.mkdir()
    newest = write(tmp_path)
    assert newest.name > future.name and current_path(tmp_path) == newest



def test_one_writer_at_a_time(tmp_path):
    with writer_lock(tmp_path):
        pid = os.fork()
        if pid == 0:  # a second process must not get the lock
            try:
                with writer_lock(tmp_path, wait=False):
                    os._exit(1)
            except IndexProblem:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_the_vocabulary_is_stored_with_its_vectors(tmp_path):
    from index_build.vocabulary import Vocabulary

    words = Vocabulary([("enfant", "fr"), ("paragraphe", "fr")], np.eye(2, 8, dtype=np.float32))
    write(tmp_path, vocabulary=words)
    version = load_version(tmp_path, fingerprint="f1", dimension=8)
    assert version.vocabulary.entries == [("enfant", "fr"), ("paragraphe", "fr")]
    assert np.allclose(version.vocabulary.vectors, np.eye(2, 8))


def test_a_version_of_format_1_loads_without_vocabulary(tmp_path):
    path = write(tmp_path)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    (path / "manifest.json").write_text(json.dumps(manifest | {"format_version": 1}), encoding="utf-8")
    for name in ("vocabulary.json", "vocabulary.npy"):
        (path / name).unlink()
    version = load_version(tmp_path, fingerprint="f1", dimension=8)
    assert version.vocabulary.entries == [] and version.vocabulary.vectors.shape == (0, 8)


def test_a_vocabulary_without_its_vectors_is_refused(tmp_path):
    path = write(tmp_path)
    (path / "vocabulary.json").write_text('[["enfant", "fr"]]', encoding="utf-8")
    with pytest.raises(IndexProblem, match="1 vocabulary words for 0 word vectors"):
        load_version(tmp_path)
