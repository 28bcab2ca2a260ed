"""(heldux29) "cap for claude lowered to 2" was said after a rate limit of the only claude call of a build,
where the lowered cap holds nothing back; it is said now only where the runner has more calls to make than
the cap lets run (and its growth back only once its lowering was said)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

ONE = """\
retries = 1
backoff = 0.1
jobs = 4

agent a:
    outputs = a.md
    prompt = "FAKE: label=a fail=429 times=1"
"""


def test_a_lone_rate_limited_call_does_not_say_the_cap_was_lowered(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", ONE, dedent=False)
    run = e2e.am()
    assert run.code == 0, run
    assert "retrying    a" in run.err, run  # (it was rate limited)
    assert "cap for claude" not in run.err, run  # (was: "cap for claude lowered to 2", then "raised to 3")


def test_a_lowered_cap_that_holds_calls_back_is_said(tmp_path: Path, fake_agents: FakeAgents) -> None:
    tasks = "".join(
        f'agent a{n}:\n    outputs = a{n}.md\n    prompt = "FAKE: label=a{n} fail=429"\n\n' for n in range(4)
    )
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", "retries = 0\njobs = 2\n\n" + tasks, dedent=False)
    run = e2e.am("-k")
    assert run.code == 1, run
    assert "cap for claude lowered to 1" in run.err, run  # (four calls to make: the cap of 1 holds them back)
