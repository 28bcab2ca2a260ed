"""`-n` of what depends on a task that would fail (its prompt does not render for its inputs: a build fails it
with no call): the build runs none of its dependents ("bad failed"), with or without -k, so the dry
run says `would not run` of each, naming it, and counts them `not run`, not `to run`. With -k a report reading
it and something else is still built (a partial report). Real CLI, shell agents and one prompt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent bad:
    prompt = p.md
    inputs = src/a.txt
    outputs = bad.md

agent after:
    run = "cat {input} > {output}"
    inputs = bad.md
    outputs = after.txt

agent after2:
    run = "cat {input} > {output}"
    inputs = after.txt
    outputs = after2.txt

agent other:
    run = "cat {input} > {output}"
    inputs = src/a.txt
    outputs = other.txt

report review:
    inputs = after2.txt other.txt
    output = REVIEW.md
    summary = false
"""
DRY = re.compile(r"^(would run|would not run|would fail|may run) (\S+?): (.*)$", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("src/a.txt", "", dedent=False)  # (read whole, it renders the prompt empty: `bad` would fail)
    e.write("p.md", "{{ read(input) }}", dedent=False)
    e.write("Agentfile", AGENTFILE)
    return e


def _said(out: str) -> dict[str, tuple[str, str]]:
    return {task: (verb, why) for verb, task, why in DRY.findall(out)}


@pytest.mark.parametrize("keep_going", [False, True])
def test_dependents_of_a_task_that_would_fail_would_not_run(e2e: E2E, keep_going: bool) -> None:
    k = ["-k"] if keep_going else []
    dry = e2e.am("-n", *k)
    assert dry.code == 1, dry
    said = _said(dry.out)
    assert said["bad"][0] == "would fail", dry
    assert said["after"] == ("would not run", "bad would fail"), dry
    assert said["after2"] == ("would not run", "bad would fail"), dry
    if keep_going:  # (a partial report, from other.txt)
        assert said["other"][0] == "would run" and said["review"][0] in ("would run", "may run"), dry
        last = "agentmake: 2 to run, 1 would fail, 2 not run, 0 up to date (dry run)"
        assert dry.out.splitlines()[-1] == last, dry
    else:
        assert said["review"] == ("would not run", "bad would fail"), dry
    build = e2e.am(*k)
    assert build.code == 1, build
    assert {"after", "after2"} <= build.with_state("not-run"), build
    if keep_going:
        assert build.with_state("done") == {"other", "review"}, build
    assert e2e.calls() == []


def test_with_k_a_report_none_of_whose_inputs_would_be_made_would_not_run(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("inputs = after2.txt other.txt", "inputs = after2.txt"))
    dry = e2e.am("-n", "-k")
    said = _said(dry.out)
    assert said["review"][0] == "would not run", dry
    assert "none of its inputs would be made (bad would fail)" in said["review"][1], dry
    build = e2e.am("-k")
    assert "review" in build.with_state("not-run"), build


def test_verbose_would_not_run_tells_every_reason(e2e: E2E) -> None:
    """`-n -v` names every input of each line; a `would not run` line too (the budget holds it)."""
    names = " ".join(f"src/{n}.txt" for n in "bcdef")
    for n in "bcdef":
        e2e.write(f"src/{n}.txt", f"{n}\n")
    e2e.write("Agentfile", f'agent t:\n    prompt = "hi"\n    inputs = {names}\n    outputs = t.md\n')
    assert e2e.am().code == 0
    for n in "bcdef":
        e2e.write(f"src/{n}.txt", f"{n} again\n")
    brief = _said(e2e.am("--budget", "0", "-n").out)["t"]
    grouped = "5 inputs changed: src/b.txt, src/c.txt and 3 more (budget of $0.00 reached)"
    assert brief == ("would not run", grouped), brief
    verbose = e2e.am("--budget", "0", "-n", "-v")
    said = _said(verbose.out)["t"]
    assert said[0] == "would not run" and "and 3 more" not in said[1], verbose
    assert all(f"input src/{n}.txt changed" in said[1] for n in "bcdef"), verbose


def test_explain_says_what_would_fail_and_what_would_not_run(e2e: E2E) -> None:
    """`explain` of a task downstream of one whose prompt does not render says the chain as -n and status do
    (the build fails that task alone, exit 1), rather than refusing as an Agentfile error (exit 2)."""
    explain = e2e.am("explain", "after2")
    assert explain.code == 0, explain
    lines = explain.out.splitlines()
    assert lines[0].startswith("bad.md [bad] would fail: p.md:1:1: ") and "renders empty" in lines[0], explain
    assert lines[1:] == [
        "after.txt [after] will not run: bad would fail",
        "after2.txt [after2] will not run: bad would fail",
    ], explain
    other = e2e.am("explain", "review")  # (other would run: the chain of each input is told)
    assert "other.txt [other] is stale: never built" in other.out.splitlines(), other
    assert "REVIEW.md [review] will not run: bad would fail" in other.out.splitlines(), other
