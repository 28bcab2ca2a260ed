"""How long to wait before a retry: exponential backoff with "equal jitter", capped."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): uniform in [c/2, c], c = min(cap, base *
    2^(n-1)).

    Equal jitter (AWS architecture blog, "Exponential Backoff and Jitter"): the random half spreads the
    retries of many tasks that hit the same rate limit at the same moment, and the fixed half keeps every
    wait growing with the attempt. Full jitter (uniform in [0, c]) could retry a rate-limited call at once.
    """
    ceiling = max(min(cap, base * (2 ** max(attempt - 1, 0))), 0.0)
    return (rng or random).uniform(ceiling / 2, ceiling)
