"""agentmake's private cache directory, for the caches whose loading runs code (pickles, compiled code)."""

from __future__ import annotations

import contextlib
import os
import stat

_MAX_LINKS = 40  # (as the kernel's ELOOP: a loop of links is not followed forever)


def private(st: os.stat_result) -> bool:
    """Whether `st` is of this user's own file or directory that no other user may write: what a cache
    whose loading runs code, or that says what was checked already, must be to be read."""
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _reached(path: str) -> os.stat_result | None:
    """The `lstat` of what the absolute `path` names, when no other user can change what it names; else None.
    Each directory it is looked up through (following symbolic links, the links' own too) is owned by this
    user or root and writable by no other, or is root's and sticky (as /tmp: there only an entry's owner may
    replace it); each entry looked up (and each link) is this user's or root's. One `lstat` a component (what
    `os.path.realpath` costs). Raises OSError (FileNotFoundError for a missing component)."""
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
            return None
        if name == "..":
            here = here.rpartition("/")[0]
            here_st = os.lstat(here or "/")
            continue
        mode = here_st.st_mode
        if mode & 0o022 and (here_st.st_uid or not mode & stat.S_ISVTX):
            return None  # (another user may put their own entry in its place)
        there = f"{here}/{name}"
        st = os.lstat(there)
        if st.st_uid != uid and st.st_uid:
            return None
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_LINKS:
                return None
            target = os.readlink(there).split("/")
            if not target[0]:  # (an absolute target: from the root again)
                here, here_st = "", os.lstat("/")
            target.reverse()
            todo += target
            continue
        here, here_st = there, st
    return here_st  # (what `path` names: a link at its end followed to where it leads)


def private_dir(directory: str) -> bool:
    """Whether the absolute `directory` is this user's own, writable by no other user, and no other user can
    put another in its place (`_reached`: not through a directory above it that another may write). Raises
    OSError (FileNotFoundError when it is missing)."""
    st = _reached(directory)
    return st is not None and stat.S_ISDIR(st.st_mode) and private(st) and bool(st.st_mode & 0o200)


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
    No such directory: no cache, only slower (and silently: a cache is never needed, and a start says nothing
    of its speed)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # (XDG: a relative path is invalid and ignored: never the working directory)
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # (a relative $HOME)
        return None
    directory = os.path.join(base, "agentmake")
    try:
        try:
            ours = private_dir(directory)
        except FileNotFoundError:
            _made_private(directory)
            ours = private_dir(directory)
    except OSError:
        return None
    return directory if ours else None
