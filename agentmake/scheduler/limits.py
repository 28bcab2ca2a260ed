"""Slots: the global `-j` cap, each runner's `parallel` cap, and the adaptive cap after rate limits.

A runner without `parallel` is capped by `jobs` only. When a runner reports a rate limit its effective cap is
halved (never below 1); each later success of that runner grows it back by one, up to the configured
cap (AIMD, as TCP does with congestion). As in TCP, one burst is one signal: the rate limits of attempts that
were started before the last halving answer the calls that caused it, so they halve nothing more (else 8
calls rejected together would take a cap of 8 straight down to 1).
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
            self.by_runner[runner] = self.by_runner.get(runner, 0) + 1
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
        return self.effective[runner]

    def grow(self, runner: str | None) -> int | None:
        """Grow a lowered cap by one after a success; returns the new cap, or None if unchanged."""
        if runner is None:
            return None
        current = self.effective.get(runner, self.jobs)
        limit = self.configured.get(runner, self.jobs)
        if current >= limit:
            return None
        self.effective[runner] = current + 1
        return current + 1
