"""A budget (or a runner refused with -k) holds only new calls: an answer already paid for, salvaged from
the logs, costs the build nothing (README: "nothing towards `--budget`"), so it is still used."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent translate:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label={{ name }}{% if name == "a" %} fail=401{% endif %}
        Translate: {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _answers_in_the_logs_only(e2e: E2E, names: str) -> None:
    """Every task built once, then the state database and the outputs lost: each answer, paid for, is left
    beside its logs only (README: salvaged "when the state database is lost")."""
    e2e.write("Agentfile", AGENTFILE)
    for name in names:
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    first = e2e.am()
    assert first.code == 0 and sorted(e2e.calls()) == sorted(names), first
    for db in (e2e.root / ".agentmake").glob("state.db*"):
        db.unlink()
    for name in names:
        (e2e.root / f"build/{name}.md").unlink()
    e2e.reset_calls()


def test_a_budget_of_zero_still_salvages_answers_already_paid_for(e2e: E2E) -> None:
    _answers_in_the_logs_only(e2e, "bc")
    run = e2e.am("--budget", "0")
    assert e2e.calls() == [], run
    assert run.code == 0, run
    assert run.with_state("cached") == {"translate:b", "translate:c"}, run
    assert e2e.read("build/b.md") == "ANSWER:\nTranslate: doc b\n"
    assert "budget" not in run.text, run  # nothing was held by it


def test_a_budget_reached_mid_build_salvages_the_rest_and_holds_only_new_calls(e2e: E2E) -> None:
    _answers_in_the_logs_only(e2e, "mn")
    e2e.write("docs/b.md", "doc b\n")  # no answer anywhere, first in line: paid, and reaches the budget
    e2e.write("docs/z.md", "doc z\n")  # no answer either: held by the budget
    run = e2e.am("-j1", "--budget", "0.000001")
    assert e2e.calls() == ["b"], run
    assert run.with_state("done") == {"translate:b"}, run
    assert run.with_state("cached") == {"translate:m", "translate:n"}, run
    assert run.with_state("not-run") == {"translate:z"}, run
    assert "not run     translate:z  (budget of $0.000001 reached)" in run.err, run
    assert run.code == 1, run


def test_a_runner_refused_with_k_still_salvages_its_answers_already_paid_for(e2e: E2E) -> None:
    _answers_in_the_logs_only(e2e, "mn")
    e2e.write("docs/a.md", "doc a\n")  # first in line: its key is refused, so the runner calls no more
    e2e.write("docs/z.md", "doc z\n")
    run = e2e.am("-k", "-j1")
    assert e2e.calls() == ["a"], run
    assert run.with_state("failed") == {"translate:a"}, run
    assert run.with_state("cached") == {"translate:m", "translate:n"}, run
    assert run.with_state("not-run") == {"translate:z"}, run
    assert "not run     translate:z  (runner claude failed for another task:" in run.err, run
