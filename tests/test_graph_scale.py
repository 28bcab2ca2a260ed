"""The indexed "may feed" relation equals the all-pairs definition, and large graphs (chains of thousands of
agents, declared in any order) come out right. Timings live in benchmarks/bench_graph.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_graph_helpers import agent, project, report

from agentmake.graph import build_graph
from agentmake.graph.feeds import feeds
from agentmake.graph.globs import Pattern, _compile_general, compile_pattern, normalize_path
from agentmake.graph.overlap import patterns_overlap


@dataclass
class _Node:
    index: int
    inputs: list[Pattern]
    outputs: list[Pattern] = field(default_factory=list)


def _may_match(p: Pattern, q: Pattern) -> bool:
    """The definition: a literal output is matched exactly, a wildcard output by pattern overlap."""
    if q.is_literal:
        return (
            p.literal_path == q.literal_path
            if p.is_literal
            else p.regex.fullmatch(q.literal_path) is not None
        )
    return patterns_overlap(p, q)


_IN_SEGS = st.sampled_from(["a", "b", "x.md", "*", "*.md", "**", "{n}", "{n}.md", "a{n}", ".h", "?"])
_OUT_SEGS = st.sampled_from(["a", "b", "x.md", "{n}", "{n}.md", "a{n}", "{n}.x.md", ".h"])


def _patterns(segs: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.lists(segs, min_size=1, max_size=3).map("/".join), min_size=1, max_size=2)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_patterns(_IN_SEGS), _patterns(_OUT_SEGS)), min_size=1, max_size=6))
def test_indexed_feeds_equal_all_pairs(specs: list[tuple[list[str], list[str]]]) -> None:
    nodes = [
        _Node(i, [compile_pattern(t) for t in ins], [compile_pattern(t) for t in outs])
        for i, (ins, outs) in enumerate(specs)
    ]
    edges, sources = feeds(nodes)
    for y in nodes:
        for k, p in enumerate(y.inputs):
            want = [x.index for x in nodes if x is not y and any(_may_match(p, q) for q in x.outputs)]
            assert sources[y.index][k] == want, (p.text, [x.outputs for x in nodes])
    for x in nodes:
        want_y = [y.index for y in nodes if any(x.index in per for per in sources[y.index])]
        assert edges[x.index] == want_y


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.md", ".x", "..", ".", "", "c d"]), min_size=1, max_size=4))
def test_plain_path_fast_path_equals_the_general_compiler(parts: list[str]) -> None:
    text = "/".join(parts)
    norm = normalize_path(text)
    if not norm:
        return
    fast = compile_pattern(text)
    slow = _compile_general(norm, text)
    assert fast == slow and fast.literal_path == norm and fast.is_literal == slow.is_literal


def test_long_chain_declared_backwards_links_every_step(tmp_path: Path) -> None:
    n = 2000
    specs = [agent(f"s{i}", "src.txt" if i == 0 else f"b/{i - 1}.md", f"b/{i}.md") for i in range(n)]
    g = build_graph(project(tmp_path, ["src.txt"], *reversed(specs), report("all", "b/*.md", "all.md")))
    assert list(g.tasks)[:3] == ["s0", "s1", "s2"] and list(g.tasks)[-1] == "all"
    assert g.deps["s1999"] == ("s1998",) and g.deps["s0"] == ()
    assert len(g.tasks["all"].inputs) == n and len(g.deps["all"]) == n


def test_wildcard_chain_through_many_directories(tmp_path: Path) -> None:
    n = 300
    specs = [agent(f"s{i}", f"d{i}/{{n}}.md", f"d{i + 1}/{{n}}.md") for i in range(n)]
    g = build_graph(project(tmp_path, ["d0/a.md", "d0/b.md"], *specs[::2], *specs[1::2]))
    assert len(g.tasks) == 2 * n
    assert g.deps[f"s{n - 1}:b"] == (f"s{n - 2}:b",)
    assert g.tasks[f"s{n - 1}:a"].outputs == (f"d{n}/a.md",)


def test_many_wildcard_agents_in_one_directory_link_by_suffix(tmp_path: Path) -> None:
    specs = [agent(f"s{i}", f"b/{{n}}.x{i}.md", f"b/{{n}}.x{i + 1}.md") for i in range(200)]
    g = build_graph(project(tmp_path, ["b/a.x0.md"], *reversed(specs)))
    assert list(g.tasks)[:2] == ["s0:a", "s1:a"] and len(g.tasks) == 200
    assert g.deps["s199:a"] == ("s198:a",)


def test_select_by_many_names_on_a_large_graph(tmp_path: Path) -> None:
    n = 1500
    specs = [agent(f"s{i}", "src.txt" if i == 0 else f"b/{i - 1}.md", f"b/{i}.md") for i in range(n)]
    g = build_graph(project(tmp_path, ["src.txt"], *specs))
    sub = g.select([f"s{i}" for i in range(0, n, 7)])
    assert len(sub.tasks) == 1499 and next(iter(sub.tasks)) == "s0"  # s1498 needs s0..s1497
    named = g.tasks_named("s3")
    named.clear()  # a fresh list each call: changing it changes nothing
    assert [t.id for t in g.tasks_named("s3")] == ["s3"] and g.tasks_named("nope") == []
