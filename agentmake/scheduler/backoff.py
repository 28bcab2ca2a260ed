"""How long to wait before a retry: exponential backoff with full jitter, capped."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): uniform in [0, min(cap, base * 2^(n-1))].

    Full jitter (AWS architecture blog, "Exponential Backoff and Jitter") spreads the retries of many
    tasks that hit the same rate limit at the same moment, instead of sending them back together.
    """
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(0.0, max(ceiling, 0.0))
