"""What the live display and status.md cost: builds on a pseudo-terminal against the same builds piped.

Cases (each from clean, best of `--rounds`, terminal and pipe alternating so a busy machine slows both):

- `cp`: a fan-out of `--n` `cp` tasks (`agentmake -j JOBS`) on a 120x40 pseudo-terminal (the live table)
  and with stderr piped (plain lines). The difference is what the live display costs.
- `interrupt`: `--n` tasks of `sleep 0.2; cp` on the terminal; Ctrl-C (SIGINT to the process group, as the
  terminal sends it) after `--after` seconds; the time from the signal to the end of agentmake, which
  includes the "not run" line of every task that did not start.
- `retry`: `--retry-n` `cp` tasks that each fail once and succeed on their retry (backoff 0), piped: every
  retry is an "urgent" event for `.agentmake/status.md`.

    PATH=/work/venv/bin:$PATH python benchmarks/bench_terminal.py [--n 1000] [--jobs 8] [--rounds 3]
        [--cases cp,interrupt,retry]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

CP = """retries = 0

agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""

SLOW = """retries = 0

agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "sleep 0.2; cp {input} {output}"
"""

# fails the first time (leaves a mark), succeeds on the retry
RETRY = """retries = 1

agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "if [ -e marks/{n} ]; then cp {input} {output}; else touch marks/{n}; exit 1; fi"
"""


def make_project(directory: Path, n: int, agentfile: str) -> None:
    (directory / "src").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (directory / "src" / f"{i:05d}.txt").write_text(f"{i}\n")
    (directory / "Agentfile").write_text(agentfile)


def clean(directory: Path) -> None:
    for name in ("out", ".agentmake", "marks"):
        shutil.rmtree(directory / name, ignore_errors=True)
    (directory / "marks").mkdir()


def env(terminal: bool) -> dict[str, str]:
    venv = str(Path(sys.executable).parent)
    e = dict(os.environ, PATH=f"{venv}{os.pathsep}{os.environ.get('PATH', '')}", AGENTMAKE_BACKOFF="0")
    e.pop("CI", None)
    e.pop("NO_COLOR", None)
    if terminal:
        e.update(TERM="xterm", COLUMNS="120", LINES="40")
    return e


def argv(jobs: int) -> list[str]:
    return [sys.executable, "-m", "agentmake", "-j", str(jobs)]


class Terminal:
    """A 120x40 pseudo-terminal whose output is read (and counted) by a thread, as a terminal would."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.received = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the slave side is closed (EIO)
                return
            if not chunk:
                return
            self.received += len(chunk)

    def close(self) -> None:
        os.close(self.slave)
        self._reader.join(timeout=5)
        os.close(self.master)


def run(directory: Path, jobs: int, terminal: bool, interrupt_after: float | None = None) -> dict[str, float]:
    """One build from clean: wall seconds, bytes the terminal got, and (with `interrupt_after`) the seconds
    from the SIGINT to the end."""
    clean(directory)
    term = Terminal() if terminal else None
    out = term.slave if term is not None else subprocess.DEVNULL
    err = term.slave if term is not None else subprocess.PIPE
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv(jobs), cwd=directory, env=env(terminal), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        start_new_session=True,
    )  # fmt: skip
    got: dict[str, float] = {}
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        sent = time.perf_counter()
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait()
        got["after_sigint"] = time.perf_counter() - sent
    else:
        if proc.stderr is not None:
            proc.stderr.read()
        proc.wait()
    got["wall"] = time.perf_counter() - start
    if term is not None:
        term.close()
        got["bytes"] = term.received
    expect = 130 if interrupt_after is not None else 0
    if proc.returncode != expect:
        raise SystemExit(f"agentmake exited {proc.returncode}, not {expect}")
    return got


def case_cp(base: Path, n: int, jobs: int, rounds: int) -> None:
    directory = base / "cp"
    make_project(directory, n, CP)
    best: dict[str, dict[str, float]] = {}
    for r in range(rounds):
        for terminal in (r % 2 == 0, r % 2 != 0):
            name = "terminal" if terminal else "piped"
            got = run(directory, jobs, terminal)
            print(f"  round {r + 1} {name:<8} {got['wall']:6.2f} s" + _bytes(got))
            if name not in best or got["wall"] < best[name]["wall"]:
                best[name] = got
    term, piped = best["terminal"]["wall"], best["piped"]["wall"]
    print(f"cp, {n} tasks, -j {jobs}: terminal {term:.2f} s, piped {piped:.2f} s (best of {rounds})")


def case_interrupt(base: Path, n: int, jobs: int, rounds: int, after: float) -> None:
    directory = base / "interrupt"
    make_project(directory, n, SLOW)
    times = []
    for r in range(rounds):
        got = run(directory, jobs, True, interrupt_after=after)
        times.append(got["after_sigint"])
        took = got["after_sigint"]
        print(f"  round {r + 1} Ctrl-C after {after:.1f} s: exit {took:.2f} s later" + _bytes(got))
    print(f"interrupt, {n} tasks, -j {jobs}: exit {min(times):.2f} s after Ctrl-C (best of {rounds})")


def case_retry(base: Path, n: int, jobs: int, rounds: int) -> None:
    directory = base / "retry"
    make_project(directory, n, RETRY)
    times = []
    for r in range(rounds):
        got = run(directory, jobs, False)
        times.append(got["wall"])
        size = (directory / ".agentmake" / "status.md").stat().st_size
        print(f"  round {r + 1} {got['wall']:6.2f} s (status.md {size:,} bytes)")
        if len(os.listdir(directory / "out")) != n:
            raise SystemExit("not every task was built")
    print(f"retry, {n} tasks each failing once, -j {jobs}, piped: {min(times):.2f} s (best of {rounds})")


def _bytes(got: dict[str, float]) -> str:
    return f" ({int(got['bytes']):,} bytes to the terminal)" if "bytes" in got else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="tasks of the cp and interrupt cases")
    ap.add_argument("--retry-n", type=int, default=4000, help="tasks of the retry case")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--after", type=float, default=1.5, help="interrupt: seconds before Ctrl-C")
    ap.add_argument("--cases", default="cp,interrupt,retry")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="agentmake-terminal-"))
    try:
        for case in args.cases.split(","):
            if case == "cp":
                case_cp(base, args.n, args.jobs, args.rounds)
            elif case == "interrupt":
                case_interrupt(base, args.n, args.jobs, args.rounds, args.after)
            elif case == "retry":
                case_retry(base, args.retry_n, args.jobs, args.rounds)
            else:
                raise SystemExit(f"unknown case {case!r}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
