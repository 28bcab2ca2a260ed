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
    run = e2e.am("-v")  # (-v: a line for each task up to date)
    assert run.code == 0, run
    assert run.states["both"] == "up-to-date" and run.states["up:b"] == "done", run


# `tr` (the fake claude) answers the same whatever `up` made of its source: its answer says only its label
CHAIN = """\
agent up:
    inputs = src/{n}.txt
    outputs = mid/{n}.txt
    run = "head -c 3 {input} > {output}"

agent tr:
    inputs = mid/{n}.txt
    outputs = llm/{n}.md
    prompt = prompts/tr.md
    check = "%s"

agent join:
    inputs = mid/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""
PROMPT = "FAKE: label=tr-{{ n }} answer=done\nSay it of:\n{{ read(input) }}\n"


def chain_built(e2e: E2E, check: str = "test -s {output}") -> None:
    e2e.write("Agentfile", CHAIN % check)
    e2e.write("prompts/tr.md", PROMPT)
    e2e.write("src/a.txt", "aaa1\n")
    assert e2e.am().code == 0
    e2e.reset_calls()


def test_a_task_waiting_for_a_rebuilt_input_whose_prompt_changed_too_would_run(e2e: E2E) -> None:
    chain_built(e2e)
    e2e.write("src/a.txt", "aaa2\n")  # up:a runs and makes mid/a.txt again unchanged
    e2e.write("prompts/tr.md", PROMPT.replace("Say it of", "Tell it of"))  # tr:a runs whatever it makes
    said = dry(e2e)
    assert said["tr:a"][0] == "would run", said
    assert "prompt prompts/tr.md changed" in said["tr:a"][1], said
    assert "input mid/a.txt will be rebuilt by up:a" in said["tr:a"][1], said
    explained = e2e.am("explain", "tr:a")
    assert "llm/a.md [tr:a] is stale: " in explained.out, explained
    run = e2e.am()
    assert run.code == 0 and run.states["tr:a"] == "done" and e2e.calls() == ["tr-a"], run


def test_a_prompt_edit_that_renders_the_same_leaves_a_waiting_task_a_may_run(e2e: E2E) -> None:
    chain_built(e2e)
    e2e.write("src/a.txt", "aaa2\n")
    e2e.write("prompts/tr.md", PROMPT.replace("Say it of:", "Say it of:{# a note #}"))  # the same prompt
    assert dry(e2e)["tr:a"][0] == "may run"
    run = e2e.am("-v")  # (-v: a line for each task up to date)
    assert run.code == 0 and run.states["tr:a"] == "up-to-date" and e2e.calls() == [], run


def test_a_task_waiting_for_a_rebuilt_input_whose_runner_or_command_changed_would_run(e2e: E2E) -> None:
    chain_built(e2e)
    e2e.write("src/a.txt", "aaa2\n")
    agentfile = (CHAIN % "test -s {output}").replace("tr.md", "tr.md\n    model = opus")
    e2e.write("Agentfile", agentfile.replace("cat {inputs} > {output}", "cat -- {inputs} > {output}"))
    said = dry(e2e)
    assert said["tr:a"][0] == "would run" and "model changed (default) → opus" in said["tr:a"][1], said
    assert said["join"][0] == "would run" and "command changed" in said["join"][1], said
    run = e2e.am()
    assert run.code == 0 and run.states["tr:a"] == "done" and run.states["join"] == "done", run


def test_a_fan_in_waiting_for_an_input_it_never_read_would_run(e2e: E2E) -> None:
    chain_built(e2e)
    e2e.write("src/b.txt", "bbb\n")  # a new source: join reads one more input, which up:b makes
    said = dry(e2e)
    assert said["join"][0] == "would run", said
    assert "input mid/b.txt was added" in said["join"][1] and "will be rebuilt" not in said["join"][1], said
    run = e2e.am()
    assert run.code == 0 and run.states["join"] == "done", run


def test_a_fan_in_waiting_for_one_input_with_another_gone_would_run(e2e: E2E) -> None:
    chain_built(e2e)
    e2e.write("src/b.txt", "bbb\n")
    e2e.write("src/c.txt", "ccc\n")
    assert e2e.am().code == 0
    (e2e.root / "src/c.txt").unlink()
    (e2e.root / "mid/c.txt").unlink()  # join reads mid/a.txt and mid/b.txt: never built so
    e2e.write("src/a.txt", "aaa2\n")
    said = dry(e2e)
    assert said["join"][0] == "would run" and "input mid/c.txt was removed" in said["join"][1], said
    run = e2e.am()
    assert run.code == 0 and run.states["join"] == "done", run


def test_a_waiting_task_whose_check_alone_changed_may_still_stay(e2e: E2E) -> None:
    chain_built(e2e)
    e2e.write("src/a.txt", "aaa2\n")
    e2e.write("Agentfile", CHAIN % "grep -q done {output}")  # the outputs in place pass it
    assert dry(e2e)["tr:a"][0] == "may run"
    run = e2e.am()
    assert run.code == 0 and run.states["tr:a"] == "up-to-date" and e2e.calls() == [], run
