"""One file of agentmake's private cache directory (`agentmake.userdirs`): an index, then the entries it
points into; read whole at start, written again atomically (`codecache`, `modulecache`)."""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from agentmake.userdirs import cache_dir

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def located(name: str) -> str | None:
    """The path of the file `name` in agentmake's private cache directory; None when there is none."""
    directory = cache_dir()
    return None if directory is None else os.path.join(directory, name)


def read(path: str, length: Callable[[Any], int]) -> tuple[dict[Any, Any], memoryview] | None:
    """(index, entries) of the file at `path`: the index (a dict, `marshal`) and the entries that fill the
    rest of the file, as long together as `length` of each index value says; None when the file is missing
    or damaged (only a slower start)."""
    with contextlib.suppress(Exception):
        # (this user's own file, in place, that no other may write: loading it runs its code; the directory
        # was checked (`cache_dir`), but one above it that another user may write lets them put their own
        # in its place between that check and this open)
        with open(os.open(path, os.O_RDONLY | _NOFOLLOW), "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return None
            data = fh.read()
        index = marshal.loads(data)  # (the index: `loads` ignores the entries that follow it)
        if isinstance(index, dict):
            # the entries fill the end of the file, one after the other (`write`): their lengths say where
            # they start (`marshal.load` of a stream would say where the index ends, but it reads the stream
            # a field at a time: about 1 ms of every start); a wrong length only makes an entry unreadable
            size = sum(length(value) for value in index.values())
            if 0 <= size <= len(data):
                return index, memoryview(data)[len(data) - size :]  # (a view: not a copy)
    return None


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
    """Write `index` then `entries` to `path`, atomically; a failure (a full disk) only costs speed, and a
    Ctrl-C as it is written leaves no temporary file."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        # (a new file of this user's alone: never through a link put in its place, never another's file)
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600), "wb") as fh:
            fh.write(marshal.dumps(index))
            fh.write(b"".join(entries))
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if not isinstance(e, (OSError, ValueError)):
            raise
