"""A build killed with -9 after it wrote a report: the report counted what its build's tasks had paid before
it (and what that build said killed builds paid). The build that takes the killed one over says all of its
spend on its line; a report it (or a later build) writes again counts each dollar once: not again the ones
the report written by the killed build counted already. Real CLI runs with the fake agents (`crash_at`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E
from test_money26_report_ledger import _cost_of

from agentmake.scheduler.summary import usd

AGENTFILE = '''\
agent first:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = """
        FAKE: label=a
        Translate: {{ read(input) }}
        """

report r:
    inputs = build/a.md
    output = R.md

agent later:
    inputs = R.md
    outputs = build/b.md
    prompt = """
        FAKE: label=b
        Summarise: {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _cost(e2e: E2E, run: int, task: str) -> float:
    from agentmake.store import Store

    with Store.open(e2e.root) as store:
        return sum(a.cost_usd or 0.0 for a in store.attempts(run) if a.task_id == task)


def _found(e2e: E2E) -> float:
    from agentmake.store import Store

    with Store.open(e2e.root) as store:
        return sum(a.cost_usd or 0.0 for a in store.found_in(1) + store.found_in(2))


def test_a_report_written_again_after_its_build_was_killed_counts_its_dollars_once(e2e: E2E) -> None:
    """Build 1 makes `first`, writes the report (its cost: what `first` paid) and is killed as `later`'s
    answer is put in place. Build 2 (an edit of `first`'s input) takes it over: its line says what build 1
    paid, and it writes the report again, whose cost counts `first`'s new answer, not `first`'s answer of
    build 1 again (it did, before), nor `later`'s of build 1: the report does not summarise `later`
    (test_money27_report_scope; it counted it on 451f377)."""
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one " * 2000 + "\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1", "r", "later")
    first_paid = _cost(e2e, 1, "first")
    assert first_paid > 0 and _cost_of(e2e.read("R.md")) == usd(first_paid), e2e.read("R.md")
    e2e.write("docs/a.md", "two " * 2000 + "\n")
    run = e2e.am("-j1", "r", "later")
    assert run.code == 0 and "Run 2." in e2e.read("R.md"), run
    after_paid = _cost(e2e, 1, "later") + _found(e2e)
    assert after_paid > 0
    assert _cost_of(e2e.read("R.md")) == usd(_cost(e2e, 2, "first")), e2e.read("R.md")


def test_a_report_written_by_a_later_build_counts_the_killed_build_s_dollars_once(e2e: E2E) -> None:
    """As above, but build 2 finds the report up to date (it writes none) and build 3 writes it: its cost
    spans build 2's line, which said what killed build 1 paid, but for what the report of build 1 counted
    and `later`'s answer, which it does not summarise."""
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one " * 2000 + "\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1", "r", "later")
    first_paid = _cost(e2e, 1, "first")
    run = e2e.am("-j1", "r", "later")
    assert run.code == 0 and "Run 1." in e2e.read("R.md"), run
    after_paid = _cost(e2e, 1, "later") + _found(e2e)
    assert after_paid > 0
    e2e.write("docs/a.md", "two " * 2000 + "\n")
    run = e2e.am("-j1", "r", "later")
    assert run.code == 0 and "Run 3." in e2e.read("R.md"), run
    assert first_paid > 0
    assert _cost_of(e2e.read("R.md")).startswith(usd(_cost(e2e, 3, "first"))), e2e.read("R.md")


def test_what_clean_said_of_the_build_that_wrote_the_report_is_counted_as_a_build_s(e2e: E2E) -> None:
    """As above, but `clean` takes killed build 1 over and says what it paid (`summed_by` 0): the report
    written next (build 2, after an edit) counts neither `first`'s answer of build 1 again nor `later`'s
    (which it does not summarise), as when a build says it."""
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one " * 2000 + "\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1", "r", "later")
    cleaned = e2e.am("clean")
    assert cleaned.code == 0 and "paid by an agentmake that was killed" in cleaned.out, cleaned
    after_paid = _cost(e2e, 1, "later") + _found(e2e)
    assert after_paid > 0
    e2e.write("docs/a.md", "two " * 2000 + "\n")
    run = e2e.am("-j1", "r")
    assert run.code == 0 and "Run 2." in e2e.read("R.md"), run
    expected = usd(_cost(e2e, 2, "first"))
    assert _cost_of(e2e.read("R.md")).startswith(expected), e2e.read("R.md")
