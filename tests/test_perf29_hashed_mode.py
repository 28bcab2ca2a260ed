"""The permission bits of a recorded output come from the fstat its hashing did (`Blobs.hashed_mode`), not
from a second stat of the file: once per hashing, and an executable output is still restored executable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentmake.store import Store, TaskRecord


def test_a_hashed_output_is_recorded_without_a_stat_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / ".a.agentmake-tmp-1"
    src.write_bytes(b"#!/bin/sh\necho hi\n")
    src.chmod(0o751)
    statted: list[str] = []
    real_stat = os.stat

    def counting_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path) == os.fspath(src):
            statted.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    with Store.open(tmp_path) as store:
        digest, _ = store.hash_and_store_blob(src)  # as a worker does
        monkeypatch.setattr(os, "stat", counting_stat)
        store.record_success(TaskRecord("t", "key1", {}, {"a": digest}, run_id=store.begin_run()), {"a": src})
        monkeypatch.undo()
        assert statted == []
        assert store.cache_modes("key1") == {"a": 0o751}


def test_the_hashed_mode_is_taken_once_then_the_file_is_asked(tmp_path: Path) -> None:
    src = tmp_path / "out.txt"
    src.write_bytes(b"x\n")
    src.chmod(0o640)
    with Store.open(tmp_path) as store:
        store.hash_and_store_blob(src)
        src.chmod(0o755)
        assert store.cache.hashed_mode(src) == 0o640  # (what the hashing read)
        assert store.cache.hashed_mode(src) == 0o755  # (nothing kept: the file itself)
        src.unlink()
        assert store.cache.hashed_mode(src) == 0
