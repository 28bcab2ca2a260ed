"""What a salvaged answer cost (`runners.salvage`): paid for by a run killed before it recorded the answer,
so reported by no build; the build that takes it over counts it in its total, says it was paid by an
interrupted run, and counts it against its `--budget`. A spend some build did report (the key recorded, or
an interrupted build that counted it and wrote its history) is not counted again."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for
from test_salvage import AGENTFILE, PAIR, _answered_then_killed

ONE = AGENTFILE.split("agent plain")[0]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _costs(e2e: E2E) -> dict[str, float | None]:
    return {r["task"]: r["last_cost"] for r in json.loads(e2e.am("status", "--json").out)}


def _run_summary_cost(e2e: E2E) -> str:
    """The cost a report's run summary (`report.summary`) gives the latest run."""
    from agentmake.graph import build_graph
    from agentmake.report.summary import render_summary
    from agentmake.store import Store
    from agentmake.syntax import load_agentfile

    graph = build_graph(load_agentfile(e2e.root / "Agentfile"))
    with Store.open(e2e.root) as store:
        text = render_summary(graph, store)
    row = next(line for line in text.splitlines() if line.startswith("| cost "))
    return row.strip("|").split("|")[1].strip()


def test_a_killed_runs_answers_are_counted_once_by_the_build_that_takes_them_over(e2e: E2E) -> None:
    e2e.write("Agentfile", ONE, dedent=False)
    for name in "ab":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    _answered_then_killed(e2e, {"a", "b"})
    e2e.write("docs/c.md", "doc c\n")  # a task the killed run never started: it needs a call
    e2e.reset_calls()
    run = e2e.am("-j1", "--budget", "0.000001")  # below one answer's cost
    assert e2e.calls() == [], run  # a and b salvaged; c not called: the budget is spent by them
    summary = run.summary
    assert (summary.cached, summary.not_run) == (2, 1) and run.code != 0, run
    costs = _costs(e2e)
    paid = costs["translate:a"], costs["translate:b"]
    assert all(paid) and summary.cost == pytest.approx(sum(paid), abs=0.006), (run, costs)  # (as printed)
    line = next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))
    assert "paid by an interrupted run" in line, run
    assert "budget" in run.text, run
    summary_cost = _run_summary_cost(e2e)  # (a report's run summary of that run counts them too)
    assert summary_cost.startswith("$"), summary_cost
    again = e2e.am("-j1")  # c only: a and b are not counted again
    assert e2e.calls() == ["c"] and again.code == 0, again
    c = _costs(e2e)["translate:c"]
    assert c and again.summary.cost == pytest.approx(c, abs=0.006), again
    assert "interrupted run" not in again.out, again
    assert _costs(e2e) | {"translate:c": None} == costs | {"translate:c": None}  # status: as recorded


def test_an_answer_a_ctrl_c_build_counted_is_not_counted_again(e2e: E2E) -> None:
    """Ctrl-C after the agent answered: the stopped build counts what the answer cost in its own total (and
    history); the build that salvages it spends nothing."""
    e2e.write("Agentfile", PAIR, dedent=False)
    e2e.write("src.txt", "v1\n")
    (e2e.fake.state / "stop-lingering").unlink(missing_ok=True)
    e2e.reset_calls()
    build = e2e.spawn()
    try:
        wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), timeout=30, what="the answer")
        build.send_signal(signal.SIGINT)
        out, err = build.communicate(timeout=30)
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
    assert build.returncode == 130 and "$" in out, out + err  # (its summary counts the answer)
    (e2e.fake.state / "stop-lingering").touch()
    e2e.reset_calls()
    run = e2e.am("--budget", "0.000001")
    assert run.code == 0 and e2e.calls() == [] and "salvaged from pair.1.out" in run.err, run
    assert run.summary.cost is None and "interrupted run" not in run.out and "budget" not in run.text, run
