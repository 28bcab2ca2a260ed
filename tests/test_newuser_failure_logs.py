"""A failed task's lines in the build's summary say where its last attempt's logs are (`logs: ...`), in the
plain display's failures list, in silent mode (-s), and from another directory (-C) as a path from there."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent boom:
    run = "echo some output; echo bad thing >&2; exit 3"
    inputs = in.txt
    outputs = out.txt
    retries = 1

agent fine:
    run = "cp {inputs} {output}"
    inputs = in.txt
    outputs = fine.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("in.txt", "hello\n")
    e.write("Agentfile", AGENTFILE)
    return e


def test_the_failures_list_names_the_logs_of_the_last_attempt(e2e: E2E) -> None:
    run = e2e.am("-k")
    assert run.code == 1, run
    lines = run.err.splitlines()
    at = lines.index("✗ boom after 2 attempts: exited with code 3: bad thing")
    assert lines[at + 1] == "    logs: .agentmake/logs/boom.2.err, .agentmake/logs/boom.2.out", run
    # the files it names are there and hold what the attempt printed
    assert e2e.read(".agentmake/logs/boom.2.err") == "bad thing\n"
    assert e2e.read(".agentmake/logs/boom.2.out") == "some output\n"
    assert "fine.txt" not in run.err and ".agentmake/logs/fine" not in run.err  # (a task that did not fail)


def test_silent_mode_names_the_logs_too(e2e: E2E) -> None:
    run = e2e.am("-s", "-k")
    assert run.code == 1, run
    assert run.err.splitlines() == [
        "agentmake: boom failed: exited with code 3: bad thing",
        "agentmake: boom logs: .agentmake/logs/boom.2.err, .agentmake/logs/boom.2.out",
    ], run


def test_from_another_directory_the_logs_are_named_from_there(e2e: E2E) -> None:
    run = E2E(e2e.root.parent, e2e.fake).am("-C", "proj", "-k")
    assert run.code == 1, run
    assert (
        "    logs: proj/.agentmake/logs/boom.2.err, proj/.agentmake/logs/boom.2.out" in run.err.splitlines()
    )


def test_a_task_that_failed_before_its_process_started_names_no_logs(e2e: E2E) -> None:
    # (its output's directory cannot be made: in.txt is a file)
    e2e.write(
        "Agentfile",
        'agent boom:\n    run = "cat {inputs} > {output}"\n    inputs = in.txt\n    outputs = in.txt/o\n',
    )
    run = e2e.am()
    assert run.code == 1 and "✗ boom: cannot make the directory of an output" in run.err, run
    assert "logs:" not in run.err, run
