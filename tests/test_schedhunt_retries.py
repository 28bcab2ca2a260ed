"""A retry the build no longer starts says why, wherever the failure is shown (the failures' list, status):
its budget was reached, or its runner failed for the whole build (-k), as a stopped build already says."""

from __future__ import annotations

from pathlib import Path

from test_scheduler import build
from test_scheduler_fakes import Spec, Step


def test_a_retry_held_by_the_budget_says_so_in_the_failure(tmp_path: Path) -> None:
    plans = {"t": [Step(0.01, "retry", "rate-limit", cost=0.5), Step(0.01)]}
    result, executor, store, _, sink = build(tmp_path, [Spec("t")], plans=plans, budget=0.5)
    assert len(executor.entries("t")) == 1  # the retry would be paid for: not started
    out = result.outcomes["t"]
    assert out.state == "failed"
    assert out.message is not None and out.message.endswith(" (not retried: budget of $0.50 reached)"), out
    assert sink.of("t")[-1].action == "not retried: budget of $0.50 reached"
    assert store.logged[-1][3].endswith("(not retried: budget of $0.50 reached)"), store.logged


def test_a_retry_held_by_a_runner_refused_with_k_says_so_in_the_failure(tmp_path: Path) -> None:
    # `wait` is rate limited, and waits at least 0.5 s for its retry; meanwhile `bad` finds the runner's key
    # refused: with -k none of the runner's calls starts any more, the retry included
    specs = [Spec("bad"), Spec("wait")]
    plans = {"bad": [Step(0.1, "fatal", "auth")], "wait": [Step(0.01, "retry", "rate-limit"), Step(0.01)]}
    result, executor, *_ = build(
        tmp_path, specs, plans=plans, jobs=2, keep_going=True, backoff_base=1.0, backoff_cap=1.0
    )
    assert len(executor.entries("wait")) == 1
    out = result.outcomes["wait"]
    assert out.state == "failed"
    assert out.message is not None and "(not retried: runner r failed for another task: " in out.message, out
