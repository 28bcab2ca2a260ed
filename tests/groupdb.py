"""A fake user and group database for tests of what a group-writable cache may be (`agentmake.userdirs`):
the tests run as root, whose group is its own; here this user's group is made private or shared at will."""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Iterable

import pytest

from agentmake import userdirs

ME = "me"
OTHER_UID = 65534


def fake_groups(
    monkeypatch: pytest.MonkeyPatch,
    *,
    members: Iterable[str] = (),
    another_primary: bool = False,
    name: str = ME,
    primary: bool = True,
    twin_members: Iterable[str] = (),
) -> list[str]:
    """This user (named `ME`) and their group (`os.getgid()`, named `name`, listing `members`; their primary
    group when `primary`); with `another_primary`, another user whose primary group it is too. Forgets
    what `userdirs` knew of groups and cache directories. With `twin_members`, a second group of the same
    gid, listed after it (`getgrgid` gives only the first), lists them. The list it returns gets each
    database call."""
    uid, gid = os.getuid(), os.getgid()
    me = pwd.struct_passwd((ME, "x", uid, gid if primary else gid + 1, "", "/home/me", "/bin/sh"))
    users = [me]
    if another_primary:
        users.append(pwd.struct_passwd(("them", "x", OTHER_UID, gid, "", "/home/them", "/bin/sh")))
    group = grp.struct_group((name, "x", gid, list(members)))
    groups = [group, grp.struct_group(("wheel", "x", 0 if gid else 10, ["them"]))]
    if twin_members:
        groups.append(grp.struct_group(("twin", "x", gid, list(twin_members))))
    calls: list[str] = []

    def getgrgid(wanted: int) -> grp.struct_group:
        calls.append("getgrgid")
        if wanted != gid:
            raise KeyError(wanted)
        return group

    def getgrall() -> list[grp.struct_group]:
        calls.append("getgrall")
        return list(groups)

    def getpwuid(wanted: int) -> pwd.struct_passwd:
        calls.append("getpwuid")
        for user in users:
            if user.pw_uid == wanted:
                return user
        raise KeyError(wanted)

    def getpwall() -> list[pwd.struct_passwd]:
        calls.append("getpwall")
        return list(users)

    monkeypatch.setattr(grp, "getgrgid", getgrgid)
    monkeypatch.setattr(grp, "getgrall", getgrall)
    monkeypatch.setattr(pwd, "getpwuid", getpwuid)
    monkeypatch.setattr(pwd, "getpwall", getpwall)
    forget(monkeypatch)
    return calls


def shared_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """This user's group is another user's primary group too: group-writable is writable by another."""
    fake_groups(monkeypatch, another_primary=True)


def forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """`userdirs` looks again at groups and cache directories (it keeps each answer for its process)."""
    monkeypatch.setattr(userdirs, "_own_groups", {})
    monkeypatch.setattr(userdirs, "_found", {})
