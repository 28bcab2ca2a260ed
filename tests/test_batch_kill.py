"""A kill -9 around a batch of successes recorded together (`Results._record_together`): killed inside the
batch, before its commit, neither answer is recorded and neither is paid for again (the next build salvages
both); killed after the commit, between the renames, the next build runs nothing and puts the recorded result
not yet in place there from the cache."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run

AGENTFILE = '''\
agent translate:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label={{ name }}
        Translate: {{ read(input) }}
        """
'''

# the real CLI, but its loop gathers both results before handling them (so they are recorded together), and
# it is killed with SIGKILL at the second record of that batch (`record`), or as the second output of the
# batch is renamed into place (`rename`)
_WRAPPER = """\
import os, signal, sys, time
from agentmake.scheduler import loop
from agentmake.store import db
mode = sys.argv[1]
real_handle_all, real_record = loop.Build._handle_all, db.Store.record_success
def gathering(self, messages):
    deadline = time.monotonic() + 30
    while 0 < sum(m[0] == "result" for m in messages) < 2 and time.monotonic() < deadline:
        messages.extend(self._receive(0.05))
    real_handle_all(self, messages)
recorded = []
def record(self, record, *args, **kwargs):
    if mode == "record" and self._batching and recorded:
        os.kill(os.getpid(), signal.SIGKILL)
    recorded.append(record.task_id)
    return real_record(self, record, *args, **kwargs)
renamed = []
def hook(name, args):
    if mode == "rename" and name == "os.rename" and str(args[1]).endswith(("build/a.md", "build/b.md")):
        renamed.append(args[1])
        if len(renamed) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
loop.Build._handle_all, db.Store.record_success = gathering, record
sys.addaudithook(hook)
sys.argv = ["agentmake", *sys.argv[2:]]
from agentmake.cli import main
sys.exit(main())
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    e2e.write("docs/b.md", "two\n")
    return e2e


def _killed(e2e: E2E, mode: str) -> Run:
    argv = [sys.executable, "-c", _WRAPPER, mode, "-j2"]
    proc = subprocess.run(argv, cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=60)
    run = Run(("-j2",), proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == -signal.SIGKILL, f"agentmake was not killed ({mode}):\n{run}"
    return run


def _whole(e2e: E2E) -> None:
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\n"
    assert e2e.read("build/b.md") == "ANSWER:\nTranslate: two\n"
    assert not list(e2e.root.rglob("*.agentmake-tmp-*"))
    again = e2e.am()
    assert again.code == 0 and sorted(e2e.calls()) == ["a", "b"], again
    assert again.summary.ran == 0 and again.summary.cached == 0, again


def test_killed_inside_a_batch_before_its_commit_records_neither_and_pays_neither_again(e2e: E2E) -> None:
    _killed(e2e, "record")
    assert sorted(e2e.calls()) == ["a", "b"]
    assert not e2e.exists("build/a.md") and not e2e.exists(
        "build/b.md"
    )  # (nothing renamed before the commit)
    run = e2e.am()
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["a", "b"], run  # both answers salvaged, not asked for again
    assert run.summary.cached == 2 and run.summary.ran == 0, run
    _whole(e2e)


def test_killed_between_the_renames_of_a_committed_batch_runs_nothing(e2e: E2E) -> None:
    _killed(e2e, "rename")
    assert sorted(e2e.calls()) == ["a", "b"]
    assert [e2e.exists("build/a.md"), e2e.exists("build/b.md")].count(True) == 1  # (renamed before the kill)
    run = e2e.am()
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["a", "b"], run
    assert run.summary.ran == 0 and run.summary.cached == 0, run  # b put in place as the batch recorded it
    assert "put in place the results a killed agentmake recorded" in run.text, run
    _whole(e2e)
