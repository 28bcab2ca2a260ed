"""A report's run cost is what its build's summary line said was paid: what the build's tasks cost before the
report, and what it said killed builds paid (their history rows, what was found in their logs:
`Journal.spend_said_by`), each dollar once. Real CLI runs with the fake agents, killed with -9
(`crash_at`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, Run
from test_money21_killed_spend import CHAIN
from test_money25_killed_rebuild import ANSWERS, _recorded_then_rebuilt_and_killed

from agentmake.scheduler.summary import usd

REPORT = """
report r:
    inputs = build/a.md build/b.md
    output = R.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _line(run: Run) -> str:
    return next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))


def _report_cost(e2e: E2E) -> str:
    """The run cost in the report `R.md` as written by the build that rendered it."""
    return _cost_of(e2e.read("R.md"))


def _summary_cost(e2e: E2E) -> str:
    """The run cost a report's run summary of the latest run gives, rendered now."""
    return _cost_of(_summary(e2e))


def _summary(e2e: E2E) -> str:
    """A report's run summary of the latest run, rendered now."""
    from agentmake.graph import build_graph
    from agentmake.report.summary import render_summary
    from agentmake.store import Store
    from agentmake.syntax import load_agentfile

    graph = build_graph(load_agentfile(e2e.root / "Agentfile"))
    with Store.open(e2e.root) as store:
        return render_summary(graph, store)


def _cost_of(text: str) -> str:
    row = next(line for line in text.splitlines() if line.startswith("| cost "))
    return row.strip("|").split("|")[1].strip()


def _paid(e2e: E2E) -> tuple[float, int, int]:
    """What the history rows of the (killed) builds so far cost: dollars, tokens in, tokens out."""
    from agentmake.store import Store

    with Store.open(e2e.root) as store:
        rows = [a for a in store.attempts() if a.cost_usd is not None]
    return (
        sum(a.cost_usd or 0.0 for a in rows),
        sum(a.tokens_in or 0 for a in rows),
        sum(a.tokens_out or 0 for a in rows),
    )


def test_a_report_counts_the_killed_build_s_recorded_spend_its_build_s_line_said(e2e: E2E) -> None:
    """Killed with -9 once `first` is renamed and `second` recorded: `agentmake report` takes the killed
    build over, says what it spent on its line, and renders the report, whose run cost says it too (it said
    `$0.00 (no LLM call)`: the killed build's found rows counted, its recorded rows not)."""
    e2e.write("Agentfile", CHAIN + REPORT)
    e2e.write("docs/a.md", "one\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1")
    paid, tin, tout = _paid(e2e)
    assert paid > 0 and tin > 0, paid
    run = e2e.am("report", "-j1")
    assert run.code == 0 and f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert f"{tin} tokens in / {tout} out" in _line(run), run
    assert _report_cost(e2e) == usd(paid), e2e.read("R.md")
    assert f"| tokens | {tin} in / {tout} out |" in e2e.read("R.md")
    assert _summary_cost(e2e) == usd(paid)  # (rendered after the build ended: the same)


REPORTED = """
report r:
    inputs = build/bad.md
    output = R.md
"""


def _rebuilt_and_killed(e2e: E2E) -> float:
    """Build 1 makes `bad` and writes the report; build 2 (`-B bad`) pays for a new answer and is killed
    with -9 before it records it. What build 2's answer cost."""
    return _recorded_then_rebuilt_and_killed(e2e, ANSWERS + REPORTED, ran=2)


def _own(e2e: E2E) -> float:
    """What `bad`'s latest attempt cost (its log's result)."""
    out = (e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text()
    return float(json.loads(out.splitlines()[-1])["total_cost_usd"])


def _rewritten(e2e: E2E, edit: str) -> Run:
    """`agentmake report` after an edit of `bad`'s input: `bad` runs again, and the report is written."""
    e2e.write("docs/a.md", edit)
    run = e2e.am("report", "-j1")
    assert run.code == 0 and "report r: " in run.out, run
    assert "Run " in e2e.read("R.md"), e2e.read("R.md")
    return run


def test_spend_said_by_a_build_that_wrote_no_report_is_in_the_next_report_written(e2e: E2E) -> None:
    """Build 3 finds everything up to date (the report too: it writes none) and says what killed build 2
    paid. The next report written (build 4) counts it with its own build's spend, once, and says over
    which runs; the one after it counts its own build's alone. Before, no report ever counted it."""
    paid = _rebuilt_and_killed(e2e)
    run = e2e.am("-j1")
    assert run.code == 0 and f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert "Run 1." in e2e.read("R.md")  # (up to date: not written again)
    _rewritten(e2e, "two\n")
    own = _own(e2e)
    note = " (runs 2–4: paid since this report was last written, in run 1)"
    assert _report_cost(e2e) == usd(paid + own) + note, e2e.read("R.md")
    _rewritten(e2e, "three\n")
    assert _report_cost(e2e) == usd(_own(e2e)), e2e.read("R.md")


def test_spend_said_by_clean_is_in_the_next_report_written(e2e: E2E) -> None:
    """`clean` takes over killed build 2 and says what it paid (no build's line does: `summed_by` 0); the
    next report written counts it, once. Before, no report ever counted it."""
    paid = _rebuilt_and_killed(e2e)
    cleaned = e2e.am("clean")
    assert cleaned.code == 0 and f"cost {usd(paid)}, paid by an agentmake that was killed" in cleaned.out
    run = e2e.am("report", "-j1")
    assert run.code == 0 and run.summary.cost is None and run.summary.cached == 1, run
    note = " (runs 2–3: paid since this report was last written, in run 1)"
    assert _report_cost(e2e) == usd(paid) + note, e2e.read("R.md")
    _rewritten(e2e, "two\n")
    assert _report_cost(e2e) == usd(_own(e2e)), e2e.read("R.md")


def test_a_report_written_by_the_build_that_takes_over_counts_what_it_found_in_the_killed_build_s_logs(
    e2e: E2E,
) -> None:
    """Killed build 2's answer for `bad`, never recorded, is found in its logs by build 3 as it takes over
    (`find_left`, recorded as build 2's: `bad` is up to date); build 3 writes the report anew (its title
    changed) as it runs: the report counts it, as the line does. Before, it counted it only once build 3
    had ended and marked build 2 reported (`summed_by`): a report rendered after the build, never the one
    written."""
    paid = _rebuilt_and_killed(e2e)
    e2e.write("Agentfile", ANSWERS + REPORTED.replace("    output", '    title = "Spent"\n    output'))
    run = e2e.am("report", "-j1")
    assert run.code == 0 and run.summary.up_to_date == 1 and run.summary.ran == 1, run
    assert f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert _report_cost(e2e) == usd(paid), e2e.read("R.md")
    assert _summary_cost(e2e) == usd(paid)


def test_spend_between_counts_each_line_s_dollar_once(tmp_path: Path) -> None:
    """The builds between two that wrote the report, each kind once: an ended build's own rows (of the
    covered tasks), the killed build it reported, what `clean` reported of a killed build; not a killed
    build the build writing the report says (its own `spend_said_by` counts it), nor one a later build
    said."""
    from agentmake.store import AttemptRecord, Store

    store = Store.open(tmp_path)
    try:
        runs = [store.begin_run() for _ in range(6)]
        ended, killed, reporter, cleaned, later, writer = runs

        def paid(run: int, task: str, cost: float) -> None:
            store.record_attempt(AttemptRecord(run, task, "done", 1.0, 2.0, 1, cost))

        paid(ended, "a", 100.0)  # (the build that wrote the report before)
        store.record_attempt(AttemptRecord(ended, "r", "done", 2.0, 3.0))
        store.end_run(ended, {"done": 2})
        paid(killed, "a", 1.0)
        paid(reporter, "a", 2.0)
        paid(reporter, "x", 64.0)  # (a task the report does not cover)
        store.end_run(reporter, {"done": 1}, [killed])
        paid(cleaned, "a", 4.0)
        store.mark_summed([cleaned])
        paid(later, "a", 8.0)
        assert store.last_written("r", writer) == ended
        between = store.spend_between(ended, writer, ["a"])
        assert sorted(a.cost_usd or 0.0 for a in between) == [1.0, 2.0, 4.0]
        assert sum(a.cost_usd or 0.0 for a in store.spend_said_by(writer)) == 8.0  # (it says it as it ends)
        store.end_run(writer, {}, [later])
        assert sum(a.cost_usd or 0.0 for a in store.spend_between(ended, writer, ["a"])) == 7.0
    finally:
        store.close()


def test_the_latest_run_summarised_is_the_up_to_date_build_that_said_a_killed_build_s_spend(e2e: E2E) -> None:
    """Build 3 finds everything up to date and records no history row, but its line says what killed
    build 2 paid: a run summary of the latest run (`render_summary` without a run) is build 3's, with that
    spend. Before, it was build 1's (the latest that recorded a row), which says nothing of it."""
    paid = _rebuilt_and_killed(e2e)
    run = e2e.am("-j1")
    assert run.code == 0 and f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert "Run 3." in _summary(e2e), _summary(e2e)
    assert _summary_cost(e2e) == usd(paid)
