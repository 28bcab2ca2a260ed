"""The parse cache (`~/.cache/agentmake/parsed/`, an entry per Agentfile text: every edit adds one) is
trimmed as an entry is written, at most once a day (`cachefile.trim`, its `.trimmed` marker): entries not
used for `_UNUSED` are removed, the newest `_KEEP` kept; an entry read is marked used (its mtime) at most
once a `_USED`; a start that only reads, or writes with the marker fresh, lists nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentmake import cachefile
from agentmake.syntax import parsecache
from agentmake.syntax.parser import parse_text

DAY = 24 * 3600


@pytest.fixture
def parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    directory = tmp_path / "agentmake" / "parsed"
    directory.mkdir(parents=True, mode=0o700)
    return directory


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _planted(directory: Path, count: int, age: float) -> list[Path]:
    """`count` entries as the parse cache names them, last used `age` seconds ago."""
    out = []
    for n in range(count):
        path = directory / f"{n:032x}{int(age)}.marshal"
        path.write_bytes(b"x" * 100)
        _aged(path, age)
        out.append(path)
    return out


def _store(text: str) -> Path:
    statements = parse_text(text, "Agentfile")
    parsecache.store(text, statements, warm=False)
    key = parsecache._cache_key(text)
    assert key is not None
    return Path(key)


def test_old_entries_removed_fresh_kept_as_one_is_written(parsed: Path) -> None:
    old = _planted(parsed, 300, parsecache._UNUSED + DAY)
    fresh = _planted(parsed, 20, 2 * DAY)
    written = _store("jobs = 2\n")
    assert written.exists()
    assert not any(p.exists() for p in old)
    assert all(p.exists() for p in fresh)
    assert (parsed / ".trimmed").exists()


def test_at_most_once_a_day_the_marker(parsed: Path) -> None:
    _store("jobs = 2\n")  # (trims: no marker yet)
    old = _planted(parsed, 5, parsecache._UNUSED + DAY)
    _store("jobs = 3\n")  # (the marker is fresh: no listing, nothing removed)
    assert all(p.exists() for p in old)
    _aged(parsed / ".trimmed", DAY + 60)
    _store("jobs = 4\n")
    assert not any(p.exists() for p in old)


def test_a_fresh_marker_means_no_listing(parsed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (parsed / ".trimmed").write_bytes(b"")
    listed: list[object] = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda *a: listed.append(a) or real(*a))
    _store("jobs = 2\n")
    assert listed == []
    _aged(parsed / ".trimmed", DAY + 60)
    _store("jobs = 3\n")
    assert listed  # (the same spy sees the listing once the marker is old)


def test_a_start_that_only_reads_lists_nothing(parsed: Path) -> None:
    text = "jobs = 2\n"
    statements = parse_text(text, "Agentfile")
    key = _store(text)
    old = _planted(parsed, 3, parsecache._UNUSED + DAY)
    _aged(parsed / ".trimmed", DAY + 60)
    assert parsecache.load(text, warm=False) == statements
    assert all(p.exists() for p in old) and key.exists()


def test_only_the_newest_kept(parsed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsecache, "_KEEP", 10)
    older = _planted(parsed, 30, 3 * DAY)
    newer = _planted(parsed, 8, DAY)
    written = _store("jobs = 2\n")
    assert written.exists() and all(p.exists() for p in newer)
    assert sum(p.exists() for p in older) == 1  # (10 kept: the one written, 8 newer, 1 older)


def test_an_entry_read_is_marked_used_at_most_once_a_day(parsed: Path) -> None:
    text = "jobs = 2\n"
    key = _store(text)
    _aged(key, parsecache._UNUSED - DAY)  # (written long ago, read now: in use)
    assert parsecache.load(text, warm=False) is not None
    assert time.time() - key.stat().st_mtime < 60
    _aged(key, parsecache._USED / 2)  # (marked recently: not again, no syscall at each read)
    before = key.stat().st_mtime
    assert parsecache.load(text, warm=False) is not None
    assert key.stat().st_mtime == before
    _aged(parsed / ".trimmed", DAY + 60)
    _store("jobs = 3\n")
    assert key.exists()


def test_a_reader_of_an_entry_removed_meanwhile_reads_it_whole(parsed: Path) -> None:
    text = "jobs = 2\n"
    statements = parse_text(text, "Agentfile")
    key = _store(text)
    with open(key, "rb") as fh:  # (a reader that opened it as the trim ran)
        _aged(key, parsecache._UNUSED + DAY)
        _aged(parsed / ".trimmed", DAY + 60)
        _planted(parsed, 1, 60)  # (the newest is always kept)
        assert cachefile.trim(str(parsed), ".marshal", parsecache._UNUSED, 1, 1 << 20)
        assert not key.exists()
        import marshal

        assert parsecache._decoded(marshal.loads(fh.read())) == statements
    assert parsecache.load(text, warm=False) is None  # (then: a miss, parsed again)


def test_leftovers_of_killed_writers_removed_in_the_trim(parsed: Path) -> None:
    dead = parsed / "abc.marshal.999999999.1.tmp"  # (no such pid)
    dead.write_bytes(b"x")
    _aged(dead, 120)
    mine = parsed / f"abd.marshal.{os.getpid()}.1.tmp"
    mine.write_bytes(b"x")
    _aged(mine, 120)
    _store("jobs = 2\n")
    assert not dead.exists() and mine.exists()
