"""A result a build could not put in the cache (a full disk; here the blob directory blocked by a file) is
recorded and kept in place, "not cached". Nothing cached it later, even once the cache could be written
again: deleting the output then cost a paid run again, though the README says every successful result is
kept so that a deleted output never costs a call again. The next build that finds it in place now files it
in the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

_BIG = """\
agent big:
    run = "echo run >> runs.log; yes {input} | head -c 200000 > {output}"
    inputs = src/{n}.txt
    outputs = out/{n}.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _uncached(e2e: E2E) -> None:
    e2e.write("Agentfile", _BIG)
    e2e.write("src/1.txt", "one\n")
    e2e.write(".agentmake/cache", "a file where the cache's directory goes\n")
    run = e2e.am()
    assert run.code == 0 and "not cached" in run.text, run
    (e2e.root / ".agentmake/cache").unlink()  # (the disk has room again)


def test_a_result_not_cached_is_cached_by_a_later_build_that_finds_it_in_place(e2e: E2E) -> None:
    _uncached(e2e)
    assert e2e.am().summary.up_to_date == 1
    (e2e.root / "out/1.txt").unlink()
    run = e2e.am()
    assert run.code == 0, run
    assert (run.summary.ran, run.summary.cached) == (0, 1), run
    assert e2e.read("runs.log") == "run\n"  # (paid once)
    assert e2e.read("out/1.txt").startswith("src/1.txt\n")


def test_a_result_edited_by_hand_since_is_not_cached_as_the_recorded_one(e2e: E2E) -> None:
    """Only the recorded content is filed under the task's key: an output edited since is not, and the
    task's rerun after a deletion is paid for as before."""
    _uncached(e2e)
    e2e.write("out/1.txt", "edited by hand\n")
    assert e2e.am().summary.up_to_date == 1  # (the edit is kept)
    (e2e.root / "out/1.txt").unlink()
    run = e2e.am()
    assert (run.summary.ran, run.summary.cached) == (1, 0), run
    assert e2e.read("out/1.txt").startswith("src/1.txt\n")


def test_a_result_still_not_cacheable_is_tried_again_by_the_next_build(e2e: E2E) -> None:
    _uncached(e2e)
    e2e.write(".agentmake/cache", "still no room\n")
    assert e2e.am().summary.up_to_date == 1
    (e2e.root / ".agentmake/cache").unlink()
    assert e2e.am().summary.up_to_date == 1
    (e2e.root / "out/1.txt").unlink()
    run = e2e.am()
    assert (run.summary.ran, run.summary.cached) == (0, 1), run
