"""The run a summary shows by default (`Journal.last_attempted_run`, `render_summary` without a run) is not
a build that ran nothing and took over a killed build that only restored results from the cache (it spent
nothing: its line said no spend of it): the killed build's run is shown, the latest that did something.
Before, the build that took it over was (`Run 3.`, its table empty of this run's rows, its cost nothing),
as if its line had said what the killed build paid."""

from __future__ import annotations

from pathlib import Path

from agentmake.store import AttemptRecord, Store

AGENTFILE = """\
agent first:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = "Translate: {{ read(input) }}"
"""


def _killed_then_taken_over(root: Path, extra: dict[str, object]) -> None:
    """Build 1 pays for `first`; build 2 restores it from the cache (its row keeps what it once cost) and
    is killed; build 3 finds everything up to date (no row) and takes build 2 over."""
    with Store.open(root) as store:
        one = store.begin_run()
        store.record_attempt(AttemptRecord(one, "first", "done", 1.0, 2.0, 1, 0.25, 10, 5))
        store.end_run(one, {"done": 1})
        two = store.begin_run()  # (killed)
        store.record_attempt(AttemptRecord(two, "first", "cached", 3.0, 3.1, 1, 0.25, 10, 5, extra=extra))
        three = store.begin_run()
        store.end_run(three, {"up-to-date": 1}, [two])


def test_a_restore_only_killed_build_is_the_run_shown_not_the_one_that_took_it_over(tmp_path: Path) -> None:
    from agentmake.graph import build_graph
    from agentmake.report.summary import render_summary
    from agentmake.syntax import load_agentfile

    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("one\n")
    _killed_then_taken_over(tmp_path, {})
    with Store.open(tmp_path) as store:
        assert store.spend_said_by(3) == []  # (its line said nothing of build 2)
        assert store.last_attempted_run() == 2
        text = render_summary(build_graph(load_agentfile(tmp_path / "Agentfile")), store)
    assert "Run 2." in text and "| first | cached |" in text, text


def test_a_killed_build_s_salvaged_answer_no_build_reported_is_said_by_the_one_that_took_it_over(
    tmp_path: Path,
) -> None:
    """Its restore an answer it salvaged and paid for (`paid_earlier`): the line of build 3 said it."""
    _killed_then_taken_over(tmp_path, {"paid_earlier": True})
    with Store.open(tmp_path) as store:
        assert [a.cost_usd for a in store.spend_said_by(3)] == [0.25]
        assert store.last_attempted_run() == 3
