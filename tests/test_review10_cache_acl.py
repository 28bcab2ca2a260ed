"""A group-writable cache is trusted in this user's private group (`agentmake.userdirs._shared`) only when
its group bits are the group's: with a POSIX ACL they are the ACL's mask, and a named user given write by
the ACL may write it. The group database is faked (`groupdb`); the ACL is set as `setfacl -m u:65534:rwx`
sets it (its extended attribute)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from groupdb import OTHER_UID, fake_groups, forget

from agentmake.cachefile import claimed, read_private, write
from agentmake.userdirs import cache_dir

_ANY = 0xFFFFFFFF  # (the id of the entries that name no one: owner, owning group, mask, others)


def _give_write(path: Path, perms: int) -> None:
    """`setfacl -m u:OTHER_UID:<perms>` on `path`, the owner's and owning group's entries as its mode
    says: the mode's group bits become the mask (`perms`)."""
    mode = path.stat().st_mode
    entries = [
        (0x01, (mode >> 6) & 7, _ANY),  # ACL_USER_OBJ
        (0x02, perms, OTHER_UID),  # ACL_USER
        (0x04, (mode >> 3) & 5, _ANY),  # ACL_GROUP_OBJ (no write of its own)
        (0x10, perms, _ANY),  # ACL_MASK
        (0x20, mode & 5, _ANY),  # ACL_OTHER
    ]
    blob = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)
    try:
        os.setxattr(path, "system.posix_acl_access", blob)
    except (AttributeError, OSError) as e:
        pytest.skip(f"no POSIX ACLs here: {e}")
    assert path.stat().st_mode & 0o020  # (the mask shows as the group's bits)


def _cache(tmp_path: Path) -> Path:
    base = tmp_path / "cache"
    (base / "agentmake").mkdir(parents=True, mode=0o755)
    base.chmod(0o755)
    (base / "agentmake").chmod(0o755)
    return base


def _used(monkeypatch: pytest.MonkeyPatch, base: Path) -> str | None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    return cache_dir()


@pytest.mark.parametrize("where", ["cache", "cache/agentmake"])
def test_a_cache_directory_another_user_may_write_by_an_acl_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    fake_groups(monkeypatch)  # (this user's group is their own)
    base = _cache(tmp_path)
    assert _used(monkeypatch, base) == str(base / "agentmake")
    _give_write(tmp_path / where, 7)
    forget(monkeypatch)
    assert _used(monkeypatch, base) is None


def test_a_cache_file_another_user_may_write_by_an_acl_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_groups(monkeypatch)
    base = _cache(tmp_path)
    assert _used(monkeypatch, base) is not None
    path = base / "agentmake" / "kept.marshal"
    write(str(path), {"a": 1}, [b"x"])
    path.chmod(0o644)
    assert read_private(str(path)) is not None
    _give_write(path, 6)
    assert read_private(str(path)) is None
    assert claimed(str(path)) and not os.listxattr(path)  # (made anew: this user's alone)
