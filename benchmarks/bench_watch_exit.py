"""How long an idle `agentmake watch` takes to exit on SIGTERM: to its exit, and to its being reaped.

Two ways, each `--rounds` times over a one-task project (built, then idle):

- child: the watch is this script's child; the time from `kill` to `waitpid` returning (what a script that
  started it, `agentmake watch & ... kill $!; wait $!`, waits).
- orphan: a background job of a shell that has exited (`(agentmake watch &)`), so init is its parent; the
  time until /proc says it is a zombie (the process has exited: every thread is gone), and until it is gone
  from /proc (init reaped it). A `kill -0 $pid` loop sees the second: a zombie still answers signal 0, and
  init may take seconds to reap it (a container's init), which is no time agentmake spends.

    PYTHONPATH=. python benchmarks/bench_watch_exit.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENTFILE = """agent copy:
    inputs  = docs/{name}.md
    outputs = build/{name}.txt
    run     = "cp {input} {output}"
"""
ENV = {**os.environ, "NO_COLOR": "1", "CI": "1"}


def idle(err: Path) -> None:
    deadline = time.monotonic() + 60
    while "watching for changes" not in (err.read_text() if err.exists() else ""):
        if time.monotonic() > deadline:
            sys.exit(f"watch never went idle:\n{err.read_text() if err.exists() else ''}")
        time.sleep(0.02)
    time.sleep(0.5)  # (idle a while: its watcher thread is in watchfiles' own wait)


def as_child(root: Path) -> float:
    err = root.parent / "child.err"
    with err.open("w") as out:
        argv = [sys.executable, "-m", "agentmake", "watch"]
        proc = subprocess.Popen(argv, cwd=root, env=ENV, stdout=subprocess.DEVNULL, stderr=out)
        idle(err)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    took = time.monotonic() - start
    if code != 130:
        sys.exit(f"exit {code}, not 130:\n{err.read_text()}")
    return took


def state(pid: int) -> str | None:
    """The process's state letter (Z: exited, not yet reaped), None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def as_orphan(root: Path) -> tuple[float, float]:
    err, pidfile = root.parent / "orphan.err", root.parent / "orphan.pid"
    pidfile.unlink(missing_ok=True)
    script = '("$1" -m agentmake watch 2>"$2" >/dev/null & echo $! >"$3")'
    subprocess.run(["sh", "-c", script, "sh", sys.executable, str(err), str(pidfile)], cwd=root, env=ENV)
    pid = int(pidfile.read_text())
    idle(err)
    start = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    exited = reaped = 0.0
    while time.monotonic() - start < 30:
        now = state(pid)
        if now in ("Z", None) and not exited:
            exited = time.monotonic() - start
        if now is None:
            reaped = time.monotonic() - start
            break
        time.sleep(0.001)
    return exited, reaped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import agentmake

    print(f"agentmake from {Path(agentmake.__file__).parent}; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-watch-exit-") as tmp:
        root = Path(tmp) / "proj"
        (root / "docs").mkdir(parents=True)
        (root / "Agentfile").write_text(AGENTFILE)
        (root / "docs" / "a.md").write_text("alpha\n")
        child = [as_child(root) for _ in range(args.rounds)]
        orphan = [as_orphan(root) for _ in range(args.rounds)]
    print("child:  SIGTERM to waitpid  " + " ".join(f"{t:.3f}" for t in child))
    print("orphan: SIGTERM to exited   " + " ".join(f"{e:.3f}" for e, _ in orphan))
    print("orphan: SIGTERM to reaped   " + " ".join(f"{r:.3f}" for _, r in orphan))
    exited, reaped = statistics.median(e for e, _ in orphan), statistics.median(r for _, r in orphan)
    mid = statistics.median(child)
    print(f"medians: child {mid:.3f} s, orphan exited {exited:.3f} s, reaped {reaped:.3f} s")


if __name__ == "__main__":
    main()
