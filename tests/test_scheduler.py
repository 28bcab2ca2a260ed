"""The scheduler's loop against real subprocesses (see test_scheduler_fakes for the stand-ins)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import xxhash
from test_scheduler_fakes import EventLog, FakeRebuilder, FakeStore, SleepExecutor, Spec, Step, make_graph

from agentmake.display import summary_lines
from agentmake.scheduler import BuildOptions, BuildResult, run_build
from agentmake.scheduler.events import TaskEvent

FAST = dict(backoff_base=0.05, backoff_cap=0.2)


def build(
    tmp_path: Path,
    specs: list[Spec],
    *,
    runners: dict[str, int | None] | None = None,
    plans: dict[str, list[Step]] | None = None,
    default: Step | None = None,
    means: dict[str, float] | None = None,
    actions: dict[str, str] | None = None,
    sink: EventLog | None = None,
    retries: int = 2,
    **options: object,
) -> tuple[BuildResult, SleepExecutor, FakeStore, FakeRebuilder, EventLog]:
    graph = make_graph(tmp_path, specs, runners, retries=retries)
    store = FakeStore(tmp_path, means)
    rebuilder = FakeRebuilder(actions)
    executor = SleepExecutor(tmp_path, plans or {}, default or Step())
    sink = sink or EventLog()
    opts = BuildOptions(**{**FAST, **options})  # type: ignore[arg-type]
    result = run_build(graph, rebuilder, executor, store, opts, sink)  # type: ignore[arg-type]
    return result, executor, store, rebuilder, sink


def test_independent_tasks_run_jobs_at_a_time(tmp_path: Path) -> None:
    specs = [Spec(f"t{i}") for i in range(8)]
    t0 = time.monotonic()
    result, executor, *_ = build(tmp_path, specs, default=Step(0.3), jobs=4)
    wall = time.monotonic() - t0
    assert result.count("done") == 8 and result.ok
    assert executor.max_overlap() == 4
    assert wall < 0.75 * 8 * 0.3  # ideal 0.6 s, serial 2.4 s
    for i in range(8):
        assert (tmp_path / f"out/t{i}.txt").read_text() == f"t{i} attempt 1\n"


def test_runner_caps_are_never_exceeded(tmp_path: Path) -> None:
    specs = [Spec(f"a{i}", runner="a") for i in range(6)] + [Spec(f"b{i}", runner="b") for i in range(4)]
    result, executor, *_ = build(tmp_path, specs, runners={"a": 2, "b": 1}, default=Step(0.15), jobs=4)
    assert result.ok
    by_runner = {r: [e for e in executor.log if e.runner == r] for r in ("a", "b")}
    assert executor.max_overlap(by_runner["a"]) == 2
    assert executor.max_overlap(by_runner["b"]) == 1
    assert executor.max_overlap() <= 3


def test_a_slow_task_does_not_hold_back_unrelated_ready_tasks(tmp_path: Path) -> None:
    specs = [Spec("slow"), Spec("f1"), Spec("f2", deps=("f1",)), Spec("f3", deps=("f2",))]
    plans = {"slow": [Step(1.5)]}
    result, executor, _, _, sink = build(tmp_path, specs, plans=plans, default=Step(0.05), jobs=2)
    assert result.ok
    slow = executor.entries("slow")[0]
    assert executor.entries("f3")[0].end < slow.end  # no layer barrier: the chain finished beside `slow`
    assert sink.states("f2")[:2] == ["pending", "waiting"]


def test_longest_remaining_path_starts_first(tmp_path: Path) -> None:
    # declaration order puts `short` first, but `head` leads a chain recorded as 10 s long
    specs = [Spec("short"), Spec("head"), Spec("tail", deps=("head",)), Spec("lo"), Spec("hi", priority=5)]
    means = {"short": 1.0, "head": 1.0, "tail": 10.0, "lo": 0.5, "hi": 0.5}
    result, executor, *_ = build(tmp_path, specs, means=means, default=Step(0.01), jobs=1)
    assert result.ok
    order = [e.task_id for e in executor.log]
    assert order.index("head") < order.index("short")
    assert order.index("hi") < order.index("lo")  # equal weight: priority breaks the tie


def test_retry_with_backoff_then_success(tmp_path: Path) -> None:
    plans = {"t": [Step(0.01, "retry", "timeout"), Step(0.01, "retry", "exit"), Step(0.01)]}
    result, executor, store, _, sink = build(tmp_path, [Spec("t")], plans=plans)
    assert result.outcomes["t"].state == "done" and result.outcomes["t"].attempts == 3
    retrying = [e for e in sink.of("t") if e.state == "retrying"]
    assert [(e.attempt, e.max_attempts) for e in retrying] == [(1, 3), (2, 3)]
    assert all(e.retry_in is not None and 0 <= e.retry_in <= 0.2 for e in retrying)
    assert [x[4].split(" in ")[0] for x in store.logged] == ["retrying", "retrying"]
    assert len(executor.discarded) == 2
    assert store.successes[0][0].attempts == 3


def test_retries_exhausted_and_per_agent_override(tmp_path: Path) -> None:
    specs = [Spec("t"), Spec("once", retries=0)]
    bad = [Step(0.01, "retry", "exit")]
    result, executor, store, _, sink = build(tmp_path, specs, plans={"t": bad, "once": bad}, keep_going=True)
    assert result.outcomes["t"].state == "failed" and len(executor.entries("t")) == 3
    assert len(executor.entries("once")) == 1
    assert sink.of("t")[-1].action == "gave up after 3 attempts"
    assert sink.of("once")[-1].action == "gave up after 1 attempts"
    assert store.states() == {"t": "failed", "once": "failed"}


def test_fatal_is_not_retried(tmp_path: Path) -> None:
    result, executor, store, _, sink = build(
        tmp_path, [Spec("t")], plans={"t": [Step(0.01, "fatal", "auth")]}
    )
    assert result.outcomes["t"].state == "failed" and not result.ok
    assert len(executor.entries("t")) == 1
    last = sink.of("t")[-1]
    assert (last.state, last.error_type, last.action) == ("failed", "auth", "not retried: fatal")
    assert store.logged[-1][2:] == ("auth", "t failed (auth)", "not retried: fatal")


def test_rate_limit_halves_the_runner_cap_once_per_burst_then_grows_it_back(tmp_path: Path) -> None:
    # all four first attempts are rejected together: one burst, one halving (4 -> 2, not 4 -> 2 -> 1); the
    # retries, started after it, are rejected again: a new signal, 2 -> 1; then one more slot per round of
    # successes (1 at cap 1)
    specs = [Spec(f"t{i}") for i in range(4)]
    plans = {
        f"t{i}": [Step(0.1, "retry", "rate-limit"), Step(0.3, "retry", "rate-limit"), Step(0.1)]
        for i in range(4)
    }
    result, executor, _, _, sink = build(tmp_path, specs, runners={"r": 4}, plans=plans, jobs=4, retries=3)
    assert result.ok
    first = [e for e in executor.log if e.attempt == 1]
    second = [e for e in executor.log if e.attempt == 2]
    assert executor.max_overlap(first) == 4
    assert executor.max_overlap(second) == 2  # cap 2 after the first burst (1 if each rejection halved it)
    caps = [n for e in sink.events for n in (e.action or "").split("; ") if n.startswith("cap for r")]
    assert caps[:2] == ["cap for r lowered to 2", "cap for r lowered to 1"]
    assert "cap for r raised to 2" in caps


@pytest.mark.parametrize("error_type", ["rate-limit", "exit"])
def test_a_rate_limit_is_never_retried_at_once(tmp_path: Path, error_type: str) -> None:
    """After a rate limit the wait is at least half its ceiling; after any other failure it may be short (the
    whole range: 16 first retries below half the ceiling with probability 1 - 2^-16)."""
    specs = [Spec(f"t{i}") for i in range(16)]
    plans = {f"t{i}": [Step(0.01, "retry", error_type), Step(0.01)] for i in range(16)}
    result, _, _, _, sink = build(tmp_path, specs, plans=plans, jobs=16)
    assert result.ok
    waits = [e.retry_in for e in sink.events if e.state == "retrying"]
    assert len(waits) == 16 and max(waits) <= FAST["backoff_base"]
    if error_type == "rate-limit":
        assert min(waits) >= FAST["backoff_base"] / 2
    else:
        assert min(waits) < FAST["backoff_base"] / 2


def _stop_graph() -> list[Spec]:
    return [
        Spec("bad"),
        Spec("slow"),
        Spec("other"),
        Spec("child", deps=("bad",)),
        Spec("grand", deps=("child",)),
    ]


def test_stop_after_first_failure(tmp_path: Path) -> None:
    plans = {"bad": [Step(0.05, "fatal", "exit")], "slow": [Step(0.6)]}
    # weights make `bad` and `slow` start first at -j2; `other` waits for a slot
    means = {"bad": 5.0, "slow": 5.0, "other": 1.0}
    result, _, store, _, _sink = build(tmp_path, _stop_graph(), plans=plans, means=means, jobs=2)
    o = result.outcomes
    assert (o["bad"].state, o["slow"].state) == ("failed", "done")  # the running task finished and was kept
    assert (tmp_path / "out/slow.txt").is_file()
    for tid in ("other", "child", "grand"):
        assert o[tid].state == "not-run"
        assert o[tid].message == "build stopped after failure of bad"
    assert store.states()["other"] == "not-run"
    assert store.ended == {"failed": 1, "done": 1, "not-run": 3}


def test_a_stopped_build_starts_no_retry(tmp_path: Path) -> None:
    # without -k the first failure stops new starts, and a retry is one: `wait` is in its backoff when `bad`
    # fails, `late` fails (retryably) after it; neither is tried again
    specs = [Spec("bad"), Spec("wait"), Spec("late")]
    plans = {
        "bad": [Step(0.2, "fatal", "exit")],
        "wait": [Step(0.01, "retry", "rate-limit"), Step(0.01)],  # rate limit: waits at least 0.5 s
        "late": [Step(0.4, "retry", "exit"), Step(0.01)],
    }
    result, executor, _, _, sink = build(
        tmp_path, specs, plans=plans, jobs=3, backoff_base=1.0, backoff_cap=1.0
    )
    assert [len(executor.entries(t)) for t in ("bad", "wait", "late")] == [1, 1, 1]
    for tid in ("wait", "late"):
        assert result.outcomes[tid].state == "failed"
        assert sink.of(tid)[-1].action == "not retried: build stopped after failure of bad"
        # the failure as shown (the failures' list, status) says why there was no retry, not only the error
        assert result.outcomes[tid].message.endswith(" (not retried: build stopped after failure of bad)")
    keep, executor2, *_ = build(tmp_path / "k", specs, plans=plans, jobs=3, backoff_base=1.0, backoff_cap=1.0,
                                keep_going=True)  # fmt: skip
    assert [len(executor2.entries(t)) for t in ("bad", "wait", "late")] == [1, 2, 2]  # -k goes on
    assert (keep.outcomes["wait"].state, keep.outcomes["late"].state) == ("done", "done")


def test_keep_going_runs_everything_not_depending_on_the_failure(tmp_path: Path) -> None:
    plans = {"bad": [Step(0.05, "fatal", "exit")]}
    result, *_ = build(tmp_path, _stop_graph(), plans=plans, jobs=2, keep_going=True)
    o = result.outcomes
    assert (o["bad"].state, o["slow"].state, o["other"].state) == ("failed", "done", "done")
    assert (o["child"].state, o["child"].message) == ("not-run", "bad failed")
    assert (o["grand"].state, o["grand"].message) == ("not-run", "bad failed")


def test_budget_stops_new_llm_tasks_but_not_shell_ones(tmp_path: Path) -> None:
    specs = [Spec(f"llm{i}") for i in range(4)] + [Spec("sh", shell=True), Spec("after", deps=("llm3",))]
    means = {"sh": 0.1}  # lowest weight: runs last, after the budget is spent
    result, executor, *_ = build(
        tmp_path, specs, default=Step(0.01, cost=0.5), means=means, jobs=1, budget=1.0
    )
    assert result.budget_reached
    states = {tid: o.state for tid, o in result.outcomes.items()}
    assert sorted(states.values()).count("done") == 3 and states["sh"] == "done"
    not_run = [tid for tid, s in states.items() if s == "not-run"]
    assert len(not_run) == 3
    assert all(result.outcomes[t].message == "budget of $1.00 reached" for t in not_run)
    assert len([e for e in executor.log if e.task_id.startswith("llm")]) == 2


def test_a_budget_of_zero_starts_no_llm_task(tmp_path: Path) -> None:
    specs = [Spec(f"llm{i}") for i in range(3)] + [Spec("sh", shell=True)]
    result, executor, *_ = build(tmp_path, specs, default=Step(0.01, cost=0.5), jobs=3, budget=0.0)
    assert result.budget_reached
    assert [e.task_id for e in executor.log] == ["sh"]  # nothing was paid
    assert {tid: o.state for tid, o in result.outcomes.items() if tid != "sh"} == dict.fromkeys(
        ["llm0", "llm1", "llm2"], "not-run"
    )
    assert result.outcomes["llm0"].message == "budget of $0.00 reached"


def test_a_spend_equal_to_the_budget_reaches_it_despite_float_rounding(tmp_path: Path) -> None:
    # 0.000021 + 0.000024 is 4.4999999999999996e-05 in floating point: below a budget of 0.000045
    assert 0.000021 + 0.000024 < 0.000045
    specs = [Spec("a"), Spec("b"), Spec("c")]
    plans = {"a": [Step(0.01, cost=0.000021)], "b": [Step(0.01, cost=0.000024)]}
    means = {"a": 3.0, "b": 2.0, "c": 1.0}  # started in this order, one at a time
    result, executor, *_ = build(tmp_path, specs, plans=plans, means=means, jobs=1, budget=0.000045)
    assert [e.task_id for e in executor.log] == ["a", "b"]
    assert (result.outcomes["c"].state, result.outcomes["c"].message) == (
        "not-run",
        "budget of $0.000045 reached",
    )


def test_runners_that_report_no_cost_are_named_when_a_budget_is_set(tmp_path: Path) -> None:
    specs = [Spec("priced"), Spec("free", runner="codex")]
    plans = {"priced": [Step(0.01, cost=0.01)], "free": [Step(0.01, cost=None)]}
    result, *_ = build(tmp_path, specs, plans=plans, runners={"r": None, "codex": None}, budget=5.0)
    assert result.uncounted == {"codex"}
    assert "budget: codex reported no cost, so the budget could not count those calls" in summary_lines(
        result
    )
    unbudgeted, *_ = build(tmp_path / "2", specs, plans=plans, runners={"r": None, "codex": None})
    assert unbudgeted.uncounted == set()


def test_ctrl_c_cancels_running_tasks_and_records_them(tmp_path: Path) -> None:
    def second_running(events: list[TaskEvent]) -> bool:
        return sum(e.state == "running" for e in events) == 2

    specs = [Spec(f"t{i}") for i in range(4)]
    t0 = time.monotonic()
    result, executor, store, _, sink = build(
        tmp_path, specs, default=Step(30), sink=EventLog(second_running), jobs=2
    )
    assert time.monotonic() - t0 < 10
    assert result.interrupted and not result.ok
    interrupted = [t for t, o in result.outcomes.items() if o.state == "interrupted"]
    assert len(interrupted) == 2 and result.count("not-run") == 2
    assert all(e.outcome == "cancelled" for e in executor.log)
    for e in executor.log:  # the children are gone
        assert (
            not Path(f"/proc/{e.pid}").exists() or "Z" in Path(f"/proc/{e.pid}/stat").read_text().split()[2]
        )
    assert sorted(a.state for a in store.attempt_records) == ["interrupted"] * 2 + ["not-run"] * 2
    assert sink.threads == {threading.get_ident()}


def test_skip_restore_and_edited_outputs(tmp_path: Path) -> None:
    specs = [Spec("same"), Spec("cached"), Spec("edited"), Spec("child", deps=("same", "cached"))]
    (tmp_path / "out").mkdir()
    (tmp_path / "out/edited.txt").write_text("by hand\n")
    graph = make_graph(tmp_path, specs)
    store = FakeStore(tmp_path)
    store.cache["key-cached"] = {"out/cached.txt": b"from cache\n"}
    rebuilder = FakeRebuilder({"same": "skip", "cached": "restore"}, edited={"edited": ["out/edited.txt"]})
    executor = SleepExecutor(tmp_path)
    sink = EventLog()
    result = run_build(graph, rebuilder, executor, store, BuildOptions(**FAST), sink)  # type: ignore[arg-type]
    o = result.outcomes
    assert (o["same"].state, o["cached"].state, o["edited"].state, o["child"].state) == (
        "up-to-date", "cached", "done", "done",
    )  # fmt: skip
    assert sorted(e.task_id for e in executor.log) == ["child", "edited"]  # zero agent calls for the others
    assert (tmp_path / "out/cached.txt").read_text() == "from cache\n"
    assert (tmp_path / ".agentmake/edited/out/edited.txt").read_text() == "by hand\n"
    running = next(e for e in sink.of("edited") if e.state == "running")
    assert "out/edited.txt" in (running.action or "") and "edited" in (running.action or "")
    # commit: renamed into place, hashed, noted, recorded once per finished task
    content = (tmp_path / "out/edited.txt").read_bytes()
    assert content == b"edited attempt 1\n"
    assert rebuilder.hasher.written["out/edited.txt"] == xxhash.xxh3_128_hexdigest(content)
    record = next(r for r, _ in store.successes if r.task_id == "edited")
    assert record.outputs == {"out/edited.txt": xxhash.xxh3_128_hexdigest(content)}
    assert (record.key, record.run_id) == ("key-edited", 7)
    assert not list((tmp_path / "out").glob(".*agentmake-tmp*"))
    assert store.states() == {"cached": "cached", "edited": "done", "child": "done"}
    assert rebuilder.hasher.flushed == 1


def test_events_sequence_and_store_use_from_one_thread(tmp_path: Path) -> None:
    specs = [Spec("a"), Spec("b", deps=("a",)), Spec("c", deps=("a",)), Spec("d", deps=("b", "c"))]
    result, executor, store, _, sink = build(tmp_path, specs, jobs=3)
    assert result.ok
    for tid in "abcd":
        states = sink.states(tid)
        assert states[0] == "pending" and states[-1] == "done"
        assert states.count("done") == 1 and states.count("running") == 1
    assert sink.states("d") == ["pending", "waiting", "running", "done"]
    assert sink.threads == {threading.get_ident()} and store.threads == {threading.get_ident()}
    assert executor.entries("d")[0].start >= max(executor.entries(t)[0].end for t in "bc")


def test_control_cancels_one_running_task_and_the_rest_goes_on(tmp_path: Path) -> None:
    from agentmake.scheduler import BuildControl

    control = BuildControl()

    def cancel_a(events: list[TaskEvent]) -> bool:
        last = events[-1]
        if (last.task_id, last.state) == ("a", "running"):
            control.cancel("a", "input src/a.txt changed")
        return False

    specs = [Spec("a"), Spec("b"), Spec("c", deps=("a",))]
    graph = make_graph(tmp_path, specs)
    store = FakeStore(tmp_path)
    executor = SleepExecutor(tmp_path, {"a": [Step(30)], "b": [Step(0.3)]})
    opts = BuildOptions(jobs=2, **FAST)  # type: ignore[arg-type]
    t0 = time.monotonic()
    result = run_build(graph, FakeRebuilder(), executor, store, opts, EventLog(cancel_a), control=control)  # type: ignore[arg-type]
    assert time.monotonic() - t0 < 10
    o = result.outcomes
    assert (o["a"].state, o["a"].message) == ("interrupted", "cancelled: input src/a.txt changed")
    assert o["b"].state == "done"
    assert (o["c"].state, o["c"].message) == ("not-run", "dependency a cancelled")
    assert control.cancelled == ["a"] and not result.interrupted
    assert not (tmp_path / "out/a.txt").exists()


SCRIPT = """
import json, signal, sys, threading, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as from a terminal (a background job ignores it)
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_scheduler_fakes import EventLog, FakeRebuilder, FakeStore, SleepExecutor, Spec, Step, make_graph
from agentmake.scheduler import BuildOptions, run_build

root = Path({root!r})
graph = make_graph(root, [Spec("t1"), Spec("t2"), Spec("t3")])
executor = SleepExecutor(root, default=Step(30))
store = FakeStore(root)

def announce():
    while len(executor.log) < 2:
        time.sleep(0.01)
    print("READY", flush=True)

threading.Thread(target=announce, daemon=True).start()
result = run_build(graph, FakeRebuilder(), executor, store, BuildOptions(jobs=2), lambda event: None)
print(json.dumps({{
    "interrupted": result.interrupted,
    "states": {{t: o.state for t, o in result.outcomes.items()}},
    "pids": [e.pid for e in executor.log],
    "recorded": sorted(a.state for a in store.attempt_records),
}}), flush=True)
"""


def test_sigint_to_a_building_process(tmp_path: Path) -> None:
    import json
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "build.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent), root=str(tmp_path)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while proc.stdout.readline().strip() != "READY":
        assert time.monotonic() < deadline and proc.poll() is None
    time.sleep(0.2)  # both children run (READY follows their spawn); let the loop block in its wait
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    report = json.loads(out.strip().splitlines()[-1])
    assert report["interrupted"] is True
    assert sorted(report["states"].values()) == ["interrupted", "interrupted", "not-run"]
    assert report["recorded"] == ["interrupted", "interrupted", "not-run"]
    for pid in report["pids"]:
        try:
            os.kill(pid, 0)
            alive = Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except (ProcessLookupError, FileNotFoundError):
            alive = False
        assert not alive


def test_a_decision_error_fails_the_task_not_the_build(tmp_path: Path) -> None:
    from agentmake.errors import AgentfileError, Loc

    class Broken(FakeRebuilder):
        def decide(self, task, **kw):  # type: ignore[no-untyped-def]
            if task.id == "bad":
                raise AgentfileError("unknown variable 'lang'", Loc("Agentfile", 3, 5))
            return super().decide(task, **kw)

    specs = [Spec("bad"), Spec("good"), Spec("child", deps=("bad",))]
    graph = make_graph(tmp_path, specs)
    opts = BuildOptions(keep_going=True, **FAST)  # type: ignore[arg-type]
    store = FakeStore(tmp_path)
    result = run_build(graph, Broken(), SleepExecutor(tmp_path), store, opts, EventLog())  # type: ignore[arg-type]
    o = result.outcomes
    assert (o["bad"].state, o["bad"].message) == ("failed", "Agentfile:3:5: unknown variable 'lang'")
    assert o["good"].state == "done" and o["child"].message == "bad failed"
    assert store.failures == [("bad", "Agentfile:3:5: unknown variable 'lang'")]


def test_a_ctrl_c_after_the_loops_last_look_still_reports_the_build_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (seen in watch: a Ctrl-C that landed as the build wound down only bumped the handler's counter; the
    # build returned as if nothing happened, and watch went on watching)
    import signal

    from agentmake.scheduler import workers

    close = workers.WorkerPool.close

    def close_then_interrupt(self: workers.WorkerPool) -> None:
        signal.raise_signal(signal.SIGINT)  # the build's handler is still in place: it only counts it
        close(self)

    monkeypatch.setattr(workers.WorkerPool, "close", close_then_interrupt)
    graph = make_graph(tmp_path, [Spec("a"), Spec("b", deps=("a",))])
    executor = SleepExecutor(tmp_path, {}, Step(0.05))
    opts = BuildOptions(jobs=1, **FAST)  # type: ignore[arg-type]
    result = run_build(graph, FakeRebuilder(), executor, FakeStore(tmp_path), opts, EventLog())  # type: ignore[arg-type]
    assert {o.state for o in result.outcomes.values()} == {"done"}  # everything had finished
    assert result.interrupted  # and the user asked to stop: exit 130, and watch ends
