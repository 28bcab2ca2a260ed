"""An agent whose whole answer came (the result record such a CLI prints last, not an error) but whose process
then exited non-zero (a crash in the CLI's teardown) is not paid for again: its answer is judged as any other,
as one delivered before a timeout is, and as the next build would salvage it anyway."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

CRASH = """\
#!/bin/sh
claude "$@"
status=$?
echo "crashed in teardown" >&2
[ "$status" = 0 ] && exit 1
exit "$status"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.05")
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("crash.sh", CRASH).chmod(0o755)
    return e2e


def _agentfile(e2e: E2E, prompt: str) -> None:
    e2e.write(
        "Agentfile",
        f"""\
        runner crashy:
            base = claude
            command = "./crash.sh -p --output-format json"

        agent a:
            runner = crashy
            outputs = a.txt
            prompt = "{prompt}"
        """,
    )


def test_an_answer_delivered_then_a_failed_exit_is_used_not_paid_again(e2e: E2E) -> None:
    _agentfile(e2e, "FAKE: label=a\\nSay hello.")
    run = e2e.am()
    assert e2e.calls() == ["a"], run  # one call, paid once
    assert run.code == 0 and run.with_state("done") == {"a"}, run
    assert e2e.read("a.txt").rstrip() == "ANSWER:\nSay hello."
    assert run.summary.cost is not None and run.summary.cost > 0, run  # (what it cost is still counted)


def test_an_error_result_with_a_failed_exit_is_still_a_failure(e2e: E2E) -> None:
    _agentfile(e2e, "FAKE: label=a fail=500 times=1\\nSay hello.")
    run = e2e.am()
    assert e2e.calls() == ["a", "a"], run  # the API error is retried
    assert run.code == 0 and run.with_state("done") == {"a"}, run
    assert "attempt 2" in run.err, run
