"""agentmake's private cache directory (`agentmake.userdirs.cache_dir`) holds caches whose loading runs code
or says what was checked already: it is used only when no other user can write into it or put another in its
place: not through a directory above it that another user may write (unless root's and sticky, as /tmp), nor
one another user owns, nor a symbolic link another could change; else there is no cache (only slower)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from groupdb import forget, shared_group

from agentmake.userdirs import cache_dir

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
as_root = pytest.mark.skipif(not ROOT, reason="needs root to give a file away")
OTHER = 65534  # (nobody)


def _used(monkeypatch: pytest.MonkeyPatch, base: Path) -> str | None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    forget(monkeypatch)  # (looked at again: each answer is kept for the process)
    return cache_dir()


def _ours(directory: Path) -> Path:
    (directory / "agentmake").mkdir(mode=0o700, parents=True)
    return directory / "agentmake"


def test_a_private_directory_is_used_and_made_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _used(monkeypatch, tmp_path / "cache") == str(tmp_path / "cache" / "agentmake")
    assert (tmp_path / "cache" / "agentmake").stat().st_mode & 0o777 == 0o700
    assert _used(monkeypatch, tmp_path / "cache") == str(tmp_path / "cache" / "agentmake")


def test_a_missing_base_directory_is_made_for_this_user_alone_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = os.umask(0o002)
    try:
        assert _used(monkeypatch, tmp_path / "cache") == str(tmp_path / "cache" / "agentmake")
    finally:
        os.umask(old)
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_each_missing_directory_above_is_made_for_this_user_alone_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "a" / "b" / "cache"  # (an $XDG_CACHE_HOME whose parents are missing too)
    old = os.umask(0o002)
    try:
        assert _used(monkeypatch, base) == str(base / "agentmake")
    finally:
        os.umask(old)
    for made in (tmp_path / "a", tmp_path / "a" / "b", base):
        assert made.stat().st_mode & 0o777 == 0o700


def test_a_missing_base_many_levels_deep_is_made_without_recursing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path.joinpath(*["a"] * 200)
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    # (os.makedirs recursed once a level: a base over ~1,000 levels deep was a RecursionError at start; here
    # 200 levels under a limit that leaves 100 frames, so that no tree too deep for `rmtree` is left behind)
    sys.setrecursionlimit(depth + 100)
    try:
        made = _used(monkeypatch, base)
    finally:
        sys.setrecursionlimit(old)
    assert made == str(base / "agentmake")


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_not_under_a_directory_another_user_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    shared_group(monkeypatch)  # (group-writable: writable by another member; `test_cache_private_group`)
    shared = tmp_path / "shared"
    _ours(shared)
    shared.chmod(mode)  # (another may rename our directory away and put theirs in its place)
    assert _used(monkeypatch, shared) is None
    assert _used(monkeypatch, shared / "below") is None  # (nor further down)
    shared.chmod(0o755)
    assert _used(monkeypatch, shared) == str(shared / "agentmake")


@pytest.mark.parametrize("mode", [0o707, 0o770, 0o720])
def test_not_a_directory_another_user_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    shared_group(monkeypatch)
    _ours(tmp_path / "c").chmod(mode)
    assert _used(monkeypatch, tmp_path / "c") is None


@as_root
def test_under_roots_sticky_directory_only_an_entry_of_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)  # (as /tmp: others may add entries, but replace only their own)
    _ours(sticky / "mine")
    assert _used(monkeypatch, sticky / "mine") == str(sticky / "mine" / "agentmake")
    os.chown(sticky / "mine", OTHER, OTHER)  # (the entry is another user's: they may replace what is in it)
    os.chmod(sticky / "mine", 0o755)
    assert _used(monkeypatch, sticky / "mine") is None
    os.chown(sticky / "mine", 0, 0)
    os.chown(sticky, OTHER, OTHER)  # (sticky, but another user's: its owner may replace any entry)
    assert _used(monkeypatch, sticky / "mine") is None


@as_root
def test_not_under_a_directory_another_user_owns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = tmp_path / "theirs"
    _ours(theirs)
    theirs.chmod(0o755)
    os.chown(theirs, OTHER, OTHER)  # (writable by its owner alone, but not us: they may replace ours)
    assert _used(monkeypatch, theirs) is None


@as_root
def test_not_a_directory_another_user_owns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.chown(_ours(tmp_path / "c"), OTHER, OTHER)
    assert _used(monkeypatch, tmp_path / "c") is None


def test_a_link_to_a_directory_another_may_replace_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    _ours(shared)
    shared.chmod(0o777)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "agentmake").symlink_to(shared / "agentmake")  # (the link ours, where it leads not)
    assert _used(monkeypatch, tmp_path / "cache") is None
    os.symlink(shared, tmp_path / "via")  # (a link above the directory, likewise)
    assert _used(monkeypatch, tmp_path / "via") is None
    shared.chmod(0o755)  # (where they lead is this user's alone: used, through either link)
    assert _used(monkeypatch, tmp_path / "cache") == str(tmp_path / "cache" / "agentmake")
    assert _used(monkeypatch, tmp_path / "via") == str(tmp_path / "via" / "agentmake")


@as_root
def test_a_link_another_user_owns_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _ours(tmp_path / "real")
    os.symlink(tmp_path / "real", tmp_path / "via")
    os.lchown(tmp_path / "via", OTHER, OTHER)
    assert _used(monkeypatch, tmp_path / "via") is None


def test_a_loop_of_links_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    assert _used(monkeypatch, tmp_path / "a") is None


def test_a_build_with_no_usable_cache_directory_works_and_keeps_nothing(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    root = tmp_path / "p"
    root.mkdir()
    (root / "Agentfile").write_text('agent a:\n    outputs = out.txt\n    run = "echo hi > {output}"\n')
    env = {**os.environ, "XDG_CACHE_HOME": str(shared), "CI": "1", "NO_COLOR": "1"}
    said = []
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(root), "build"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        said.append([line for line in out.stderr.splitlines() if "not using the cache" in line])
    assert (root / "out.txt").read_text() == "hi\n"
    # said once (not at each of the start's ~4 looks), and not again at the next start
    assert len(said[0]) == 1 and f"chmod o-w {shared}" in said[0][0] and said[1] == [], said
    # no cache kept: only the line said (`userdirs._say`), so that it is not said at every start
    kept = [p for p in (shared / "agentmake").rglob("*") if p.is_file()]
    assert kept == [shared / "agentmake" / ".not-used"]
