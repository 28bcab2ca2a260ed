"""The one summary line every build ends with, in exactly the form scripts read."""

from __future__ import annotations

from agentmake.scheduler import BuildResult, TaskOutcome


def result(*outcomes: TaskOutcome) -> BuildResult:
    return BuildResult(run_id=1, outcomes={o.task_id: o for o in outcomes}, started_at=10.0, ended_at=18.34)


def test_counts_and_wall_time() -> None:
    r = result(
        TaskOutcome("a", "done"),
        TaskOutcome("b", "cached"),
        TaskOutcome("c", "up-to-date"),
        TaskOutcome("d", "failed"),
        TaskOutcome("e", "done"),
    )
    assert r.summary_line() == "agentmake: 2 ran, 1 cached, 1 up to date, 1 failed in 8.3s"


def test_cost_is_appended_when_known_and_a_cheap_run_is_not_zero() -> None:
    assert (
        result(TaskOutcome("a", "done", cost_usd=0.25), TaskOutcome("b", "done", cost_usd=0.17))
        .summary_line()
        .endswith("in 8.3s, $0.42")
    )
    assert result(TaskOutcome("a", "done", cost_usd=0.0007)).summary_line().endswith(", $0.0007")
    assert result(TaskOutcome("a", "done", cost_usd=0.000027)).summary_line().endswith(", $0.000027")


def test_interrupted_and_not_run_tasks_are_counted_when_there_are_any() -> None:
    r = result(
        TaskOutcome("a", "done"),
        TaskOutcome("b", "interrupted"),
        TaskOutcome("c", "interrupted"),
        TaskOutcome("d", "not-run"),
    )
    head = "agentmake: 1 ran, 0 cached, 0 up to date, 0 failed"
    assert r.summary_line() == f"{head}, 2 interrupted, 1 not run in 8.3s"
    stopped = result(TaskOutcome("a", "failed"), TaskOutcome("b", "not-run"))
    assert stopped.summary_line() == "agentmake: 0 ran, 0 cached, 0 up to date, 1 failed, 1 not run in 8.3s"


def test_a_partial_report_is_counted_apart_from_the_tasks_that_ran() -> None:
    # with -k, a report built without a failed task's output: it ran, but its result is not whole
    r = result(
        TaskOutcome("a", "done"),
        TaskOutcome("b", "failed"),
        TaskOutcome("r", "done", partial="1 of 2 inputs missing"),
        TaskOutcome("s", "not-run"),
    )
    assert (
        r.summary_line() == "agentmake: 1 ran, 0 cached, 0 up to date, 1 failed, 1 not run, 1 partial in 8.3s"
    )
    assert r.counts() == {"done": 2, "failed": 1, "not-run": 1}  # (the states themselves are unchanged)


def test_a_known_cost_beside_calls_that_reported_none_is_not_told_as_the_total() -> None:
    # (claude reported $0.0007, codex nothing: the line said "$0.0007", as if that were what the build cost,
    # where the report says "$0.0007 + unknown")
    r = result(TaskOutcome("a", "done", cost_usd=0.0007), TaskOutcome("b", "done", unpriced=True))
    assert r.summary_line().endswith("in 8.3s, $0.0007 + unknown")
    # (only calls that reported nothing: no sum to qualify, as before)
    assert result(TaskOutcome("b", "done", unpriced=True)).summary_line().endswith("in 8.3s")
