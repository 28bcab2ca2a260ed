"""agentmake's private cache directory, for the caches whose loading runs code (pickles, compiled code),
and its files read and written for this user alone."""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import stat
import sys
import time
from collections.abc import Iterable

from agentmake.pidtmp import tmp_name

_MAX_LINKS = 40  # (as the kernel's ELOOP: a loop of links is not followed forever)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_FIX = "set XDG_CACHE_HOME to a directory only you can write"

_own_groups: dict[int, bool] = {}  # gid -> `_own_group`'s answer, for this process
_found: dict[str, str | None] = {}  # directory -> `cache_dir`'s answer, for this process


def _private_group(gid: int) -> bool:
    """Whether the group `gid` is this user's private group (Debian's and Ubuntu's default, with umask 002):
    this user's primary group, named as this user, with no other member: no other user has it as primary
    group and its member list is empty or only this user. The rule Debian patches into OpenSSH's
    StrictModes (user-group-modes: `secure_permissions`), made stricter: there, any group whose only member
    is the file's owner (a group of another name too, or of which the user is only a listed member)."""
    try:
        import grp
        import pwd

        me = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(gid)
        if me.pw_gid != gid or group.gr_name != me.pw_name:
            return False
        # (every entry of that gid: another named for it, `getgrgid` gives only the first, may list others)
        if any(set(entry.gr_mem) - {me.pw_name} for entry in grp.getgrall() if entry.gr_gid == gid):
            return False
        if set(group.gr_mem) - {me.pw_name}:
            return False
        return all(entry.pw_uid == me.pw_uid for entry in pwd.getpwall() if entry.pw_gid == gid)
    except (ImportError, KeyError, OSError):  # (no such user or group, or no group database: shared)
        return False


def _own_group(gid: int) -> bool:
    """`_private_group(gid)`, asked once per group in a process (it reads the whole user database)."""
    known = _own_groups.get(gid)
    if known is None:
        known = _own_groups[gid] = _private_group(gid)
    return known


_ACL = "system.posix_acl_access"


def _extended_acl(where: str | int) -> bool:
    """Whether what `where` names (a path, not followed if a link, or a descriptor) has an access ACL beyond
    its mode: then its group bits are the ACL's mask, which lets named users and groups write too. True
    when that cannot be told (as before a private group was trusted: group-writable was refused)."""
    if not hasattr(os, "getxattr"):
        return True
    try:
        if isinstance(where, int):
            os.getxattr(where, _ACL)
        else:
            os.getxattr(where, _ACL, follow_symlinks=False)
    except OSError as e:
        return e.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP)
    return True


def _shared(st: os.stat_result, where: str | int) -> bool:
    """Whether a user other than the owner (and root) may write what `st` is of (`where`: its path or a
    descriptor of it): it is writable by all, or by its group and that group is not this user's private
    group (`_private_group`), or it has an ACL (`_extended_acl`: its group bits then say what named users
    may do too)."""
    mode = st.st_mode
    if mode & 0o002:
        return True
    return bool(mode & 0o020 and not (_own_group(st.st_gid) and not _extended_acl(where)))


def _writers(path: str, st: os.stat_result) -> tuple[str, str] | None:
    """(why, fix) when another user may write what `path` names (its `lstat` `st`, `_shared`); else None."""
    if not _shared(st, path):
        return None
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o002:
        return f"{path} is writable by every user (mode {mode:04o})", f"chmod o-w {shlex.quote(path)}"
    return (
        f"{path} is writable by group {_group_name(st.st_gid)} (mode {mode:04o}), not yours alone",
        f"chmod g-w {shlex.quote(path)}",
    )


def _group_name(gid: int) -> str:
    with contextlib.suppress(ImportError, KeyError, OSError):
        import grp

        return repr(grp.getgrgid(gid).gr_name)
    return str(gid)


def _owned(path: str, uid: int) -> tuple[str, str]:
    """(why, fix) for `path`, owned by another user (`uid`): no fix but another directory (`_FIX`)."""
    with contextlib.suppress(ImportError, KeyError, OSError):
        import pwd

        return f"{path} belongs to user {pwd.getpwuid(uid).pw_name!r}", ""
    return f"{path} belongs to user {uid}", ""


def private(st: os.stat_result, where: str | int) -> bool:
    """Whether `st` is of this user's own file or directory (`where`: its path, not followed if a link, or a
    descriptor of it) that no other user may write (group-writable only in this user's private group and
    without an ACL, `_shared`): what a cache whose loading runs code, or that says what was checked
    already, must be to be read."""
    return st.st_uid == os.getuid() and not _shared(st, where)


def _reached(path: str) -> os.stat_result | tuple[str, str]:
    """The `lstat` of what the absolute `path` names, when no other user can change what it names; else
    why not and the fix (`_writers`).
    Each directory it is looked up through (following symbolic links, the links' own too) is owned by this
    user or root and writable by no other (`_writers`), or is root's and sticky (as /tmp: there only an
    entry's owner may replace it); each entry looked up (and each link) is this user's or root's. One
    `lstat` a component (what `os.path.realpath` costs). Raises OSError (FileNotFoundError for a missing
    component)."""
    uid = os.getuid()
    todo = path.split("/")
    todo.reverse()
    here = ""  # (the root: each name is appended after a "/")
    here_st = os.lstat("/")
    links = 0
    while todo:
        name = todo.pop()
        if not name or name == ".":
            continue
        if here_st.st_uid != uid and here_st.st_uid:
            return _owned(here or "/", here_st.st_uid)
        if name == "..":
            here = here.rpartition("/")[0]
            here_st = os.lstat(here or "/")
            continue
        writers = _writers(here or "/", here_st)
        if writers and (here_st.st_uid or not here_st.st_mode & stat.S_ISVTX):
            return writers  # (another user may put their own entry in its place)
        there = f"{here}/{name}"
        st = os.lstat(there)
        if st.st_uid != uid and st.st_uid:
            return _owned(there, st.st_uid)
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_LINKS:
                return f"{path} is reached through a loop of symbolic links", ""
            target = os.readlink(there).split("/")
            if not target[0]:  # (an absolute target: from the root again)
                here, here_st = "", os.lstat("/")
            target.reverse()
            todo += target
            continue
        here, here_st = there, st
    return here_st  # (what `path` names: a link at its end followed to where it leads)


def _refused(directory: str) -> tuple[str, str] | None:
    """None when the absolute `directory` is this user's own, writable by no other user, and no other user
    can put another in its place (`_reached`: not through a directory above it that another may write);
    else why not and the fix. Raises OSError (FileNotFoundError when it is missing)."""
    st = _reached(directory)
    if not isinstance(st, os.stat_result):  # (a stat_result is a tuple too)
        return st
    if not stat.S_ISDIR(st.st_mode):
        return f"{directory} is not a directory", ""
    if st.st_uid != os.getuid():
        return _owned(directory, st.st_uid)
    writers = _writers(directory, st)
    if writers is None and not st.st_mode & 0o200:
        return f"{directory} is not writable by you", f"chmod u+w {shlex.quote(directory)}"
    return writers


def private_dir(directory: str) -> bool:
    """Whether the absolute `directory` is this user's own, writable by no other user, and no other user can
    put another in its place (`_refused`). Raises OSError (FileNotFoundError when it is missing)."""
    return _refused(directory) is None


def _made_private(path: str) -> None:
    """Make the directory at the absolute `path` and each missing one above it for this user alone (0700, as
    XDG asks): `os.makedirs` gives its `mode` to the last only, the umask's to the others, and one made
    group-writable (umask 002) had the cache refused at every start; and it recurses once a level (a path of
    over ~1,000 levels: a RecursionError at start). One made meanwhile by another is left as is."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:  # (the root, or "": nothing above)
            break
        path = parent
    for each in reversed(missing):
        with contextlib.suppress(FileExistsError):  # (a "..", or made meanwhile)
            os.mkdir(each, 0o700)


def cache_dir() -> str | None:
    """agentmake's private cache directory (`$XDG_CACHE_HOME/agentmake`, else `~/.cache/agentmake`), None when
    it is not this user's alone (`private_dir`: nor one another user could replace). The caches kept there
    (pickles, compiled code: loading one runs code) live only there: never in a shared temporary directory.
    Looked at once per process for each place (a start asks ~4 times); one not used is said (`_say`); no
    such directory (none can be made there) is only slower, and said nothing of."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # (XDG: a relative path is invalid and ignored: never the working directory)
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # (a relative $HOME)
        return None
    directory = os.path.join(base, "agentmake")
    if directory not in _found:
        _found[directory] = _looked_at(directory)
    return _found[directory]


def _looked_at(directory: str) -> str | None:
    """`directory` when it is private (`_refused`), made so when missing; else None."""
    try:
        try:
            refused = _refused(directory)
        except FileNotFoundError:
            _made_private(directory)
            refused = _refused(directory)
    except OSError:
        return None
    if refused is None:
        return directory
    _say(directory, *refused)
    return None


_SAID = ".not-used"  # (in the directory not used: the line said last, so that it is not said at every start)
_SAY_AGAIN = 7 * 24 * 3600  # seconds: said again after a week while it is still not used


def _say(directory: str, why: str, fix: str) -> None:
    """Say on stderr, in one line, that the cache `directory` is not used, why and the fix: once, then again
    each week while it is not (a line at every start, hundreds a day, would be noise one stops reading;
    never saying would hide that each start is slower). That it was said is kept in the directory itself
    (`_SAID`; the directory made for it when missing), only when it is this user's own, and written only
    there (through its descriptor: never in a directory a link or a rename put in its place): whoever else
    may write in it can only have the line said again, or not. Where it cannot be kept, it is said at
    every start."""
    from agentmake.safetext import term_safe  # (only when said: not on the way of every start)

    fix = f"{fix}, or {_FIX}" if fix else _FIX
    # (terminal-safe: the directory, and the why and fix that name it or those above it, come from $HOME or
    # $XDG_CACHE_HOME, which may hold an escape sequence, or bytes that are not UTF-8 and would not encode)
    line = term_safe(f"agentmake: not using the cache {directory} (every start is slower): {why}; fix: {fix}")
    said = line.encode()
    with contextlib.suppress(OSError):
        _made_private(directory)  # (when a directory above is what is not used: not looked in, not made)
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
    except OSError:
        fd = -1
    try:
        if fd >= 0 and os.fstat(fd).st_uid == os.getuid():
            with contextlib.suppress(OSError):
                st = os.stat(_SAID, dir_fd=fd, follow_symlinks=False)
                fresh = time.time() - st.st_mtime < _SAY_AGAIN and st.st_size == len(said)
                if fresh and _read(_SAID, trusted=False, dir_fd=fd) == said:
                    return
            replace(_SAID, [said], dir_fd=fd)
        with contextlib.suppress(OSError, ValueError):  # (no stderr: a start never fails for want of it)
            print(line, file=sys.stderr)
    finally:
        if fd >= 0:
            os.close(fd)


def _read(path: str, trusted: bool, dir_fd: int | None = None, refresh: float = 0) -> bytes | None:
    """The bytes of the regular file at `path` (relative to `dir_fd` when given), opened in place (not
    through a symbolic link) and without waiting (a FIFO put there is not read: its `open` would wait for
    a writer), and when `trusted` only if no other user may write it (`private`); None when it is not such
    a file. `refresh`: see `read_private`. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=dir_fd)
    with open(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (trusted and not private(st, fd)):
            return None
        if refresh and not 0 <= time.time() - st.st_mtime < refresh:
            with contextlib.suppress(OSError):
                os.utime(fd)  # (the file read: not one a link or a rename put in its place since)
        os.set_blocking(fd, True)  # (a regular file: reads as before)
        return fh.read()


def read_private(path: str, refresh: float = 0) -> bytes | None:
    """The bytes of the file at `path` when it is this user's own regular file, in place (not through a
    symbolic link), and no other user may write it (`private`); None otherwise or when it cannot be read.
    Every cache agentmake reads back and trusts (compiled code, parsed statements, templates known to
    compile) is read through here, from its private directory (`cache_dir`, which no other user can
    replace). `refresh` (seconds): when the file was modified longer ago than that, its modification time
    is set to now, as the time it was last used (`cachefile.trim`): a syscall once per `refresh` at most,
    not at each read (atime is not kept on most mounts: noatime, relatime)."""
    try:
        return _read(path, trusted=True, refresh=refresh)
    except OSError:
        return None


def replace(path: str, chunks: Iterable[bytes | memoryview], dir_fd: int | None = None) -> None:
    """Make `path` (relative to `dir_fd` when given) a file of this user's alone (mode 0600) holding `chunks`,
    atomically; a failure (a full disk) only costs speed, and a Ctrl-C as it is written leaves no temporary
    file."""
    tmp = tmp_name(path)  # (`watch` parses in two threads; a killed writer's is removed later: `sweep`)
    try:
        # (a new file of this user's alone: never through a link put in its place, never another's file)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
        with open(os.open(tmp, flags, 0o600, dir_fd=dir_fd), "wb") as fh:
            fh.write(b"".join(chunks))
        os.replace(tmp, path, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        if not isinstance(e, (OSError, ValueError)):
            raise
