"""Every error agentmake prints begins as the others do: `agentmake: error: …`, or, located in a file,
`FILE:LINE:COL: error: …` as compilers say it. An Agentfile error without a location (a bad VAR=value on
the command line: `agentmake jobs=x check`) began with a bare `error: …`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

LOCATED = re.compile(r"^[^\s:]+:\d+:\d+: error: ")


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("in.txt", "x\n")
    e.write(
        "Agentfile", 'agent a:\n    run = "cp {input} {output}"\n    inputs = in.txt\n    outputs = o.txt\n'
    )
    return e


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("jobs=x", "check"), "agentmake: error: command line jobs=x: jobs must be an integer, not 'x'"),
        (("budget=-1",), "agentmake: error: command line budget=-1: budget must be a non-negative number"),
        (("timeout=abc", "list"), "agentmake: error: command line timeout=abc: timeout must be a duration"),
    ],
)
def test_an_error_without_a_location_is_prefixed(e2e: E2E, args: tuple[str, ...], said: str) -> None:
    run = e2e.am(*args)
    assert run.code == 2 and run.err.splitlines()[0].startswith(said), run


@pytest.mark.parametrize(
    "args",
    [("nope",), ("-j", "0"), ("-f", "missing.Agentfile", "check"), ("--bogus",), ("explain",), ("jobs=x",)],
)
def test_each_error_line_begins_as_the_others_do(e2e: E2E, args: tuple[str, ...]) -> None:
    run = e2e.am(*args)
    assert run.code == 2, run
    firsts = [line for line in run.err.splitlines() if not line.startswith(("usage:", " ", "expected:"))]
    assert firsts and all(line.startswith("agentmake: error: ") for line in firsts), run


def test_a_located_error_keeps_its_place_first(e2e: E2E) -> None:
    e2e.write("Agentfile", "agent a:\n    prompt = Summarize the file\n    outputs = o.txt\n")
    run = e2e.am("check")
    assert run.code == 2 and LOCATED.match(run.err.splitlines()[0]), run
