"""Parsed statements cached on disk, keyed by the hash of the text, the grammar and the code that builds the
statements: an unchanged Agentfile is not parsed again. A lost or damaged entry only costs a parse.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from agentmake.syntax.grammar import grammar_cache_file, grammar_path
from agentmake.syntax.statements import Statement

_PARSE_CACHE_VERSION = "2"
# the modules the cached statements come from: their classes (pickled by name) and the transformer
_BUILT_BY = ("statements.py", "grammar.py")


def _cache_key(text: str) -> str | None:
    """Parsed statements are cached by the hash of the text, the grammar and `_BUILT_BY`: an unchanged
    Agentfile is not re-parsed (lark's LALR parser costs ~10 µs a token). Losing the cache only costs a
    parse."""
    cache = grammar_cache_file()
    if not cache:
        return None
    import xxhash

    h = xxhash.xxh3_128()
    for part in (
        _PARSE_CACHE_VERSION,
        grammar_path().read_text(encoding="utf-8"),
        *(Path(__file__).with_name(name).read_text(encoding="utf-8") for name in _BUILT_BY),
        text,
    ):
        h.update(part.encode("utf-8", "surrogatepass"))
    return os.path.join(os.path.dirname(str(cache)), "parsed", h.hexdigest() + ".pickle")


def load(text: str, warm: bool = True) -> list[Statement] | None:
    """The statements cached for `text`, None if there are none (or the file is small and lark `warm`)."""
    if warm and len(text) < 20_000:  # small files parse faster than a cache look-up pays off
        return None
    import pickle

    key = _cache_key(text)
    try:
        if key is None:
            return None
        with open(key, "rb") as fh:
            value = pickle.load(fh)
        return value if isinstance(value, list) else None
    except Exception:  # a missing or damaged cache entry is only a cache miss
        return None


def store(text: str, statements: list[Statement], warm: bool = True) -> None:
    """Cache `text`'s `statements` (not for a small file once lark is `warm`); a failed write is ignored."""
    if warm and len(text) < 20_000:
        return
    import pickle

    key = _cache_key(text)
    if key is None:
        return
    try:
        os.makedirs(os.path.dirname(key), exist_ok=True)
        tmp = f"{key}.{os.getpid()}.{threading.get_ident()}.tmp"  # (watch parses in two threads)
        with open(tmp, "wb") as fh:
            pickle.dump(statements, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, key)
    except OSError:
        pass
