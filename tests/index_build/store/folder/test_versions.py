"""The on-disk format: write a version, load it back, refuse what does not agree."""

import json
import os
import sqlite3

import faiss
import numpy as np
import pytest

from index_build.store.folder.version import FORMAT_VERSION
from index_build.store.folder.segment import CHUNK_TABLE_FILE
from index_build.store.folder.writer import write_version
from index_build.store.folder.versions import Chunk, current_path, load_previous, load_version, remove_unused, writer_lock
from index_build.store.base import IndexProblem

HALF = 1e-3  # vectors are stored in float16 (about 3 significant digits) and scored in float32

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
    assert version.manifest["counts"] == {"documents": 1, "chunks": 2, "sentences": 0, "segments": 1}
    assert list(version.iter_chunks()) == sample()[2] == version.chunks([0, 1])
    hits = version.search_chunks(sample()[1][0], 1, None)
    assert hits.rows[0] == 0 and hits.scores[0] == pytest.approx(1.0, abs=HALF)
    assert version.describe()["search"]["chunks"]["kind"] == "exact"  # two chunks: no approximate index
    assert not list(tmp_path.glob("**/*.pkl"))


def segment_of(path):
    """The folder of the one segment of a version."""
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return path.parent.parent / "segments" / manifest["segments"][0]["id"]


def without_checksums(path):
    """Drop the checksums of the version's segments, so that the consistency checks behind them are reached."""
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["segments"]:
        del entry["checksums"]
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def change_table(path, statement):
    with sqlite3.connect(segment_of(path) / CHUNK_TABLE_FILE) as connection:
        connection.execute(statement)
    connection.close()


def test_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexProblem, match="citeqa build"):
        load_version(tmp_path / "nothing")


def test_another_model_or_dimension_is_refused(tmp_path):
    write(tmp_path)
    with pytest.raises(IndexProblem, match="built with model 'm'"):
        load_version(tmp_path, model_name="other", fingerprint="f2", dimension=8)
    with pytest.raises(IndexProblem, match="384-d"):
        load_version(tmp_path, model_name="other", fingerprint="f1", dimension=384)


def test_a_changed_chunk_table_is_refused_as_damaged(tmp_path):
    path = write(tmp_path)
    change_table(path, "DELETE FROM chunks WHERE row = 1")
    with pytest.raises(IndexProblem, match=f"{CHUNK_TABLE_FILE} is not the file written"):
        load_version(tmp_path)


def test_a_chunk_table_that_disagrees_with_the_vectors_is_refused(tmp_path):
    path = write(tmp_path)
    without_checksums(path)
    change_table(path, "DELETE FROM chunks WHERE row = 1")
    with pytest.raises(IndexProblem, match="inconsistent"):
        load_version(tmp_path)


def test_a_span_that_does_not_match_its_text_is_refused(tmp_path):
    path = write(tmp_path)
    without_checksums(path)
    change_table(path, "UPDATE chunks SET start = start + 1 WHERE row = 1")
    with pytest.raises(IndexProblem, match="does not match"):
        load_version(tmp_path)


def test_new_version_switches_current_and_old_ones_are_cleaned(tmp_path):
    paths = [write(tmp_path, keep=2) for _ in range(4)]
    assert current_path(tmp_path) == paths[-1]
    remaining = sorted(p.name for p in (tmp_path / "versions").iterdir())
    assert remaining == sorted(p.name for p in paths[-2:])
    segments = sorted(p.name for p in (tmp_path / "segments").iterdir())  # only the segments they use are left
    assert segments == sorted(segment_of(path).name for path in paths[-2:])


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
    remove_unused(relative, keep=1)
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


def write_format_2(index_dir):
    """A version as citeqa wrote it before format 3: a FAISS flat file and a JSON-lines chunk table."""
    manifest, vectors, chunks = sample()
    chunks[1].sentences = [[21, 50, 0]]
    path = index_dir / "versions" / "20250101T000000000000Z"
    (path / "texts").mkdir(parents=True)
    (path / "texts" / "doc.txt").write_text(TEXT, encoding="utf-8")
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(8))
    index.add_with_ids(vectors, np.array([10, 11], dtype=np.int64))  # format 2 ids were not rows
    faiss.write_index(index, str(path / "vectors.faiss"))
    for chunk, chunk_id in zip(chunks, (10, 11)):
        chunk.id = chunk_id
    (path / "chunks.jsonl").write_text("".join(json.dumps(c.__dict__) + "\n" for c in chunks), encoding="utf-8")
    np.save(path / "sentences.npy", vectors[1:2])
    (path / "vocabulary.json").write_text('[["enfant", "fr"]]', encoding="utf-8")
    np.save(path / "vocabulary.npy", np.eye(1, 8, dtype=np.float16))
    manifest |= {"format_version": 2, "version": path.name, "counts": {"documents": 1, "chunks": 2}}
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (index_dir / "current").symlink_to(path.relative_to(index_dir))
    return vectors


def test_a_version_of_format_2_is_not_served_but_a_build_reuses_its_vectors(tmp_path):
    vectors = write_format_2(tmp_path)
    with pytest.raises(IndexProblem, match="format 2.*`citeqa build`: it converts it"):
        load_version(tmp_path)
    previous = load_previous(tmp_path, fingerprint="f1", dimension=8)
    chunks, chunk_vectors, sentence_vectors, text = previous.document("doc")
    assert [c.id for c in chunks] == [0, 1] and text == TEXT
    assert np.allclose(chunk_vectors, vectors, atol=HALF) and np.allclose(sentence_vectors[0], vectors[1], atol=HALF)
    assert previous.vocabulary.entries == [("enfant", "fr")]


def test_a_vocabulary_without_its_vectors_is_refused(tmp_path):
    path = write(tmp_path)
    without_checksums(path)
    (segment_of(path) / "vocabulary.json").write_text('[["enfant", "fr"]]', encoding="utf-8")
    with pytest.raises(IndexProblem, match="1 vocabulary words for 0 word vectors"):
        load_version(tmp_path)


def test_only_a_version_of_an_older_format_needs_conversion(tmp_path):
    from index_build.store.folder.versions import needs_conversion

    assert not needs_conversion(tmp_path / "nothing")
    write_format_2(tmp_path / "old")
    assert needs_conversion(tmp_path / "old")
    write(tmp_path / "new")
    assert not needs_conversion(tmp_path / "new")


def test_an_index_of_the_other_encoder_says_which_encoder_to_set(tmp_path):
    write(tmp_path)
    with pytest.raises(IndexProblem, match="CITEQA_ENCODER=onnx\\."):
        load_version(tmp_path, model_name="m", fingerprint="f1+onnx-int8:0123abcd", dimension=8)
    with pytest.raises(IndexProblem, match="CITEQA_ENCODER=onnx\\."):  # any tagged encoder's
        load_version(tmp_path, model_name="m", fingerprint="f1+onnx-q4:0123abcd", dimension=8)


def test_a_writer_gives_up_on_the_lock_at_its_deadline(tmp_path):
    import time as clock

    with writer_lock(tmp_path):
        started = clock.monotonic()
        with pytest.raises(IndexProblem, match="CITEQA_LOCK_TIMEOUT"):
            with writer_lock(tmp_path, timeout=0.5):
                pass
        assert 0.5 <= clock.monotonic() - started < 5
    with writer_lock(tmp_path, timeout=0.5):  # free again: taken at once
        pass
