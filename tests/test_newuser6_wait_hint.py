"""A build stopped by another agentmake holding the project says that `--wait` would have waited for it
(newuser6: the error named only `wait for it to end, or stop it`, and the user had to find the option)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a linger=300\\n{{ read(input) }}"

agent b:
    inputs = b.md
    outputs = out/b.md
    prompt = "FAKE: label=b\\n{{ read(input) }}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    e2e.write("b.md", "beta\n")
    return e2e


@pytest.mark.parametrize("args", [("b",), ("clean",), ("-t", "b")])
def test_a_command_stopped_by_the_lock_names_wait(e2e: E2E, args: tuple[str, ...]) -> None:
    first = e2e.spawn("a")
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        run = e2e.am(*args)
        assert run.code == 2, run
        assert f"another agentmake (pid {first.pid}) is using" in run.err, run
        assert "run it again with --wait, which waits for it" in run.err, run
    finally:
        (e2e.fake.state / "stop-lingering").touch()
        first.communicate(timeout=60)
