"""Pause Python's cyclic garbage collector around bulk work that allocates many small acyclic objects.

Loading a large Agentfile, expanding its graph and deciding thousands of tasks create objects without
reference cycles; the collector would only rescan them again and again (a third of the time at 5,000
agents). Collection resumes when the block ends, whatever happens inside it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
