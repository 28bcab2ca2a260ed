"""Agents alike but for their outputs' names (three drafts of one prompt, to pick the best): their keys hold
no output path (`plan.pathless`), so they share one; yet each is its own sample, and a task is never given
another's result (`Judge.cached`): a deleted draft is not restored as a copy of another, and a draft added is
asked for, not copied (real CLI, a custom runner whose every answer differs, as a model's does)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

SAMPLER = """\
import os, sys
sys.stdin.read()
print("sample", os.urandom(8).hex())
"""

DRAFT = """
agent draft{n}:
    runner = sampler
    inputs = brief.txt
    outputs = d{n}.md
    prompt = "Write a draft for {{{{ read(input) }}}}"
"""


def _agentfile(tmp_path: Path, drafts: int) -> str:
    script = tmp_path / "sampler.py"
    script.write_text(SAMPLER)
    head = f'runner sampler:\n    command = "{sys.executable} {script}"\n    format = text\n'
    return head + "".join(DRAFT.format(n=n) for n in range(1, drafts + 1))


def test_a_draft_is_never_given_another_drafts_result(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("brief.txt", "a brief\n")
    e2e.write("Agentfile", _agentfile(tmp_path, 2), dedent=False)
    assert e2e.am().summary.ran == 2
    first = {n: e2e.read(f"d{n}.md") for n in (1, 2)}
    assert first[1] != first[2]
    for n in (1, 2):
        (e2e.root / f"d{n}.md").unlink()
    e2e.am()
    again = {n: e2e.read(f"d{n}.md") for n in (1, 2)}
    assert again[1] != again[2], "a deleted draft was restored as a copy of the other"
    e2e.write("Agentfile", _agentfile(tmp_path, 3), dedent=False)
    assert "would run draft3" in e2e.am("-n").out
    build = e2e.am("-v")
    assert build.states["draft3"] == "done", build
    assert e2e.read("d3.md") not in again.values()


def test_a_rename_onto_a_path_another_task_now_makes_under_another_key_still_restores(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """x's a.md renamed b.md, and a new agent y makes a.md (another prompt, another key): the result cached at
    a.md under x's key is x's own, restored at b.md with no call."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    head = _agentfile(tmp_path, 0)
    x = 'agent x:\n    runner = sampler\n    outputs = {out}\n    prompt = "X prompt"\n'
    e2e.write("Agentfile", head + x.format(out="a.md"), dedent=False)
    assert e2e.am().summary.ran == 1
    made = e2e.read("a.md")
    y = '\nagent y:\n    runner = sampler\n    outputs = a.md\n    prompt = "Y prompt"\n'
    e2e.write("Agentfile", head + x.format(out="b.md") + y, dedent=False)
    assert "would restore x" in e2e.am("-n").out
    build = e2e.am("-v")
    assert build.states["x"] == "cached" and build.states["y"] == "done", build
    assert e2e.read("b.md") == made and e2e.read("a.md") != made


def test_each_draft_keeps_its_own_cached_result(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """Drafts alike but for their outputs' names keep their paths in their keys (`pathless.siblings`): each
    has its own cache entry, so deleted drafts are restored, each its own answer, with no call."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("brief.txt", "a brief\n")
    e2e.write("Agentfile", _agentfile(tmp_path, 2), dedent=False)
    assert e2e.am().summary.ran == 2
    first = {n: e2e.read(f"d{n}.md") for n in (1, 2)}
    for n in (1, 2):
        (e2e.root / f"d{n}.md").unlink()
    dry = e2e.am("-n").out
    assert "would restore draft1" in dry and "would restore draft2" in dry, dry
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached) == (0, 2), build
    assert {n: e2e.read(f"d{n}.md") for n in (1, 2)} == first


def test_a_sibling_added_later_does_not_rerun_the_task_built_before(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """A draft built alone is keyed without its path; a second draft alike added later puts the path back
    in its key (`pathless.siblings`): its record is read with the path (`upgrade._paths_back`), so it stays
    up to date and keeps its answer, and deleting it afterwards restores that answer, never the new one's."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("brief.txt", "a brief\n")
    e2e.write("Agentfile", _agentfile(tmp_path, 1), dedent=False)
    assert e2e.am().summary.ran == 1
    made = e2e.read("d1.md")
    # (a variable no prompt reads: decided in full, no memo holds)
    e2e.write("Agentfile", "unused = 1\n" + _agentfile(tmp_path, 2), dedent=False)
    dry = e2e.am("-n").out
    assert "would run draft2" in dry and "draft1" not in dry, dry
    build = e2e.am("-v")
    assert (build.summary.ran, build.summary.up_to_date) == (1, 1), build
    assert build.states["draft2"] == "done", build
    assert e2e.read("d1.md") == made and e2e.read("d2.md") != made
    (e2e.root / "d1.md").unlink()
    assert e2e.am().summary.cached == 1
    assert e2e.read("d1.md") == made
