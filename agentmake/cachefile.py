"""The files of agentmake's private cache directory (`agentmake.userdirs`): read only when this user's alone
(`read_private`), written atomically for this user alone (`replace`; both kept in `userdirs`, which says
with them when the directory is not used; the leftovers of writers killed as they wrote are removed as a
code cache is written: `pidtmp.sweep`, and so are its other versions' files unused for 30 days:
`drop_unused_others`); the code caches' (`codecache`, `modulecache`) are an index, then the entries it points
into, read whole at start."""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from agentmake.pidtmp import due, left_over, sweep
from agentmake.userdirs import cache_dir, private, read_private, replace

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_TRIMMED = ".trimmed"  # (in a directory `trim` trims: its mtime says when it last did)
_TRIM_EVERY = 24 * 3600  # seconds: a directory is listed and trimmed at most once a day
# a code cache's file of another Python version (or an older layout) not read for this long is removed as
# one of its family is written; each is read with `refresh` so that its mtime says when it was last used
_OTHERS_UNUSED = 30 * 24 * 3600
_REFRESH = 24 * 3600


def located(name: str) -> str | None:
    """The path of the file `name` in agentmake's private cache directory; None when there is none."""
    directory = cache_dir()
    return None if directory is None else os.path.join(directory, name)


def read(path: str, length: Callable[[Any], int]) -> tuple[dict[Any, Any], memoryview] | None:
    """(index, entries) of the file at `path` (`read_private`): the index (a dict, `marshal`) and the entries
    that fill the rest of the file, as long together as `length` of each index value says; None when the file
    is missing, damaged or not this user's alone (only a slower start)."""
    with contextlib.suppress(Exception):
        data = read_private(path, refresh=_REFRESH)
        if data is None:
            return None
        index = marshal.loads(data)  # (the index: `loads` ignores the entries that follow it)
        if isinstance(index, dict):
            # the entries fill the end of the file, one after the other (`write`): their lengths say where
            # they start (`marshal.load` of a stream would say where the index ends, but it reads the stream
            # a field at a time: about 1 ms of every start); a wrong length only makes an entry unreadable
            size = sum(length(value) for value in index.values())
            if 0 <= size <= len(data):
                return index, memoryview(data)[len(data) - size :]  # (a view: not a copy)
    return None


def claimed(path: str) -> bool:
    """Whether the file at `path` is this user's own regular file that no other user may write, made so (an
    empty one) when it was missing or was not: for a cache another library opens by its name (lark's
    `cache=`) and then writes in place, keeping its owner and mode. False when it cannot be made so."""
    for _ in range(2):
        try:
            st: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            st = None
        except OSError:
            return False
        if st is not None and stat.S_ISREG(st.st_mode) and private(st, path):
            return True
        try:
            if st is not None:
                os.unlink(path)  # (another's, a link, or writable by others: not read, made anew)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
            return True
        except FileExistsError:
            continue  # (another agentmake made it meanwhile: look at theirs)
        except OSError:
            return False
    return False


def laid_out(
    entries: Mapping[Hashable, tuple[tuple[Any, ...], bytes | memoryview]],
) -> tuple[dict[Hashable, tuple[Any, ...]], list[bytes | memoryview]]:
    """(index, entries) for `write`: each key's index value is its fields then (offset, length) of its
    entry, the entries one after the other in the same order (`read`'s `length` is the value's last)."""
    index: dict[Hashable, tuple[Any, ...]] = {}
    offset = 0
    for key, (fields, blob) in entries.items():
        index[key] = (*fields, offset, len(blob))
        offset += len(blob)
    return index, [blob for _, blob in entries.values()]


def write(path: str, index: dict[Any, Any], entries: Iterable[bytes | memoryview]) -> None:
    """Write `index` then `entries` to `path`, atomically (`replace`); an index `marshal` cannot write is
    not written (only a slower start)."""
    try:
        head = marshal.dumps(index)
    except ValueError:
        return
    replace(path, [head, *entries])
    sweep(os.path.dirname(path))  # (the leftovers of writers killed as they wrote: here, not at each start)
    drop_unused_others(path)


def drop_unused_others(path: str) -> None:
    """Remove the files of `path`'s family (its name up to the first dot: `module-code.`) beside it, other
    than `path`, not read for `_OTHERS_UNUSED` (another Python version's, no longer run; an older layout's):
    each version writes its own, and nothing else would ever remove them. One that is still used only costs
    that version one slower start, then is written again."""
    directory, name = os.path.split(path)
    family = name.split(".", 1)[0] + "."
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(directory) as listing:
        for entry in listing:
            if entry.name == name or not entry.name.startswith(family) or not entry.name.endswith(".marshal"):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime > _OTHERS_UNUSED:
                    os.unlink(entry.path)


def trim(directory: str, suffix: str, unused: float, keep: int, size: int) -> bool:
    """At most once a day (the mtime of `directory`'s `_TRIMMED`, set first: the others starting then do not
    trim too), remove from `directory` the entries named `*suffix` not used for `unused` seconds (their
    mtime: written, or read with `read_private(refresh=...)`), and all but the newest `keep` of the others,
    holding `size` bytes at most together (the newest is kept whatever its size); and the leftovers of
    writers killed as they wrote (`pidtmp.left_over`). Whether it listed `directory`.
    A reader of an entry removed meanwhile reads it whole (an open file outlives its name) or not at all:
    a cache miss; a writer's temporary file is never one of them (`left_over`)."""
    if not due(os.path.join(directory, _TRIMMED), _TRIM_EVERY):
        return False
    now = time.time()
    entries: list[tuple[float, int, str]] = []
    with contextlib.suppress(OSError), os.scandir(directory) as listing:
        for entry in listing:
            if entry.name.endswith(suffix):
                with contextlib.suppress(OSError):
                    st = entry.stat(follow_symlinks=False)
                    entries.append((st.st_mtime, st.st_size, entry.path))
            elif left_over(entry, now):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    entries.sort(reverse=True)  # (newest first)
    total = 0
    for n, (mtime, length, path) in enumerate(entries):
        total += length
        if n and (n >= keep or total > size or now - mtime > unused):
            with contextlib.suppress(OSError):
                os.unlink(path)
    return True
