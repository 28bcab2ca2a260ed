"""Patterns: compiling, matching, the file index walk, and pattern overlap."""

from __future__ import annotations

import fnmatch
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmake.graph.fileindex import FileIndex
from agentmake.graph.globs import PatternError, compile_pattern, is_outside_root
from agentmake.graph.overlap import patterns_overlap


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("docs/{name}.md", "docs/intro.md", {"name": "intro"}),
        ("docs/{name}.md", "docs/sub/intro.md", None),
        ("docs/{name}.md", "docs/.md", None),
        ("docs/{name}.md", "docs/.hidden.md", None),
        ("docs/*.md", "docs/.draft.md", None),
        ("docs/*.md", "docs/a.md", {}),
        ("docs/?.md", "docs/ab.md", None),
        ("src/**/*.ts", "src/c.ts", {}),
        ("src/**/*.ts", "src/a/b/c.ts", {}),
        ("src/**/*.ts", "src/.git/c.ts", None),
        ("src/**", "src/a/b", {}),
        ("{lang}/{name}.{lang}.txt", "zh/a.zh.txt", {"lang": "zh", "name": "a"}),
        ("{lang}/{name}.{lang}.txt", "zh/a.fr.txt", None),
        ("./docs//{n}.md", "docs/x.md", {"n": "x"}),
        ("a{{b}}/{n}", "a{b}/x", {"n": "x"}),
    ],
)
def test_match(pattern: str, path: str, expected: dict[str, str] | None) -> None:
    assert compile_pattern(pattern).match(path) == expected


def test_prefix_depth_and_kinds() -> None:
    p = compile_pattern("build/zh/{name}.md")
    assert (p.prefix, p.depth, p.wildcards, p.has_glob) == ("build/zh", 1, ("name",), False)
    q = compile_pattern("src/**/x/*.py")
    assert (q.prefix, q.depth, q.has_glob) == ("src", None, True)
    lit = compile_pattern("notes/a{{1}}.md")
    assert lit.is_literal and lit.literal_path == "notes/a{1}.md"
    assert compile_pattern("out/{a}-{b}.md").substitute({"a": "x", "b": "y"}) == "out/x-y.md"


@pytest.mark.parametrize("bad", ["docs/{na me}.md", "docs/{}.md", "docs/{name.md", "docs/x}.md", "."])
def test_malformed_patterns(bad: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(bad)


def test_outside_root() -> None:
    assert is_outside_root("/tmp/x") and is_outside_root("../x") and is_outside_root("a/../../x")
    assert not is_outside_root("a/../x") and not is_outside_root("build/x.md")


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("build/zh/*.md", "build/zh/{name}.md", True),
        ("build/zh/*.md", "build/fr/{name}.md", False),
        ("build/**", "build/a/b/{x}.md", True),
        ("**/*.md", "x.md", True),
        ("docs/{n}.md", "docs/{n}.txt", False),
        ("a/*b", "a/{x}c", False),
        ("a/x?", "a/{y}", True),
        ("a/b.md", "a/b.md", True),
        ("a/b.md", "a/c.md", False),
    ],
)
def test_patterns_overlap(a: str, b: str, overlap: bool) -> None:
    assert patterns_overlap(compile_pattern(a), compile_pattern(b)) is overlap
    assert patterns_overlap(compile_pattern(b), compile_pattern(a)) is overlap


def test_file_index_walks_only_what_the_pattern_reaches(tmp_path: Path) -> None:
    for f in ["docs/a.md", "docs/sub/b.md", "docs/.x.md", "docs/.a.md.agentmake-tmp1", ".agentmake/state.db"]:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("x")
    index = FileIndex(tmp_path)
    assert list(index.candidates(compile_pattern("docs/*.md"))) == ["docs/a.md"]
    assert list(index.candidates(compile_pattern("docs/**"))) == ["docs/a.md", "docs/sub/b.md"]
    hidden = compile_pattern("docs/.*")
    matched = [f for f in index.candidates(hidden) if hidden.match(f) is not None]
    assert matched == ["docs/.x.md"]  # never the staged temp file
    assert list(index.candidates(compile_pattern("**/*"))) == ["docs/a.md", "docs/sub/b.md"]
    assert list(index.candidates(compile_pattern("nowhere/*.md"))) == []
    assert index.is_file("docs/a.md") and not index.is_file("docs/sub")


def _reference(pattern: list[str], path: list[str]) -> bool:
    """Segment-wise glob semantics, written the slow obvious way."""
    if not pattern:
        return not path
    head = pattern[0]
    if head == "**":
        return any(
            all(not s.startswith(".") for s in path[:k]) and _reference(pattern[1:], path[k:])
            for k in range(len(path) + (0 if len(pattern) > 1 else 1))
        ) and (len(pattern) > 1 or bool(path))
    if not path or not fnmatch.fnmatchcase(path[0], head):
        return False
    if path[0].startswith(".") and not head.startswith("."):
        return False
    return _reference(pattern[1:], path[1:])


_SEGS = st.sampled_from(["a", "b", "ab", "x.md", ".a"])
_PSEGS = st.sampled_from(["a", "b", "*", "?", "a*", "*.md", "**", ".a", "*b"])


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(st.lists(_SEGS, min_size=1, max_size=3), min_size=1, max_size=8),
    pattern=st.lists(_PSEGS, min_size=1, max_size=3),
)
def test_index_and_regex_agree_with_reference(files: list[list[str]], pattern: list[str]) -> None:
    paths = {"/".join(f) for f in files}
    # a path cannot be both a file and a directory
    paths = {p for p in paths if not any(q.startswith(p + "/") for q in paths)}
    with tempfile.TemporaryDirectory() as tmp:
        for p in paths:
            (Path(tmp) / p).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / p).write_text("x")
        compiled = compile_pattern("/".join(pattern))
        got = sorted(f for f in FileIndex(tmp).candidates(compiled) if compiled.match(f) is not None)
    want = sorted(p for p in paths if _reference(pattern, p.split("/")))
    assert got == want


@settings(max_examples=200, deadline=None)
@given(
    path=st.lists(_SEGS, min_size=1, max_size=3),
    a=st.lists(_PSEGS, min_size=1, max_size=3),
    b=st.lists(_PSEGS, min_size=1, max_size=3),
)
def test_overlap_is_true_whenever_a_path_matches_both(path: list[str], a: list[str], b: list[str]) -> None:
    pa, pb = compile_pattern("/".join(a)), compile_pattern("/".join(b))
    text = "/".join(path)
    if pa.match(text) is not None and pb.match(text) is not None:
        assert patterns_overlap(pa, pb)
