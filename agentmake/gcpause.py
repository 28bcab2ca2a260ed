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


_paused_for_startup = False


def pause_startup() -> None:
    """Pause collection while the program starts (the console script calls this before importing it):
    imports, the Agentfile and the graph allocate many long-lived objects and few cycles, and each
    collection would scan them again (about 3% of a small build's CPU). `end_startup` resumes it."""
    global _paused_for_startup
    if gc.isenabled():
        gc.disable()
        _paused_for_startup = True


def end_startup() -> None:
    """Resume collection paused by `pause_startup`, if it was: what start-up allocated (modules, the
    Agentfile, the graph) lives as long as the process, so it is frozen first and no later collection
    rescans it. A no-op otherwise (tests, a build inside `watch`)."""
    global _paused_for_startup
    if _paused_for_startup:
        _paused_for_startup = False
        gc.freeze()
        gc.enable()
