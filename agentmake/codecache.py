"""Start-up: the methods `dataclasses` writes for each class are compiled once, then kept.

`@dataclass` writes the source of each class's `__init__`, `__repr__`, `__eq__`, ... and compiles it with
`exec`, at every start: about 250 small functions on a build's path. On a 10-task build that compiling was
29% of agentmake's instructions, start to end (callgrind: 524 M; 395 M with this cache). `install` gives the
`dataclasses` module an `exec` that compiles each text once and keeps the code objects, keyed by the exact
text and the caller's `__future__` flags, in agentmake's private cache directory (`agentmake.userdirs`:
loading compiled code runs it, so never in a shared place), one file per Python version (`marshal` is
version-bound). What runs is what `exec` of the same text runs: the same code, globals and locals, the same
`<string>` file name.

Two more texts every start compiles are kept alike: the annotations `typing` compiles, written as strings,
of each `NamedTuple` (under `from __future__ import annotations`: `ForwardRef`), and the `__new__` that
`collections.namedtuple` writes for each class and evaluates; `install` gives `typing` a `compile` and
`collections` an `eval` that keep each such expression (its key marked `EVAL`). The first `compile` of a
process also builds the AST's types (9 M instructions, once): a start whose expressions are all kept calls
it never. What they return is what `compile` and `eval` of the same text return.

The file: an index (`marshal`: digest of a key -> offset and length), then the entries, each
`marshal.dumps((key, code))`; an entry is loaded only when its text is run, and used only if its key is that
text. A missing, unreadable or damaged file is only a slower start. It is written again (atomically) when a
run compiled a text it did not hold, and starts over with the texts of that run when it would hold more than
`LIMIT`.
"""

from __future__ import annotations
import __future__

import builtins
import contextlib
import marshal
import sys
from collections.abc import Hashable
from types import CodeType
from typing import Any

import xxhash

from agentmake.cachefile import laid_out, located, read, write

LIMIT = 5_000  # texts kept at most (a build compiles about 250; every command and test together, some 1,500)
_FUTURE = 0
for _name in __future__.all_feature_names:
    _FUTURE |= getattr(__future__, _name).compiler_flag
_NAME = f"dataclass-code.{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"  # (marshal: per version)

Key = tuple[int, str]  # (the caller's __future__ flags, the text)
EVAL = 1 << 40  # in a key: an expression, compiled in "eval" mode (no compiler flag is as large)

_codes: dict[Key, CodeType] = {}  # compiled or loaded by this process
_new: dict[Key, CodeType] = {}  # compiled by this process: the file did not hold them
_index: dict[int, tuple[int, int]] = {}  # the file's: digest of a key -> (offset, length) of its entry
_data: bytes | memoryview = b""  # the file's entries: each `marshal.dumps((key, code))`
_path: str | None = None


def _digest(key: Key) -> int:
    return xxhash.xxh3_64_intdigest(f"{key[0]}\0{key[1]}".encode("utf-8", "surrogatepass"))


def _kept(key: Key) -> CodeType | None:
    """The code the file holds for `key`, if any (an entry is loaded only when its text is run)."""
    where = _index.get(_digest(key))
    if where is None:
        return None
    with contextlib.suppress(Exception):  # (a damaged entry: compile again)
        entry = marshal.loads(_data[where[0] : where[0] + where[1]])
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key:
            return entry[1] if isinstance(entry[1], CodeType) else None
    return None


def _exec(source: Any, globals: Any = None, locals: Any = None, /, **kwargs: Any) -> None:
    """`exec`, with a text compiled only the first time it is seen (see the module's docstring)."""
    frame = sys._getframe(1)
    if globals is None:  # (as `exec` in the caller's frame would run)
        globals = frame.f_globals
        if locals is None:
            locals = frame.f_locals
    if isinstance(source, str) and not kwargs:
        key = (frame.f_code.co_flags & _FUTURE, source)
        code = _codes.get(key) or _kept(key)
        if code is None:
            code = _new[key] = compile(source, "<string>", "exec", flags=key[0], dont_inherit=True)
        _codes[key] = source = code
    builtins.exec(source, globals, locals, **kwargs)


def _expression(text: str, flags: int) -> CodeType:
    """`compile(text, "<string>", "eval")` under the __future__ `flags`, compiled the first time seen."""
    key = (flags | EVAL, text)
    code = _codes.get(key) or _kept(key)
    if code is None:
        code = _new[key] = builtins.compile(text, "<string>", "eval", flags=flags, dont_inherit=True)
    _codes[key] = code
    return code


def _compile(
    source: Any,
    filename: Any,
    mode: str,
    flags: int = 0,
    dont_inherit: bool = False,
    optimize: int = -1,
    **kw: Any,
) -> Any:
    """`compile`, for `typing`: an expression (a forward reference) compiled only the first time it is seen;
    anything else as `compile` compiles it, with the caller's __future__ flags unless `dont_inherit`."""
    inherited = 0 if dont_inherit else sys._getframe(1).f_code.co_flags & _FUTURE
    if isinstance(source, str) and (filename, mode, flags, optimize, kw) == ("<string>", "eval", 0, -1, {}):
        return _expression(source, inherited)
    return builtins.compile(source, filename, mode, flags | inherited, True, optimize, **kw)


def _eval(source: Any, globals: Any = None, locals: Any = None, /) -> Any:
    """`eval`, for `collections`: a text compiled only the first time it is seen (as `eval` parses it: its
    leading spaces and tabs stripped)."""
    frame = sys._getframe(1)
    if globals is None:  # (as `eval` in the caller's frame would run)
        globals = frame.f_globals
        if locals is None:
            locals = frame.f_locals
    if isinstance(source, str):
        source = _expression(source.lstrip(" \t"), frame.f_code.co_flags & _FUTURE)
    return builtins.eval(source, globals, locals)


def install() -> None:
    """Read the kept code and have `dataclasses`, `typing` and `collections` use it (once per process; the
    file is saved at exit)."""
    global _path, _data
    import dataclasses

    if _path is not None:
        return
    _path = located(_NAME)
    if _path is None:
        return
    kept = read(_path, lambda where: int(where[1]))  # (missing or damaged: compile again)
    if kept is not None:
        _index.update(kept[0])
        _data = kept[1]
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # (its `_create_fn`/`_FuncBuilder` call `exec`)
    import collections
    import typing

    typing.compile = _compile  # type: ignore[attr-defined]  # (`ForwardRef` calls `compile`)
    collections.eval = _eval  # type: ignore[attr-defined]  # (`namedtuple` calls `eval`)
    import atexit

    atexit.register(save)


def save() -> None:
    """Write the file again if this run compiled a text it did not hold (atomically; a failure only costs
    speed): the entries it held and the new ones, or only those this run used once that passes `LIMIT`."""
    if not _new or _path is None:
        return
    entries: dict[Hashable, tuple[tuple[()], bytes | memoryview]] = {}
    if len(_index) + len(_new) <= LIMIT:
        with contextlib.suppress(TypeError, ValueError):  # (a damaged index: start over)
            entries = {digest: ((), _data[off : off + n]) for digest, (off, n) in _index.items()}
    for key, code in {**_codes, **_new}.items():
        entries[_digest(key)] = ((), marshal.dumps((key, code)))
    _new.clear()
    write(_path, *laid_out(entries))
