"""Under user-private groups (Debian's and Ubuntu's default: each user's primary group is a group of their
own, umask 002) every tool makes `~/.cache` group-writable; agentmake's caches are used there when that group
is this user's alone (`agentmake.userdirs._private_group`, Debian's OpenSSH rule made stricter), and a cache
directory not used is said once on stderr, with why and the fix. The group database is faked (`groupdb`):
the tests run as root, whose group is its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from groupdb import ME, fake_groups, forget, shared_group

from agentmake import userdirs
from agentmake.cachefile import claimed, read_private, write
from agentmake.userdirs import cache_dir


def _cache(tmp_path: Path, mode: int = 0o775, inner: int = 0o775) -> Path:
    """A `~/.cache` made by a tool under umask 002 (`mode`), with agentmake's directory in it (`inner`)."""
    base = tmp_path / "cache"
    (base / "agentmake").mkdir(parents=True)
    base.chmod(mode)
    (base / "agentmake").chmod(inner)
    return base


def _used(monkeypatch: pytest.MonkeyPatch, base: Path) -> str | None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    return cache_dir()


def test_a_group_writable_cache_in_this_users_private_group_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_groups(monkeypatch)
    base = _cache(tmp_path)
    assert _used(monkeypatch, base) == str(base / "agentmake")
    path = base / "agentmake" / "kept.marshal"
    write(str(path), {"a": 1}, [b"x"])
    path.chmod(0o664)  # (as lark writes its file: with the umask's mode)
    assert read_private(str(path)) is not None
    assert claimed(str(path)) and path.stat().st_mode & 0o777 == 0o664  # (kept: not made anew)


@pytest.mark.parametrize(
    "group",
    [
        {"another_primary": True},  # (another user's primary group too)
        {"members": ["them"]},  # (another user listed as a member)
        {"members": [ME, "them"]},
        {"name": "staff"},  # (not named for this user: not a private group by the convention)
        {"primary": False},  # (not this user's primary group: e.g. a group of setgid programs)
        {"twin_members": ["them"]},  # (a second group of its gid lists another user: `getgrgid` hides it)
    ],
)
def test_a_group_writable_cache_in_a_group_not_this_users_alone_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: dict[str, object]
) -> None:
    fake_groups(monkeypatch, **group)  # type: ignore[arg-type]
    base = _cache(tmp_path)
    assert _used(monkeypatch, base) is None
    forget(monkeypatch)
    base.chmod(0o755)  # (the directory above: still group-writable itself)
    assert _used(monkeypatch, base) is None
    forget(monkeypatch)
    (base / "agentmake").chmod(0o755)
    assert _used(monkeypatch, base) == str(base / "agentmake")
    path = base / "agentmake" / "kept.marshal"
    write(str(path), {"a": 1}, [b"x"])
    path.chmod(0o664)
    assert read_private(str(path)) is None


def test_a_group_listing_only_this_user_is_still_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_groups(monkeypatch, members=[ME])
    assert _used(monkeypatch, _cache(tmp_path)) is not None


@pytest.mark.parametrize("mode", [0o777, 0o757])
def test_world_writable_is_not_used_even_in_a_private_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    fake_groups(monkeypatch)
    assert _used(monkeypatch, _cache(tmp_path, mode=mode)) is None
    forget(monkeypatch)
    assert _used(monkeypatch, _cache(tmp_path / "in", inner=mode)) is None


def test_the_group_database_is_read_once_a_group_in_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_groups(monkeypatch)
    base = _cache(tmp_path)
    assert _used(monkeypatch, base) is not None
    for name in ("a", "b", "c"):
        path = base / "agentmake" / name
        write(str(path), {}, [])
        path.chmod(0o664)
        assert read_private(str(path)) is not None
    assert calls.count("getpwall") == 1


def _said(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("agentmake:")]


def test_a_cache_not_used_is_said_once_with_why_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared_group(monkeypatch)
    base = _cache(tmp_path, inner=0o700)
    for _ in range(4):  # (a start asks ~4 times)
        assert _used(monkeypatch, base) is None
    [line] = _said(capsys)
    assert str(base / "agentmake") in line
    assert f"{base} is writable by group" in line and "(mode 0775)" in line
    assert f"chmod g-w {base}" in line and "XDG_CACHE_HOME" in line
    forget(monkeypatch)  # (the next start: said already, not again)
    assert _used(monkeypatch, base) is None
    assert _said(capsys) == []


def test_a_cache_not_used_is_said_again_after_a_week_or_for_another_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared_group(monkeypatch)
    base = _cache(tmp_path, inner=0o700)
    assert _used(monkeypatch, base) is None and len(_said(capsys)) == 1
    said = base / "agentmake" / ".not-used"
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(said, (week_ago, week_ago))
    forget(monkeypatch)
    assert _used(monkeypatch, base) is None and len(_said(capsys)) == 1
    base.chmod(0o777)  # (another reason: said at once)
    forget(monkeypatch)
    assert _used(monkeypatch, base) is None
    [line] = _said(capsys)
    assert "writable by every user" in line and f"chmod o-w {base}" in line


def test_that_it_was_said_is_never_written_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared_group(monkeypatch)
    base = tmp_path / "cache"
    base.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (base / "agentmake").symlink_to(elsewhere)  # (put there by whoever else may write in `base`)
    base.chmod(0o777)
    for _ in range(2):  # (two starts: not kept, so said at each)
        forget(monkeypatch)
        assert _used(monkeypatch, base) is None
        assert len(_said(capsys)) == 1
    assert list(elsewhere.iterdir()) == []


def test_another_owner_is_said_as_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a directory away")
    fake_groups(monkeypatch)
    base = _cache(tmp_path, mode=0o755, inner=0o755)
    os.chown(base, 65534, 65534)
    assert _used(monkeypatch, base) is None
    [line] = _said(capsys)
    assert f"{base} belongs to user" in line and "XDG_CACHE_HOME" in line


def test_a_missing_cache_is_not_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared_group(monkeypatch)
    (tmp_path / "file").write_text("")
    assert _used(monkeypatch, tmp_path / "file" / "cache") is None  # (none can be made there)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "relative")
    assert cache_dir() is None
    assert _said(capsys) == []


def test_a_fifo_in_place_of_a_cache_file_is_not_waited_on(tmp_path: Path) -> None:
    path = tmp_path / "kept.marshal"
    os.mkfifo(path, 0o600)
    # (a child: `open` of a FIFO without O_NONBLOCK waits for a writer, forever)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from agentmake.cachefile import read_private as r; print(r(sys.argv[1]))",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0 and child.stdout == "None\n", child.stderr


def test_a_regular_file_is_read_after_the_fifo_check(tmp_path: Path) -> None:
    path = tmp_path / "kept"
    path.write_bytes(b"x" * 1_000_000)
    path.chmod(0o600)
    assert read_private(str(path)) == b"x" * 1_000_000


def test_the_cache_directory_is_looked_for_once_a_process_for_each_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget(monkeypatch)
    walks: list[str] = []
    reached = userdirs._reached

    def counted(path: str) -> object:
        walks.append(path)
        return reached(path)

    monkeypatch.setattr(userdirs, "_reached", counted)
    first, second = tmp_path / "one", tmp_path / "two"
    for _ in range(4):
        assert _used(monkeypatch, first) == str(first / "agentmake")
    assert walks == [str(first / "agentmake")] * 2  # (missing: walked, made, walked again)
    assert _used(monkeypatch, second) == str(second / "agentmake")  # (another place: looked at anew)
    assert _used(monkeypatch, first) == str(first / "agentmake")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == str(tmp_path / "home" / ".cache" / "agentmake")
    assert len(walks) == 6


ROOTS_OWN = userdirs._private_group(os.getgid())


@pytest.mark.skipif(not ROOTS_OWN, reason="this user's group is not their own on this machine")
def test_a_start_under_umask_002_keeps_its_caches(tmp_path: Path) -> None:
    """End to end, with this machine's own group database: `~/.cache` made 0775 (umask 002), as any tool
    makes it; agentmake keeps its compiled code there and says nothing."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "Agentfile").write_text('agent a:\n    outputs = out.txt\n    run = "echo hi > {output}"\n')
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    (home / ".cache").chmod(0o775)
    env = {**os.environ, "HOME": str(home), "CI": "1", "NO_COLOR": "1"}
    env.pop("XDG_CACHE_HOME", None)
    out = subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(root), "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        umask=0o002,  # (as Ubuntu's default: each new directory group-writable)
    )
    assert out.returncode == 0, out.stderr
    assert "not using the cache" not in out.stderr
    assert [p.name for p in (home / ".cache" / "agentmake").glob("module-code.*")]
