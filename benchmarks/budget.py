"""How much Python work per task the target "1,000 cp tasks at -j 2 within 1.3x make" leaves room for.

A minimal scheduler builds `bench_fanout`'s project (the same `cp` tasks): it starts each command the way
agentmake starts a shell task (`subprocess.Popen`, argv, own session, stdin the null device, stdout and
stderr on pipes) and, for each task, spins for WORK µs on its one thread (half before the start, half after
the exit), standing in for everything agentmake does per task (deciding, recording, renaming, hashing,
logging). `--model coshell` starts no process itself: one long-lived `sh` per slot reads each command on its
stdin and reports its exit status on a pipe, so the fork and exec happen outside the scheduler's process.
Every configuration is run in a new interpreter (its start-up counts, as agentmake's does) and interleaved
with `make -j 2` in every round; the median ratio to make per WORK is reported, and the largest WORK that
stays within the target. agentmake's own per-task CPU on its scheduler thread is what `phases.py` prints.

    python benchmarks/budget.py [--work 0,300,500,700,900,1100] [--rounds 3] [--model popen,coshell]
"""

from __future__ import annotations

import argparse
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_fanout import clean, make_project

TARGET = 1.3


def spin(us: float) -> None:
    end = time.perf_counter() + us / 1e6
    while time.perf_counter() < end:
        pass


def run_popen(commands: list[list[str]], jobs: int, work: float) -> None:
    running: dict[int, tuple[subprocess.Popen[bytes], int, int]] = {}
    todo = iter(commands)

    def start() -> None:
        argv = next(todo, None)
        if argv is None:
            return
        spin(work / 2)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w, start_new_session=True
        )  # fmt: skip
        os.close(out_w)
        os.close(err_w)
        running[proc.pid] = (proc, out_r, err_r)

    for _ in range(jobs):
        start()
    while running:
        pid, status = os.wait()
        entry = running.pop(pid, None)
        if entry is None:
            continue
        proc, out_r, err_r = entry
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{proc.args} failed")
        for fd in (out_r, err_r):
            os.read(fd, 65536)
            os.close(fd)
        spin(work / 2)
        start()


def run_coshell(commands: list[list[str]], jobs: int, work: float) -> None:
    sel = selectors.DefaultSelector()
    shells: list[tuple[subprocess.Popen[bytes], int]] = []
    for slot in range(jobs):
        status_r, status_w = os.pipe()
        shell = subprocess.Popen(["sh", "-s"], stdin=subprocess.PIPE, pass_fds=(status_w,))
        os.close(status_w)
        shells.append((shell, status_w))
        sel.register(status_r, selectors.EVENT_READ, slot)
    todo = iter(commands)

    def start(slot: int) -> bool:
        argv = next(todo, None)
        if argv is None:
            return False
        spin(work / 2)
        shell, status_w = shells[slot]
        assert shell.stdin is not None
        shell.stdin.write(f"{' '.join(argv)} </dev/null; echo $? >&{status_w}\n".encode())
        shell.stdin.flush()
        return True

    live = sum(start(slot) for slot in range(jobs))
    while live:
        for key, _ in sel.select():
            if os.read(key.fd, 64).strip() != b"0":
                raise SystemExit("a command failed")
            live -= 1
            spin(work / 2)
            live += start(key.data)
    for shell, _ in shells:
        assert shell.stdin is not None
        shell.stdin.close()
        shell.wait()


def child(model: str, n: int, jobs: int, work: float) -> None:
    """In the project directory: build every output with the minimal scheduler."""
    commands = [["cp", f"src/{i:05d}.txt", f"out/{i:05d}.txt"] for i in range(n)]  # (paths need no quoting)
    (run_popen if model == "popen" else run_coshell)(commands, jobs, work)


def timed(argv: list[str], directory: Path) -> float:
    clean(directory)
    start = time.perf_counter()
    subprocess.run(argv, cwd=directory, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", default="0,300,500,700,900,1100", help="µs of work per task, comma-separated")
    ap.add_argument("--model", default="popen,coshell")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", nargs=3, metavar=("MODEL", "N", "WORK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        model, n, work = args.child
        child(model, int(n), args.jobs, float(work))
        return
    with tempfile.TemporaryDirectory(prefix="agentmake-budget-") as tmp:
        measure(Path(tmp), args)


def measure(directory: Path, args: argparse.Namespace) -> None:
    make_project(directory, args.n)
    works = [float(w) for w in args.work.split(",")]
    models = args.model.split(",")
    ratios: dict[tuple[str, float], list[float]] = {(m, w): [] for m in models for w in works}
    print(f"{args.n} cp tasks, -j {args.jobs}, in {directory}")
    for r in range(args.rounds):
        make = timed(["make", f"-j{args.jobs}"], directory)
        line = [f"round {r + 1}: make {make:.2f}s"]
        for model in models:
            for work in works:
                argv = [sys.executable, __file__, "--jobs", str(args.jobs), "--child", model, str(args.n)]
                took = timed([*argv, str(work)], directory)
                ratios[(model, work)].append(took / make)
                line.append(f"{model}/{work:g} {took / make:.2f}")
        print("  ".join(line), flush=True)
    for model in models:
        cells = [f"{work:g} µs: {statistics.median(ratios[(model, work)]):.2f}×" for work in works]
        fits = [work for work in works if statistics.median(ratios[(model, work)]) <= TARGET]
        most = f"at most {max(fits):g} µs per task fits {TARGET}×" if fits else f"nothing fits {TARGET}×"
        print(f"{model}: " + ", ".join(cells) + f"  ({most})")


if __name__ == "__main__":
    main()
