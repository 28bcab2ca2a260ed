"""Start-up: agentmake's own modules' compiled code read from one file, not found and read module by module.

A build imports about 170 of agentmake's modules; for each, Python's path finder looks in the package's
directory, then its loader stats the source, opens and reads the `__pycache__` file, checks its header and
unmarshals it: all but the unmarshalling is about 6 ms of every start (callgrind: 60 M instructions to find
and load 168 modules' code, 33 M from one file). `install` puts a finder before Python's path finder that
answers for `agentmake.*` modules from one file in agentmake's private cache directory
(`agentmake.userdirs`: loading compiled code runs it, so never in a shared place), one per Python version
and optimization level.

An entry is used only if it is what Python's own import would load now: the same source file, its size and
status-change time (ctime, in nanoseconds) unchanged, in the directory the parent package searches, and that
directory's ctime unchanged too (no module or package added, removed or renamed beside it: nothing there can
shadow it). The ctime, not the modification time, which `tar x`, `cp -p`, `rsync -t` or an image built with
fixed timestamps give a new file as the old one had: no tool sets a ctime, any change of a file or of a
directory's entries moves it. Otherwise, and for any module the file lacks, Python's path finder finds the
module as usual, and its code is kept for the file. What runs is what the `__pycache__` file holds: the same
code objects, module attributes (`__file__`, `__cached__`, `__spec__`, a `SourceFileLoader`), resources and
tracebacks. A missing, unreadable or damaged file is only a slower start; the file is written again
(atomically) at exit when a module was loaded without it.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Hashable
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from importlib.util import spec_from_file_location
from types import CodeType, ModuleType
from typing import Any

from agentmake.cachefile import laid_out, located, read, write

# (marshal: one file per version; and per optimization level, as Python's `.opt-N.pyc`: `-O` code has no
# asserts, `-OO` code no docstrings)
_NAME = f"module-code.{sys.implementation.cache_tag}-{sys.hexversion:x}-O{sys.flags.optimize}.marshal"
_PREFIX = "agentmake."

# the file's index: module name -> (source path, is a package, source (ctime_ns, size), directory ctime_ns,
# offset and length of its marshalled code in `_data`)
Entry = tuple[str, bool, tuple[int, int], int, int, int]
_index: dict[str, Entry] = {}
_data: bytes | memoryview = b""
_path: str | None = None
# loaded without the file: name -> (source, is a package, source (ctime_ns, size), directory ctime_ns, code),
# each stamp read before the code was (a file changed since is only a stamp that does not match next time)
_new: dict[str, tuple[str, bool, tuple[int, int], int, CodeType]] = {}


def _directory(source: str, package: bool) -> str:
    """The directory the parent package searches for the module of `source`."""
    return os.path.dirname(os.path.dirname(source) if package else source)


def _directory_ctime(directory: str) -> int | None:
    try:
        return os.stat(directory).st_ctime_ns
    except OSError:
        return None


def _source_stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ctime_ns, st.st_size


def _current(entry: Entry, path: list[str] | None) -> bool:
    """Whether the module of the file's `entry` is still what Python would import (its source and directory
    unchanged; and when `path` is given, that directory the one the parent package searches); False for an
    entry not of this shape (a damaged file, or one an agentmake of another format wrote): only slower."""
    try:
        source, package, stamp, directory_ctime, offset, length = entry
        directory = _directory(source, package)
        return (
            (path is None or (len(path) == 1 and path[0] == directory))
            and type(offset) is int
            and type(length) is int
            and _directory_ctime(directory) == directory_ctime
            and _source_stamp(source) == stamp
        )
    except (TypeError, ValueError):
        return False


class _Loader(SourceFileLoader):
    """Python's own loader of a source file, whose code comes from the file when it holds it (`code`), and
    is kept for the file when it does not."""

    def __init__(
        self,
        fullname: str,
        path: str,
        code: tuple[int, int] | None,
        package: bool,
        directory_ctime: int | None,
    ) -> None:
        super().__init__(fullname, path)
        self._where, self._package, self._directory_ctime = code, package, directory_ctime

    def get_code(self, fullname: str) -> CodeType | None:
        if fullname == self.name and self._where is not None:
            offset, length = self._where
            with contextlib.suppress(Exception):  # (a damaged entry: read as usual)
                code = marshal.loads(_data[offset : offset + length])
                if isinstance(code, CodeType):
                    return code
        stamp = _source_stamp(self.path) if fullname == self.name else None
        code = super().get_code(fullname)
        if stamp is not None and self._directory_ctime is not None and code is not None:
            _new[fullname] = (self.path, self._package, stamp, self._directory_ctime, code)
        return code


class _Finder:
    """Finds `agentmake.*` modules as Python's path finder does (see the module's docstring)."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: list[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith(_PREFIX) or not path:
            return None
        entry = _index.get(fullname)
        if entry is not None and _current(entry, path):
            source, package, _stamp, directory_ctime, offset, length = entry
            return _spec(fullname, source, package, (offset, length), directory_ctime)
        ctimes = {directory: _directory_ctime(directory) for directory in path}  # (read before the search)
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
            return spec  # (an extension module, a namespace package...: as found)
        package = spec.submodule_search_locations is not None
        return _spec(fullname, spec.origin, package, None, ctimes.get(_directory(spec.origin, package)))


def _spec(
    fullname: str, source: str, package: bool, code: tuple[int, int] | None, directory_ctime: int | None
) -> ModuleSpec | None:
    loader = _Loader(fullname, source, code, package, directory_ctime)
    locations = [os.path.dirname(source)] if package else None
    return spec_from_file_location(fullname, source, loader=loader, submodule_search_locations=locations)


def install() -> None:
    """Read the file and put the finder before Python's path finder (once per process; the file is saved
    at exit when this run loaded a module without it)."""
    global _path, _data
    if _path is not None:
        return
    _path = located(_NAME)
    if _path is None:
        return
    kept = read(_path, lambda entry: int(entry[5]))  # (missing or damaged: every module found as usual)
    if kept is not None:
        _index.update(kept[0])
        _data = kept[1]
    meta_path = sys.meta_path
    at = meta_path.index(PathFinder) if PathFinder in meta_path else len(meta_path)
    meta_path.insert(at, _Finder)  # type: ignore[arg-type]
    import atexit

    atexit.register(save)


def save() -> None:
    """Write the file again if this run loaded a module without it (atomically; a failure only costs speed):
    the entries still valid and the new ones."""
    if not _new or _path is None:
        return
    entries: dict[Hashable, tuple[tuple[Any, ...], bytes | memoryview]] = {}
    for name, entry in _index.items():
        if _current(entry, None):
            source, package, stamp, directory_ctime, offset, length = entry
            entries[name] = ((source, package, stamp, directory_ctime), _data[offset : offset + length])
    for name, (source, package, stamp, directory_ctime, code) in _new.items():
        entries[name] = ((source, package, stamp, directory_ctime), marshal.dumps(code))
    _new.clear()
    write(_path, *laid_out(entries))
