"""What a task waited for, kept for the report's critical path (`Starting._waited_for`): a slot only when
every slot it could take was full at some moment after it was ready. An unrelated task whose end was handled
between a task's decision and its start (the loop takes in results right before it starts what is decided)
was said to have held the slot it took, though slots were free all along ("`quick` ⇢ `late`" in the report,
now and then)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from test_scheduler import FAST
from test_scheduler_fakes import EventLog, FakeRebuilder, FakeStore, SleepExecutor, Spec, Step, make_graph

from agentmake.scheduler import BuildOptions, run_build


class SlowToDecide(FakeRebuilder):
    """Deciding `late` takes a while (hashing a large input, say): `quick` ends meanwhile."""

    def decide(self, task: Any, **kwargs: Any) -> Any:
        if task.id == "late":
            time.sleep(0.4)
        return super().decide(task, **kwargs)


def _after(tmp_path: Path, plans: dict[str, list[Step]], jobs: int) -> dict[str, object]:
    specs = [Spec("first"), Spec("quick"), Spec("slow"), Spec("late", deps=("first",))]
    graph = make_graph(tmp_path, specs)
    store = FakeStore(tmp_path)
    executor = SleepExecutor(tmp_path, plans, Step(0.05))
    opts = BuildOptions(jobs=jobs, **FAST)  # type: ignore[arg-type]
    result = run_build(graph, SlowToDecide(), executor, store, opts, EventLog())  # type: ignore[arg-type]
    assert result.ok, result.outcomes
    return {record.task_id: record.after for record, _ in store.successes}


def test_a_task_started_with_slots_free_waited_for_its_dependency_not_a_slot(tmp_path: Path) -> None:
    # -j 4, never more than 3 running: `late`, ready once `first` ends, is decided while `quick` ends
    plans = {"first": [Step(0.05)], "quick": [Step(0.2)], "slow": [Step(1.0)]}
    after = _after(tmp_path, plans, 4)
    assert after["late"] == ("first", "dependency"), after


def test_a_task_that_found_every_slot_taken_waited_for_the_slot_it_took(tmp_path: Path) -> None:
    # -j 2: `late`, ready once `first` ends, finds `quick` and `slow` running, and starts when `quick` ends
    plans = {"first": [Step(0.05)], "quick": [Step(0.6)], "slow": [Step(1.2)]}
    after = _after(tmp_path, plans, 2)
    assert after["late"] == ("quick", "slot"), after
