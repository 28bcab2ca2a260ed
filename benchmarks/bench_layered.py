"""Layered DAGs of 0.2 s shell tasks at -j 8 (issue #4): agentmake's wall time against the ideal schedule.

For each shape (1→8→1 and 1→32→32→32→1) the project is generated with `gen.py` into a work directory, built
once from clean (so every task's duration is recorded) and once more as a warm-up, then built `--trials` times
in change mode (the seed changes, so every task reruns), exactly as `run.py`'s scheduling cases run it
(`peers.Tool.run`: stdout and stderr captured, NO_COLOR). Reports best and median wall time ÷ the ideal bound
(Σ layers ⌈width / jobs⌉ x 0.2 s); the target is ≤ 1.05.

`--floor` also times the smallest CPython program that runs the same jobs in the same order (`python -S`, no
import but `os`: `posix_spawn` of each job's `sh -c` command the moment its inputs exist, `waitpid` for the
next to end, no state, no hashing, no output) and GNU make: what no CPython tool that starts as a new process
can beat, beside what a C tool reaches.

`--timeline` runs one more change build with `AGENTMAKE_TRACE` set (see `agentmake.trace`) and
prints where the time goes: process start → CLI imported → Agentfile → graph → store → first task spawned,
each wave's hand-off (the last task of a wave exits → worker posts → scheduler receives → records → next task
launched → spawned), and the end. `--importtime` prints the heaviest imports of one build (`python -X
importtime`).

`--warm` times the same change build run by a child forked from an interpreter that has already imported
every agentmake module (nothing parsed, no state open, no cache warmed: a fork, then `cli.main`), i.e. what
a resident build server would start each build from, and adds the start-up of the smallest client such a
server would need (`python -S -c pass`, timed here): how far the layered targets are from reach once the
interpreter's start-up and the imports no longer count.

    python benchmarks/bench_layered.py [--trials 7] [--floor] [--timeline] [--importtime] [--warm]
        [--work DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen
from cases import ideal_layered, outputs_mtimes, reruns
from peers import TOOLS, VENV_BIN, compile_agentmake

SHAPES = ([1, 8, 1], [1, 32, 32, 32, 1])
SECONDS = 0.2
TARGET = 1.05
AGENTMAKE = next(t for t in TOOLS if t.name == "agentmake")


def prepare(widths: list[int], work: Path, jobs: int) -> tuple[gen.Project, Path]:
    project = gen.layered(widths, SECONDS)
    directory = work / project.name
    gen.write(project, directory, "Agentfile")
    AGENTMAKE.clean(directory)
    AGENTMAKE.run(directory, jobs, 120)  # records every task's duration
    change_build(project, directory, jobs)  # warm-up: caches, page cache, bytecode
    return project, directory


def change_build(project: gen.Project, directory: Path, jobs: int) -> float:
    gen.change_one(project, directory, f"bench-{time.time_ns()}")
    before = outputs_mtimes(directory)
    seconds = AGENTMAKE.run(directory, jobs, 120)
    count = reruns(before, outputs_mtimes(directory))
    if count != len(project.jobs):
        raise SystemExit(f"{project.name}: {count} of {len(project.jobs)} tasks reran")
    return seconds


def trials(project: gen.Project, directory: Path, jobs: int, n: int) -> list[float]:
    return [change_build(project, directory, jobs) for _ in range(n)]


# -- the floor -----------------------------------------------------------------------------------------------

FLOOR = """\
import os
jobs = {jobs!r}  # [name, inputs, command]
limit = {limit}
made = {{p for _, ins, _ in jobs for p in ins if not p.startswith("out/")}}
todo, running = list(jobs), {{}}
while todo or running:
    ready = [j for j in todo if all(i in made for i in j[1])]
    for job in ready[: limit - len(running)]:
        todo.remove(job)
        running[os.posix_spawn("/bin/sh", ["sh", "-c", job[2]], os.environ)] = job
    pid, status = os.waitpid(-1, 0)
    if status:
        raise SystemExit(f"{{running[pid][0]}} failed")
    made.add("out/" + running.pop(pid)[0] + ".txt")
"""


def floor_times(project: gen.Project, directory: Path, jobs: int, n: int) -> dict[str, list[float]]:
    """Wall times of the floor program and of `make -j` on the same jobs (each change build reruns all)."""
    script = directory / "floor.py"
    rows = [[j.name, list(j.inputs), j.command] for j in project.jobs]
    script.write_text(FLOOR.format(jobs=rows, limit=jobs))
    gen.write(project, directory, "Makefile")
    times: dict[str, list[float]] = {"floor": [], "make": []}
    argv = {"floor": [sys.executable, "-S", str(script)], "make": ["make", "-s", "-B", "-j", str(jobs)]}
    for _ in range(n):
        for name in times:
            gen.change_one(project, directory, f"floor-{time.time_ns()}")
            start = time.perf_counter()
            subprocess.run(argv[name], cwd=directory, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    return times


# -- warm: a resident server's best case ----------------------------------------------------------------

WARM = """\
import importlib, os, pkgutil, sys, time
import agentmake
for m in pkgutil.walk_packages(agentmake.__path__, "agentmake."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
from agentmake.cli import main
print("ready", flush=True)
for line in sys.stdin:
    directory, jobs = line.split()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(directory)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os._exit(main(["build", "-j", jobs]))
    _, status = os.waitpid(pid, 0)
    print(time.perf_counter() - start, os.waitstatus_to_exitcode(status), flush=True)
"""


def warm_times(project: gen.Project, directory: Path, jobs: int, n: int) -> tuple[list[float], float]:
    """Wall times of change builds forked from a pre-imported interpreter, and the best start-up time of a
    minimal client (`python -S -c pass`) in seconds."""
    server = subprocess.Popen(
        [sys.executable, "-c", WARM],
        env=dict(os.environ, NO_COLOR="1"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("warm: the pre-imported interpreter did not start")
        times = []
        for _ in range(n):
            gen.change_one(project, directory, f"warm-{time.time_ns()}")
            before = outputs_mtimes(directory)
            server.stdin.write(f"{directory} {jobs}\n")
            server.stdin.flush()
            seconds, code = server.stdout.readline().split()
            if int(code) != 0 or reruns(before, outputs_mtimes(directory)) != len(project.jobs):
                raise SystemExit(f"warm: the build failed or did not rerun every task (exit {code})")
            times.append(float(seconds))
    finally:
        server.stdin.close()
        server.wait(30)
    client = []
    for _ in range(max(n, 5)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-S", "-c", "pass"], check=True)
        client.append(time.perf_counter() - start)
    return times, min(client)


# -- timeline ------------------------------------------------------------------------------------------------


def traced_build(project: gen.Project, directory: Path, jobs: int) -> tuple[float, float, list[dict]]:
    """One change build with AGENTMAKE_TRACE: (wall-clock start, end, trace events)."""
    gen.change_one(project, directory, f"trace-{time.time_ns()}")
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as fh:
        trace = Path(fh.name)
    env = dict(os.environ, NO_COLOR="1", AGENTMAKE_TRACE=str(trace))
    start = time.time()
    subprocess.run(
        [AGENTMAKE.path() or "agentmake", "build", "-j", str(jobs)],
        cwd=directory,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    end = time.time()
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    trace.unlink()
    return start, end, events


def first(events: list[dict], moment: str, detail: str | None = None) -> float | None:
    for e in events:
        if e["moment"] == moment and (detail is None or e["detail"] == detail):
            return e["t"]
    return None


def waves(events: list[dict]) -> list[list[str]]:
    """Task ids grouped by when they were launched (a gap of over 50 ms starts a new wave)."""
    launches = sorted((e["t"], e["detail"]) for e in events if e["moment"] == "launch")
    groups: list[list[str]] = []
    last = None
    for t, task_id in launches:
        if last is None or t - last > 0.05:
            groups.append([])
        groups[-1].append(task_id)
        last = t
    return groups


def print_timeline(start: float, end: float, events: list[dict]) -> dict[str, float]:
    ms = lambda t: (t - start) * 1000  # noqa: E731
    print("  start-up (ms since the process was started):")
    for moment in ("cli-imported", "parsed", "stamp", "agentfile", "graph", "store", "run", "predecided"):
        t = first(events, moment)
        if t is not None:
            print(f"    {moment:<14} {ms(t):7.1f}")
    groups = waves(events)
    t_launch = first(events, "launch", groups[0][0])
    t_spawn = min(e["t"] for e in events if e["moment"] == "spawn")
    print(f"    {'first launch':<14} {ms(t_launch or 0):7.1f}\n    {'first spawn':<14} {ms(t_spawn):7.1f}")
    print("  hand-offs (ms; the last task of a wave exits -> the next wave's tasks are spawned):")
    print("    wave  executed->posted->received->recorded->committed->launch->spawn1  spawned-all")
    executed = {e["detail"]: e["t"] for e in events if e["moment"] == "executed"}
    handoffs: list[float] = []
    for wave in groups[1:]:
        launch = first(events, "launch", wave[0]) or 0.0
        trigger = max((tid for tid, t in executed.items() if t <= launch), key=lambda tid: executed[tid])
        moments = ("executed", "posted", "received", "recorded", "committed")
        steps = [first(events, m, trigger) for m in moments]
        spawns = [first(events, "spawn", tid) or 0.0 for tid in wave]
        points = [*steps, launch, min(spawns)]
        deltas = [
            f"{(b - a) * 1000:5.2f}" if a is not None and b is not None else "  -  "
            for a, b in itertools.pairwise(points)
        ]
        total = (min(spawns) - executed[trigger]) * 1000
        handoffs.append(total)
        spread = (max(spawns) - launch) * 1000
        print(f"    {len(handoffs):>4}  {' '.join(deltas)}  = {total:5.2f}   {spread:5.2f}")
    last_exec = max(executed.values())
    print("  end (ms after the last task exited):")
    for moment in ("build-end", "closed", "exit"):
        t = first(events, moment)
        if t is not None:
            print(f"    {moment:<14} {(t - last_exec) * 1000:7.1f}")
    print(f"    {'process gone':<14} {(end - last_exec) * 1000:7.1f}")
    return {
        "startup": (t_spawn - start) * 1000,
        "handoffs": sum(handoffs),
        "end": (end - last_exec) * 1000,
    }


def importtime(directory: Path, project: gen.Project, jobs: int, top: int = 15) -> None:
    gen.change_one(project, directory, f"imp-{time.time_ns()}")
    exe = AGENTMAKE.path() or "agentmake"
    out = subprocess.run(
        [str(VENV_BIN / "python"), "-X", "importtime", exe, "build", "-j", str(jobs)],
        cwd=directory,
        env=dict(os.environ, NO_COLOR="1"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    ).stderr
    rows = []
    for line in out.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  "):  # top-level imports only: their cumulative times add up
                rows.append((int(cumulative), name.strip()))
    print(f"  imports (-X importtime, top-level, total {sum(c for c, _ in rows) / 1000:.1f} ms):")
    for cumulative, name in sorted(rows, reverse=True)[:top]:
        print(f"    {cumulative / 1000:6.1f} ms  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--work", type=Path, help="where the projects go (default: a temporary directory)")
    ap.add_argument("--shape", choices=("small", "big", "both"), default="both")
    ap.add_argument("--floor", action="store_true", help="also time a do-nothing CPython scheduler and make")
    ap.add_argument("--timeline", action="store_true", help="trace one build and show where time goes")
    ap.add_argument("--importtime", action="store_true", help="show the heaviest imports of one build")
    ap.add_argument("--warm", action="store_true", help="also time forks of a pre-imported agentmake")
    args = ap.parse_args()
    print(compile_agentmake())
    shapes = {"small": SHAPES[:1], "big": SHAPES[1:], "both": SHAPES}[args.shape]
    with tempfile.TemporaryDirectory(prefix="bench-layered-") as tmp:
        work = args.work or Path(tmp)
        ok = True
        for widths in shapes:
            ideal = ideal_layered(widths, SECONDS, args.jobs)
            project, directory = prepare(widths, work, args.jobs)
            times = trials(project, directory, args.jobs, args.trials)
            best, median = min(times), statistics.median(times)
            shape = "→".join(map(str, widths))
            verdict = "ok" if best / ideal <= TARGET else f"above the {TARGET} target"
            ok &= best / ideal <= TARGET
            print(
                f"bench_layered: {shape} -j {args.jobs}: ideal {ideal:.2f} s, best {best:.3f} s "
                f"({best / ideal:.3f}×), median {median:.3f} s ({median / ideal:.3f}×) "
                f"over {args.trials} trials: {verdict}"
            )
            if args.floor:
                for name, seconds in floor_times(project, directory, args.jobs, args.trials).items():
                    best, median = min(seconds), statistics.median(seconds)
                    print(f"  {name:<6} best {best:.3f} s ({best / ideal:.3f}×), median {median:.3f} s")
            if args.warm:
                seconds, client = warm_times(project, directory, args.jobs, args.trials)
                best, median = min(seconds), statistics.median(seconds)
                print(
                    f"  warm   best {best:.3f} s ({best / ideal:.3f}×), median {median:.3f} s; "
                    f"with a client's start-up ({client * 1000:.1f} ms): best {(best + client) / ideal:.3f}×"
                )
            if args.timeline:
                print_timeline(*traced_build(project, directory, args.jobs))
            if args.importtime:
                importtime(directory, project, args.jobs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
