"""Opt-in pytest plugin: the CPU and wall seconds of each test, to compare the suite's cost under load.

`AGENTMAKE_TEST_CPU=DIR PYTHONPATH=tests pytest -p cputime_plugin ...` (-p loads it before conftest puts
tests/ on sys.path) appends to DIR/cpu-<worker>.tsv: per test its CPU seconds (user+sys of the test
process plus the children it waited for, RUSAGE_SELF + RUSAGE_CHILDREN deltas around set-up, call and
tear-down) and its wall seconds. CPU seconds hardly depend on the machine's load, unlike wall times."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Generator
from pathlib import Path

import pytest


def _cpu() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    out = os.environ.get("AGENTMAKE_TEST_CPU")
    if not out:
        yield
        return
    cpu, wall = _cpu(), time.monotonic()
    yield
    cpu, wall = _cpu() - cpu, time.monotonic() - wall
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = Path(out) / f"cpu-{worker}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{item.nodeid}\t{cpu:.3f}\t{wall:.3f}\n")
