"""How long to wait before a retry: capped exponential backoff with jitter, never short after a rate limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported when a retry waits: `random` is not on the way to a build's first task)
    import random


def backoff_delay(
    attempt: int, base: float, cap: float, rng: random.Random | None = None, *, rate_limited: bool = False
) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based), c = min(cap, base * 2^(n-1)): uniform in
    [0, c] ("full jitter"), or in [c/2, c] after a rate limit ("equal jitter").

    Both come from the AWS architecture blog's "Exponential Backoff and Jitter". Full jitter spreads the
    retries of many tasks that failed at the same moment, and a crash or a bad answer may as well be retried
    soon. A rate limit says the provider wants fewer calls: its retry always waits at least half the ceiling
    (full jitter could send it straight back, "next in 0.0s"), and the wait still grows with the attempt.
    """
    ceiling = max(min(cap, base * (2 ** max(attempt - 1, 0))), 0.0)
    if rng is None:
        import random
    return (rng or random).uniform(ceiling / 2 if rate_limited else 0.0, ceiling)
