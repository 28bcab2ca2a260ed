"""What a result recorded and then cut short of its rename cost (agentmake killed between the two): the
build that finishes the commit (`scheduler.recover.take_over`) puts it on its summary line, marked as paid
by an interrupted run, since the killed build never printed one; the builds after it do not count it
again. A commit whose build ended and said its spend (a rename that failed: the task failed, its cost on
that build's line) is finished by the next build at no new cost on its line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
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


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _recorded_cost(e2e: E2E, task: str) -> float:
    cost = {r["task"]: r["last_cost"] for r in json.loads(e2e.am("status", "--json").out)}[task]
    assert cost, cost
    return float(cost)


def test_the_build_that_finishes_a_cut_short_commit_reports_its_cost_once(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    e2e.write("docs/b.md", "bee\n")
    assert e2e.am("-j1").code == 0
    e2e.write("docs/a.md", "one\ntwo\n")
    killed = crash_at(e2e, "os.rename", "build/a.md", "-j1")  # recorded (and paid), not in place
    assert "agentmake: " not in killed.out  # (it printed no summary line)
    paid = _recorded_cost(e2e, "translate:a")
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == [], run
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\ntwo\n"
    summary = run.summary
    assert summary.up_to_date == 2 and summary.cost == pytest.approx(paid, rel=0.01), run
    line = next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))
    assert "(paid by an interrupted run), " in line and " tokens in / " in line, run
    # the next builds: nothing more to report
    for _ in range(2):
        again = e2e.am("-j1")
        assert again.code == 0 and again.summary.cost is None, again
        assert "interrupted run" not in again.out, again
    e2e.write("docs/b.md", "bee\nbuzz\n")
    third = e2e.am("-j1")
    b = _recorded_cost(e2e, "translate:b")
    assert third.summary.cost == pytest.approx(b, rel=0.01) and "interrupted run" not in third.out, third


def test_a_cut_short_commits_cost_counts_against_the_budget_of_the_build_that_reports_it(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    paid = _recorded_cost(e2e, "translate:a")
    e2e.write("docs/c.md", "sea\n")  # a task the killed build never started: it needs a call
    e2e.reset_calls()
    run = e2e.am("-j1", "--budget", "0.000001")  # below what the killed build spent
    assert e2e.calls() == [] and run.code != 0, run  # (c not called: the budget is spent)
    assert run.summary.not_run == 1 and run.summary.cost == pytest.approx(paid, rel=0.01), run
    assert "budget reached" in run.text and "or results it recorded" in run.text, run
    again = e2e.am("-j1")
    assert e2e.calls() == ["c"], again
    assert again.code == 0 and "interrupted run" not in again.out, again


# the real CLI, whose first rename of a file onto `needle` fails (an I/O error): the build goes on and ends,
# the task failed with its result recorded and its `commits` row standing (`outcomes._commit`)
_RENAME_FAILS = """\
import sys
event, needle = "os.rename", sys.argv[1]
failed = []
def hook(name, args):
    if name == event and not failed and str(args[1]).endswith(needle):
        failed.append(1)
        raise OSError(5, "Input/output error")
sys.addaudithook(hook)
sys.argv = ["agentmake", *sys.argv[2:]]
from agentmake.cli import main
sys.exit(main())
"""


def test_a_commit_left_by_a_build_that_said_its_spend_is_finished_at_no_new_cost(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    argv = [sys.executable, "-c", _RENAME_FAILS, "build/a.md", "-j1"]
    proc = subprocess.run(argv, cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=60)
    failed = Run(("-j1",), proc.returncode, proc.stdout, proc.stderr)
    assert failed.code != 0 and failed.summary.failed == 1, failed
    paid = _recorded_cost(e2e, "translate:a")
    assert failed.summary.cost == pytest.approx(paid, rel=0.01), failed  # (said by the build that paid)
    assert not e2e.exists("build/a.md")
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == [] and "put in place the results" in run.err, run
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\n"
    assert run.summary.cost is None and "interrupted run" not in run.out, run


def test_clean_that_finishes_a_cut_short_commit_says_its_cost_and_no_build_counts_it_again(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    paid = _recorded_cost(e2e, "translate:a")
    run = e2e.am("clean")
    said = "finished translate:a's commit, which an agentmake that was killed cut short: its"
    assert run.code == 0 and said in run.out, run
    cost = run.out.split("; it cost $", 1)[1].split(",", 1)[0]
    assert float(cost) == pytest.approx(paid, rel=0.01) and "paid by the interrupted run" in run.out, run
    e2e.reset_calls()
    build = e2e.am("-j1")  # (restored from the cache: no call, nothing more to report)
    assert build.code == 0 and e2e.calls() == [] and build.summary.cached == 1, build
    assert "interrupted run" not in build.out, build
