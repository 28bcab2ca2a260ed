"""Whether an LLM agent may still be called in this build (`CallGate`): not once this run's recorded spend
has reached its budget, not through a runner that failed for the whole build (`failing.RUNNER_WIDE`).

The scheduler thread asks before it starts an attempt, and tells it what each attempt cost and which runner
failed so. An attempt whose outputs in place fail its task's new check (`Decision.recheck`) asks it too,
from its worker, just before it would call its agent (`Executor.calls_held`): the re-check itself calls
nothing, and the budget may have been reached, or the runner refused, while it ran. Hence the lock.
"""

from __future__ import annotations

import threading

from agentmake.scheduler.summary import usd

SPEND_EPSILON = 1e-9  # dollars: a float sum of prices can fall a rounding error short of an equal budget


class CallGate:
    """The spend of this run against its `budget` (None: no budget), and the runners refused."""

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._spent = 0.0
        self._refused: dict[str | None, str] = {}  # runner -> why none of its tasks starts any more
        self._paid: set[tuple[str, float]] = set()  # the attempts of interrupted runs counted (`spend_once`)

    def spend(self, cost_usd: float) -> None:
        with self._lock:
            self._spent += cost_usd

    def spend_once(self, paid_by: tuple[str, float], cost_usd: float) -> None:
        """Spend what the attempt `paid_by` (log stem, start) of an interrupted run cost, unless it was
        counted already: as its answer is found, then as the attempt that salvaged it ends
        (`scheduler.earlier`)."""
        with self._lock:
            if paid_by not in self._paid:
                self._paid.add(paid_by)
                self._spent += cost_usd

    def refuse(self, runner: str | None, why: str) -> None:
        """No more calls through `runner` in this build (the first reason given is kept)."""
        with self._lock:
            self._refused.setdefault(runner, why)

    def budget_reached(self) -> bool:
        """Whether the spend has reached the budget (a budget of 0 is reached at once)."""
        with self._lock:
            return self.budget is not None and self._spent >= self.budget - SPEND_EPSILON

    def held(self) -> tuple[int, bool]:
        """How many runners are refused, and whether the budget is reached: what `why_not` answers from. It
        changes a few times a build at most (neither is ever undone), so a caller that asked `why_not` of
        many tasks need not ask again while this is the same."""
        with self._lock:
            refused = len(self._refused)
        return refused, self.budget_reached()

    def why_not(self, runner: str | None) -> str | None:
        """None if an LLM agent of `runner` may be called now, else why not: `runner claude failed for
        another task: …` (its refusal goes first) or `budget of $1.00 reached`."""
        with self._lock:
            refused = self._refused.get(runner)
        if refused is not None:
            return f"runner {runner} failed for another task: {refused}"
        if self.budget is not None and self.budget_reached():
            return f"budget of {usd(self.budget)} reached"
        return None
