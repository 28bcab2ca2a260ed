"""Per-task overhead: a 1,000-task fan-out of `cp` tasks built by `make -j2` and by `agentmake -j 2`.

Each round builds both tools from clean (outputs and state removed), in alternating order, so a busy machine
slows both alike; the ratio is taken per round and the median reported. `--profile FILE` also runs agentmake
once under cProfile and prints the hottest functions (`phases.py` gives the scheduler thread's CPU per step
without cProfile's distortion).

    PATH=/work/venv/bin:$PATH python benchmarks/bench_fanout.py [--n 1000] [--rounds 5] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENTFILE = """retries = 0

agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""

MAKEFILE = """SRCS := $(wildcard src/*.txt)
OUTS := $(SRCS:src/%=out/%)
.PHONY: all
all: $(OUTS)
out/%.txt: src/%.txt
\tcp $< $@
"""


def make_project(directory: Path, n: int) -> None:
    (directory / "src").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (directory / "src" / f"{i:05d}.txt").write_text(f"{i}\n")
    (directory / "Agentfile").write_text(AGENTFILE)
    (directory / "Makefile").write_text(MAKEFILE)


def clean(directory: Path) -> None:
    """Forget all outputs and state; `out/` is left empty (make's recipe does not create it)."""
    for name in ("out", ".agentmake"):
        shutil.rmtree(directory / name, ignore_errors=True)
    (directory / "out").mkdir()


def env() -> dict[str, str]:
    venv = str(Path(sys.executable).parent)
    return dict(os.environ, NO_COLOR="1", PATH=f"{venv}{os.pathsep}{os.environ.get('PATH', '')}")


def timed(argv: list[str], directory: Path, n: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the tool and its children) of one build from clean."""
    clean(directory)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=directory, env=env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    built = len(os.listdir(directory / "out"))
    if built != n:
        raise SystemExit(f"{argv[0]} built {built} of {n} outputs")
    return elapsed, cpu


def agentmake_argv(jobs: int) -> list[str]:
    return [sys.executable, "-m", "agentmake", "-j", str(jobs)]


def profile(directory: Path, jobs: int, out: Path, top: int) -> None:
    """Profile one build: the scheduler (main) thread and, separately, the worker threads if any ran
    (cProfile alone sees only the thread that started it)."""
    clean(directory)
    Path(f"{out}.workers").unlink(missing_ok=True)
    argv = [sys.executable, __file__, "--profile-child", str(out), "--jobs", str(jobs)]
    subprocess.run(
        argv, cwd=directory, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    for suffix in (".main", ".workers"):
        if not Path(f"{out}{suffix}").exists():
            continue
        print(f"==== {out}{suffix}")
        stats = pstats.Stats(f"{out}{suffix}")
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


def profile_child(out: Path, jobs: int) -> None:
    """In the project directory: run `agentmake -j JOBS` in-process, profiling every thread."""
    from agentmake.cli import main as agentmake_main
    from agentmake.scheduler import workers

    profiles: list[cProfile.Profile] = []
    serve = workers.WorkerPool._serve

    def profiled_serve(self: workers.WorkerPool) -> None:
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.runcall(serve, self)

    workers.WorkerPool._serve = profiled_serve  # type: ignore[method-assign]
    main_prof = cProfile.Profile()
    with contextlib.suppress(SystemExit):  # (with argv given, main returns rather than ending the process)
        main_prof.runcall(agentmake_main, ["-j", str(jobs)])
    main_prof.dump_stats(f"{out}.main")
    if not profiles:  # shell tasks run on the scheduler thread (`scheduler.inline`): no worker ever started
        return
    merged = pstats.Stats(profiles[0])
    for prof in profiles[1:]:
        merged.add(prof)
    merged.dump_stats(f"{out}.workers")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of tasks")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dir", type=Path, help="project directory (default: a fresh temporary one)")
    ap.add_argument("--profile", type=Path, help="also write a cProfile of one agentmake run here")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--profile-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.profile_child is not None:
        profile_child(args.profile_child, args.jobs)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from peers import compile_agentmake

    print(compile_agentmake())
    directory = args.dir or Path(tempfile.mkdtemp(prefix="agentmake-fanout-"))
    make_project(directory, args.n)
    tools = {"make": ["make", f"-j{args.jobs}"], "agentmake": agentmake_argv(args.jobs)}
    print(f"{args.n} cp tasks, -j {args.jobs}, in {directory}")
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for r in range(args.rounds):
        order = list(tools) if r % 2 == 0 else list(reversed(tools))
        got = {name: timed(tools[name], directory, args.n) for name in order}
        (make, make_cpu), (am, am_cpu) = got["make"], got["agentmake"]
        ratios.append(am / make)
        cpu_ratios.append(am_cpu / make_cpu)
        print(
            f"round {r + 1}: make {make:.2f}s (cpu {make_cpu:.2f}s)  agentmake {am:.2f}s (cpu {am_cpu:.2f}s)"
            f"  ratio {ratios[-1]:.2f} (cpu {cpu_ratios[-1]:.2f})"
        )
    print(f"median wall ratio {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
    print(f"median cpu ratio  {statistics.median(cpu_ratios):.2f}")
    if args.profile is not None:
        profile(directory, args.jobs, args.profile, args.top)
    if args.dir is None:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
