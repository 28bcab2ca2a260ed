"""Parsed statements cached on disk, keyed by the hash of the text, the grammar, the code that builds the
statements and this module's own: an unchanged Agentfile is not parsed again. A lost or damaged entry only
costs a parse.

An entry is the statements as plain tuples, written with `marshal` (`_encoded`, `_decoded`): the statements
are named tuples of strings, numbers and booleans, and `marshal`, which the interpreter has loaded already,
reads them back faster than `pickle` would, whose import alone was about 2 ms of every start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from agentmake.cachefile import read_private, replace, trim
from agentmake.syntax.grammar import grammar_cache_file, grammar_path
from agentmake.syntax.statements import Assign, Block, Include, Item, Statement, Value
from agentmake.userdirs import private

_PARSE_CACHE_VERSION = "3"
# this module's own source (how it keys, writes and reads an entry) as part of the key, without reading it at
# each start: its xxh3_128 with this digest written "" (tests/test_parsecache_own_source.py checks it, and
# says the new one when the module changes)
_OWN_SOURCE = "eb3559eb57de8917fb66cb943c49dc82"
# the modules the cached statements come from: their classes (the shape `_encoded` writes) and the transformer
_BUILT_BY = ("statements.py", "grammar.py")
# entries kept (`cachefile.trim`, once a day as one is written; every edit of an Agentfile adds one): those
# used in the last 30 days (an Agentfile not loaded for a month costs one parse, ~30 ms with lark's import),
# the newest 1,000 at most (~5 MB for Agentfiles of ~20,000 characters) and 64 MB at most (a 5,000-agent
# Agentfile's entry is megabytes)
_UNUSED = 30 * 24 * 3600
_KEEP = 1_000
_SIZE = 64 << 20
_USED = 24 * 3600  # seconds: an entry read is marked used (its mtime set) when last marked longer ago
_ASSIGN, _INCLUDE, _BLOCK = 0, 1, 2  # (the first field of an encoded statement: which one it is)


def _cache_key(text: str) -> str | None:
    """Parsed statements are cached by the hash of the text, the grammar, `_BUILT_BY` and this module
    (`_OWN_SOURCE`): an unchanged Agentfile is not re-parsed (lark's LALR parser costs ~10 µs a token).
    Losing the cache only costs a parse."""
    cache = grammar_cache_file()
    if not cache:
        return None
    import xxhash

    h = xxhash.xxh3_128()
    for part in (
        _PARSE_CACHE_VERSION,
        _OWN_SOURCE,
        grammar_path().read_text(encoding="utf-8"),
        *(Path(__file__).with_name(name).read_text(encoding="utf-8") for name in _BUILT_BY),
        text,
    ):
        h.update(part.encode("utf-8", "surrogatepass"))
    return os.path.join(os.path.dirname(str(cache)), "parsed", h.hexdigest() + ".marshal")


def load(text: str, warm: bool = True) -> list[Statement] | None:
    """The statements cached for `text`, None if there are none (or the file is small and lark `warm`)."""
    if warm and len(text) < 20_000:  # small files parse faster than a cache look-up pays off
        return None
    import marshal

    key = _cache_key(text)
    try:
        # (this user's own file, that no other may write (`read_private`), in a directory of this user's that
        # no other may write, inside the private cache directory (`grammar_cache_file`'s `cache_dir`))
        if key is None:
            return None
        st = os.lstat(os.path.dirname(key))
        if not (stat.S_ISDIR(st.st_mode) and private(st, os.path.dirname(key))):
            return None
        data = read_private(key, refresh=_USED)  # (its mtime: when last used, for `trim`)
        return None if data is None else _decoded(marshal.loads(data))  # (`marshal.load`: a field at a time)
    except Exception:  # a missing, damaged or unsafe cache entry is only a cache miss
        return None


def store(text: str, statements: list[Statement], warm: bool = True) -> None:
    """Cache `text`'s `statements` (not for a small file once lark is `warm`); a failed write is ignored."""
    if warm and len(text) < 20_000:
        return
    import marshal

    key = _cache_key(text)
    if key is None:
        return
    try:
        data = marshal.dumps(_encoded(statements))
    except ValueError:  # (a field marshal cannot write: the statements hold none, but a cache never fails)
        return
    directory = os.path.dirname(key)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.lstat(directory)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o022:
            # (an older agentmake made it with the umask's mode: `load` checks each entry in it)
            os.chmod(directory, 0o700)
    except OSError:
        return
    replace(key, [data])
    trim(directory, ".marshal", _UNUSED, _KEEP, _SIZE)  # (here: a start that only reads lists nothing)


def _encoded(statements: list[Statement]) -> list[tuple[Any, ...]]:
    """`statements` as plain tuples (`marshal` writes no named tuple), tagged with which statement each is."""

    def value(v: Value) -> tuple[Any, ...]:
        return (tuple(tuple(item) for item in v.items), v.is_list, v.line, v.col)

    out: list[tuple[Any, ...]] = []
    for st in statements:
        if isinstance(st, Assign):
            out.append((_ASSIGN, st.key, value(st.value), st.line, st.col))
        elif isinstance(st, Include):
            out.append((_INCLUDE, st.keyword, tuple(st.path), st.line, st.col))
        else:
            entries = tuple((a.key, value(a.value), a.line, a.col) for a in st.entries)
            out.append((_BLOCK, st.kind, st.name, entries, st.line, st.col, st.name_col))
    return out


def _decoded(data: object) -> list[Statement] | None:
    """The statements `_encoded` wrote as `data`; None if it is not a list (a damaged entry: a malformed one
    raises, which `load` takes as a miss too: `_make` checks each tuple's length)."""
    if not isinstance(data, list):
        return None
    item, assign = Item._make, Assign._make

    def value(items: tuple[tuple[Any, ...], ...], is_list: bool, line: int, col: int) -> Value:
        return Value._make((tuple([item(i) for i in items]), is_list, line, col))

    out: list[Statement] = []
    for st in data:
        tag = st[0]
        if tag == _ASSIGN:
            out.append(assign((st[1], value(*st[2]), st[3], st[4])))
        elif tag == _INCLUDE:
            out.append(Include._make((st[1], item(st[2]), st[3], st[4])))
        elif tag == _BLOCK:
            entries = tuple([assign((key, value(*v), line, col)) for key, v, line, col in st[3]])
            out.append(Block._make((st[1], st[2], entries, st[4], st[5], st[6])))
        else:
            raise ValueError(f"unknown statement {tag!r}")
    return out
