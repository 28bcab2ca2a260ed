"""End-to-end (real CLI, fake claude): a provider that accepts only so many calls at once. After a rate limit
the halved cap must not spring straight back up (the successes of the calls already running grew it, one
each), or the provider keeps rejecting calls."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
from conftest import FAKE_AGENTS_DIR, FakeAgents
from e2e_helpers import E2E

PROVIDER_LIMIT = 4
TASKS = 40

# A `claude` that holds one of PROVIDER_LIMIT slots (a flock on a slot file, kept across the exec, so it
# is let go when the fake exits, however it exits) for the whole call, or, with every slot taken, rejects it:
# the fake answers the 429 the real claude prints. Both kinds of call log start/end in FAKE_AGENT_LOG.
PROVIDER = """\
import fcntl, os, sys
slots = os.path.join(os.environ["FAKE_AGENT_STATE"], "provider-slots")
os.makedirs(slots, exist_ok=True)
prompt = sys.stdin.read()
for n in range({limit}):
    fd = os.open(os.path.join(slots, str(n)), os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        continue
    os.set_inheritable(fd, True)
    break
else:
    prompt = "FAKE: fail=429\\n" + prompt
r, w = os.pipe()
os.write(w, prompt.encode())
os.close(w)
os.dup2(r, 0)
os.environ["FAKE_AGENT_AS"] = "claude"
os.execv(sys.executable, [sys.executable, "-I", {fake!r}, *sys.argv[1:]])
"""

CAP = re.compile(r"^\[\s*([\d.]+)s\].*cap for claude (lowered|raised) to (\d+)", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    provider = fake_agents.state.parent / "provider.py"
    provider.write_text(PROVIDER.format(limit=PROVIDER_LIMIT, fake=str(FAKE_AGENTS_DIR / "fake_agent.py")))
    wrapper = fake_agents.bin / "claude"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"FAKE_AGENT_STATE={shlex.quote(str(fake_agents.state))}\n"
        f"FAKE_AGENT_LOG={shlex.quote(str(fake_agents.log))}\n"
        "export FAKE_AGENT_STATE FAKE_AGENT_LOG\n"
        f'exec {shlex.quote(sys.executable)} -I {shlex.quote(str(provider))} "$@"\n'
    )
    return E2E(tmp_path / "proj", fake_agents)


def test_a_halved_cap_grows_back_slowly_so_the_provider_limit_is_not_hit_again_and_again(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.5")
    for i in range(TASKS):
        e2e.write(f"items/i{i}.txt", f"item {i}\n")
    e2e.write(
        "Agentfile",
        '''\
        jobs = 8

        runner claude:
            parallel = 8
            retries = 10

        agent work:
            inputs = items/{i}.txt
            outputs = out/{i}.txt
            prompt = """
                FAKE: label={{ i }} sleep=0.4
                {{ read(input) }}
                """
        ''',
    )
    run = e2e.am()
    assert run.code == 0, run
    assert (run.summary.ran, run.summary.failed) == (TASKS, 0), run
    assert all(e2e.read(f"out/i{i}.txt").startswith("ANSWER:") for i in range(TASKS))

    # the fake's own log: every task succeeded once, every other call was a rejection
    calls = e2e.calls()
    assert set(calls) == {f"i{i}" for i in range(TASKS)}
    rejected = len(calls) - TASKS
    # 8 at once against a limit of 4: the first burst rejects about 4, then the cap probes one slot above
    # the limit every few rounds (AIMD: 4 -> 5, rejected, 2 -> 3 -> 4 -> 5 ...): 6 or 7 rejections in the runs
    # measured; when each success added one, successes of calls started before the halving included, the
    # cap went straight back to 8 after each halving: 22 to 24
    assert rejected <= 14, f"{rejected} calls rejected for {TASKS} tasks:\n{run}"

    # the build's messages: the first halving, then no growth until a round of calls started after it
    # (4 of them, 0.4 s each) has succeeded; never above the configured 8; the cap halves again each time the
    # probe above the limit is rejected
    caps = [(float(t), how, int(n)) for t, how, n in CAP.findall(run.err)]
    assert caps and caps[0][1:] == ("lowered", 4), run.err
    raised = [(t, n) for t, how, n in caps if how == "raised"]
    assert raised and raised[0][1] == 5 and raised[0][0] - caps[0][0] >= 0.4, caps
    assert all(n <= 8 for _, _, n in caps)
    lowered = [n for _, how, n in caps if how == "lowered"]
    assert len(lowered) <= rejected
