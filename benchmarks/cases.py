"""The benchmark cases: which project, which measurements, how many trials, and the timing loop itself.

Every tool gets its own copy of the generated project (`WORK/<project>/<tool>/`), so no tool sees another's
outputs or traces. A measurement is the best of `trials` runs (`time.perf_counter` around the subprocess).
Reruns are counted the same way for every tool: outputs whose modification time changed during the run.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import gen
from peers import TOOLS, BenchError, Tool

MODES = ("full", "noop", "change", "touch")


@dataclass
class Measure:
    seconds: float | None = None
    reruns: int | None = None
    error: str | None = None

    def cell(self) -> str:
        return self.error or ("-" if self.seconds is None else f"{self.seconds:.2f} s")


@dataclass
class Case:
    """One row of a results table: `mode` of `project` at `-j jobs`."""

    title: str
    project: gen.Project
    jobs: int
    mode: str  # one of MODES
    ideal: float | None = None  # lower bound on the wall time, for scheduling cases
    results: dict[str, Measure] = field(default_factory=dict)


def outputs_mtimes(directory: Path) -> dict[str, int]:
    out = directory / "out"
    return {e.name: e.stat().st_mtime_ns for e in _scan(out)} if out.exists() else {}


def _scan(directory: Path):
    import os

    with os.scandir(directory) as it:
        yield from (e for e in it if e.is_file())


def reruns(before: dict[str, int], after: dict[str, int]) -> int:
    return sum(1 for name, mtime in after.items() if before.get(name) != mtime)


def measure_tool(tool: Tool, cases: list[Case], work: Path, trials: int, timeout: float) -> None:
    """Run every case of one project for one tool, in MODES order, reusing the previous build."""
    project = cases[0].project
    directory = work / project.name / tool.name
    if directory.exists():
        shutil.rmtree(directory)
    gen.write(project, directory, tool.build_file)
    built = False
    for case in sorted(cases, key=lambda c: MODES.index(c.mode)):
        try:
            if not built and case.mode != "full":
                tool.clean(directory)
                tool.run(directory, case.jobs, timeout)  # prepare: a full build (records history too)
            case.results[tool.name] = run_trials(tool, case, directory, trials, timeout)
            built = True
        except BenchError as exc:
            case.results[tool.name] = Measure(error=str(exc))
            if "n/a" in str(exc):
                for other in cases:
                    other.results.setdefault(tool.name, Measure(error="n/a"))
                return
            built = False


def run_trials(tool: Tool, case: Case, directory: Path, trials: int, timeout: float) -> Measure:
    best = Measure()
    for trial in range(trials):
        if case.mode == "full":
            tool.clean(directory)
        elif case.mode == "change":
            gen.change_one(case.project, directory, f"{tool.name}-{trial}-{time.time_ns()}")
        elif case.mode == "touch":
            time.sleep(0.01)  # a strictly newer mtime than the outputs, even on coarse clocks
            gen.touch_all(case.project, directory)
        before = outputs_mtimes(directory)
        seconds = tool.run(directory, case.jobs, timeout)
        count = reruns(before, outputs_mtimes(directory))
        if best.seconds is None or seconds < best.seconds:
            best = Measure(seconds, count)
        best.reruns = max(best.reruns or 0, count)
        if seconds > 20:  # long runs are stable enough; do not triple them
            break
    return best


def ideal_layered(widths: list[int], seconds: float, jobs: int) -> float:
    """Lower bound for a layered DAG: each layer takes ceil(width / jobs) waves of `seconds`."""
    return sum(math.ceil(w / jobs) for w in widths) * seconds


def ideal_skewed(short: list[float], chain: int, chain_seconds: float, jobs: int) -> float:
    """Lower bound: the longer of the chain and the total work spread over all slots."""
    return max(chain * chain_seconds, (sum(short) + chain * chain_seconds) / jobs)


def suite(quick: bool) -> list[list[Case]]:
    """Cases grouped by project (each group shares one build per tool)."""
    groups = []
    n_fan = 1000 if quick else 10_000
    small = gen.fanout(1000)
    groups.append(
        [
            Case("full build, 1,000 × cp", small, 2, "full"),
            Case("touch all inputs, content unchanged, 1,000", small, 2, "touch"),
        ]
    )
    big = small if quick else gen.fanout(n_fan)
    big_cases = [
        Case(f"no-op, {n_fan:,} up to date", big, 8, "noop"),
        Case(f"one input changed, {n_fan:,}", big, 8, "change"),
    ]
    if quick:
        groups[0] += [Case(c.title, small, 2, c.mode) for c in big_cases]
    else:
        groups.append([Case("full build, 10,000 × cp", big, 8, "full"), *big_cases])
    widths_a, widths_b = [1, 8, 1], [1, 32, 32, 32, 1]
    for widths in (widths_a, widths_b):
        p = gen.layered(widths, 0.2)
        shape = "→".join(map(str, widths))
        groups.append(
            [Case(f"layered DAG {shape}, 0.2 s tasks", p, 8, "change", ideal=ideal_layered(widths, 0.2, 8))]
        )
    short = [0.2, 0.6, 0.3, 0.5] * 4
    p = gen.skewed(short, 4, 0.5)
    groups.append(
        [
            Case(
                "skewed DAG: 16 uneven tasks + a 4 × 0.5 s chain declared last",
                p,
                4,
                "change",
                ideal=ideal_skewed(short, 4, 0.5, 4),
            )
        ]
    )
    return groups


def run_suite(
    groups: list[list[Case]],
    work: Path,
    trials: int,
    timeout: float,
    tools: list[Tool] | None = None,
    log=print,
) -> None:
    for cases in groups:
        for tool in tools or TOOLS:
            start = time.perf_counter()
            measure_tool(tool, cases, work, trials, timeout)
            log(
                f"  {cases[0].project.name:<22} {tool.name:<10} {time.perf_counter() - start:6.1f}s  "
                + "  ".join(
                    f"{c.mode}={c.results[tool.name].cell()}" for c in cases if tool.name in c.results
                )
            )
