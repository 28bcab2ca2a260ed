"""A report's run cost counts what was paid for the tasks it summarises (those it depends on), what killed
builds paid included: two reports over different agents count a killed build's spend once between them, as
they count what their own build paid; the summary line says all of it. Before, each report counted every
dollar the line said killed builds paid, of any task (both reports counted both agents' killed spend), and a
report's cost read after its build had ended counted spend found after it was written (a salvaged answer of
a task it does not summarise), which the report as written did not, nor did the next one written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E
from test_money26_report_ledger import _cost_of, _line

from agentmake.scheduler.summary import usd
from agentmake.store import AttemptRecord, Store

TWO = '''\
agent first:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = """
        FAKE: label=a
        Translate: {{ read(input) }}
        """

agent second:
    inputs = docs/b.md
    outputs = build/b.md
    prompt = """
        FAKE: label=b sleep=1
        Summarise this at length, please, in several words: {{ read(input) }}
        """

report ra:
    inputs = build/a.md
    output = RA.md

report rb:
    inputs = build/b.md
    output = RB.md
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _killed_paid(e2e: E2E) -> dict[str, float]:
    """task -> what the killed build's history row of it cost."""
    with Store.open(e2e.root) as store:
        last = store.last_run_id()
        return {a.task_id: a.cost_usd or 0.0 for a in store.attempts(last) if a.cost_usd}


def test_two_reports_over_different_agents_each_count_their_own_agent_s_killed_spend(e2e: E2E) -> None:
    """Build 2 (-B) pays for new answers of `first` and `second`, records both and is killed as it renames
    `second`'s (the slower); build 3 (the reports' titles changed: both written again) takes it over and
    says both on its line. RA counts `first`'s, RB `second`'s: the two add up to the line. Before, each
    counted both."""
    e2e.write("Agentfile", TWO)
    e2e.write("docs/a.md", "one\n")
    e2e.write("docs/b.md", "two\n")
    assert e2e.am("-j1").code == 0
    crash_at(e2e, "os.rename", "build/b.md", "-j2", "-B", "first", "second")  # (`first` ends first)
    paid = _killed_paid(e2e)
    assert set(paid) == {"first", "second"} and paid["first"] != paid["second"], paid
    e2e.write("Agentfile", TWO.replace("    output = R", '    title = "Again"\n    output = R'))
    run = e2e.am("-j1")
    assert run.code == 0, run
    assert f"{usd(paid['first'] + paid['second'])} (paid by an interrupted run)" in _line(run), run
    assert _cost_of(e2e.read("RA.md")) == usd(paid["first"]), e2e.read("RA.md")
    assert _cost_of(e2e.read("RB.md")) == usd(paid["second"]), e2e.read("RB.md")


def _render(root: Path, run_id: int, report: str) -> str:
    """The cost of `report`'s run summary of build `run_id`, as its build renders it."""
    from agentmake.graph import build_graph
    from agentmake.report.builtin import summary_tasks
    from agentmake.report.summary import render_summary
    from agentmake.syntax import load_agentfile

    graph = build_graph(load_agentfile(root / "Agentfile"))
    with Store.open(root) as store:
        text = render_summary(graph, store, run_id, summary_tasks(graph, report), report=report)
    return _cost_of(text)


def test_spend_found_after_the_report_was_written_is_in_none_of_its_reports(tmp_path: Path) -> None:
    """Build 3 takes over killed build 2 (which paid for `first` and `second`), writes RA, then finds what
    build 2 paid for `second`'s rejected answer in its logs (`record_found`) and ends. RA as written, RA
    rendered once build 3 has ended, and RA written by build 4 count `first`'s alone: `second`'s spend is
    on the line only. Before, RA rendered after the build counted all three ($7.00), as written $3.00."""
    (tmp_path / "Agentfile").write_text(TWO)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("one\n")
    (tmp_path / "docs" / "b.md").write_text("two\n")
    with Store.open(tmp_path) as store:
        one = store.begin_run()
        store.record_attempt(AttemptRecord(one, "ra", "done", 0.0, 1.0))
        store.end_run(one, {"done": 1})
        killed = store.begin_run()
        store.record_attempt(AttemptRecord(killed, "first", "done", 1.0, 2.0, 1, 1.0))
        store.record_attempt(AttemptRecord(killed, "second", "done", 1.0, 2.0, 1, 2.0))
        taker = store.begin_run()
        store.record_attempt(AttemptRecord(taker, "ra", "done", 3.0, 4.0))
    as_written = _render(tmp_path, taker, "ra")
    with Store.open(tmp_path) as store:
        store.record_found(taker, "second", [(3.5, "second.1", 4.0, 9, 9)])
        store.end_run(taker, {"done": 1}, [killed])
        four = store.begin_run()
        store.record_attempt(AttemptRecord(four, "ra", "done", 5.0, 6.0))
    assert as_written == usd(1.0)
    assert _render(tmp_path, taker, "ra") == usd(1.0)
    assert _render(tmp_path, four, "ra") == "$0.00 (no LLM call)"  # (none paid for `first` since build 3)
    assert _render(tmp_path, taker, "rb") == usd(6.0)  # (RB, had build 3 written it: `second`'s)
