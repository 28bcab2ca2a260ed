"""The scheduler's parts alone: priorities, slots, backoff, staged-file cleanup and orphan processes."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

from test_scheduler_fakes import FakeStore, Spec, make_graph

from agentmake.scheduler.backoff import backoff_delay
from agentmake.scheduler.commit import remove_stale_temps
from agentmake.scheduler.limits import Limits
from agentmake.scheduler.processes import end_orphans
from agentmake.scheduler.ready import (
    DEFAULT_DURATION,
    ReadyQueue,
    critical_path_weights,
    expected_durations,
    priority_keys,
)
from agentmake.store.identity import boot_id, start_ticks


def test_expected_durations_fall_back_from_task_to_agent_to_estimate(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, [Spec("known"), Spec("fan"), Spec("est", estimate=7.0), Spec("none")])
    # "fan:x"/"fan:y" are recorded fan-out tasks of agent "fan": their mean stands for the agent
    durations = expected_durations(graph, {"known": 3.0, "fan:x": 1.0, "fan:y": 5.0, "est": 2.5})
    assert durations == {"known": 3.0, "fan": 3.0, "est": 2.5, "none": DEFAULT_DURATION}
    assert expected_durations(graph, {})["est"] == 7.0


def test_critical_path_weights_and_order(tmp_path: Path) -> None:
    specs = [Spec("c"), Spec("a"), Spec("b", deps=("a",)), Spec("d", deps=("a",)), Spec("p", priority=1)]
    graph = make_graph(tmp_path, specs)
    weights = critical_path_weights(graph, {"a": 1.0, "b": 5.0, "c": 2.0, "d": 0.5, "p": 2.0})
    assert weights == {"a": 6.0, "b": 5.0, "c": 2.0, "d": 0.5, "p": 2.0}
    ready = ReadyQueue(priority_keys(graph, weights))
    for task_id in ("c", "d", "p", "a", "b"):
        ready.push(task_id)
    assert [ready.pop() for _ in range(5)] == ["a", "b", "p", "c", "d"]  # p beats c on priority


def test_limits_halve_on_rate_limit_and_grow_back() -> None:
    limits = Limits(8, {"claude": 4, "shell": None})
    assert limits.configured == {"claude": 4, "shell": 8}
    for _ in range(4):
        assert limits.can_start("claude")
        limits.acquire("claude")
    assert not limits.can_start("claude") and limits.can_start("shell") and limits.can_start(None)
    assert (limits.lower("claude"), limits.lower("claude"), limits.lower("claude")) == (2, 1, None)
    for _ in range(4):
        limits.release("claude")
    limits.acquire("claude")
    assert not limits.can_start("claude")  # cap 1
    assert limits.grow("claude") == 2  # one round of 1 success
    assert limits.can_start("claude")


def test_limits_ignore_successes_of_calls_started_before_the_halving() -> None:
    limits = Limits(8, {"claude": 8})
    before = [limits.acquire("claude") for _ in range(8)]  # 4 accepted, 4 rejected by a provider limit of 4
    assert limits.lower("claude", before[-1]) == 4
    # the 4 accepted calls end well: they ran under the old cap, with the rejected ones, and grow nothing
    assert [limits.grow("claude", n) for n in before[:4]] == [None] * 4
    assert limits.effective["claude"] == 4
    after = [limits.acquire("claude") for _ in range(4)]
    assert [limits.grow("claude", n) for n in after] == [None, None, None, 5]  # a round of calls after it


def test_limits_grow_by_one_per_round_of_successes_up_to_the_configured_cap() -> None:
    limits = Limits(16, {"claude": 6})
    limits.acquire("claude")
    assert (limits.lower("claude"), limits.lower("claude")) == (3, 1)
    grown = [limits.grow("claude", limits.acquire("claude")) for _ in range(1 + 2 + 3 + 4 + 5 + 6)]
    # one more slot once as many successes as the cap allows: 1 success (1 -> 2), 2 (-> 3), 3, 4, 5 (-> 6)
    assert [(i, cap) for i, cap in enumerate(grown, 1) if cap is not None] == [
        (1, 2), (3, 3), (6, 4), (10, 5), (15, 6),
    ]  # fmt: skip
    assert limits.effective["claude"] == limits.configured["claude"] == 6  # never above it
    assert limits.grow("claude", limits.acquire("claude")) is None


def test_limits_halve_again_on_a_later_burst_and_restart_the_count() -> None:
    limits = Limits(8, {"claude": 8})
    assert limits.lower("claude", limits.acquire("claude")) == 4
    probe = [limits.acquire("claude") for _ in range(8)]
    assert [limits.grow("claude", n) for n in probe[:4]] == [None, None, None, 5]
    assert [limits.grow("claude", n) for n in probe[4:7]] == [None] * 3  # 3 of the 5 for the next slot
    assert limits.lower("claude", probe[7]) == 2  # started after the first halving: a new burst
    assert limits.lower("claude", probe[6]) is None  # the same burst
    # the successes counted before it start over, and those of calls started before it count for nothing
    assert [limits.grow("claude", n) for n in probe[:7]] == [None] * 7
    assert [limits.grow("claude", limits.acquire("claude")) for _ in range(2)] == [None, 3]


def test_limits_halve_once_per_burst_of_rate_limits() -> None:
    limits = Limits(8, {"claude": 8})
    burst = [limits.acquire("claude") for _ in range(8)]  # started together, all rejected together
    assert [limits.lower("claude", n) for n in burst] == [4, None, None, None, None, None, None, None]
    for _ in burst:
        limits.release("claude")
    retry = limits.acquire("claude")  # started after the halving: its rejection is a new signal
    assert (limits.lower("claude", retry), limits.lower("claude", retry)) == (2, None)


def test_global_cap_applies_to_every_runner() -> None:
    limits = Limits(2, {"a": 5})
    limits.acquire("a")
    limits.acquire(None)
    assert not limits.can_start("a") and not limits.can_start(None)


def test_backoff_is_capped_exponential_with_full_jitter() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)]:
        delays = [backoff_delay(attempt, 2.0, 60.0, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling  # spread over the whole range
        assert min(delays) < 0.2 * ceiling


def test_backoff_after_a_rate_limit_waits_at_least_half_the_ceiling() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0), (30, 60.0)]:
        delays = [backoff_delay(attempt, 2.0, 60.0, rng, rate_limited=True) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)  # never a retry at once after a 429
        assert max(delays) > 0.9 * ceiling and min(delays) < 0.6 * ceiling  # spread over the upper half
    assert backoff_delay(3, 0.0, 60.0, rng, rate_limited=True) == 0.0  # backoff = 0 (tests): no wait


def test_remove_stale_temps_only_touches_staged_files(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    stale = tmp_path / "out/.a.agentmake-tmp-x1y2.md"
    stale.write_text("half")
    keep = [tmp_path / "out/a.md", tmp_path / "out/.hidden", tmp_path / "out/notes.agentmake-tmp-1"]
    for path in keep:
        path.write_text("keep")
    removed = remove_stale_temps(tmp_path, ["out/a.md", "missing/b.md"])
    assert removed == [stale] and not stale.exists()
    assert all(path.exists() for path in keep)


def test_end_orphans_kills_groups_of_dead_owners_only(tmp_path: Path) -> None:
    dead_owner = subprocess.Popen(["true"])
    dead_owner.wait()
    orphan = subprocess.Popen(["sleep", "30"], start_new_session=True)
    guarded = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        store = FakeStore(tmp_path)
        store.running_rows = [
            ("orphan", orphan.pid, orphan.pid, dead_owner.pid),
            ("owned", guarded.pid, guarded.pid, os.getppid()),  # its agentmake is alive: leave it
        ]
        # as the store records them (a row without an identity is not trusted where one could be recorded)
        pids = (("orphan", orphan.pid), ("owned", guarded.pid))
        ids = {tid: (start_ticks(pid), boot_id()) for tid, pid in pids}
        store.running_identities = lambda: ids  # type: ignore[attr-defined]
        assert end_orphans(store) == ["orphan"]
        assert orphan.wait(timeout=10) is not None
        assert guarded.poll() is None
        assert store.cleared == ["orphan"]
    finally:
        for proc in (orphan, guarded):
            proc.kill()
            proc.wait()


def test_limits_grow_only_a_cap_the_runner_has_filled() -> None:
    limits = Limits(8, {"claude": 8})
    assert limits.lower("claude", limits.acquire("claude")) == 4
    limits.release("claude")
    for _ in range(20):  # a chain of tasks: one call at a time, every one a success
        assert limits.grow("claude", limits.acquire("claude")) is None
        limits.release("claude")
    assert limits.effective["claude"] == 4  # one call at a time says nothing of what 5 at once would meet
    wave = [limits.acquire("claude") for _ in range(4)]  # the cap filled: now a round of successes counts
    assert not limits.can_start("claude")
    grown = []
    for n in wave:
        limits.release("claude")
        grown.append(limits.grow("claude", n))
    assert grown == [5, None, None, None]  # (the chain's successes made the round; the filled cap proves it)
    assert limits.effective["claude"] == 5
