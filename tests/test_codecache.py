"""The compiled-code cache of start-up (`agentmake.codecache`): the methods `dataclasses` writes are compiled
once, then run from agentmake's private cache directory, and behave exactly as compiled ones."""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import agentmake.codecache

# A child that installs the cache (or not), makes dataclasses of every kind, and prints how many texts it
# compiled (the `compile` audit event) and what the classes do.
CHILD = r"""
import json, sys
compiled = []
def hook(event, args):
    if event != "compile":
        return
    text = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
    if isinstance(text, str) and "__create_fn__" in text:
        compiled.append(args[0])
sys.addaudithook(hook)
if sys.argv[1] == "cache":
    from agentmake import codecache
    codecache.install()
import dataclasses, inspect
from dataclasses import dataclass, field

@dataclass(frozen=True, order=True)
class Point:
    x: int
    y: int = 2
    tags: tuple = ()

@dataclass
class Box:
    name: str
    items: list = field(default_factory=list)
    size: "int | None" = None

p, q = Point(1), Point(1, 3, ("a",))
b = Box("b")
b.items.append(1)
try:
    p.x = 5
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(json.dumps({
    "compiled": len(compiled),
    "repr": [repr(p), repr(q), repr(b)],
    "eq": [p == Point(1), p == q, p < q, hash(p) == hash(Point(1))],
    "frozen": frozen,
    "fresh default": Box("c").items,
    "signatures": [str(inspect.signature(Point)), str(inspect.signature(Box))],
    "files": sorted({Point.__init__.__code__.co_filename, Box.__repr__.__code__.co_filename}),
}))
"""


def _child(tmp_path: Path, mode: str, cache: Path) -> dict[str, object]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=True, cwd=tmp_path
    )
    return dict(json.loads(out.stdout))


def _caller(future_annotations: bool = False) -> Callable[..., None]:
    """A function that calls `ex(text, globals, locals)` from code compiled with or without `from __future__
    import annotations` (this file has it: its own calls would pass its flags)."""
    source = "def run(ex, text, globals, locals): ex(text, globals, locals)"
    env: dict[str, Any] = {}
    flags = 0x1000000 if future_annotations else 0  # (CO_FUTURE_ANNOTATIONS)
    exec(compile(source, "<test>", "exec", flags=flags, dont_inherit=True), env)
    return env["run"]  # type: ignore[no-any-return]


def _fresh() -> ModuleType:
    """A private copy of the module (its state is per process), not installed into `dataclasses`."""
    spec = importlib.util.spec_from_file_location("codecache_copy", agentmake.codecache.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_second_start_compiles_no_dataclass_method_and_the_classes_behave_alike(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = _child(tmp_path, "plain", cache)
    first = _child(tmp_path, "cache", cache)
    second = _child(tmp_path, "cache", cache)
    assert plain["compiled"] == first["compiled"] > 0  # (every method compiled, as without the cache)
    assert second["compiled"] == 0  # all from the file
    assert list((cache / "agentmake").glob("dataclass-code.*.marshal"))
    for key in ("repr", "eq", "frozen", "fresh default", "signatures", "files"):
        assert first[key] == second[key] == plain[key], key


def test_a_damaged_file_only_costs_a_compile_and_is_written_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _child(tmp_path, "cache", cache)
    (kept,) = (cache / "agentmake").glob("dataclass-code.*.marshal")
    good = kept.read_bytes()
    for damage in (b"", b"not marshal data", good[: len(good) // 2]):
        kept.write_bytes(damage)
        again = _child(tmp_path, "cache", cache)
        assert again["frozen"] is True and again["repr"][0] == "Point(x=1, y=2, tags=())"  # type: ignore[index]
        assert again["compiled"] > 0 or damage == good[: len(good) // 2]  # (half: what it holds is used)
        assert _child(tmp_path, "cache", cache)["compiled"] == 0  # (the file was written whole again)


def test_an_entry_is_used_only_for_the_very_text_it_was_compiled_from(tmp_path: Path) -> None:
    cc = _fresh()
    right = "def __create_fn__():\n def f(): return 'right'\n return f"
    wrong = "def __create_fn__():\n def f(): return 'wrong'\n return f"
    entry = marshal.dumps(((0, wrong), compile(wrong, "<string>", "exec", dont_inherit=True)))
    cc._index[cc._digest((0, right))] = (0, len(entry))  # (a digest that collides: the entry's text differs)
    cc._data = entry
    ns: dict[str, Any] = {}
    _caller()(cc._exec, right, {}, ns)
    assert ns["__create_fn__"]()() == "right"
    assert (0, right) in cc._new  # compiled, and to be kept


def test_the_callers_future_flags_apply_as_with_exec(tmp_path: Path) -> None:
    cc = _fresh()
    text = "def f(x: int) -> str: pass"
    for future in (True, False):
        ours: dict[str, Any] = {}
        builtin: dict[str, Any] = {}
        _caller(future)(cc._exec, text, {}, ours)
        _caller(future)(exec, text, {}, builtin)
        assert ours["f"].__annotations__ == builtin["f"].__annotations__
        assert isinstance(ours["f"].__annotations__["x"], str) == future
    assert len(cc._new) == 2  # one text, two flag sets: two entries


def test_the_file_starts_over_with_the_texts_used_once_it_would_pass_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cc = _fresh()
    cc._path = str(tmp_path / "kept.marshal")
    monkeypatch.setattr(cc, "LIMIT", 3)
    for n in range(3):
        _caller()(cc._exec, f"x{n} = {n}", {}, {})
    cc.save()
    later = _fresh()
    later._path = cc._path
    monkeypatch.setattr(later, "LIMIT", 3)
    later._index.update(marshal.loads(Path(cc._path).read_bytes()))
    assert len(later._index) == 3
    later._codes.clear()
    _caller()(later._exec, "y = 1", {}, {})  # one new text: 4 > LIMIT
    later.save()
    kept = marshal.loads(Path(cc._path).read_bytes())
    assert list(kept) == [later._digest((0, "y = 1"))]


def test_no_private_cache_directory_means_no_cache_and_no_patch(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "agentmake").mkdir(parents=True)
    (shared / "agentmake").chmod(0o777)  # (writable by others: not agentmake's own)
    out = _child(tmp_path, "cache", shared)
    assert out["compiled"] > 0
    # (no cache: only the line said, that it is not used, so that it is not said at every start)
    assert list((shared / "agentmake").iterdir()) == [shared / "agentmake" / ".not-used"]


# A child that installs the cache (or not), makes NamedTuples whose fields are annotated with strings (as
# under `from __future__ import annotations`), and prints how many of their expressions it compiled (the
# `compile` audit event) and what the classes do.
NAMEDTUPLES = r"""
import json, sys
compiled = []
def hook(event, args):
    text = args[0] if event == "compile" else ""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if text in ("int", "int | None", "tuple[str, ...]") or "x, y, tags)" in text or "left, right)" in text:
        compiled.append(text)
sys.addaudithook(hook)
if sys.argv[1] == "cache":
    from agentmake import codecache
    codecache.install()
import typing
from typing import NamedTuple

class Point(NamedTuple):
    x: "int"
    y: "int | None" = None
    tags: "tuple[str, ...]" = ()

Pair = __import__("collections").namedtuple("Pair", "left right")
p = Point(1)
print(json.dumps({
    "compiled": len(compiled),
    "point": [repr(p), list(p), p._replace(y=2).y, Point._fields, repr(Point.__annotations__)],
    "hints": repr(typing.get_type_hints(Point)),
    "pair": [repr(Pair(1, 2)), repr(Pair(left=1, right=2)), Pair.__new__.__code__.co_filename],
}))
"""


def _namedtuples(tmp_path: Path, mode: str, cache: Path) -> dict[str, object]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    out = subprocess.run(
        [sys.executable, "-c", NAMEDTUPLES, mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    return dict(json.loads(out.stdout))


def test_a_second_start_compiles_no_named_tuples_expression_and_they_behave_alike(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = _namedtuples(tmp_path, "plain", cache)
    first = _namedtuples(tmp_path, "cache", cache)
    second = _namedtuples(tmp_path, "cache", cache)
    assert plain["compiled"] == first["compiled"] >= 5  # (three forward references, two `__new__`s)
    assert second["compiled"] == 0  # all from the file
    for key in ("point", "hints", "pair"):
        assert first[key] == second[key] == plain[key], key


def test_compile_and_eval_answer_as_the_builtins_do(tmp_path: Path) -> None:
    cc = _fresh()
    for future in (True, False):  # (the caller's flags: an annotation kept as a string, or evaluated)
        source = "def run(c, text, mode, **kw): return c(text, '<string>', mode, **kw)"
        env: dict[str, Any] = {}
        exec(compile(source, "<test>", "exec", flags=0x1000000 if future else 0, dont_inherit=True), env)
        for text, mode, kw in [
            ("def f(x: int) -> str: pass", "exec", {}),  # (not an expression: compiled as `compile` does)
            ("lambda x: x + 1", "eval", {}),
            ("(lambda: 0)", "eval", {"dont_inherit": True}),
        ]:
            ours, builtin = env["run"](cc._compile, text, mode, **kw), env["run"](compile, text, mode, **kw)
            assert ours.co_flags == builtin.co_flags and ours.co_code == builtin.co_code, (text, future)
            if mode == "exec":
                a: dict[str, Any] = {}
                b: dict[str, Any] = {}
                exec(ours, a)
                exec(builtin, b)
                assert a["f"].__annotations__ == b["f"].__annotations__
    with pytest.raises(SyntaxError):
        cc._compile("int)", "<string>", "eval")
    assert cc._eval("  \t1 + 2") == eval("  \t1 + 2") == 3  # (eval strips leading spaces and tabs)
    x = 40
    assert cc._eval("x + 2") == 42 and cc._eval("x + y", {"x": 1}, {"y": 2}) == 3
    assert x == 40
    assert all(key[0] & cc.EVAL for key in cc._new) and len(cc._new) >= 4
