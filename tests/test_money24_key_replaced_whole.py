"""An attempt replaces the key file of the earlier attempt at its log stem whole (`salvage._note_key`):
its old logs go first, then its key is renamed over the old one (`capture.replace_private`), so a kill -9 at
any moment leaves a key file there. A later build looks at an attempt's logs only while each attempt before
it left a key file (`_attempt_keys`: attempts of a build are numbered from 1): before, a build killed after
it removed ``<task>.1.key`` and before it wrote its own left none, and an answer a killed build paid for at
``<task>.2`` was never salvaged again, its agent asked (and paid) again.

Build A: its first attempt fails, its second answers (paid) and A is killed before it records it. Build B
(-B: that answer is not used, its spend recorded as found) is killed as its first attempt removes A's logs at
``bad.1``. Build C salvages A's answer at ``bad.2``: no call. Real CLI runs with the fake claude.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, kill_quietly, wait_for

RETRIED = '''\
agent bad:
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad fail=500 times=1 sleep=2 linger=60
        Translate: {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _second_attempt_paid_then_killed(e2e: E2E) -> None:
    """Build A: attempt 1 fails (exits at once), attempt 2 answers and lingers; A is killed with -9."""
    stop = e2e.fake.state / "stop-lingering"
    stop.touch()  # (the failure exits at once)
    e2e.reset_calls()
    build = e2e.spawn("-j1")
    try:
        wait_for(lambda: len(e2e.calls("bad")) == 2, what="the second attempt")
        stop.unlink()  # (the answer, 2 s later, lingers: A never sees it exit)
        ends = lambda: sum(ev == "end" for ev, *_ in e2e.fake.log_lines())  # noqa: E731
        wait_for(lambda: ends() == 2, what="the second attempt's answer")
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        killed = E2E.finish(build)
    assert "agentmake: " not in killed.out, killed
    stop.touch()
    logs = e2e.root / ".agentmake" / "logs"
    assert (logs / "bad.1.key").exists() and (logs / "bad.2.key").exists()


def test_a_build_killed_as_it_replaces_an_attempts_logs_leaves_the_next_ones_answer_found(e2e: E2E) -> None:
    e2e.write("Agentfile", RETRIED)
    e2e.write("docs/a.md", "one\n")
    _second_attempt_paid_then_killed(e2e)
    crash_at(e2e, "os.remove", "bad.1.out", "-j1", "-B")  # B: killed as its attempt removes A's bad.1 logs
    assert (e2e.root / ".agentmake" / "logs" / "bad.1.key").exists()  # (before: removed, none written)
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == [], run  # A's answer at bad.2, salvaged (before: asked again)
    assert e2e.exists("build/bad.md")
    assert "counted what a killed agentmake spent and never reported (1): bad" in run.text, run  # (B's find)
    again = e2e.am("-j1")
    assert again.code == 0 and again.summary.up_to_date == 1 and again.summary.cost is None, again
