"""Slots: the global `-j` cap, each runner's `parallel` cap, and the adaptive cap after rate limits.

A runner without `parallel` is capped by `jobs` only. When a runner reports a rate limit its effective cap is
halved (never below 1), then grows back by one after each round of successes, up to the configured cap: one
more slot once as many calls as the cap allows have succeeded since it last changed (AIMD, as TCP's congestion
avoidance adds one segment per round trip). Adding one per success instead would double the cap every round
(slow start) and take it straight back to where the provider rejected calls.

As in TCP, one burst is one signal, and only calls started after the last halving answer for the new cap:
- the rate limits of attempts that were started before the last halving answer the calls that caused it, so
  they halve nothing more (else 8 calls rejected together would take a cap of 8 straight down to 1);
- the successes of attempts that were started before it ran under the old cap, alongside the rejected ones,
  so they grow nothing (else the calls still running when the cap is halved put it straight back);
- a cap grows only once the runner has had as many calls running as it allows, since the cap last changed
  (TCP grows only a window it fills): successes of calls made one at a time (a chain of tasks) prove nothing
  of what more parallel calls would meet, and would take the cap back up untested.
"""

from __future__ import annotations

from collections.abc import Mapping


class Limits:
    def __init__(self, jobs: int, caps: Mapping[str, int | None]) -> None:
        self.jobs = max(jobs, 1)
        self.configured = {name: max(min(cap or self.jobs, self.jobs), 1) for name, cap in caps.items()}
        self.effective = dict(self.configured)
        self.total = 0
        self.by_runner: dict[str, int] = {}
        self.started = 0  # attempts started so far (each one's number is what `acquire` returned)
        self.halved_at: dict[str, int] = {}  # runner -> `started` when its cap was last halved
        self.successes: dict[str, int] = {}  # runner -> successes counted for growth since its cap changed
        self.peak: dict[str, int] = {}  # runner -> most of its calls running at once since its cap changed
        self.told: set[str] = (
            set()
        )  # runners whose lowered cap was said (held a call back): its growth is said

    def can_start(self, runner: str | None) -> bool:
        if self.total >= self.jobs:
            return False
        if runner is None:
            return True
        return self.by_runner.get(runner, 0) < self.effective.get(runner, self.jobs)

    def acquire(self, runner: str | None) -> int:
        """Take a slot for an attempt about to start; returns the attempt's number (for `lower`)."""
        self.total += 1
        self.started += 1
        if runner is not None:
            running = self.by_runner[runner] = self.by_runner.get(runner, 0) + 1
            if running > self.peak.get(runner, 0):
                self.peak[runner] = running
        return self.started

    def release(self, runner: str | None) -> None:
        self.total -= 1
        if runner is not None:
            self.by_runner[runner] -= 1

    def lower(self, runner: str | None, attempt: int | None = None) -> int | None:
        """Halve `runner`'s effective cap after a rate limit of the attempt numbered `attempt` (None: a new
        signal); returns the new cap, or None if unchanged: already 1, or the attempt started before the
        last halving (the same burst)."""
        if runner is None:
            return None
        if attempt is not None and attempt <= self.halved_at.get(runner, 0):
            return None
        current = self.effective.get(runner, self.jobs)
        if current <= 1:
            return None
        self.effective[runner] = max(current // 2, 1)
        self.halved_at[runner] = self.started
        self.successes[runner] = 0
        self.peak[runner] = 0  # (the calls still running from before count once more start beside them)
        return self.effective[runner]

    def grow(self, runner: str | None, attempt: int | None = None) -> int | None:
        """Count a success of the attempt numbered `attempt` (None: one started after any halving) towards
        growing `runner`'s lowered cap: one more slot once `effective` successes of attempts started after
        the last halving have been counted since the cap last changed, and the runner has used every slot
        of it meanwhile. Returns the new cap, or None if unchanged."""
        if runner is None:
            return None
        current = self.effective.get(runner, self.jobs)
        if current >= self.configured.get(runner, self.jobs):
            return None
        if attempt is not None and attempt <= self.halved_at.get(runner, 0):
            return None  # it ran under the old cap, with the calls that were rejected
        counted = self.successes.get(runner, 0) + 1
        if counted < current or self.peak.get(runner, 0) < current:
            self.successes[runner] = counted
            return None
        self.successes[runner] = 0
        self.peak[runner] = self.by_runner.get(runner, 0)
        self.effective[runner] = current + 1
        return current + 1
