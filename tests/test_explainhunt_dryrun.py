"""`-n`, `-q`, `explain` and `status` against the build that follows them: what the dry run predicts of a task
that waits for an input to be rebuilt (a "may run") must be what the build does with it. Real CLI runs, shell
agents (and the fake claude where a prompt matters)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

DRY = re.compile(r"^(would|may) (run|restore) (\S+?): (.*)$", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def dry(e2e: E2E, *args: str) -> dict[str, tuple[str, str]]:
    """task -> ("would run" / "may run" / "would restore"..., its reasons) of `agentmake -n`."""
    run = e2e.am("-n", *args)
    assert run.code == 0, run
    return {task: (f"{mood} {verb}", why) for mood, verb, task, why in DRY.findall(run.out)}


# `up` keeps the first three bytes of its source: two sources alike in them make the same output (early
# cutoff); `both` reads the two outputs of `up`
PAIR = """\
agent up:
    inputs = src/{n}.txt
    outputs = mid/{n}.txt
    run = "head -c 3 {input} > {output}"

agent both:
    inputs = mid/a.txt mid/b.txt
    outputs = out.txt
    run = "cat {inputs} > {output}"
"""


def test_an_input_restored_from_the_cache_is_seen_restored_by_a_task_waiting_for_another(e2e: E2E) -> None:
    e2e.write("Agentfile", PAIR)
    e2e.write("src/a.txt", "aaa1\n")
    e2e.write("src/b.txt", "bbb1\n")
    assert e2e.am().code == 0
    e2e.write("src/a.txt", "xyz\n")
    assert e2e.am("up:a").code == 0  # mid/a.txt is now "xyz"; `both` saw "aaa"
    e2e.write("src/a.txt", "aaa1\n")  # up:a restores "aaa" from the cache: as `both` saw it
    e2e.write("src/b.txt", "bbb2\n")  # up:b runs and makes "bbb" again
    said = dry(e2e)
    assert said["up:a"][0] == "would restore" and said["up:b"][0] == "would run", said
    assert said["both"][0] == "may run", said  # (it stays up to date if up:b makes mid/b.txt again unchanged)
    assert "mid/a.txt" not in said["both"][1], said  # restored as it saw it: not "changed"
    run = e2e.am()
    assert run.code == 0, run
    assert run.states["both"] == "up-to-date" and run.states["up:b"] == "done", run
