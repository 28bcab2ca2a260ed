"""`agentmake -n` says which answers the build will salvage (paid for by a killed build, never recorded:
`runners.salvage`) instead of "would run": a new user saw "would run translate:a/b/c" after a `kill -9`, and
the build then made no call. Real CLI runs with the fake agents."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E
from test_salvage import AGENTFILE, _answered_then_killed


def test_n_says_the_answers_the_build_will_salvage(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    for name in "abc":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    _answered_then_killed(e2e, {"a", "b", "c", "plain"})
    e2e.write("docs/b.md", "doc b, edited\n")  # b's old answer is for another key: b is asked again
    e2e.reset_calls()
    dry = e2e.am("-n")
    assert dry.code == 0 and e2e.calls() == [], dry
    lines = dry.out.splitlines()
    for name in "ac":  # (before: "would run translate:a: never built")
        [said] = [line for line in lines if f" translate:{name}:" in line]
        assert said.startswith(f"would salvage translate:{name}: "), dry
        paid = rf"interrupted run paid for \(translate_{name}\S*\.1\.out\), not asked again$"
        assert re.search(paid, said), dry
    assert any(line.startswith("would run translate:b: ") for line in lines), dry
    assert any(line.startswith("would run plain: ") for line in lines), dry  # (plain text proves nothing)
    counts = "2 to run, 2 to salvage from the logs, 0 up to date"
    assert lines[-1] == f"agentmake: {counts} (dry run)", dry
    run = e2e.am()  # the build does what -n said
    assert run.code == 0 and sorted(e2e.calls()) == ["b", "plain"], run
    assert (run.summary.ran, run.summary.cached) == (2, 2), run


def test_n_with_the_budget_spent_holds_a_task_whose_log_proves_no_answer(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """A killed attempt's log cut short (no result record) salvages nothing: with the budget spent the build
    holds that call, and -n says so (before: "would run", as if any log of the same key were an answer)."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.split("agent plain")[0], dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    _answered_then_killed(e2e, {"a"})
    [log] = (e2e.root / ".agentmake" / "logs").glob("translate_a*.1.out")
    log.write_text(log.read_text()[:10])  # (the answer cut off: no result record)
    e2e.reset_calls()
    dry = e2e.am("-n", "--budget", "0")
    assert dry.code == 0 and e2e.calls() == [], dry
    assert any(line.startswith("would not run translate:a: ") for line in dry.out.splitlines()), dry
    run = e2e.am("--budget", "0")  # the build does what -n said
    assert e2e.calls() == [] and run.summary.not_run == 1 and run.summary.cached == 0, run
