"""The private cache files that hold compiled code (`agentmake.cachefile`): loading one runs its code, so
only this user's own file, in place and writable by no other, is read; and writing one never goes through a
link put in place of its temporary file (another user who may replace the cache directory, e.g. under an
$XDG_CACHE_HOME they own, would have it overwrite any file of this user's)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from groupdb import shared_group

from agentmake.cachefile import claimed, read, write


def _written(tmp_path: Path) -> Path:
    path = tmp_path / "kept.marshal"
    write(str(path), {"a": 3}, [b"abc"])
    return path


def test_a_file_written_is_read_back_and_only_its_owner_may_read_or_write_it(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = _written(tmp_path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    kept = read(str(path), lambda n: n)
    assert kept is not None and kept[0] == {"a": 3} and bytes(kept[1]) == b"abc"


def test_writing_never_goes_through_a_link_in_place_of_its_temporary_file(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("mine\n")
    path = tmp_path / "kept.marshal"
    os.symlink(precious, f"{path}.{os.getpid()}.{threading.get_ident()}.tmp")
    write(str(path), {"a": 3}, [b"abc"])
    assert precious.read_text() == "mine\n"
    assert not path.is_symlink() or path.resolve() != precious


def test_a_file_another_may_write_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared_group(monkeypatch)  # (group-writable: writable by another member; `test_cache_private_group`)
    path = _written(tmp_path)
    path.chmod(0o646)
    assert read(str(path), lambda n: n) is None
    path.chmod(0o620)
    assert read(str(path), lambda n: n) is None
    path.chmod(0o644)
    assert read(str(path), lambda n: n) is not None


def test_a_link_in_place_of_the_file_is_not_read(tmp_path: Path) -> None:
    elsewhere = _written(tmp_path)
    path = tmp_path / "linked.marshal"
    path.symlink_to(elsewhere)
    assert read(str(path), lambda n: n) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_another_users_file_is_not_read(tmp_path: Path) -> None:
    path = _written(tmp_path)
    os.chown(path, 65534, 65534)
    assert read(str(path), lambda n: n) is None


def test_a_file_claimed_is_this_users_alone_and_one_that_is_not_is_made_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_group(monkeypatch)
    path = tmp_path / "lib.cache"
    assert claimed(str(path)) and path.stat().st_mode & 0o777 == 0o600 and path.read_bytes() == b""
    path.write_bytes(b"kept")
    assert claimed(str(path)) and path.read_bytes() == b"kept"  # (this user's alone: kept)
    path.chmod(0o664)
    assert claimed(str(path)) and path.read_bytes() == b"" and path.stat().st_mode & 0o777 == 0o600
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"theirs")
    path.unlink()
    path.symlink_to(elsewhere)
    assert claimed(str(path)) and not path.is_symlink() and elsewhere.read_bytes() == b"theirs"
    path.unlink()
    path.mkdir()  # (not a file, and not removed: no cache)
    assert not claimed(str(path))
