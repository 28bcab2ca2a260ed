"""An output edited by hand that a build will replace (the task runs, or is restored, anyway): the build saves
a copy first and says where (README: "Hand-edited outputs are never silently lost"). `-n`, `explain` and
`status` say so of the task beforehand, as they say every other thing the build will do. Real CLI, shell
agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent t:
    run = "cat {input} > {output}"
    inputs = in.txt
    outputs = out.md
"""
SAVED = "out.md was edited by hand: a copy is saved first"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("in.txt", "one\n")
    e.write("Agentfile", AGENTFILE)
    assert e.am().code == 0
    e.write("out.md", "my edit\n")
    return e


def _all_say_it(e2e: E2E, *args: str) -> None:
    dry = e2e.am("-n", *args)
    line = next(ln for ln in dry.out.splitlines() if ln.startswith(("would run t: ", "would restore t: ")))
    assert line.endswith(f"; {SAVED}"), dry
    if not args:  # (-B is a build's option)
        explain = e2e.am("explain", "t")
        assert explain.out.rstrip().endswith(f"; {SAVED}"), explain
        status = e2e.am("status", "--json")
        assert SAVED in json.loads(status.out)[0]["reasons"], status
        assert f"- {SAVED}" in e2e.am("status").out


def test_a_run_that_replaces_a_hand_edit_is_said_to_save_it(e2e: E2E) -> None:
    e2e.write("in.txt", "two\n")
    _all_say_it(e2e)
    build = e2e.am()
    assert "hand-edited output saved: out.md" in build.err, build
    assert e2e.am("-n").out.splitlines() == ["agentmake: 0 to run, 1 up to date (dry run)"]


def test_a_restore_that_replaces_a_hand_edit_is_said_to_save_it(e2e: E2E) -> None:
    e2e.write("in.txt", "two\n")
    e2e.write("out.md", "one\n")  # (as the first build made it: not an edit; then a build of "two")
    assert e2e.am().code == 0
    e2e.write("in.txt", "one\n")  # back: restored from the cache, over an edit
    e2e.write("out.md", "edit again\n")
    _all_say_it(e2e)
    build = e2e.am()
    assert build.states == {"t": "cached"} and "hand-edited output saved: out.md" in build.err, build


def test_forced_rebuild_says_so_too(e2e: E2E) -> None:
    _all_say_it(e2e, "-B")


def test_a_kept_edit_is_not_said_to_be_saved(e2e: E2E) -> None:
    dry = e2e.am("-n")
    assert SAVED not in dry.out and dry.out.splitlines() == ["agentmake: 0 to run, 1 up to date (dry run)"]
