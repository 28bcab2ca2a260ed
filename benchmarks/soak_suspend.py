"""Ctrl-Z soak (`runners.suspend`): build many quick shell agents, and stop the build again and again as a
terminal's Ctrl-Z does (SIGTSTP to agentmake's whole process group, run as a shell runs a job), then continue
it as `fg` does (SIGCONT to the group). Each time, agentmake must stop within 10 s (a stop that catches a
child still being started used to hang it: the child stopped in agentmake's group before its `setsid`), and
once it is stopped no agent may make progress (each agent ticks into a shared file before and after its
sleep: the file must not grow while agentmake is stopped). The build must then end with 0, every output
right, no agent left alive, each agent run exactly once (a stop never makes a task start over: it would be
paid for twice) and the build after it running nothing. Half the agents have a `check` (they run on worker
threads), half not (on the scheduler's thread, the main one).

    python benchmarks/soak_suspend.py [--seeds 1-10] [--tasks 300] [--stops 20] [--work DIR]

Prints one line per seed and exits 1 if any seed broke a rule.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK = "echo t >> ../ticks"
AGENTFILE = f"""\
jobs = 4
timeout = 60s

agent plain:
    inputs = docs/{{name}}.txt
    outputs = plain/{{name}}.txt
    run = "{TICK}; sleep 0.03; {TICK}; cat {{input}} > {{output}}"

agent checked:
    inputs = docs/{{name}}.txt
    outputs = checked/{{name}}.txt
    run = "{TICK}; sleep 0.03; {TICK}; cat {{input}} > {{output}}"
    check = "test -s {{output}}"
"""


def state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def ticks(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def soak(seed: int, tasks: int, stops: int, work: Path) -> str | None:
    """One build, stopped `stops` times at random moments: None if every rule held, else what broke."""
    rng = random.Random(seed)
    root = work / f"seed{seed}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "proj" / "docs").mkdir(parents=True)
    proj = root / "proj"
    (proj / "Agentfile").write_text(AGENTFILE)
    for i in range(tasks // 2):
        (proj / "docs" / f"d{i:04}.txt").write_text(f"doc {i}\n")
    env = dict(os.environ, CI="1", NO_COLOR="1")
    log = (root / "log.txt").open("w")
    job: dict[str, object] = (  # (a process group of its own in this session, as a shell's job)
        {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
    )
    proc = subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-m", "agentmake"], cwd=proj, env=env, stdout=log, stderr=subprocess.STDOUT, **job
    )
    try:
        for n in range(stops):
            time.sleep(rng.uniform(0.02, 0.4))
            if proc.poll() is not None:
                break
            os.killpg(proc.pid, signal.SIGTSTP)  # (the terminal's Ctrl-Z: the whole job)
            deadline = time.monotonic() + 10
            while state(proc.pid) != "T" and proc.poll() is None:
                if time.monotonic() > deadline:
                    return f"stop {n}: agentmake did not stop within 10 s"
                time.sleep(0.005)
            before = ticks(root / "ticks")
            time.sleep(0.3)
            if ticks(root / "ticks") != before and state(proc.pid) == "T":
                return f"stop {n}: agents ticked on while agentmake was stopped"
            os.killpg(proc.pid, signal.SIGCONT)  # (`fg`)
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGCONT)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    if code != 0:
        return f"agentmake exited {code}: see {root / 'log.txt'}"
    for i in range(tasks // 2):
        for kind in ("plain", "checked"):
            out = proj / kind / f"d{i:04}.txt"
            if not out.exists() or out.read_text() != f"doc {i}\n":
                return f"{out} missing or wrong"
    left = subprocess.run(["pgrep", "-f", "sleep 0.03"], capture_output=True, text=True).stdout.split()
    if left:
        return f"agents left alive: {left}"
    ran = (root / "ticks").read_text().count("t\n") // 2  # (two ticks an agent run)
    if ran != 2 * (tasks // 2):
        return f"{ran} agent runs for {2 * (tasks // 2)} tasks: a stop made some run again"
    again = subprocess.run(
        [sys.executable, "-m", "agentmake"], cwd=proj, env=env, capture_output=True, text=True, timeout=120
    )
    if again.returncode != 0 or " 0 ran, 0 cached," not in again.stdout:
        return f"the build after it did something ({again.returncode}): {again.stdout.strip()}"
    shutil.rmtree(root)
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-10", help="a range, as 1-10")
    ap.add_argument("--tasks", type=int, default=300)
    ap.add_argument("--stops", type=int, default=20)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    first, _, last = args.seeds.partition("-")
    work = args.work or Path(tempfile.mkdtemp(prefix="soak_suspend-"))
    failed = 0
    for seed in range(int(first), int(last or first) + 1):
        began = time.monotonic()
        broke = soak(seed, args.tasks, args.stops, work)
        failed += broke is not None
        verdict = "ok" if broke is None else f"BROKE: {broke}"
        print(f"seed {seed}: {verdict} ({time.monotonic() - began:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
